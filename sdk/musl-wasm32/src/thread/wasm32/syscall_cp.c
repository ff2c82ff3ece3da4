/* Cancellation points.  Other archs find out from the interrupted PC whether a
 * cancellation signal arrived inside the syscall window; a wasm guest has no PC,
 * so (mcontext __pc is always 0) the window test never matches and cancellation
 * is acted on by __syscall_cp_c after the syscall returns -EINTR, and here before
 * it starts. */
#include "pthread_impl.h"
#include "syscall.h"

hidden long __cancel();

hidden const char __cp_begin[1], __cp_end[1], __cp_cancel[1];

hidden long __syscall_cp_asm(volatile int *cancel, syscall_arg_t nr,
                             syscall_arg_t u, syscall_arg_t v, syscall_arg_t w,
                             syscall_arg_t x, syscall_arg_t y, syscall_arg_t z)
{
	if (*cancel) return __cancel();
	return __syscall(nr, u, v, w, x, y, z);
}
