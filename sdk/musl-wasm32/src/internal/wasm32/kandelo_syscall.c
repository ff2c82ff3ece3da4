/* The one syscall entry of the wasm32 port: a call of the imported function
 * kandelo.syscall(nr, a0..a5) -> i32 (value or -errno).
 *
 * After each call, if the kernel has flagged a signal for this thread (it sets the
 * thread's signal-pending word, registered with SYS_kandelo_set_sigword), the
 * handlers run here, inside the guest, so that a handler may longjmp out.  A
 * return value of -KANDELO_ERESTART asks for the syscall to be re-issued after the
 * handlers ran (SA_RESTART); see sdk/ABI.md, "Signals". */
#include <errno.h>
#include <kandelo/abi.h>
#include "syscall.h"

hidden __thread volatile int __kandelo_sigpending;
hidden void __kandelo_run_signal_handlers(void);

long __kandelo_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	for (;;) {
		long r = __kandelo_syscall_import(n, a, b, c, d, e, f);
		if (__builtin_expect(!__kandelo_sigpending, 1)) {
			if (__builtin_expect(r == -KANDELO_ERESTART, 0)) r = -EINTR;
			return r;
		}
		__kandelo_run_signal_handlers();
		if (r != -KANDELO_ERESTART) return r;
	}
}
