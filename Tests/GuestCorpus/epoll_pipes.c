/* epoll_pipes: epoll(7) over pipes, natively and on Kandelo: level- and edge-triggered
 * items, EPOLLONESHOT and its re-arming, epoll_ctl's errors, POLLHUP/POLLERR when an end
 * closes (and no EPOLLRDHUP: pipes never report it), nested instances and loops, an item
 * removed when the last descriptor of its file closes (not before), an instance shared
 * with a child across fork, EPOLLEXCLUSIVE's rules, the /proc fd link and fdinfo. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarmed;
static void on_alarm(int s) { alarmed = s; }

static int ep_wait(int ep, int timeout_ms, const char *what)
{
    struct epoll_event ev[8];
    int n = epoll_wait(ep, ev, 8, timeout_ms);
    printf("%s: %d", what, n);
    if (n < 0) printf(" %s", errname(errno));
    for (int i = 0; i < n; i++) printf(" [data=%llu events=%#x]", (unsigned long long)ev[i].data.u64, ev[i].events);
    printf("\n");
    return n;
}

static void ctl(int ep, int op, int fd, unsigned events, unsigned long long data, const char *what)
{
    struct epoll_event ev = { .events = events, .data.u64 = data };
    int r = epoll_ctl(ep, op, fd, &ev);
    printf("%s: %d %s\n", what, r, r < 0 ? errname(errno) : "");
}

static void drain(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {}
}

int main(void)
{
    printf("sizeof(struct epoll_event) matches the arch: %d\n",
           (int)sizeof(struct epoll_event) == (sizeof(void *) == 8 ? 12 : 16));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("create1: %s cloexec=%d\n", ep >= 0 ? "ok" : errname(errno), (fcntl(ep, F_GETFD) & FD_CLOEXEC) != 0);
    int r = epoll_create1(1);
    printf("create1(bad flags): %d %s\n", r, errname(errno));

    int p[2];
    pipe2(p, O_NONBLOCK);

    /* Level-triggered: reported on every wait while data is there. */
    ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1, "add LT");
    ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1, "add again");
    ep_wait(ep, 0, "LT empty");
    write(p[1], "x", 1);
    ep_wait(ep, 0, "LT after write");
    ep_wait(ep, 0, "LT still");
    drain(p[0]);
    ep_wait(ep, 0, "LT drained");

    /* Edge-triggered: once per change. */
    ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET, 2, "mod ET");
    write(p[1], "y", 1);
    ep_wait(ep, 0, "ET after write");
    ep_wait(ep, 0, "ET again");
    write(p[1], "z", 1);
    ep_wait(ep, 0, "ET second write");
    drain(p[0]);

    /* One-shot: disabled after one report until MOD. */
    ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 3, "mod ONESHOT");
    write(p[1], "a", 1);
    ep_wait(ep, 0, "ONESHOT first");
    write(p[1], "b", 1);
    ep_wait(ep, 0, "ONESHOT disabled");
    ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 4, "re-arm");
    ep_wait(ep, 0, "ONESHOT re-armed");
    drain(p[0]);

    /* Writable end, blocking wait woken by a reader from another process. */
    ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0, "del");
    ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0, "del again");
    ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 0, "mod missing");
    ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 5, "add writer");
    ep_wait(ep, 0, "writer empty pipe");
    char big[4096];
    memset(big, 'q', sizeof big);
    while (write(p[1], big, sizeof big) > 0) {}
    ep_wait(ep, 0, "writer full pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct timespec d = { 0, 50000000 };
        nanosleep(&d, 0);
        drain(p[0]);
        _exit(0);
    }
    ep_wait(ep, 5000, "writer woken by a reader");
    waitpid(c, 0, 0);
    ctl(ep, EPOLL_CTL_DEL, p[1], 0, 0, "del writer");

    /* Blocking read wait woken by a writer child. */
    ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 6, "add reader");
    fflush(stdout);
    c = fork();
    if (c == 0) {
        struct timespec d = { 0, 50000000 };
        nanosleep(&d, 0);
        write(p[1], "w", 1);
        _exit(0);
    }
    ep_wait(ep, 5000, "reader woken by a writer");
    waitpid(c, 0, 0);
    drain(p[0]);
    ep_wait(ep, 100, "timeout");

    /* Hangup and error: the write end closes, then the read end. */
    int q[2];
    pipe(q);
    ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN | EPOLLRDHUP, 7, "add with RDHUP");
    ctl(ep, EPOLL_CTL_ADD, q[1], EPOLLOUT, 8, "add q writer");
    ep_wait(ep, 0, "both ends open");
    int qw = dup(q[1]);
    close(q[1]);
    ep_wait(ep, 0, "writer fd closed, a dup left (item stays)");
    close(qw);
    ep_wait(ep, 0, "last writer closed (item gone, reader HUP)");
    int q2[2];
    pipe(q2);
    ctl(ep, EPOLL_CTL_DEL, q[0], 0, 0, "del q reader");
    close(q[0]);
    ctl(ep, EPOLL_CTL_ADD, q2[1], EPOLLOUT, 9, "add q2 writer");
    close(q2[0]);
    ep_wait(ep, 0, "reader gone: writer ERR");
    close(q2[1]);
    ep_wait(ep, 0, "closed: nothing left");

    /* Errors. */
    int f = open("input.txt", O_RDONLY);
    ctl(ep, EPOLL_CTL_ADD, f, EPOLLIN, 0, "regular file");
    ctl(ep, EPOLL_CTL_ADD, 0, EPOLLIN, 0, "stdin (/dev/null, a host descriptor)");
    ctl(ep, EPOLL_CTL_ADD, 1, EPOLLOUT, 0, "stdout (a regular file)");
    int devnull = open("/dev/null", O_RDONLY);
    ctl(ep, EPOLL_CTL_ADD, devnull, EPOLLIN, 0, "/dev/null");
    ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0, "itself");
    ctl(p[0], EPOLL_CTL_ADD, p[1], EPOLLIN, 0, "not an epoll fd");
    ctl(ep, EPOLL_CTL_ADD, 999, EPOLLIN, 0, "bad fd");
    ctl(999, EPOLL_CTL_ADD, p[0], EPOLLIN, 0, "bad epfd");
    ctl(ep, 77, p[0], EPOLLIN, 0, "bad op");
    struct epoll_event evs[1];
    r = epoll_wait(ep, evs, 0, 0);
    printf("wait maxevents 0: %d %s\n", r, errname(errno));
    r = epoll_wait(p[0], evs, 1, 0);
    printf("wait on a pipe: %d %s\n", r, errname(errno));
    ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0, "del reader");
    ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0, "EXCLUSIVE|ONESHOT");
    ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 10, "EXCLUSIVE");
    ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 10, "MOD of EXCLUSIVE");
    ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0, "DEL of EXCLUSIVE");

    /* Nested: an instance inside another; loops refused. */
    int inner = epoll_create1(0), outer = epoll_create1(0);
    ctl(inner, EPOLL_CTL_ADD, p[0], EPOLLIN, 11, "inner add pipe");
    ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 12, "outer add inner");
    ctl(inner, EPOLL_CTL_ADD, outer, EPOLLIN, 0, "inner add outer (loop)");
    ctl(ep, EPOLL_CTL_ADD, inner, EPOLLIN | EPOLLEXCLUSIVE, 0, "EXCLUSIVE on an epoll fd");
    ep_wait(outer, 0, "outer idle");
    write(p[1], "n", 1);
    ep_wait(outer, 0, "outer sees inner");
    ep_wait(inner, 0, "inner");
    drain(p[0]);
    ep_wait(outer, 0, "outer after drain");
    int chain[7];
    chain[0] = epoll_create1(0);
    for (int i = 1; i < 7; i++) {
        chain[i] = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN };
        r = epoll_ctl(chain[i], EPOLL_CTL_ADD, chain[i - 1], &ev);
        printf("nest depth %d: %d %s\n", i, r, r < 0 ? errname(errno) : "");
    }

    /* Shared across fork: the child's ctl changes the parent's instance. */
    int shared = epoll_create1(0);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 13 };
        _exit(epoll_ctl(shared, EPOLL_CTL_ADD, p[0], &ev) == 0 ? 0 : 1);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child added: %d\n", WEXITSTATUS(st));
    write(p[1], "f", 1);
    ep_wait(shared, 0, "parent sees the child's item");
    ctl(shared, EPOLL_CTL_ADD, p[0], EPOLLIN, 13, "parent adds the same");
    drain(p[0]);

    /* epoll_pwait2: a timespec timeout (NULL: none). */
    struct timespec tmo = { 0, 20000000 };
    r = syscall(SYS_epoll_pwait2, shared, evs, 1, &tmo, NULL, 8);
    printf("pwait2 idle with 20ms: %d\n", r);
    write(p[1], "g", 1);
    r = syscall(SYS_epoll_pwait2, shared, evs, 1, NULL, NULL, 8);
    printf("pwait2 ready, no timeout: %d data=%llu\n", r, (unsigned long long)evs[0].data.u64);
    drain(p[0]);
    tmo.tv_nsec = 2000000000;
    r = syscall(SYS_epoll_pwait2, shared, evs, 1, &tmo, NULL, 8);
    printf("pwait2 bad timespec: %d %s\n", r, errname(errno));

    /* A signal interrupts epoll_wait with EINTR, even with SA_RESTART. */
    struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = { .it_value = { 0, 50000 } };
    setitimer(ITIMER_REAL, &it, 0);
    r = epoll_wait(shared, evs, 1, -1);
    printf("interrupted wait: %d %s alarmed=%d\n", r, errname(errno), alarmed);

    /* epoll_pwait's mask: SIGUSR1 blocked outside, let in during the wait. */
    sigset_t block, during;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, 0);
    struct sigaction su = { .sa_handler = on_alarm };
    sigaction(SIGUSR1, &su, 0);
    alarmed = 0;
    kill(getpid(), SIGUSR1);
    printf("blocked: alarmed=%d\n", alarmed);
    sigemptyset(&during);
    r = epoll_pwait(shared, evs, 1, -1, &during);
    printf("pwait with an empty mask: %d %s alarmed=%d\n", r, errname(errno), alarmed);

    /* /proc: the link name and fdinfo's tfd line. */
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", shared);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("link: %s\n", link);
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", shared);
    FILE *fi = fopen(path, "r");
    char line[256];
    while (fi && fgets(line, sizeof line, fi)) {
        int tfd;
        unsigned events;
        unsigned long long data;
        if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &events, &data) == 3)
            printf("fdinfo: tfd=%d events=%#x data=%llu\n", tfd == p[0], events, data);
    }
    if (fi) fclose(fi);
    return 0;
}
