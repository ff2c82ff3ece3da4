/* signal_term: raise(SIGTERM) with the default action ends the process: exit status 143
 * (128 + 15). Output is flushed first; anything buffered afterwards is lost both ways. */
#include "corpus.h"
#include <signal.h>
#include <unistd.h>

static void on_exit_handler(void) { printf("atexit handler ran (should not)\n"); }

int main(void)
{
    atexit(on_exit_handler);
    /* a handler installed and then reset to default */
    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    printf("ignored SIGTERM survived\n");
    signal(SIGTERM, SIG_DFL);
    /* blocked: stays pending, the process lives on */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGTERM);
    printf("blocked SIGTERM pending, still alive\n");
    printf("about to unblock\n");
    fflush(stdout);
    printf("this line is buffered and lost\n");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("not reached\n");
    fflush(stdout);
    return 0;
}
