/* Signal delivery inside the guest (sdk/ABI.md, "Signals").
 *
 * The kernel never runs guest code itself.  When a signal that has a handler is
 * pending for a thread, it sets that thread's signal-pending word (registered by
 * SYS_kandelo_set_sigword) and the thread's next syscall return lands here:
 *   sig = kandelo_sigdequeue(&si, &uc, &ka)   kernel picks the signal, applies
 *                                             sa_mask/SA_NODEFER/SA_RESETHAND and
 *                                             stores the mask to restore in uc
 *   handler(sig) or handler(sig, &si, &uc)    on the current stack
 *   kandelo_sigreturn(&uc)                    mask := uc.uc_sigmask
 * A handler that longjmps out skips the sigreturn; siglongjmp restores the mask
 * saved by sigsetjmp(env, 1) as on Linux. */
#include <signal.h>
#include <kandelo/abi.h>
#include "syscall.h"
#include "atomic.h"
#include "ksigaction.h"

extern hidden __thread volatile int __kandelo_sigpending;

_Static_assert(sizeof(struct k_sigaction) == KANDELO_KSIGACTION_SIZE, "k_sigaction");
_Static_assert(sizeof(ucontext_t) == KANDELO_UC_SIZE, "ucontext_t");
_Static_assert(__builtin_offsetof(ucontext_t, uc_sigmask) == KANDELO_UC_SIGMASK, "uc_sigmask");
_Static_assert(__builtin_offsetof(ucontext_t, uc_mcontext) == KANDELO_UC_MCONTEXT, "uc_mcontext");
_Static_assert(sizeof(siginfo_t) == KANDELO_SIGINFO_SIZE, "siginfo_t");

hidden void __kandelo_run_signal_handlers(void)
{
	while (a_swap((volatile int *)&__kandelo_sigpending, 0)) {
		for (;;) {
			siginfo_t si = { 0 };
			ucontext_t uc = { 0 };
			struct k_sigaction ka = { 0 };
			long sig = __kandelo_syscall_import(SYS_kandelo_sigdequeue,
				(long)&si, (long)&uc, (long)&ka, 0, 0, 0);
			if (sig <= 0) break;
			if (ka.flags & SA_SIGINFO)
				((void (*)(int, siginfo_t *, void *))ka.handler)(sig, &si, &uc);
			else
				ka.handler(sig);
			__kandelo_syscall_import(SYS_kandelo_sigreturn, (long)&uc, 0, 0, 0, 0, 0);
		}
	}
}

/* Exported hook: run pending handlers now.  The runner does not need it (delivery
 * happens on syscall return); it exists for runners that want to deliver at
 * another point.  A handler that longjmps out of it unwinds through the caller. */
__attribute__((__export_name__(KANDELO_EXPORT_SIGNAL_DELIVER)))
void __kandelo_signal_deliver(void)
{
	__kandelo_run_signal_handlers();
}
