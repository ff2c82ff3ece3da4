/* proc-bench.c: process and thread micro-benchmarks run natively and as a Kandelo
 * guest by scripts/bench-guest.sh (issue 5).  One figure per invocation, so a figure
 * the guest cannot do yet (threads) fails alone: the script prints "n/a" for it and
 * goes on.  Prints one "name value unit" line and exits 0, or a message on stderr
 * and exits 1.
 *
 *   proc-bench fork  [N]          fork, child _exit(0), parent waitpid   (ms each)
 *   proc-bench exec  NOP [N]      fork, child execve(NOP), waitpid       (ms each)
 *   proc-bench spawn NOP [N]      posix_spawn(NOP), waitpid              (ms each)
 *   proc-bench pipe  [MiB]        child writes MiB MiB in 64 KiB writes, parent reads (MB/s)
 *   proc-bench thread [N]         pthread_create + pthread_join          (µs each)
 *
 * Each timed loop is preceded by one untimed round, so the first-touch costs of a
 * fresh process (page faults in the runner, lazily built state) are not counted. */
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    return 1;
}

/* Waits for pid and checks it exited with status 0. */
static int reap(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return fail("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child ended with status 0x%x\n", status);
        return 1;
    }
    return 0;
}

static int one_fork(const char *unused) {
    (void)unused;
    pid_t pid = fork();
    if (pid < 0) return fail("fork");
    if (pid == 0) _exit(0);
    return reap(pid);
}

static int one_exec(const char *nop) {
    pid_t pid = fork();
    if (pid < 0) return fail("fork");
    if (pid == 0) {
        char *argv[] = { (char *)nop, NULL };
        execve(nop, argv, environ);
        _exit(127);
    }
    return reap(pid);
}

static int one_spawn(const char *nop) {
    pid_t pid;
    char *argv[] = { (char *)nop, NULL };
    int rc = posix_spawn(&pid, nop, NULL, NULL, argv, environ);
    if (rc != 0) { errno = rc; return fail("posix_spawn"); }
    return reap(pid);
}

static void *thread_body(void *arg) { return arg; }

static int one_thread(const char *unused) {
    (void)unused;
    pthread_t th;
    void *ret;
    int rc = pthread_create(&th, NULL, thread_body, (void *)42);
    if (rc != 0) { errno = rc; return fail("pthread_create"); }
    rc = pthread_join(th, &ret);
    if (rc != 0) { errno = rc; return fail("pthread_join"); }
    if (ret != (void *)42) { fprintf(stderr, "pthread_join returned %p\n", ret); return 1; }
    return 0;
}

static int pipe_throughput(long mib) {
    enum { CHUNK = 64 << 10 };
    static char buf[CHUNK];
    int fds[2];
    if (pipe(fds) != 0) return fail("pipe");
    long total = mib << 20;
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) return fail("fork");
    if (pid == 0) {
        close(fds[0]);
        memset(buf, 'x', sizeof buf);
        for (long sent = 0; sent < total; ) {
            ssize_t w = write(fds[1], buf, CHUNK);
            if (w < 0) { if (errno == EINTR) continue; _exit(2); }
            sent += w;
        }
        _exit(0);
    }
    close(fds[1]);
    long got = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r < 0) { if (errno == EINTR) continue; return fail("read"); }
        if (r == 0) break;
        got += r;
    }
    double t1 = now();
    if (reap(pid)) return 1;
    if (got != total) { fprintf(stderr, "pipe: read %ld of %ld bytes\n", got, total); return 1; }
    printf("pipe %.0f MB/s\n", total / 1e6 / (t1 - t0));
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s fork|exec NOP|spawn NOP|pipe|thread [COUNT]\n", argv[0]);
        return 2;
    }
    const char *what = argv[1];
    const char *nop = NULL;
    int arg = 2;
    if (!strcmp(what, "exec") || !strcmp(what, "spawn")) {
        if (argc < 3) { fprintf(stderr, "%s: %s needs the program to run\n", argv[0], what); return 2; }
        nop = argv[arg++];
    }
    long n = argc > arg ? atol(argv[arg]) : 0;
    if (argc > arg && n <= 0) { fprintf(stderr, "%s: bad count '%s'\n", argv[0], argv[arg]); return 2; }

    if (!strcmp(what, "pipe")) return pipe_throughput(n ? n : 256);

    int (*op)(const char *);
    const char *unit = "ms";
    double scale = 1e3;
    if (!strcmp(what, "fork")) op = one_fork;
    else if (!strcmp(what, "exec")) op = one_exec;
    else if (!strcmp(what, "spawn")) op = one_spawn;
    else if (!strcmp(what, "thread")) { op = one_thread; unit = "us"; scale = 1e6; }
    else { fprintf(stderr, "%s: unknown figure '%s'\n", argv[0], what); return 2; }
    if (!n) n = 100;

    if (op(nop)) return 1;              /* warm-up round */
    double t0 = now();
    for (long i = 0; i < n; i++)
        if (op(nop)) return 1;
    double t1 = now();
    printf("%s %.3f %s\n", what, (t1 - t0) / n * scale, unit);
    return 0;
}
