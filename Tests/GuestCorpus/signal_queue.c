/* signal_queue: sigqueue() to self (rt_sigqueueinfo): the handler sees SI_QUEUE, the
 * sender's pid and the value; a queued real-time signal carries its value too. */
#include "corpus.h"
#include <signal.h>
#include <unistd.h>

static volatile int got_signo, got_code, got_pid_ok, got_value, calls;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    calls++;
    got_signo = sig;
    got_code = si->si_code;
    got_pid_ok = si->si_pid == getpid();
    got_value = si->si_value.sival_int;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    MUST(sigaction(SIGRTMIN, &sa, NULL) == 0);

    union sigval v = { .sival_int = 1234 };
    SHOW("sigqueue SIGUSR1", sigqueue(getpid(), SIGUSR1, v));
    printf("handler: calls %d signo %s code %s pid matches %s value %d\n", calls,
           got_signo == SIGUSR1 ? "SIGUSR1" : "?", got_code == SI_QUEUE ? "SI_QUEUE" : "other",
           got_pid_ok ? "yes" : "no", got_value);

    /* real-time signals queue: three sent while blocked arrive three times, in order */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    calls = 0;
    for (int i = 1; i <= 3; i++) {
        v.sival_int = i * 100;
        sigqueue(getpid(), SIGRTMIN, v);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("SIGRTMIN queued 3, delivered %d, last value %d\n", calls, got_value);
    EXPECT_ERR("sigqueue bad signal", sigqueue(getpid(), 999, v), EINVAL);
    return 0;
}
