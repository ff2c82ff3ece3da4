/* signalfd_read: signalfd(2) natively and on Kandelo: blocked signals read as
 * struct signalfd_siginfo (signo, code, pid, uid, sigqueue's value) instead of being
 * delivered, several per read, a mask changed on an existing descriptor, a blocking read
 * woken by another process's kill, poll and epoll readiness, a signal left for
 * sigwaitinfo and for a handler once unblocked, the descriptor across fork (each process
 * reads its own signals), the errors, and /proc's link name and fdinfo sigmask. */
#include "corpus.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static pid_t sender;   /* who is expected in ssi_pid */
static void on_usr2(int s) { handled = s; }

static void rd(int fd, const char *what)
{
    struct signalfd_siginfo si[4];
    ssize_t n = read(fd, si, sizeof si);
    printf("%s: %zd", what, n);
    if (n < 0) printf(" %s", errname(errno));
    for (int i = 0; n > 0 && i < n / (ssize_t)sizeof si[0]; i++)
        printf(" [signo=%u code=%d pid_is_sender=%d uid_is_mine=%d int=%d]", si[i].ssi_signo, si[i].ssi_code,
               si[i].ssi_pid == (uint32_t)sender, si[i].ssi_uid == getuid(),
               si[i].ssi_code == SI_QUEUE ? si[i].ssi_int : 0);
    printf("\n");
}

static int readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

int main(void)
{
    printf("sizeof(struct signalfd_siginfo)=%d\n", (int)sizeof(struct signalfd_siginfo));
    sender = getpid();
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGTERM);
    sigprocmask(SIG_BLOCK, &m, 0);
    int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("flags: nonblock=%d cloexec=%d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
           (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    rd(fd, "nothing pending");
    printf("readable: %d\n", readable(fd));
    kill(getpid(), SIGUSR1);
    printf("readable after kill: %d\n", readable(fd));
    union sigval v = { .sival_int = 77 };
    sigqueue(getpid(), SIGTERM, v);
    rd(fd, "two signals");
    printf("readable after read: %d\n", readable(fd));
    char small[64];
    ssize_t n = read(fd, small, sizeof small);
    printf("short read: %zd %s\n", n, errname(errno));

    /* The mask of an existing descriptor changes; SIGKILL in it is ignored. */
    sigset_t m2;
    sigemptyset(&m2);
    sigaddset(&m2, SIGUSR1);
    sigaddset(&m2, SIGKILL);
    int r = signalfd(fd, &m2, 0);
    printf("update: same fd=%d\n", r == fd);
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *fi = fopen(path, "r");
    while (fi && fgets(line, sizeof line, fi))
        if (strncmp(line, "sigmask:", 8) == 0) printf("fdinfo %s", line);
    if (fi) fclose(fi);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    n = readlink(path, line, sizeof line - 1);
    line[n > 0 ? n : 0] = 0;
    printf("link: %s\n", line);
    kill(getpid(), SIGTERM);
    rd(fd, "SIGTERM no longer in the mask");
    siginfo_t info;
    struct timespec zero = { 0, 0 };
    printf("sigtimedwait takes it: %d\n", sigtimedwait(&m, &info, &zero));

    /* epoll readiness, then a blocking read woken by the child's kill. */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 5 }, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    printf("epoll idle: %d\n", epoll_wait(ep, &out, 1, 0));
    kill(getpid(), SIGUSR1);
    r = epoll_wait(ep, &out, 1, 0);
    printf("epoll after kill: %d data=%u\n", r, out.data.u32);
    rd(fd, "read");
    ev.events = EPOLLIN | EPOLLET;
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    kill(getpid(), SIGUSR1);
    printf("ET after kill: %d\n", epoll_wait(ep, &out, 1, 0));
    printf("ET again, unread: %d\n", epoll_wait(ep, &out, 1, 0));
    rd(fd, "read");
    int bfd = signalfd(-1, &m, 0);
    pid_t parent = getpid();
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct timespec d = { 0, 50000000 };
        nanosleep(&d, 0);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    sender = c;
    rd(bfd, "blocking read");
    waitpid(c, 0, 0);
    sender = getpid();

    /* Across fork: the child reads its own signals through the shared description. */
    kill(getpid(), SIGUSR1);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        sender = getpid();
        printf("child: readable=%d (the parent's signal is not the child's)\n", readable(fd));
        kill(getpid(), SIGUSR1);
        rd(fd, "child reads its own");
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, 0, 0);
    rd(fd, "parent reads its own");

    /* A handled signal: read through the descriptor while blocked; delivered once
     * unblocked if still pending. */
    signal(SIGUSR2, on_usr2);
    sigset_t u2;
    sigemptyset(&u2);
    sigaddset(&u2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &u2, 0);
    int hfd = signalfd(-1, &u2, SFD_NONBLOCK);
    kill(getpid(), SIGUSR2);
    rd(hfd, "handled signal read");
    sigprocmask(SIG_UNBLOCK, &u2, 0);
    printf("handler ran after the read: %d\n", handled);
    sigprocmask(SIG_BLOCK, &u2, 0);
    kill(getpid(), SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &u2, 0);
    printf("handler ran when unblocked: %d\n", handled);
    rd(hfd, "nothing left to read");

    /* Errors. */
    int p[2];
    pipe(p);
    r = signalfd(p[0], &m, 0);
    printf("not a signalfd: %d %s\n", r, errname(errno));
    r = signalfd(-1, &m, 0x1);
    printf("bad flags: %d %s\n", r, errname(errno));
    r = signalfd(999, &m, 0);
    printf("bad fd: %d %s\n", r, errname(errno));
    return 0;
}
