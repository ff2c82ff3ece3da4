/* pipe_attrs_execveat: a pipe has an inode, and execveat honours its flags.
 *   pipe(2): S_IFIFO 0600 owned by the caller; fchmod, fchown and futimens change it and
 *   fstat (of either end) reads it back; a write leaves its times; the same through
 *   /proc/self/fd/N, which for a regular file changes the file itself; a non-root process
 *   may not change a root-owned pipe (EPERM, EACCES for "now" without write permission).
 *   execveat: AT_EMPTY_PATH runs the descriptor's file, a path relative to dirfd runs,
 *   AT_SYMLINK_NOFOLLOW refuses a symlink (ELOOP), unknown flags are EINVAL, an empty path
 *   without AT_EMPTY_PATH ENOENT, a pipe EACCES. */
#include "corpus.h"
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

static void showst(const char *what, int fd)
{
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    printf("%s: mode %o uid %d gid %d\n", what, (unsigned)st.st_mode, (int)st.st_uid, (int)st.st_gid);
}

static void show(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? errname(errno) : "");
}

static char *const envp[] = { "KT_EXEC=1", 0 };

static void execveat_case(const char *what, int dirfd, const char *path, int flags)
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char *argv[] = { "pipe_attrs_execveat", "exec-child", (char *)what, 0 };
        long r = syscall(SYS_execveat, dirfd, path, argv, envp, flags);
        printf("%s: %ld %s\n", what, r, errname(errno));
        fflush(stdout);
        _exit(1);
    }
    int st;
    waitpid(c, &st, 0);
    printf("%s: exit %d\n", what, WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "exec-child") == 0) {
        printf("%s: running, KT_EXEC=%s\n", argv[2], getenv("KT_EXEC") ? getenv("KT_EXEC") : "unset");
        return 7;
    }
    int p[2];
    MUST(pipe(p) == 0);
    showst("new pipe", p[0]);
    struct stat st;
    MUST(fstat(p[0], &st) == 0);
    printf("owned by the caller: %s\n", st.st_uid == geteuid() && st.st_gid == getegid() ? "yes" : "no");
    show("fchmod 0640", fchmod(p[0], 0640));
    showst("write end", p[1]);
    show("fchown 5:6", fchown(p[1], 5, 6));
    showst("read end", p[0]);
    struct timespec times[2] = { { 1000, 0 }, { 2000, 0 } };
    show("futimens", futimens(p[0], times));
    MUST(fstat(p[1], &st) == 0);
    printf("atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
    MUST(write(p[1], "x", 1) == 1);
    MUST(fstat(p[0], &st) == 0);
    printf("a write leaves mtime: %s\n", st.st_mtim.tv_sec == 2000 ? "yes" : "no");

    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", p[0]);
    show("chmod /proc/self/fd/N 0604", chmod(link, 0604));
    showst("pipe", p[0]);
    struct timespec later[2] = { { 3000, 0 }, { 4000, 0 } };
    show("utimensat /proc/self/fd/N", utimensat(AT_FDCWD, link, later, 0));
    MUST(fstat(p[0], &st) == 0);
    printf("atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
    int f = open("plain", O_CREAT | O_TRUNC | O_RDWR, 0644);
    snprintf(link, sizeof link, "/proc/self/fd/%d", f);
    show("chmod /proc/self/fd/<file> 0600", chmod(link, 0600));
    MUST(stat("plain", &st) == 0);
    printf("the file itself: %o\n", (unsigned)st.st_mode);

    int rootpipe[2];
    MUST(pipe(rootpipe) == 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        if (setgid(1000) || setuid(1000)) { printf("cannot drop privileges\n"); _exit(1); }
        int q[2];
        MUST(pipe(q) == 0);
        showst("non-root's pipe", q[0]);
        show("non-root fchmod own pipe", fchmod(q[0], 0666));
        show("non-root fchown own pipe to 0", fchown(q[0], 0, -1));
        show("non-root fchmod root's pipe", fchmod(rootpipe[0], 0666));
        show("non-root fchown root's pipe", fchown(rootpipe[0], 1000, 1000));
        show("non-root futimens root's pipe", futimens(rootpipe[0], times));
        show("non-root futimens now root's pipe", futimens(rootpipe[0], 0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, 0, 0);

    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    MUST(n > 0);
    self[n] = 0;
    char dirbuf[4096], basebuf[4096];
    strcpy(dirbuf, self);
    strcpy(basebuf, self);
    int exe = open(self, O_RDONLY | O_CLOEXEC);
    MUST(exe >= 0);
    execveat_case("AT_EMPTY_PATH", exe, "", AT_EMPTY_PATH);
    int dir = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY);
    execveat_case("relative to dirfd", dir, basename(basebuf), 0);
    MUST(symlink(self, "lnk") == 0);
    execveat_case("symlink followed", AT_FDCWD, "lnk", 0);
    execveat_case("AT_SYMLINK_NOFOLLOW", AT_FDCWD, "lnk", AT_SYMLINK_NOFOLLOW);
    execveat_case("unknown flag", exe, "", AT_EMPTY_PATH | 0x8);
    execveat_case("empty path without AT_EMPTY_PATH", exe, "", 0);
    execveat_case("pipe", p[0], "", AT_EMPTY_PATH);
    return 0;
}
