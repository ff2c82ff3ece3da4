/* proc_fork_wait: fork trees, exit statuses, waitpid edge cases (WNOHANG, ECHILD, a
 * specific pid, any child), a child ended by a signal, and buffered stdio across fork. */
#include "corpus.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static int tree(int depth)
{
    /* Each node forks two children and returns 1 + the sum of their sizes as exit code. */
    if (depth == 0) return 1;
    int total = 1;
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        MUST(kids[i] >= 0);
        if (kids[i] == 0) _exit(tree(depth - 1));
    }
    for (int i = 0; i < 2; i++) {
        int st;
        MUST(waitpid(kids[i], &st, 0) == kids[i]);
        MUST(WIFEXITED(st));
        total += WEXITSTATUS(st);
    }
    return total;
}

int main(void)
{
    int st;
    errno = 0;
    int r = (int)wait(&st);
    printf("wait with no children: %d %s\n", r, errname(errno));
    fflush(stdout);
    printf("tree of depth 3 has %d nodes\n", tree(3));
    fflush(stdout);

    int p[2];
    MUST(pipe(p) == 0);
    fflush(stdout);
    pid_t slow = fork();
    MUST(slow >= 0);
    if (slow == 0) {
        char c;
        close(p[1]);
        read(p[0], &c, 1);          /* waits until the parent says go */
        _exit(9);
    }
    close(p[0]);
    printf("WNOHANG while running: %d\n", (int)waitpid(slow, &st, WNOHANG));
    MUST(write(p[1], "g", 1) == 1);
    MUST(waitpid(slow, &st, 0) == slow);
    printf("slow child: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
    fflush(stdout);

    pid_t victim = fork();
    MUST(victim >= 0);
    if (victim == 0) { for (;;) pause(); }
    MUST(kill(victim, SIGTERM) == 0);
    MUST(waitpid(victim, &st, 0) == victim);
    printf("victim: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    fflush(stdout);

    /* Several children, reaped in any order with wait(): the statuses add up. */
    for (int i = 1; i <= 4; i++) {
        pid_t c = fork();
        MUST(c >= 0);
        if (c == 0) _exit(i * 10);
    }
    int sum = 0;
    for (int i = 0; i < 4; i++) { MUST(wait(&st) > 0); sum += WEXITSTATUS(st); }
    errno = 0;
    r = (int)wait(&st);
    printf("sum of four statuses %d, then wait: %d %s\n", sum, r, errname(errno));
    fflush(stdout);

    /* Unflushed stdio is duplicated by fork, as everywhere. */
    printf("buffered before fork; ");
    pid_t c = fork();
    MUST(c >= 0);
    if (c == 0) { printf("in child\n"); fflush(stdout); _exit(0); }
    waitpid(c, &st, 0);
    printf("in parent\n");
    return 0;
}
