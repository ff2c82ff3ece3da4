/* proc_pipeline: a three-stage pipeline of this program re-executed through
 * /proc/self/exe in filter modes, wired with pipe/dup2/execv, FD_CLOEXEC across exec,
 * EOF when the last writer closes, EPIPE/SIGPIPE when the reader is gone. */
#include "corpus.h"
#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static int filter(const char *mode)
{
    int c, n = 0;
    while ((c = getchar()) != EOF) {
        if (!strcmp(mode, "upper")) putchar(toupper(c));
        else if (!strcmp(mode, "count")) { if (c == '\n') n++; }
        else putchar(c);
    }
    if (!strcmp(mode, "count")) printf("lines: %d\n", n);
    /* fd 5 was opened FD_CLOEXEC by the parent: it must be gone after exec. */
    errno = 0;
    int r = fcntl(5, F_GETFD);
    int e = errno;
    fprintf(stdout, "%s: fd 5 after exec: %d %s\n", mode, r, errname(e));
    return 0;
}

static pid_t stage(const char *mode, int in, int out)
{
    pid_t pid = fork();
    MUST(pid >= 0);
    if (pid == 0) {
        if (in != 0) { MUST(dup2(in, 0) == 0); close(in); }
        if (out != 1) { MUST(dup2(out, 1) == 1); close(out); }
        execl("/proc/self/exe", "proc_pipeline", "--filter", mode, (char *)0);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--filter")) return filter(argv[2]);
    int keep = open("input.txt", O_RDONLY | O_CLOEXEC);
    MUST(keep >= 0);
    if (keep != 5) { MUST(dup3(keep, 5, O_CLOEXEC) == 5); close(keep); }

    int a[2], b[2];
    /* O_CLOEXEC: each stage keeps only the ends dup2 gave it, so EOF arrives. */
    MUST(pipe2(a, O_CLOEXEC) == 0 && pipe2(b, O_CLOEXEC) == 0);
    fflush(stdout);
    pid_t p1 = stage("upper", a[0], b[1]);
    pid_t p2 = stage("count", b[0], 1);
    close(a[0]); close(b[0]); close(b[1]);
    const char *text = "alpha\nbeta\ngamma\n";
    for (int i = 0; i < 3; i++) MUST(write(a[1], text, strlen(text)) == (ssize_t)strlen(text));
    close(a[1]);
    int st;
    MUST(waitpid(p1, &st, 0) == p1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    MUST(waitpid(p2, &st, 0) == p2 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* Writing to a pipe nobody reads: SIGPIPE (ignored here) and EPIPE. */
    signal(SIGPIPE, SIG_IGN);
    int c[2];
    MUST(pipe(c) == 0);
    close(c[0]);
    errno = 0;
    int wr = (int)write(c[1], "x", 1);
    printf("write without reader: %d %s\n", wr, errname(errno));
    fflush(stdout);
    /* And with the default action the writer dies of SIGPIPE. */
    pid_t w = fork();
    MUST(w >= 0);
    if (w == 0) { signal(SIGPIPE, SIG_DFL); write(c[1], "x", 1); _exit(0); }
    MUST(waitpid(w, &st, 0) == w);
    printf("writer: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    fflush(stdout);

    /* A large transfer through a pipe arrives whole and in order. */
    int d[2];
    MUST(pipe(d) == 0);
    pid_t r = fork();
    MUST(r >= 0);
    if (r == 0) {
        close(d[1]);
        unsigned int sum = 0; unsigned long n = 0;
        unsigned char buf[4096];
        ssize_t got;
        while ((got = read(d[0], buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < got; i++) { sum = sum * 31 + buf[i]; n++; }
        printf("reader got %lu bytes, hash %u\n", n, sum);
        fflush(stdout);
        _exit(0);
    }
    close(d[0]);
    static unsigned char big[300000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + 3);
    size_t done = 0;
    while (done < sizeof big) {
        ssize_t n = write(d[1], big + done, sizeof big - done);
        MUST(n > 0);
        done += (size_t)n;
    }
    close(d[1]);
    MUST(waitpid(r, &st, 0) == r);
    return 0;
}
