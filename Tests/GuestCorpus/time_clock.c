/* time_clock: clock_gettime (monotonic non-decreasing, realtime plausible), clock_getres,
 * nanosleep sleeps at least the requested time, gettimeofday/time agree with realtime,
 * clock_nanosleep with TIMER_ABSTIME, bad arguments. */
#include "corpus.h"
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void)
{
    struct timespec a, b, r;
    SHOW("clock_gettime MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &a));
    int mono_ok = 1;
    long long prev = ns(a);
    for (int i = 0; i < 200; i++) {
        MUST(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
        if (ns(b) < prev) mono_ok = 0;
        if (b.tv_nsec < 0 || b.tv_nsec >= 1000000000) mono_ok = 0;
        prev = ns(b);
    }
    YESNO("monotonic non-decreasing over 200 reads", mono_ok);

    SHOW("clock_gettime REALTIME", clock_gettime(CLOCK_REALTIME, &a));
    YESNO("realtime after 2020", a.tv_sec > 1577836800);
    YESNO("realtime before 2100", a.tv_sec < 4102444800LL);
    time_t t = time(NULL);
    YESNO("time() within 2s of realtime", t >= a.tv_sec - 1 && t <= a.tv_sec + 2);
    struct timeval tv;
    SHOW("gettimeofday", gettimeofday(&tv, NULL));
    YESNO("gettimeofday within 2s", tv.tv_sec >= a.tv_sec - 1 && tv.tv_sec <= a.tv_sec + 2 && tv.tv_usec < 1000000);

    SHOW("clock_getres MONOTONIC", clock_getres(CLOCK_MONOTONIC, &r));
    YESNO("resolution <= 1ms", r.tv_sec == 0 && r.tv_nsec > 0 && r.tv_nsec <= 1000000);
    SHOW("clock_gettime PROCESS_CPUTIME", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b));
    YESNO("cpu time non-negative", b.tv_sec >= 0 && b.tv_nsec >= 0);
    SHOW("clock_gettime BOOTTIME", clock_gettime(CLOCK_BOOTTIME, &b));
    SHOW("clock_gettime MONOTONIC_RAW", clock_gettime(CLOCK_MONOTONIC_RAW, &b));
    SHOW("clock_gettime MONOTONIC_COARSE", clock_gettime(CLOCK_MONOTONIC_COARSE, &b));
    EXPECT_ERR("clock_gettime bad clock", clock_gettime((clockid_t)12345, &b), EINVAL);

    /* nanosleep */
    const long reqs[] = { 1000000, 15000000, 30000000 };
    for (unsigned i = 0; i < sizeof reqs / sizeof *reqs; i++) {
        struct timespec req = { 0, reqs[i] }, rem = { 9, 9 };
        MUST(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
        int rc = nanosleep(&req, &rem);
        MUST(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
        long long el = ns(b) - ns(a);
        printf("nanosleep %ldms: rc %d, slept >= requested: %s, < requested+2s: %s\n", reqs[i] / 1000000, rc,
               el >= reqs[i] ? "yes" : "no", el < reqs[i] + 2000000000LL ? "yes" : "no");
    }
    struct timespec zero = { 0, 0 };
    SHOW("nanosleep 0", nanosleep(&zero, NULL));
    struct timespec bad = { 0, 1000000000 };
    EXPECT_ERR("nanosleep nsec 1e9", nanosleep(&bad, NULL), EINVAL);
    struct timespec neg = { -1, 0 };
    EXPECT_ERR("nanosleep negative", nanosleep(&neg, NULL), EINVAL);

    /* absolute sleep on the monotonic clock */
    MUST(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    struct timespec until = a;
    until.tv_nsec += 20000000;
    if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
    int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    MUST(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
    printf("clock_nanosleep abstime: rc %d, woke after deadline: %s\n", rc, ns(b) >= ns(until) ? "yes" : "no");
    rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL);
    printf("clock_nanosleep abstime in the past: rc %d\n", rc);
    rc = clock_nanosleep((clockid_t)12345, 0, &zero, NULL);
    printf("clock_nanosleep bad clock: %s\n", errname(rc));

    /* usleep and sleep(0) */
    MUST(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    SHOW("usleep 5000", usleep(5000));
    MUST(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
    YESNO("usleep >= 5ms", ns(b) - ns(a) >= 5000000);
    SHOW("sleep 0", sleep(0));

    /* clock() is CPU time, non-negative and small */
    clock_t c = clock();
    YESNO("clock() >= 0", c >= 0);
    return 0;
}
