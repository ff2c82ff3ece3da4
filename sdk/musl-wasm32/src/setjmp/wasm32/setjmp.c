/* setjmp cannot be a function on wasm: clang replaces every direct call of
 * setjmp/_setjmp (and sigsetjmp, a macro in <setjmp.h>) by the lowering in rt.c.
 * These definitions exist for link tests (autoconf) and catch calls that were not
 * lowered (through a function pointer, or code compiled without kandelo-cc's
 * -mllvm -wasm-enable-sjlj): they report the problem and abort. */
#include <unistd.h>
#include "syscall.h"

hidden _Noreturn void __kandelo_setjmp_unlowered(const char *name)
{
	static const char msg1[] = "kandelo: ";
	static const char msg2[] = " was called without clang's wasm setjmp lowering "
		"(compile with kandelo-cc; do not call it through a pointer)\n";
	const char *p;
	for (p = name; *p; p++);
	__syscall(SYS_write, 2, msg1, sizeof msg1 - 1);
	__syscall(SYS_write, 2, name, p - name);
	__syscall(SYS_write, 2, msg2, sizeof msg2 - 1);
	__builtin_trap();
}

/* Defined under other names and aliased, so that clang's lowering (which looks
 * functions up by the names setjmp/_setjmp) does not see them in this module. */
static int setjmp_unlowered(void *env)
{
	__kandelo_setjmp_unlowered("setjmp");
}

static int _setjmp_unlowered(void *env)
{
	__kandelo_setjmp_unlowered("_setjmp");
}

weak_alias(setjmp_unlowered, setjmp);
weak_alias(_setjmp_unlowered, _setjmp);
