/* abort_status: abort() ends the process with SIGABRT (status 134) even when SIGABRT is
 * blocked or has a handler that returns; the handler runs first. */
#include "corpus.h"
#include <signal.h>

static void handler(int sig)
{
    printf("SIGABRT handler ran (sig %s)\n", sig == SIGABRT ? "SIGABRT" : "?");
    fflush(stdout);
}

int main(void)
{
    signal(SIGABRT, handler);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("calling abort\n");
    fflush(stdout);
    abort();
    printf("not reached\n");
    return 0;
}
