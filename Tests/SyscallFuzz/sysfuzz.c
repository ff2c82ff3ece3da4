/* sysfuzz.c — a guest that issues random syscalls with random and hostile arguments.
 *
 *   sysfuzz SEED WORKERS CALLS SECONDS
 *
 * Forks WORKERS processes; each issues CALLS syscalls whose numbers come from
 * sysfuzz-table.h (every number of sdk/include/kandelo/abi.h but those that would end the
 * test trivially; SyscallFuzzTests.swift writes the table from abi.h) and whose arguments
 * are small integers, -1, INT_MIN/INT_MAX, huge lengths, NULL, pointers into a buffer of
 * random bytes, unaligned pointers, pointers at the very end of linear memory and past it,
 * descriptors it holds (files on the image, directories, pipes, /dev/null, /proc files)
 * and paths (names in its own directory, "..", "/", a 5000-byte path, /proc and /dev
 * entries). A periodic SIGALRM breaks blocking calls (EINTR); a worker still running at
 * SECONDS is SIGKILLed by the parent, which never calls anything at random. Each worker
 * forks once half way; the child fuzzes on with another seed.
 *
 * Calls that would hit the parent or everything (kill of pid 0/-1/parent, prlimit and
 * process_vm_* on other pids) get their pid replaced by the worker's own or a bogus one,
 * so the run measures the kernel, not a guest killing its own test. Paths that a write
 * could damage the image's programs through (/bin, /proc/self/exe) are never offered.
 *
 * Prints: sysfuzz seed=S workers=N calls=C exited=E signaled=K killed=H
 * (calls: syscalls the workers and their children issued, reported on a pipe every 64
 * calls and at the end; signaled: workers a signal ended,
 * e.g. a trap after an mprotect or a handler set to garbage; killed: hung at SECONDS).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sysfuzz-table.h"  /* static const long fuzz_nrs[]; */

