/* __clone for wasm32 (sdk/ABI.md, "Processes and threads").
 *
 * Threads (CLONE_VM|CLONE_THREAD, from pthread_create): a wasm instance cannot start
 * executing at an arbitrary function with a new stack, so the new thread is a new
 * instance of the module, sharing the memory, entered at the export
 * __kandelo_thread_start(tid, start_block).  __clone writes the start block
 * { func, arg, tp } at the top of the new stack and passes its address as the
 * clone stack argument:
 *     clone(flags, start_block, ptid, tls, ctid)        (asm-generic argument order)
 * The parent gets the tid (or -errno); the runner starts the thread.
 *
 * Processes (no CLONE_THREAD, e.g. posix_spawn's CLONE_VM|CLONE_VFORK): memory
 * cannot be shared with a new process, so CLONE_VM is dropped and the child, a
 * copy of the parent (fork), runs func(arg) on the current stack and exits. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <sched.h>
#include <kandelo/abi.h>
#include "pthread_impl.h"
#include "syscall.h"

void __kandelo_thread_start(int, void *);

struct kandelo_thread_start {
	int (*func)(void *);
	void *arg;
	void *tp;
	void *reserved;
};

_Static_assert(sizeof(struct kandelo_thread_start) == KANDELO_THREAD_START_SIZE, "start block");
_Static_assert(__builtin_offsetof(struct kandelo_thread_start, func) == KANDELO_THREAD_START_FUNC, "func");
_Static_assert(__builtin_offsetof(struct kandelo_thread_start, arg) == KANDELO_THREAD_START_ARG, "arg");
_Static_assert(__builtin_offsetof(struct kandelo_thread_start, tp) == KANDELO_THREAD_START_TP, "tp");

/* Keeps the export (defined in kandelo_thread_start.s) linked whenever threads can
 * be created. */
void (*volatile const __kandelo_thread_start_ref)(int, void *) = __kandelo_thread_start;

int __clone(int (*func)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	pid_t *ptid, *ctid;
	void *tls;

	va_start(ap, arg);
	ptid = va_arg(ap, pid_t *);
	tls = va_arg(ap, void *);
	ctid = va_arg(ap, pid_t *);
	va_end(ap);

	if (flags & CLONE_THREAD) {
		uintptr_t sp = (uintptr_t)stack & -16;
		struct kandelo_thread_start *b;
		sp -= sizeof *b;
		b = (void *)sp;
		b->func = func;
		b->arg = arg;
		b->tp = tls;
		b->reserved = 0;
		return __syscall(SYS_clone, flags, b, ptid, tls, ctid);
	}

	long ret = __syscall(SYS_clone, flags & ~CLONE_VM, 0, ptid, 0, ctid);
	if (ret) return ret;
	for (;;) __syscall(SYS_exit, func(arg));
}
