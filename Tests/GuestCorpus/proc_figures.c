/* proc_figures: /proc and sysinfo show real, consistent figures.
 *   /proc/uptime agrees with sysinfo and with /proc/stat's btime; /proc/stat has a cpu line
 *   per CPU and at least one runnable thread; /proc/loadavg counts the caller running;
 *   /proc/self/stat has the CPU time the process burned and its reaped child's, the nice
 *   value and priority setpriority gave, the blocked, ignored and caught signal masks and
 *   exit_signal; /proc/self/status has a resident size and the thread's pending signal;
 *   /proc/meminfo is consistent; /proc/cpuinfo lists every CPU; /proc/self/maps lists an
 *   anonymous mapping (rw-p) while it exists, and not after munmap. */
#include "corpus.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char text[65536];

static const char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) { text[0] = 0; return text; }
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

static void burn(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    long long until = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + ms;
    volatile unsigned long spin = 0;
    for (;;) {
        for (int i = 0; i < 10000; i++) spin++;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        if (ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 >= until) break;
    }
}

static void on_usr1(int s) { (void)s; }

/* Field n (1-based, as proc(5) numbers them) of /proc/self/stat. */
static long long statfield(int n)
{
    slurp("/proc/self/stat");
    char *p = strrchr(text, ')');
    MUST(p != 0);
    p += 2;   /* field 3 */
    for (int i = 3; i < n; i++) { p = strchr(p, ' '); MUST(p != 0); p++; }
    return atoll(p);
}

/* The permissions of the /proc/self/maps line holding `addr`, or "none". */
static const char *mapped(void *addr)
{
    static char perms[8];
    unsigned long a = (unsigned long)addr;
    slurp("/proc/self/maps");
    for (char *line = text; *line; ) {
        unsigned long lo, hi;
        char pr[8] = "";
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, pr) == 3 && lo <= a && a < hi) { strcpy(perms, pr); return perms; }
        char *nl = strchr(line, '\n');
        if (!nl) break;
        line = nl + 1;
    }
    return "none";
}

static long long meminfo(const char *key)
{
    slurp("/proc/meminfo");
    char *p = strstr(text, key);
    return p ? atoll(p + strlen(key)) : -1;
}

int main(void)
{
    double up = 0, idle = -1;
    sscanf(slurp("/proc/uptime"), "%lf %lf", &up, &idle);
    struct sysinfo si;
    MUST(sysinfo(&si) == 0);
    YESNO("uptime agrees with sysinfo", up - si.uptime > -2 && up - si.uptime < 2);
    YESNO("idle time present", idle >= 0);
    slurp("/proc/stat");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN), lines = 0;
    char needle[16];
    for (long i = 0; i < ncpu; i++) { snprintf(needle, sizeof needle, "\ncpu%ld ", i); if (strstr(text, needle)) lines++; }
    YESNO("a cpu line per CPU", lines == ncpu && strncmp(text, "cpu ", 4) == 0);
    char *bt = strstr(text, "btime ");
    long long btime = bt ? atoll(bt + 6) : 0;
    YESNO("btime + uptime = now", bt && btime + (long long)up - time(0) > -3 && btime + (long long)up - time(0) < 3);
    char *pr = strstr(text, "procs_running ");
    YESNO("procs_running at least 1", pr && atoll(pr + 14) >= 1);
    int running = 0, total = 0;
    double l1 = -1;
    sscanf(slurp("/proc/loadavg"), "%lf %*f %*f %d/%d", &l1, &running, &total);
    YESNO("loadavg: a load, the caller running", l1 >= 0 && running >= 1 && total >= running);

    burn(300);
    long long ticks = statfield(14) + statfield(15);
    YESNO("utime+stime cover 300 ms", ticks >= 28);
    pid_t c = fork();
    if (c == 0) { burn(200); _exit(0); }
    MUST(waitpid(c, 0, 0) == c);
    YESNO("cutime+cstime cover the child's 200 ms", statfield(16) + statfield(17) >= 18);
    MUST(setpriority(PRIO_PROCESS, 0, 5) == 0);
    printf("priority %lld nice %lld\n", statfield(18), statfield(19));
    printf("exit_signal %lld\n", statfield(38));
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, 0);
    long long blocked = statfield(32), ignored = statfield(33), caught = statfield(34);
    YESNO("blocked has SIGINT and SIGTERM", (blocked >> (SIGINT - 1) & 1) && (blocked >> (SIGTERM - 1) & 1));
    YESNO("sigignore has SIGUSR2", ignored >> (SIGUSR2 - 1) & 1);
    YESNO("sigcatch has SIGUSR1", caught >> (SIGUSR1 - 1) & 1);
    printf("tty_nr %lld tpgid %lld (stdin is /dev/null)\n", statfield(7), statfield(8));
    YESNO("started after boot, before now", statfield(22) <= (long long)(up * 100) + 100);
    YESNO("rss and vsize nonzero", statfield(23) > 0 && statfield(24) > 0);

    raise(SIGTERM);   /* blocked: stays pending for this thread */
    slurp("/proc/self/status");
    char *sp = strstr(text, "SigPnd:\t");
    unsigned long long pnd = sp ? strtoull(sp + 8, 0, 16) : 0;
    YESNO("SigPnd has SIGTERM", pnd >> (SIGTERM - 1) & 1);
    char *rss = strstr(text, "VmRSS:");
    YESNO("VmRSS nonzero", rss && atoll(rss + 6) > 0);

    long long mt = meminfo("MemTotal:"), mf = meminfo("MemFree:"), ma = meminfo("MemAvailable:");
    YESNO("meminfo consistent", mt > 0 && mf >= 0 && mf <= mt && ma >= 0 && ma <= mt);
    YESNO("sysinfo totalram is MemTotal", (long long)si.totalram * si.mem_unit / 1024 == mt);
    int procs = 0;
    for (char *q = (char *)slurp("/proc/cpuinfo"); (q = strstr(q, "processor")); q++) procs++;
    YESNO("cpuinfo lists every CPU", procs == ncpu);
    char *m = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(m != MAP_FAILED);
    m[0] = 1;
    printf("maps: an anonymous mapping: %s\n", mapped(m + 4096));
    MUST(munmap(m, 1 << 20) == 0);
    printf("maps: after munmap: %s\n", mapped(m + 4096));
    return 0;
}
