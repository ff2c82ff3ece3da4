/* clang names a wasm program's `int main(void)` __main_void and its
 * `int main(int, char **)` __main_argc_argv; crt1 calls __main_void.  This member
 * is linked only when the program has no `main(void)`.  (Separate archive members
 * keep the three cases from referencing `main` with a mismatched signature.) */
#include "libc.h"

extern hidden int __kandelo_argc;
extern hidden char **__kandelo_argv;
int __main_argc_argv(int, char **);

weak int __main_void(void)
{
	return __main_argc_argv(__kandelo_argc, __kandelo_argv);
}
