/* cpu_times_children: CPU time is counted, for the process, its threads and its children.
 *   wait4 and waitid report the child's CPU time in their rusage; getrusage(RUSAGE_CHILDREN)
 *   and times() count reaped children (and their own reaped children), nothing before the
 *   wait; CLOCK_THREAD_CPUTIME_ID is the calling thread's time, not the process's;
 *   clock_getres: 1 ns for the precise and CPU clocks, coarser for the COARSE ones. */
#include "corpus.h"
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c)
{
    struct timespec ts;
    MUST(clock_gettime(c, &ts) == 0);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Burns CPU until the process has used `ms` more milliseconds. */
static void burn(int ms)
{
    long long until = ns(CLOCK_PROCESS_CPUTIME_ID) + ms * 1000000LL;
    volatile unsigned long spin = 0;
    while (ns(CLOCK_PROCESS_CPUTIME_ID) < until)
        for (int i = 0; i < 10000; i++) spin++;
}

static double secs(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

static void *sleeper(void *arg)
{
    (void)arg;
    long long before = ns(CLOCK_THREAD_CPUTIME_ID);
    struct timespec d = { 0, 300000000 };
    nanosleep(&d, 0);   /* the main thread burns meanwhile */
    long long own = ns(CLOCK_THREAD_CPUTIME_ID) - before;
    printf("sleeping thread's own clock under 100 ms: %s\n", own < 100000000LL ? "yes" : "no");
    return 0;
}

int main(void)
{
    struct rusage ru;
    MUST(getrusage(RUSAGE_CHILDREN, &ru) == 0);
    printf("children before any: %s\n", secs(ru.ru_utime) + secs(ru.ru_stime) == 0 ? "zero" : "nonzero");

    pid_t c = fork();
    if (c == 0) { burn(300); _exit(0); }
    /* Not waited yet: nothing counted. */
    struct timespec d = { 0, 100000000 };
    nanosleep(&d, 0);
    MUST(getrusage(RUSAGE_CHILDREN, &ru) == 0);
    printf("children while running: %s\n", secs(ru.ru_utime) + secs(ru.ru_stime) == 0 ? "zero" : "nonzero");
    int st;
    struct rusage cru;
    MUST(wait4(c, &st, 0, &cru) == c);
    double child = secs(cru.ru_utime) + secs(cru.ru_stime);
    printf("wait4 rusage at least 0.3 s: %s, mostly user: %s\n", child >= 0.3 ? "yes" : "no",
           secs(cru.ru_utime) >= secs(cru.ru_stime) ? "yes" : "no");
    MUST(getrusage(RUSAGE_CHILDREN, &ru) == 0);
    double after = secs(ru.ru_utime) + secs(ru.ru_stime);
    printf("RUSAGE_CHILDREN equals it: %s\n", after > child - 0.000001 && after < child + 0.000001 ? "yes" : "no");

    /* A child that reaps its own busy child: both count once it is reaped. */
    c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) { burn(200); _exit(0); }
        MUST(waitpid(g, 0, 0) == g);
        burn(100);
        _exit(0);
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    MUST(syscall(SYS_waitid, P_PID, c, &si, WEXITED, &cru) == 0);
    child = secs(cru.ru_utime) + secs(cru.ru_stime);
    printf("waitid rusage includes the grandchild (>= 0.3 s): %s, pid matches: %s\n", child >= 0.3 ? "yes" : "no",
           si.si_pid == c ? "yes" : "no");
    MUST(getrusage(RUSAGE_CHILDREN, &ru) == 0);
    printf("RUSAGE_CHILDREN now at least 0.6 s: %s\n", secs(ru.ru_utime) + secs(ru.ru_stime) >= 0.6 ? "yes" : "no");
    struct tms t;
    MUST(times(&t) != (clock_t)-1);
    long hz = sysconf(_SC_CLK_TCK);
    printf("times: children at least 0.6 s: %s, own at least 0: %s\n",
           (double)(t.tms_cutime + t.tms_cstime) / hz >= 0.59 ? "yes" : "no", t.tms_utime >= 0 ? "yes" : "no");

    /* Thread clocks: a sleeping thread's clock stays small while the process burns. */
    pthread_t th;
    MUST(pthread_create(&th, 0, sleeper, 0) == 0);
    burn(400);
    pthread_join(th, 0);
    long long thread = ns(CLOCK_THREAD_CPUTIME_ID), process = ns(CLOCK_PROCESS_CPUTIME_ID);
    printf("main thread clock within the process clock: %s\n", thread <= process ? "yes" : "no");
    MUST(getrusage(RUSAGE_SELF, &ru) == 0);
    printf("RUSAGE_SELF at least 0.4 s: %s\n", secs(ru.ru_utime) + secs(ru.ru_stime) >= 0.4 ? "yes" : "no");

    struct timespec res;
    clock_getres(CLOCK_MONOTONIC, &res);
    printf("MONOTONIC resolution: %ld ns\n", res.tv_nsec);
    clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res);
    printf("PROCESS_CPUTIME resolution: %ld ns\n", res.tv_nsec);
    clock_getres(CLOCK_THREAD_CPUTIME_ID, &res);
    printf("THREAD_CPUTIME resolution: %ld ns\n", res.tv_nsec);
    clock_getres(CLOCK_MONOTONIC_COARSE, &res);
    printf("MONOTONIC_COARSE resolution above 1 us: %s\n", res.tv_sec > 0 || res.tv_nsec > 1000 ? "yes" : "no");
    clock_getres(CLOCK_REALTIME_COARSE, &res);
    printf("REALTIME_COARSE resolution above 1 us: %s\n", res.tv_sec > 0 || res.tv_nsec > 1000 ? "yes" : "no");
    return 0;
}
