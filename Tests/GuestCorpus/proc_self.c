/* proc_self: /proc/self/cmdline (argv), /proc/self/fd listing (only what this program
 * opens), fd link basenames, /proc/self/exe basename, /proc/self/environ (KT_ entries),
 * /proc/self/stat fields that are stable, /proc/self/cwd. */
#include "corpus.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static ssize_t slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t total = 0, n;
    while ((n = read(fd, buf + total, cap - total)) > 0) total += n;
    close(fd);
    return total;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int cmpint(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void list_fds(const char *label)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) { printf("%s: opendir %s\n", label, errname(errno)); return; }
    int fds[64], n = 0, self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        if (e->d_name[0] == '.') continue;
        int fd = atoi(e->d_name);
        if (fd != self) fds[n++] = fd;
    }
    closedir(d);
    qsort(fds, n, sizeof *fds, cmpint);
    printf("%s:", label);
    for (int i = 0; i < n; i++) printf(" %d", fds[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    char buf[8192];
    ssize_t n = slurp("/proc/self/cmdline", buf, sizeof buf);
    /* argv[0] is the program's path: only its basename is the same natively */
    printf("cmdline bytes after argv[0]: %zd\n", n > 0 ? n - (ssize_t)strlen(buf) - 1 : n);
    int args = 0;
    for (ssize_t i = 0; i < n; i += strlen(buf + i) + 1) {
        printf("  arg %d: [%s]\n", args, args == 0 ? base(buf + i) : buf + i);
        args++;
    }
    printf("cmdline args == argc: %s\n", args == argc ? "yes" : "no");
    printf("argv[0] equals cmdline's: %s\n", n > 0 && !strcmp(buf, argv[0]) ? "yes" : "no");

    list_fds("open fds at start");
    int a = open("one", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    MUST(a >= 0);
    int b = dup2(a, 9);
    MUST(b == 9);
    list_fds("after open + dup2 to 9");
    char link[PATH_MAX], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", a);
    n = readlink(path, link, sizeof link - 1);
    if (n >= 0) link[n] = 0;
    printf("fd %d -> basename %s, absolute: %s\n", a, n >= 0 ? base(link) : errname(errno),
           n > 0 && link[0] == '/' ? "yes" : "no");
    close(a);
    close(b);
    list_fds("after closing");
    n = readlink("/proc/self/fd/0", link, sizeof link - 1);
    if (n >= 0) link[n] = 0;
    printf("fd 0 -> %s\n", n >= 0 ? link : errname(errno));

    /* opening /proc/self/fd/N reopens the file */
    a = open("two", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(write(a, "reopened!", 9) == 9);
    snprintf(path, sizeof path, "/proc/self/fd/%d", a);
    int c = open(path, O_RDONLY);
    n = c >= 0 ? read(c, buf, 20) : -1;
    printf("reopen via /proc/self/fd: %.*s\n", (int)(n > 0 ? n : 0), buf);
    struct stat s1, s2;
    MUST(fstat(a, &s1) == 0);
    MUST(stat(path, &s2) == 0);
    printf("stat through fd link is the same file: %s\n", s1.st_ino == s2.st_ino ? "yes" : "no");
    close(a);
    if (c >= 0) close(c);

    n = readlink("/proc/self/exe", link, sizeof link - 1);
    if (n >= 0) link[n] = 0;
    printf("exe basename: %s\n", n >= 0 ? base(link) : errname(errno));

    n = readlink("/proc/self/cwd", link, sizeof link - 1);
    if (n >= 0) link[n] = 0;
    char cwd[PATH_MAX];
    MUST(getcwd(cwd, sizeof cwd));
    printf("/proc/self/cwd equals getcwd: %s\n", n >= 0 && !strcmp(link, cwd) ? "yes" : "no");

    n = slurp("/proc/self/environ", buf, sizeof buf);
    printf("environ readable: %s\n", n > 0 ? "yes" : "no");
    for (ssize_t i = 0; i < n; i += strlen(buf + i) + 1)
        if (!strncmp(buf + i, "KT_", 3)) printf("  %s\n", buf + i);

    n = slurp("/proc/self/stat", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = 0;
        int pid;
        char comm[64], state;
        if (sscanf(buf, "%d (%63[^)]) %c", &pid, comm, &state) == 3)
            printf("stat: pid matches %s, comm %s, state %c\n", pid == getpid() ? "yes" : "no", comm, state);
    }
    n = slurp("/proc/self/comm", buf, sizeof buf - 1);
    if (n > 0) { buf[n] = 0; printf("comm: %s", buf); }
    char pidpath[64];
    snprintf(pidpath, sizeof pidpath, "/proc/%d", getpid());
    struct stat st;
    printf("/proc/<pid> exists: %s\n", stat(pidpath, &st) == 0 && S_ISDIR(st.st_mode) ? "yes" : "no");
    n = readlink("/proc/self", link, sizeof link - 1);
    if (n >= 0) link[n] = 0;
    printf("/proc/self -> own pid: %s\n", n > 0 && atoi(link) == getpid() ? "yes" : "no");
    unlink("one");
    unlink("two");
    return 0;
}
