/* timerfd_clocks: timerfd(2) natively and on Kandelo: the three clocks, relative and
 * absolute (TFD_TIMER_ABSTIME) one-shot timers, interval timers, gettime and the old
 * value from settime, disarming, the read rules (8 bytes, EAGAIN, expiration counts),
 * epoll readiness and fdinfo. Times are never printed: only facts about them. */
#include "corpus.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void)
{
    int clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME };
    const char *names[] = { "REALTIME", "MONOTONIC", "BOOTTIME" };
    for (int i = 0; i < 3; i++) {
        int fd = timerfd_create(clocks[i], TFD_NONBLOCK);
        uint64_t v;
        ssize_t n = read(fd, &v, sizeof v);
        printf("%s: disarmed read %zd %s\n", names[i], n, errname(errno));
        struct itimerspec cur;
        timerfd_gettime(fd, &cur);
        printf("%s: disarmed gettime zero=%d\n", names[i], ns(cur.it_value) == 0 && ns(cur.it_interval) == 0);
        /* Relative, 30 ms. */
        struct itimerspec its = { .it_value = { 0, 30000000 } };
        timerfd_settime(fd, 0, &its, 0);
        timerfd_gettime(fd, &cur);
        printf("%s: armed left in (0, 30ms]=%d\n", names[i], ns(cur.it_value) > 0 && ns(cur.it_value) <= 30000000);
        int ep = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN }, out;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        int r = epoll_wait(ep, &out, 1, 5000);
        printf("%s: epoll %d events=%#x\n", names[i], r, out.events);
        n = read(fd, &v, sizeof v);
        printf("%s: read %zd count=%llu\n", names[i], n, (unsigned long long)v);
        timerfd_gettime(fd, &cur);
        printf("%s: expired one-shot reads disarmed=%d\n", names[i], ns(cur.it_value) == 0);
        /* Absolute: 30 ms from now on that clock; then one in the past. */
        struct timespec now;
        clock_gettime(clocks[i], &now);
        its.it_value = now;
        its.it_value.tv_nsec += 30000000;
        if (its.it_value.tv_nsec >= 1000000000) { its.it_value.tv_sec++; its.it_value.tv_nsec -= 1000000000; }
        timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, 0);
        r = epoll_wait(ep, &out, 1, 5000);
        n = read(fd, &v, sizeof v);
        printf("%s: absolute epoll %d read %zd count=%llu\n", names[i], r, n, (unsigned long long)v);
        its.it_value.tv_sec -= 10;
        timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, 0);
        n = read(fd, &v, sizeof v);
        printf("%s: past absolute read %zd count=%llu\n", names[i], n, (unsigned long long)v);
        close(ep);
        close(fd);
    }

    /* Interval: 20 ms periods, a blocking read, then a wait that lets several pass. */
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    printf("cloexec=%d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    struct itimerspec its = { .it_interval = { 0, 20000000 }, .it_value = { 0, 20000000 } }, old;
    timerfd_settime(fd, 0, &its, 0);
    uint64_t v = 0;
    ssize_t n = read(fd, &v, sizeof v);
    printf("interval blocking read %zd count>=1=%d\n", n, v >= 1);
    struct timespec d = { 0, 110000000 };
    nanosleep(&d, 0);
    n = read(fd, &v, sizeof v);
    printf("after 110ms: read %zd count>=4=%d\n", n, v >= 4);
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 0;
    timerfd_settime(fd, 0, &its, &old);
    printf("disarm: old interval 20ms=%d old value in (0, 20ms]=%d\n", ns(old.it_interval) == 20000000,
           ns(old.it_value) > 0 && ns(old.it_value) <= 20000000);
    struct itimerspec cur;
    timerfd_gettime(fd, &cur);
    printf("disarmed: value zero=%d interval kept=%d\n", ns(cur.it_value) == 0, ns(cur.it_interval) == 20000000);
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *fi = fopen(path, "r");
    while (fi && fgets(line, sizeof line, fi)) {
        if (strncmp(line, "clockid:", 8) == 0 || strncmp(line, "ticks:", 6) == 0 || strncmp(line, "settime flags:", 14) == 0
            || strncmp(line, "it_value:", 9) == 0 || strncmp(line, "it_interval:", 12) == 0) printf("fdinfo %s", line);
    }
    if (fi) fclose(fi);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    n = readlink(path, line, sizeof line - 1);
    line[n > 0 ? n : 0] = 0;
    printf("link: %s\n", line);
    char small[4];
    n = read(fd, small, sizeof small);
    printf("short read: %zd %s\n", n, errname(errno));

    /* Edge-triggered: one report per expiration, none while the count is unread. */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    its.it_interval.tv_nsec = 0;
    its.it_value.tv_nsec = 10000000;
    timerfd_settime(fd, 0, &its, 0);
    int got = epoll_wait(ep, &out, 1, 5000);
    printf("ET expiry: %d\n", got);
    printf("ET again, unread: %d\n", epoll_wait(ep, &out, 1, 0));
    n = read(fd, &v, sizeof v);
    printf("ET read %zd count=%llu\n", n, (unsigned long long)v);
    timerfd_settime(fd, 0, &its, 0);
    printf("ET re-armed expiry: %d\n", epoll_wait(ep, &out, 1, 5000));
    read(fd, &v, sizeof v);

    /* Errors. */
    int r = timerfd_create(12345, 0);
    printf("bad clock: %d %s\n", r, errname(errno));
    r = timerfd_create(CLOCK_MONOTONIC, 0x4);
    printf("bad flags: %d %s\n", r, errname(errno));
    its.it_value.tv_nsec = 1000000000;
    r = timerfd_settime(fd, 0, &its, 0);
    printf("bad nsec: %d %s\n", r, errname(errno));
    its.it_value.tv_nsec = 0;
    r = timerfd_settime(fd, 0x10, &its, 0);
    printf("bad settime flags: %d %s\n", r, errname(errno));
    int p[2];
    pipe(p);
    r = timerfd_gettime(p[0], &cur);
    printf("gettime on a pipe: %d %s\n", r, errname(errno));
    r = timerfd_gettime(999, &cur);
    printf("gettime bad fd: %d %s\n", r, errname(errno));
    return 0;
}
