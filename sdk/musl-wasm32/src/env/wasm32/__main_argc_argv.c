/* Linked only when the program defines neither main(void) nor main(int, char **):
 * then its main is `int main(int, char **, char **)`, which clang leaves named main. */
#include "libc.h"

extern char **__environ;
int main(int, char **, char **);

weak int __main_argc_argv(int argc, char **argv)
{
	return main(argc, argv, __environ);
}
