/* C part of a new thread's entry (kandelo_thread_start.s set the stack pointer). */
#include <kandelo/abi.h>
#include "pthread_impl.h"
#include "syscall.h"

void __wasm_init_tls(void *);
extern hidden __thread volatile int __kandelo_sigpending;

struct kandelo_thread_start {
	int (*func)(void *);
	void *arg;
	void *tp;
	void *reserved;
};

hidden void __kandelo_thread_main(int tid, struct kandelo_thread_start *b)
{
	pthread_t td = b->tp;
	/* This instance's __tls_base is still 0: set up TLS before anything else. */
	__wasm_init_tls((void *)td->dtv[1]);
	__set_thread_area(td);
	__syscall(SYS_kandelo_set_sigword, &__kandelo_sigpending);
	int r = b->func(b->arg);
	for (;;) __syscall(SYS_exit, r);
}
