/* chmod_chown_time: chmod/fchmod/fchmodat, chown/fchown/lchown (run as root), utime,
 * utimes, utimensat (fixed times, UTIME_NOW, UTIME_OMIT, AT_SYMLINK_NOFOLLOW), futimens.
 * Kandelo filesystems store times in milliseconds from 1970 (a documented limit of the
 * image format), so the fixed times used here are whole milliseconds and not negative. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static void perm(const char *p)
{
    struct stat st;
    if (lstat(p, &st) != 0) { printf("perm %s: %s\n", p, errname(errno)); return; }
    printf("perm %s: %04o\n", p, (unsigned)(st.st_mode & 07777));
}

static void owner(const char *p)
{
    struct stat st;
    MUST(lstat(p, &st) == 0);
    printf("owner %s: %u:%u\n", p, (unsigned)st.st_uid, (unsigned)st.st_gid);
}

static void times(const char *p)
{
    struct stat st;
    MUST(stat(p, &st) == 0);
    printf("times %s: atime %lld.%09ld mtime %lld.%09ld\n", p, (long long)st.st_atim.tv_sec,
           (long)st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
}

int main(void)
{
    umask(022);
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(mkdir("d", 0755) == 0);
    MUST(symlink("f", "l") == 0);
    int root = geteuid() == 0;
    printf("running as root: %s\n", root ? "yes" : "no");

    perm("f");
    SHOW("chmod 0600", chmod("f", 0600));
    perm("f");
    SHOW("chmod 04755 (setuid)", chmod("f", 04755));
    perm("f");
    SHOW("chmod 01777 dir", chmod("d", 01777));
    perm("d");
    SHOW("fchmod 0444", fchmod(fd, 0444));
    perm("f");
    SHOW("chmod through symlink", chmod("l", 0640));
    perm("f");
    perm("l");
    SHOW("fchmodat", fchmodat(AT_FDCWD, "f", 0755, 0));
    perm("f");
    EXPECT_ERR("chmod missing", chmod("nope", 0644), ENOENT);
    EXPECT_ERR("fchmod bad fd", fchmod(77, 0644), EBADF);

    if (root) {
        SHOW("chown 1234:5678", chown("f", 1234, 5678));
        owner("f");
        perm("f");
        SHOW("chown -1:42 keeps uid", chown("f", -1, 42));
        owner("f");
        SHOW("fchown 7:8", fchown(fd, 7, 8));
        owner("f");
        SHOW("lchown on symlink", lchown("l", 99, 98));
        owner("l");
        owner("f");
        SHOW("chown through symlink", chown("l", 0, 0));
        owner("f");
        /* chown clears setuid on a regular file */
        MUST(chmod("f", 06755) == 0);
        SHOW("chown 5:5 on setuid file", chown("f", 5, 5));
        perm("f");
        MUST(chown("f", 0, 0) == 0);
    }

    /* times */
    struct utimbuf ub = { 1000000000, 1234567890 };
    SHOW("utime", utime("f", &ub));
    times("f");
    struct timeval tv[2] = { { 86400, 250000 }, { 172800, 750000 } };
    SHOW("utimes", utimes("f", tv));
    times("f");
    struct timespec ts[2] = { { 1700000000, 123000000 }, { 1600000000, 987000000 } };
    SHOW("utimensat", utimensat(AT_FDCWD, "f", ts, 0));
    times("f");
    struct timespec omit[2] = { { 5, UTIME_OMIT }, { 42, 0 } };
    SHOW("utimensat omit atime", utimensat(AT_FDCWD, "f", omit, 0));
    times("f");
    struct timespec big[2] = { { 4102444800LL, 1000000 }, { 2147483648LL, 999000000 } };
    SHOW("utimensat after 2038", utimensat(AT_FDCWD, "f", big, 0));
    times("f");
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    EXPECT_ERR("utimensat nsec out of range", utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
    struct timespec ft[2] = { { 300, 3000000 }, { 400, 4000000 } };
    SHOW("futimens", futimens(fd, ft));
    times("f");

    struct timespec before;
    clock_gettime(CLOCK_REALTIME, &before);
    struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
    SHOW("utimensat UTIME_NOW", utimensat(AT_FDCWD, "f", now, 0));
    struct stat st;
    MUST(stat("f", &st) == 0);
    YESNO("mtime is now (within 2s)", st.st_mtim.tv_sec >= before.tv_sec - 1 && st.st_mtim.tv_sec <= before.tv_sec + 2);
    SHOW("utimensat NULL (now)", utimensat(AT_FDCWD, "f", NULL, 0));
    MUST(stat("f", &st) == 0);
    YESNO("atime is now (within 2s)", st.st_atim.tv_sec >= before.tv_sec - 1 && st.st_atim.tv_sec <= before.tv_sec + 2);

    struct timespec lt[2] = { { 11, 0 }, { 22, 0 } };
    SHOW("utimensat nofollow on symlink", utimensat(AT_FDCWD, "l", lt, AT_SYMLINK_NOFOLLOW));
    MUST(lstat("l", &st) == 0);
    printf("symlink mtime %lld\n", (long long)st.st_mtim.tv_sec);
    MUST(stat("f", &st) == 0);
    YESNO("target untouched", st.st_mtim.tv_sec != 22);
    EXPECT_ERR("utime missing", utime("nope", &ub), ENOENT);

    /* directory times change when entries are added */
    struct timespec dt[2] = { { 100, 0 }, { 100, 0 } };
    MUST(utimensat(AT_FDCWD, "d", dt, 0) == 0);
    int f2 = open("d/new", O_WRONLY | O_CREAT, 0644);
    MUST(f2 >= 0);
    close(f2);
    MUST(stat("d", &st) == 0);
    YESNO("dir mtime advanced by create", st.st_mtim.tv_sec > 100);
    MUST(utimensat(AT_FDCWD, "d", dt, 0) == 0);
    MUST(unlink("d/new") == 0);
    MUST(stat("d", &st) == 0);
    YESNO("dir mtime advanced by unlink", st.st_mtim.tv_sec > 100);

    close(fd);
    unlink("l"); unlink("f"); rmdir("d");
    return 0;
}
