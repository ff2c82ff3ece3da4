/* A detached thread frees its own stack and exits.  Nothing touches linear memory
 * after the munmap (wasm locals are not in linear memory), so no shared stack is
 * needed as on other archs. */
#include "pthread_impl.h"

void __unmapself(void *base, size_t size)
{
	__syscall(SYS_munmap, base, size);
	for (;;) __syscall(SYS_exit, 0);
}
