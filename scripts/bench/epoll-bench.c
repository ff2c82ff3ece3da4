/* epoll-bench.c: epoll figures run natively and as a Kandelo guest by
 * scripts/bench-guest.sh (issue 13). One figure per invocation; prints one
 * "name value unit" line and exits 0, or a message on stderr and exits 1.
 *
 *   epoll-bench pingpong [N]   two processes bounce a token over two eventfds, each
 *                              waiting in epoll_wait (round trips per second)
 *   epoll-bench idle [N]       1,000 idle eventfds and one active in one epoll set:
 *                              write the active one, epoll_wait, read it (µs per wake)
 *
 * Each timed loop is preceded by an untimed warm-up. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    return 1;
}

/* Waits on `ep` for the token, takes it from `in` and passes it to `out`. */
static int bounce(int ep, int in, int out) {
    struct epoll_event ev;
    uint64_t v;
    if (epoll_wait(ep, &ev, 1, -1) != 1) return -1;
    if (read(in, &v, 8) != 8) return -1;
    v = 1;
    return write(out, &v, 8) == 8 ? 0 : -1;
}

static int pingpong(int n) {
    int a = eventfd(0, 0), b = eventfd(0, 0);   /* parent -> child, child -> parent */
    if (a < 0 || b < 0) return fail("eventfd");
    pid_t pid = fork();
    if (pid < 0) return fail("fork");
    if (pid == 0) {
        int ep = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN };
        if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev) != 0) _exit(2);
        for (int i = 0; i < n + 100; i++) if (bounce(ep, a, b) != 0) _exit(3);
        _exit(0);
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev) != 0) return fail("epoll");
    uint64_t one = 1;
    double start = 0;
    for (int i = 0; i < n + 100; i++) {
        if (i == 100) start = now();
        if (write(a, &one, 8) != 8) return fail("write");
        struct epoll_event got;
        uint64_t v;
        if (epoll_wait(ep, &got, 1, -1) != 1 || read(b, &v, 8) != 8) return fail("wait");
    }
    double t = now() - start;
    int status;
    if (waitpid(pid, &status, 0) != pid || status != 0) { fprintf(stderr, "child failed\n"); return 1; }
    printf("epoll_pingpong %.0f rt/s\n", n / t);
    return 0;
}

static int idle(int n) {
    int ep = epoll_create1(0);
    if (ep < 0) return fail("epoll_create1");
    for (int i = 0; i < 1000; i++) {
        int fd = eventfd(0, 0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0 };
        if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) return fail("idle eventfd");
    }
    int active = eventfd(0, 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
    if (active < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, active, &ev) != 0) return fail("active eventfd");
    uint64_t one = 1, v;
    double start = 0;
    for (int i = 0; i < n + 100; i++) {
        if (i == 100) start = now();
        struct epoll_event got[4];
        if (write(active, &one, 8) != 8) return fail("write");
        if (epoll_wait(ep, got, 4, -1) != 1 || got[0].data.u32 != 1) { fprintf(stderr, "wrong wake\n"); return 1; }
        if (read(active, &v, 8) != 8) return fail("read");
    }
    printf("epoll_idle1000 %.2f us\n", (now() - start) * 1e6 / n);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: epoll-bench pingpong|idle [N]\n"); return 64; }
    int n = argc > 2 ? atoi(argv[2]) : 10000;
    if (strcmp(argv[1], "pingpong") == 0) return pingpong(n);
    if (strcmp(argv[1], "idle") == 0) return idle(n);
    fprintf(stderr, "unknown figure %s\n", argv[1]);
    return 64;
}
