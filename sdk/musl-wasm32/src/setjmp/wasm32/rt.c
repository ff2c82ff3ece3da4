/* Runtime of clang's wasm setjmp/longjmp lowering (-mllvm -wasm-enable-sjlj, new
 * exception-handling form).  Kandelo's own implementation of the contract:
 *
 *  - A function calling setjmp(env) gets a per-invocation id (the address of a
 *    slot in its frame) and numbers its setjmp sites 1, 2, ...; each setjmp call
 *    becomes __wasm_setjmp(env, label, id).
 *  - longjmp(env, val) becomes __wasm_longjmp(env, val), which throws the wasm tag
 *    __c_longjmp (one i32 payload) carrying a pointer to { void *env; int val; }.
 *  - Every function with setjmp sites catches __c_longjmp around its calls and
 *    asks __wasm_setjmp_test(env, id) for the label; 0 means "not one of mine"
 *    and it rethrows with __wasm_longjmp(env, val).
 *
 * The state lives in the jmp_buf itself (bits/setjmp.h):
 *   word 0: invocation id, word 1: label, words 2-3: the thrown {env, val}.
 * So nothing is global and threads need no locking; the jmp_buf stays alive for
 * the whole unwind because it belongs to a frame that is still live. */
#include <stdint.h>

struct kandelo_jmp {
	void *id;
	uint32_t label;
	struct {
		void *env;
		int val;
	} arg;
};

void __wasm_setjmp(void *env, uint32_t label, void *id)
{
	struct kandelo_jmp *j = env;
	j->id = id;
	j->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *id)
{
	struct kandelo_jmp *j = env;
	return j->id == id ? j->label : 0;
}

void __wasm_longjmp(void *env, int val)
{
	struct kandelo_jmp *j = env;
	j->arg.env = env;
	j->arg.val = val ? val : 1;
	__builtin_wasm_throw(1, &j->arg);	/* tag 1 = __c_longjmp */
}

/* For longjmp.c: a module that defines `longjmp` must not also declare
 * __wasm_longjmp (clang's lowering would rename one of them). */
__attribute__((__visibility__("hidden"), __noreturn__))
void __kandelo_longjmp(void *env, int val)
{
	__wasm_longjmp(env, val);
	__builtin_unreachable();
}
