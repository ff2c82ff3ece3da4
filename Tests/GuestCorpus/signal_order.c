/* signal_order: the order in which handlers run when several blocked signals become
 * deliverable at once. Linux dequeues the lowest-numbered first, but sets up each
 * handler frame on top of the previous one before returning to user mode, so the
 * handler of the highest-numbered signal runs first - unless a handler's sa_mask blocks
 * the later ones, which then wait until that handler returns. */
#include "corpus.h"
#include <signal.h>

static volatile sig_atomic_t order[16];
static volatile sig_atomic_t norder;
static void record(int sig) { if (norder < 16) order[norder++] = sig; }

static void run(const char *label)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, &old);
    norder = 0;
    raise(SIGUSR2);
    raise(SIGALRM);
    raise(SIGHUP);
    raise(SIGUSR1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("%s:", label);
    for (int i = 0; i < norder; i++) printf(" %d", (int)order[i]);
    printf("\n");
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = record;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    run("empty sa_mask");

    /* SIGHUP's handler blocks everything else: it runs alone first */
    sigfillset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    run("SIGHUP blocks all");
    return 0;
}
