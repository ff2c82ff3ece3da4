/* wasm32: sigsetjmp is a macro in <setjmp.h>:
 *   #define sigsetjmp(env, save) (__kandelo_sigsetjmp_save((env), (save)), setjmp(env))
 * so that clang lowers it like setjmp.  This saves the mask the way musl's
 * assembly sigsetjmp does (__fl = save flag, __ss = the mask). */
#define __KANDELO_SIGSETJMP_FUNCTION
#include <setjmp.h>
#include <signal.h>
#include "syscall.h"

void __kandelo_sigsetjmp_save(sigjmp_buf env, int save)
{
	env->__fl = save != 0;
	if (save)
		__syscall(SYS_rt_sigprocmask, SIG_SETMASK, 0, env->__ss, _NSIG/8);
}

hidden _Noreturn void __kandelo_setjmp_unlowered(const char *name);

static int sigsetjmp_unlowered(sigjmp_buf env, int save)
{
	__kandelo_setjmp_unlowered("sigsetjmp");
}

weak_alias(sigsetjmp_unlowered, sigsetjmp);
