#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static jmp_buf env;
static sigjmp_buf senv;
static int depth;

static void dive(int n)
{
	volatile char pad[64];
	pad[0] = (char)n;
	if (n == 0) longjmp(env, 42);
	depth++;
	dive(n - 1);
	(void)pad[0];
}

static jmp_buf outer;

static void inner_jump(void)
{
	longjmp(outer, 5);
}

/* Has its own setjmp site, so it catches the longjmp to `outer`, finds it is not
 * one of its own and must pass it on. */
static int middle(void)
{
	jmp_buf mine;
	volatile int r = setjmp(mine);
	if (r == 0) inner_jump();
	return 100 + r;		/* not reached */
}

int main(void)
{
	volatile int count = 0;
	int r = setjmp(env);
	count++;
	if (r == 0) dive(10);
	printf("setjmp returned %d after depth %d, count %d\n", r, depth, count);

	if (setjmp(env) == 0) longjmp(env, 0);	/* longjmp(env, 0) makes setjmp return 1 */
	else printf("longjmp with 0 gives 1\n");

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	r = sigsetjmp(senv, 1);
	if (r == 0) {
		sigprocmask(SIG_BLOCK, &set, 0);
		siglongjmp(senv, 7);
	}
	printf("sigsetjmp returned %d\n", r);

	r = setjmp(outer);
	if (r == 0) r = middle();
	printf("through a frame with its own setjmp: %d\n", r);

	volatile int loops = 0;
	r = setjmp(env);
	if (++loops < 5) longjmp(env, loops);
	printf("setjmp loop ran %d times, last %d\n", loops, r);
	return 0;
}
