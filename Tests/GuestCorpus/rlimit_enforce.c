/* rlimit_enforce: resource limits that are enforced, not just stored.
 *   RLIMIT_FSIZE: a write crossing the limit is cut short, one at the limit gets SIGXFSZ
 *                 and EFBIG, and so does ftruncate past it.
 *   RLIMIT_AS:    a 200 MiB allocation fails with a 64 MiB address-space limit.
 *   RLIMIT_CPU:   SIGXCPU at the soft limit (handled), the hard limit kills with SIGKILL;
 *                 without a handler SIGXCPU itself ends the process.
 *   prlimit64:    a non-root process may not change a root process's limits (EPERM), nor
 *                 raise its own hard limit. */
#include "corpus.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t xfsz, xcpu;
static void on_xfsz(int s) { (void)s; xfsz++; }
static void on_xcpu(int s) { (void)s; xcpu++; }

static void fsize(void)
{
    signal(SIGXFSZ, on_xfsz);
    struct rlimit rl = { 1000, 1000 };
    setrlimit(RLIMIT_FSIZE, &rl);
    int fd = open("big.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
    static char buf[5000];
    memset(buf, 'x', sizeof buf);
    ssize_t n = write(fd, buf, sizeof buf);
    printf("fsize: write 5000 -> %zd\n", n);
    errno = 0;
    n = write(fd, buf, 10);
    printf("fsize: write at limit -> %zd %s, SIGXFSZ %d\n", n, errname(errno), xfsz);
    errno = 0;
    int r = ftruncate(fd, 2000);
    printf("fsize: ftruncate 2000 -> %d %s, SIGXFSZ %d\n", r, errname(errno), xfsz);
    r = ftruncate(fd, 500);
    printf("fsize: ftruncate 500 -> %d\n", r);
    close(fd);
    /* the hard limit stays 1000: lowering the soft limit further works */
    rl.rlim_cur = 500;
    printf("fsize: lower soft -> %d\n", setrlimit(RLIMIT_FSIZE, &rl));
}

static void address_space(void)
{
    pid_t c = fork();
    if (c == 0) {
        struct rlimit rl = { 64 << 20, 64 << 20 };
        setrlimit(RLIMIT_AS, &rl);
        /* mmap, not malloc: a compiler may drop a malloc whose result is only tested. */
        errno = 0;
        void *p = mmap(0, 200 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("as: mmap 200 MiB under 64 MiB -> %s %s\n", p == MAP_FAILED ? "failed" : "mapped", errname(errno));
        char *q = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (q != MAP_FAILED) q[4096] = 1;
        printf("as: mmap 1 MiB -> %s\n", q == MAP_FAILED ? "failed" : "mapped");
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, 0, 0);
}

static void cpu(int handled)
{
    pid_t c = fork();
    if (c == 0) {
        if (handled) signal(SIGXCPU, on_xcpu);
        struct rlimit rl = { 1, 3 };
        setrlimit(RLIMIT_CPU, &rl);
        /* Burn CPU; the loop makes a cheap syscall now and then, so a handler runs. */
        volatile unsigned long spin = 0;
        for (;;) {
            for (int i = 0; i < 100000; i++) spin++;
            getppid();
            if (xcpu == 1) { printf("cpu: SIGXCPU handled at the soft limit\n"); fflush(stdout); xcpu = 2; }
        }
    }
    int st;
    waitpid(c, &st, 0);
    if (WIFSIGNALED(st)) printf("cpu(%s): child killed by signal %d\n", handled ? "handled" : "default", WTERMSIG(st));
    else printf("cpu: child exited %d\n", WEXITSTATUS(st));
}

static void permissions(void)
{
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        if (setgid(1000) != 0 || setuid(1000) != 0) { printf("perm: cannot drop privileges\n"); _exit(1); }
        struct rlimit rl = { 3, 3 };
        errno = 0;
        int r = prlimit(parent, RLIMIT_NOFILE, &rl, NULL);
        printf("perm: prlimit of root's NOFILE -> %d %s\n", r, errname(errno));
        struct rlimit mine;
        getrlimit(RLIMIT_NOFILE, &mine);
        struct rlimit more = { mine.rlim_max + 1, mine.rlim_max + 1 };
        errno = 0;
        r = setrlimit(RLIMIT_NOFILE, &more);
        printf("perm: raise own hard limit -> %d %s\n", r, errname(errno));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, 0, 0);
    int fd = open("big.txt", O_RDONLY);
    printf("perm: parent still opens files -> %s\n", fd >= 0 ? "yes" : "no");
    if (fd >= 0) close(fd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t c = fork();
    if (c == 0) { fsize(); _exit(0); }
    waitpid(c, 0, 0);
    address_space();
    cpu(1);
    cpu(0);
    permissions();
    return 0;
}
