/* sched_nice_async: scheduling calls read back what was set, with Linux's permission
 * rules, and signal-driven I/O is refused rather than accepted and never delivered.
 *   setpriority/getpriority: nice 10 reads back 10; a non-root process may raise its nice
 *   value but not lower it (EACCES) and may not touch root's (EPERM); bad `which` EINVAL.
 *   sched_setaffinity/getaffinity: pinned to CPU 0, one CPU reads back.
 *   O_NOATIME: refused (EPERM) on a file the caller does not own.
 *   F_SETOWN/F_GETOWN and F_SETSIG/F_GETSIG read back. */
#include "corpus.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? errname(errno) : "");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    errno = 0;
    printf("nice at start: %d\n", getpriority(PRIO_PROCESS, 0));
    show("setpriority 10", setpriority(PRIO_PROCESS, 0, 10));
    errno = 0;
    printf("nice now: %d\n", getpriority(PRIO_PROCESS, 0));
    show("setpriority bad which", setpriority(42, 0, 1));
    show("getpriority no such pid", getpriority(PRIO_PROCESS, 999999));
    pid_t root = getpid();
    int fd = open("owned-by-root.txt", O_CREAT | O_RDWR, 0644);
    pid_t c = fork();
    if (c == 0) {
        errno = 0;
        printf("child inherits nice %d\n", getpriority(PRIO_PROCESS, 0));
        if (setgid(1000) || setuid(1000)) { printf("cannot drop privileges\n"); _exit(1); }
        show("non-root raises its nice to 15", setpriority(PRIO_PROCESS, 0, 15));
        show("non-root lowers it to 5", setpriority(PRIO_PROCESS, 0, 5));
        show("non-root sets root's nice", setpriority(PRIO_PROCESS, root, 19));
        int fd = open("owned-by-root.txt", O_RDONLY | O_NOATIME);
        show("O_NOATIME on root's file", fd);
        _exit(0);
    }
    waitpid(c, 0, 0);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    show("sched_setaffinity cpu0", sched_setaffinity(0, sizeof set, &set));
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    printf("cpus after pinning: %d, cpu0 %d\n", CPU_COUNT(&set), CPU_ISSET(0, &set) ? 1 : 0);
    show("F_SETOWN", fcntl(fd, F_SETOWN, getpid()));
    printf("F_GETOWN is me: %d\n", fcntl(fd, F_GETOWN) == getpid());
    show("F_SETSIG 10", fcntl(fd, F_SETSIG, 10));
    printf("F_GETSIG: %d\n", fcntl(fd, F_GETSIG));
    show("O_NOATIME as owner", open("owned-by-root.txt", O_RDONLY | O_NOATIME) >= 0 ? 0 : -1);
    return 0;
}