static uint64_t rng;
static uint64_t next(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static unsigned pick(unsigned n) { return (unsigned)(next() % n); }

static unsigned char buf[65536] __attribute__((aligned(16)));
static int fds[24];
static int nfds;
static char longpath[5001];
static pid_t parent;
static void *maps[8];
static unsigned nmaps;
static int trace;
/* Workers report their progress (calls issued, 4-byte counts) on this descriptor, so the
 * parent counts the calls of workers that later die or hang too. */
#define PROGRESS_FD 999
static void progress(int n) { if (n > 0) write(PROGRESS_FD, &n, sizeof n); }  /* SYSFUZZ_TRACE=1: each call on a descriptor dup'ed from stderr */

static const char *paths[] = {
    "f1", "f2", "d1", "d1/f3", "d1/d2", "l1", "l2", ".", "..", "", "/", "/tmp", "/tmp/x",
    "/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/proc/self/stat", "/proc/self/fd/0",
    "/proc/self/fd", "/proc/self/cwd", "/proc/1/status", "/proc/meminfo", "/nonexistent/x",
    "d1/../f1", "f1/", "l1/x", longpath,
};

static uintptr_t memory_end(void) { return (uintptr_t)__builtin_wasm_memory_size(0) * 65536u; }

static long hostile(void) {
    uintptr_t end = memory_end();
    switch (pick(24)) {
    case 0: return 0;
    case 1: return -1;
    case 2: return INT_MIN;
    case 3: return INT_MAX;
    case 4: return (long)0x80000000u;
    case 5: return (long)0xFFFFF000u;
    case 6: return (long)(end - pick(16));        /* the last bytes of memory */
    case 7: return (long)end;                      /* one past the end */
    case 8: return (long)(end + 4096 * pick(4));
    case 9: return (long)(uintptr_t)(buf + 1 + pick(7));  /* unaligned, valid */
    case 10: case 11: return (long)(uintptr_t)(buf + pick(sizeof buf - 512));
    case 12: return (long)(uintptr_t)(buf + sizeof buf - pick(8));  /* valid then not */
    case 13: return (long)pick(65);
    case 14: return (long)pick(4096);
    case 15: return 0x7FFFFFFF - (long)pick(16);
    case 16: return (long)(uintptr_t)paths[pick(sizeof paths / sizeof *paths)];
    case 17: case 18: return nfds ? fds[pick(nfds)] : 0;
    case 19: return (long)pick(1024);              /* fds that may or may not exist */
    case 20: return -100;                          /* AT_FDCWD */
    case 21: return (long)next();
    case 22: return 1L << pick(31);
    default: return (long)(uintptr_t)(nmaps ? maps[pick(nmaps)] : buf);
    }
}

/* Keeps a call from reaching the parent, the whole group, or the alarm we rely on. */
static void tame(long nr, long *a) {
    pid_t self = getpid();
    pid_t bogus = 0x3FFFFFF0 + (pid_t)pick(8);
    switch (nr) {
    case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo: {
        /* Only ourselves (with a signal whose default is to do nothing, so the worker goes
         * on), a pid that does not exist, or INT_MIN. */
        static const int harmless[] = { 0, SIGCHLD, SIGWINCH, SIGURG, SIGCONT };
        int sigarg = nr == SYS_tgkill || nr == SYS_rt_tgsigqueueinfo ? 2 : 1;
        if (a[0] != INT_MIN) a[0] = pick(3) ? self : bogus;
        if (nr == SYS_tgkill || nr == SYS_rt_tgsigqueueinfo) { a[1] = a[0] == self ? self : bogus; }
        a[sigarg] = harmless[pick(5)];
        break;
    }
    case SYS_prlimit64: case SYS_process_vm_readv: case SYS_process_vm_writev: case SYS_pidfd_open:
    case SYS_setpriority: case SYS_sched_setaffinity: case SYS_sched_setscheduler: case SYS_sched_setparam:
    case SYS_kcmp: case SYS_setpgid:
        if (nr == SYS_setpriority) { if (a[1] != 0 && a[1] != self) a[1] = bogus; }
        else if (a[0] != 0 && a[0] != self && a[0] != INT_MIN) a[0] = pick(2) ? self : bogus;
        if (nr == SYS_setpgid && a[1] == parent) a[1] = self;
        break;
    case SYS_rt_sigaction:
        if (a[0] == SIGALRM) a[0] = SIGUSR1;
        break;
    case SYS_rt_sigprocmask: case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait_time64:
        /* A mask that blocks SIGALRM would let a blocking call hang until the parent's
         * deadline: give such calls a random mask without it. */
        {
            unsigned *m = (unsigned *)(void *)(buf + 4096);
            m[0] = (unsigned)next() & ~(1u << (SIGALRM - 1)); m[1] = (unsigned)next();
            a[nr == SYS_rt_sigprocmask ? 1 : 0] = (long)(uintptr_t)m;
        }
        break;
    case SYS_mmap2:
        if ((a[3] & MAP_FIXED) && (uintptr_t)a[0] < memory_end()) a[3] &= ~MAP_FIXED;
        break;
    case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_mremap: case SYS_mlock:
    case SYS_munlock: case SYS_msync: case SYS_mincore: case SYS_brk:
        /* Only our own mappings, or addresses outside the program's data. */
        if ((uintptr_t)a[0] < memory_end() && !(nmaps && a[0] == (long)(uintptr_t)maps[0]))
            a[0] = pick(2) ? (long)(uintptr_t)(nmaps ? maps[pick(nmaps)] : 0) : (long)memory_end();
        if (nr == SYS_brk) a[0] = pick(2) ? 0 : (long)memory_end() + 4096;
        break;
    case SYS_setitimer: case SYS_getitimer:
        if (a[0] == ITIMER_REAL) a[0] = 7;  /* leave our alarm alone */
        break;
    case SYS_close: case SYS_dup3:  /* the progress pipe stays ours */
        if (nr == SYS_close && a[0] == PROGRESS_FD) a[0] = -1;
        if (nr == SYS_dup3 && a[1] == PROGRESS_FD) a[1] = PROGRESS_FD + 1;
        break;
    case SYS_close_range:
        if ((unsigned long)a[1] >= PROGRESS_FD) a[1] = PROGRESS_FD - 1;
        break;
    case SYS_fcntl64:
        if (a[0] == PROGRESS_FD) a[0] = -1;
        break;
    }
}

static void open_some(void) {
    static const char *files[] = { "f1", "d1/f3", "/dev/null", "/dev/zero", "/proc/self/stat", ".", "/", "/proc/self/fd", "/tmp/x" };
    mkdir("d1", 0755);
    nfds = 0;
    for (unsigned i = 0; i < sizeof files / sizeof *files && nfds < 20; i++) {
        int fd = open(files[i], (i < 2 || i == 8) ? O_RDWR | O_CREAT : O_RDONLY, 0644);
        if (fd >= 0) fds[nfds++] = fd;
    }
    int p[2];
    if (pipe(p) == 0) { fds[nfds++] = p[0]; fds[nfds++] = p[1]; }
    symlink("f1", "l1");
    symlink("/proc/self/fd/0", "l2");
}

static void on_alarm(int s) { (void)s; }

static long worker(uint64_t seed, long calls, int depth) {
    rng = seed;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;  /* no SA_RESTART: blocking calls end with EINTR */
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &it, 0);
    for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)next();
    open_some();
    long done = 0;
    for (long i = 0; i < calls; i++) {
        if (depth == 0 && i == calls / 2) {
            pid_t c = fork();
            if (c == 0) { worker(seed ^ 0xABCDEFull, calls - i, 1); _exit(0); }
            if (c > 0) { int st; while (waitpid(c, &st, 0) < 0 && errno == EINTR) {} }
        }
        long nr = fuzz_nrs[pick(sizeof fuzz_nrs / sizeof *fuzz_nrs)];
        long a[6];
        for (int k = 0; k < 6; k++) a[k] = hostile();
        tame(nr, a);
        if (trace) dprintf(trace, "%d %ld: %ld(%lx, %lx, %lx, %lx, %lx, %lx)\n", getpid(), i, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (nr == SYS_mmap2 && r != -1 && nmaps < 8) maps[nmaps++] = (void *)r;
        if (nr == SYS_munmap && r == 0) nmaps = 0;
        /* Renew what random calls took away: our descriptors, directory, buffer. */
        if (i % 64 == 63) {
            progress(64);
            for (int k = 0; k < nfds; k++) if (fds[k] > 2) close(fds[k]);
            chdir(getenv("SYSFUZZ_DIR") ? getenv("SYSFUZZ_DIR") : "/work");
            open_some();
            sigaction(SIGALRM, &sa, 0);
            setitimer(ITIMER_REAL, &it, 0);
            for (unsigned k = 0; k < 4096; k++) buf[pick(sizeof buf)] = (unsigned char)next();
        }
        done++;
    }
    progress((int)(done % 64));
    return done;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: sysfuzz SEED WORKERS CALLS SECONDS\n"); return 64; }
    uint64_t seed = strtoull(argv[1], 0, 0);
    int workers = atoi(argv[2]);
    long calls = atol(argv[3]);
    int seconds = atoi(argv[4]);
    parent = getpid();
    for (int i = 0; i < (int)sizeof longpath - 1; i++) longpath[i] = i % 100 == 99 ? '/' : 'a';
    pid_t pids[64];
    if (workers > 64) workers = 64;
    int prog[2];
    if (pipe(prog) != 0 || dup2(prog[1], PROGRESS_FD) < 0) { perror("progress pipe"); return 1; }
    close(prog[1]);
    fcntl(prog[0], F_SETFL, O_NONBLOCK);
    long issued = 0;
    for (int w = 0; w < workers; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            char dir[64];
            snprintf(dir, sizeof dir, "/work/w%llu-%d", (unsigned long long)seed, w);
            mkdir(dir, 0755);
            chdir(dir);
            setenv("SYSFUZZ_DIR", dir, 1);
            if (getenv("SYSFUZZ_TRACE")) trace = fcntl(2, F_DUPFD, 900);
            int null = open("/dev/null", O_RDWR);
            dup2(null, 1); dup2(null, 2);
            close(prog[0]);
            worker(seed * 1000003u + (uint64_t)w, calls, 0);
            _exit(0);
        }
    }
    close(PROGRESS_FD);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int exited = 0, signaled = 0, killed = 0, left = workers;
    while (left > 0) {
        int st, n;
        while (read(prog[0], &n, sizeof n) == sizeof n) issued += n;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p > 0) {
            for (int w = 0; w < workers; w++) if (pids[w] == p) {
                pids[w] = 0; left--;
                if (WIFEXITED(st)) exited++; else signaled++;
            }
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= seconds) {
            for (int w = 0; w < workers; w++) if (pids[w] > 0) { kill(pids[w], SIGKILL); killed++; }
            while (left > 0) {
                p = waitpid(-1, &st, 0);
                if (p < 0 && errno != EINTR) break;
                for (int w = 0; w < workers; w++) if (p > 0 && pids[w] == p) { pids[w] = 0; left--; }
            }
            break;
        }
        struct timespec d = { 0, 20 * 1000 * 1000 };
        nanosleep(&d, 0);
    }
    int n;
    while (read(prog[0], &n, sizeof n) == sizeof n) issued += n;
    printf("sysfuzz seed=%llu workers=%d calls=%ld exited=%d signaled=%d killed=%d\n",
           (unsigned long long)seed, workers, issued, exited, signaled, killed);
    return 0;
}
