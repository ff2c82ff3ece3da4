/* prctl_rwf: calls that used to answer "success" and do nothing.
 *   pwritev2(RWF_APPEND) appends whatever the offset; RWF_DSYNC/RWF_SYNC/O_SYNC writes land;
 *   sync_file_range checks its arguments;
 *   prctl PR_SET/GET_PDEATHSIG (a child is signalled when its parent ends),
 *   PR_SET/GET_CHILD_SUBREAPER (an orphaned grandchild is adopted and reaped by the
 *   subreaper), PR_SET/GET_NO_NEW_PRIVS, PR_GET_DUMPABLE. */
#include "corpus.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RWF_DSYNC
#define RWF_DSYNC 0x2
#define RWF_SYNC 0x4
#define RWF_APPEND 0x10
#endif

/* musl 1.2.3 has no pwritev2 wrapper: the raw call, offset as (low, high) longs. */
static ssize_t pwritev2_(int fd, const struct iovec *v, int n, long long pos, int flags)
{
    return syscall(SYS_pwritev2, fd, v, n, (long)pos, (long)(pos >> 32), flags);
}

static void show(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? errname(errno) : "");
}

static void rwf(void)
{
    int fd = open("rwf.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
    write(fd, "AAAA", 4);
    struct iovec v = { "BB", 2 };
    ssize_t n = pwritev2_(fd, &v, 1, 0, RWF_APPEND);
    char buf[16] = { 0 };
    pread(fd, buf, sizeof buf - 1, 0);
    printf("rwf_append: %zd -> %s, offset %ld\n", n, buf, (long)lseek(fd, 0, SEEK_CUR));
    struct iovec w = { "CC", 2 };
    n = pwritev2_(fd, &w, 1, -1, RWF_APPEND | RWF_DSYNC);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, sizeof buf - 1, 0);
    printf("rwf_append at -1: %zd -> %s, offset %ld\n", n, buf, (long)lseek(fd, 0, SEEK_CUR));
    n = pwritev2_(fd, &w, 1, 1, RWF_SYNC);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, sizeof buf - 1, 0);
    printf("rwf_sync at 1: %zd -> %s\n", n, buf);
    show("sync_file_range bad flags", sync_file_range(fd, 0, 0, 0x100));
    show("sync_file_range negative", sync_file_range(fd, -1, 0, 2));
    show("sync_file_range write", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
    int p[2];
    pipe(p);
    show("sync_file_range pipe", sync_file_range(p[0], 0, 0, 2));
    close(p[0]);
    close(p[1]);
    close(fd);
    int s = open("sync.txt", O_CREAT | O_TRUNC | O_WRONLY | O_SYNC, 0644);
    printf("o_sync write: %zd\n", write(s, "durable\n", 8));
    close(s);
}

static void pdeathsig(void)
{
    int sig = -1;
    prctl(PR_GET_PDEATHSIG, &sig);
    printf("pdeathsig initially %d\n", sig);
    int ready[2], report[2];
    pipe(ready);
    pipe(report);
    pid_t middle = fork();
    if (middle == 0) {
        pid_t child = fork();
        if (child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            int got = 0;
            prctl(PR_GET_PDEATHSIG, &got);
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGUSR1);
            sigprocmask(SIG_BLOCK, &set, NULL);
            write(ready[1], "r", 1);
            int s = 0;
            sigwait(&set, &s);
            char line[64];
            int len = snprintf(line, sizeof line, "child: pdeathsig %d, got signal %d\n", got, s);
            write(report[1], line, len);
            _exit(0);
        }
        char c;
        read(ready[0], &c, 1);
        _exit(0);   /* the parent ends: the child gets SIGUSR1 */
    }
    close(report[1]);
    waitpid(middle, 0, 0);
    char buf[128] = { 0 };
    ssize_t n = read(report[0], buf, sizeof buf - 1);
    printf("%s", n > 0 ? buf : "child: no report\n");
}

static void subreaper(void)
{
    int v = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    printf("subreaper initially %d\n", v);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    printf("subreaper now %d\n", v);
    int p[2];
    pipe(p);
    pid_t me = getpid();
    pid_t middle = fork();
    if (middle == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            close(p[1]);
            char c;
            read(p[0], &c, 1);   /* waits for the middle process to be gone */
            printf("grandchild: adopted by the subreaper: %s\n", getppid() == me ? "yes" : "no");
            fflush(stdout);
            _exit(7);
        }
        _exit(0);
    }
    waitpid(middle, 0, 0);
    write(p[1], "x", 1);
    close(p[1]);
    /* (As a launch's first process, a guest is also its init and may reap other orphans
     * here first; look for the grandchild's status.) */
    int st = 0, found = 0;
    while (!found && wait(&st) > 0) found = WIFEXITED(st) && WEXITSTATUS(st) == 7;
    printf("subreaper reaped the grandchild (status 7): %s\n", found ? "yes" : "no");
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    rwf();
    pdeathsig();
    subreaper();
    printf("no_new_privs before %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    printf("set no_new_privs %d\n", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    printf("no_new_privs after %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    show("set no_new_privs 0", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
    printf("dumpable %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    return 0;
}
