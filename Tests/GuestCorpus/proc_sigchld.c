/* proc_sigchld: SIGCHLD handlers count exits, sigsuspend waits for them with the signal
 * blocked in between (no lost wake-up), and exec'd programs see the ignored signals. */
#include "corpus.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t chld;
static void on_chld(int s) { (void)s; chld++; }

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--check")) {
        struct sigaction sa;
        sigaction(SIGUSR1, 0, &sa);
        printf("after exec: SIGUSR1 ignored=%d\n", sa.sa_handler == SIG_IGN);
        sigaction(SIGUSR2, 0, &sa);
        printf("after exec: SIGUSR2 default=%d\n", sa.sa_handler == SIG_DFL);
        return 0;
    }
    struct sigaction sa = { 0 };
    sa.sa_handler = on_chld;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGCHLD, &sa, 0) == 0);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    MUST(sigprocmask(SIG_BLOCK, &block, &old) == 0);
    for (int i = 0; i < 3; i++) {
        pid_t c = fork();
        MUST(c >= 0);
        if (c == 0) _exit(i);
        int st;
        MUST(waitpid(c, &st, 0) == c);
        /* SIGCHLD is pending (blocked); sigsuspend delivers it. */
        while (chld <= i) sigsuspend(&old);
    }
    printf("SIGCHLD handled %d times\n", (int)chld);
    fflush(stdout);
    MUST(sigprocmask(SIG_SETMASK, &old, 0) == 0);

    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, on_chld);   /* a handler: reset to default by exec */
    fflush(stdout);
    pid_t c = fork();
    MUST(c >= 0);
    if (c == 0) { execl("/proc/self/exe", "proc_sigchld", "--check", (char *)0); _exit(127); }
    int st;
    MUST(waitpid(c, &st, 0) == c);
    printf("exec child status %d\n", WEXITSTATUS(st));
    return 0;
}
