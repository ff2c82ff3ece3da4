#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int handled;

static void handler(int sig)
{
	handled = sig;
	siglongjmp(back, sig);	/* leave the handler, unwinding the syscall wrapper */
}

int main(void)
{
	signal(SIGALRM, handler);
	int r = sigsetjmp(back, 1);
	if (r == 0) {
		raise(SIGALRM);
		printf("not reached\n");
		return 1;
	}
	printf("left the handler with siglongjmp: %d (handled %d)\n", r, handled);
	r = sigsetjmp(back, 0);
	if (r == 0) {
		kill(getpid(), SIGALRM);
		return 1;
	}
	printf("again: %d\n", r);
	return 0;
}
