/* eventfd_counter: eventfd(2) natively and on Kandelo: the counter's read and write
 * rules (8 bytes, EINVAL below, the forbidden all-ones value, overflow), EFD_SEMAPHORE,
 * EFD_NONBLOCK and EFD_CLOEXEC (a write must be exactly 8 bytes since Linux 6.10; a
 * read at least 8), a blocked read woken by another process, poll and epoll
 * readiness (edge-triggered included), fstat, and /proc's link name and fdinfo. */
#include "corpus.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void rd(int fd, const char *what)
{
    uint64_t v = 0;
    ssize_t n = read(fd, &v, sizeof v);
    printf("%s: %zd", what, n);
    if (n < 0) printf(" %s", errname(errno));
    else printf(" value=%llu", (unsigned long long)v);
    printf("\n");
}

static void wr(int fd, uint64_t v, const char *what)
{
    ssize_t n = write(fd, &v, sizeof v);
    printf("%s: %zd %s\n", what, n, n < 0 ? errname(errno) : "");
}

static int revents(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
    poll(&p, 1, 0);
    return p.revents;
}

int main(void)
{
    int fd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
    printf("flags: nonblock=%d cloexec=%d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
           (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    int r = eventfd(0, 0x100);
    printf("bad flags: %d %s\n", r, errname(errno));
    printf("poll initial: %#x\n", revents(fd));
    rd(fd, "read");
    rd(fd, "read empty");
    printf("poll empty: %#x\n", revents(fd));
    char small[4];
    ssize_t n = read(fd, small, sizeof small);
    printf("short read: %zd %s\n", n, errname(errno));
    n = write(fd, small, sizeof small);
    printf("short write: %zd %s\n", n, errname(errno));
    wr(fd, 5, "write 5");
    wr(fd, 7, "write 7");
    rd(fd, "read sum");
    wr(fd, UINT64_MAX, "write all-ones");
    wr(fd, UINT64_MAX - 1, "write max");
    printf("poll at max: %#x\n", revents(fd));
    wr(fd, 1, "write past max");
    rd(fd, "read max");
    uint64_t big[2] = { 9, 9 };
    n = write(fd, big, sizeof big);
    printf("16-byte write: %zd %s\n", n, n < 0 ? errname(errno) : "");
    wr(fd, 9, "write 9");
    n = read(fd, big, sizeof big);
    printf("16-byte read: %zd %s value=%llu\n", n, n < 0 ? errname(errno) : "", (unsigned long long)big[0]);

    int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    rd(sem, "semaphore read");
    rd(sem, "semaphore read");
    rd(sem, "semaphore empty");

    struct stat st;
    fstat(fd, &st);
    printf("fstat: mode=%o\n", (unsigned)st.st_mode);
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("link: %s\n", link);
    wr(fd, 0x2a, "write 42");
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *fi = fopen(path, "r");
    char line[128];
    while (fi && fgets(line, sizeof line, fi))
        if (strncmp(line, "eventfd-count:", 14) == 0) printf("fdinfo %s", line);
    if (fi) fclose(fi);
    rd(fd, "read 42");

    /* A blocking read woken by a child's write; then edge-triggered epoll. */
    int bfd = eventfd(0, 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct timespec d = { 0, 50000000 };
        nanosleep(&d, 0);
        uint64_t one = 11;
        write(bfd, &one, sizeof one);
        _exit(0);
    }
    rd(bfd, "blocking read");
    waitpid(c, 0, 0);

    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = 1 }, out[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, bfd, &ev);
    printf("ET empty: %d\n", epoll_wait(ep, out, 2, 0));
    wr(bfd, 1, "write");
    r = epoll_wait(ep, out, 2, 0);
    printf("ET after write: %d events=%#x\n", r, r > 0 ? out[0].events : 0);
    printf("ET again: %d\n", epoll_wait(ep, out, 2, 0));
    wr(bfd, 1, "write");
    printf("ET after second write: %d\n", epoll_wait(ep, out, 2, 0));
    ev.events = EPOLLOUT;
    epoll_ctl(ep, EPOLL_CTL_MOD, bfd, &ev);
    r = epoll_wait(ep, out, 2, 0);
    printf("LT writable: %d events=%#x\n", r, r > 0 ? out[0].events : 0);
    return 0;
}
