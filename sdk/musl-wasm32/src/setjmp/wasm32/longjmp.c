/* longjmp as a real function, for callers that were not lowered (function
 * pointers, calls from assembly).  Calls compiled with -mllvm -wasm-enable-sjlj go
 * to __wasm_longjmp directly. */
#include <setjmp.h>

__attribute__((__visibility__("hidden"), __noreturn__))
void __kandelo_longjmp(void *env, int val);

_Noreturn void longjmp(jmp_buf env, int val)
{
	__kandelo_longjmp(env, val);
}

_Noreturn void _longjmp(jmp_buf env, int val)
{
	__kandelo_longjmp(env, val);
}
