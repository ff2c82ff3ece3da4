#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static volatile int info_signo, info_code = -1;

static void plain(int sig) { got = sig; }

static void with_info(int sig, siginfo_t *si, void *uc)
{
	info_signo = si->si_signo;
	info_code = si->si_code;
	(void)sig; (void)uc;
}

int main(void)
{
	signal(SIGUSR1, plain);
	raise(SIGUSR1);
	printf("plain handler got %d\n", got);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = with_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, 0);
	kill(getpid(), SIGUSR2);
	printf("siginfo handler: signo=%d code=%d\n", info_signo, info_code);
	return 0;
}
