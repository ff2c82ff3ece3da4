/* stat_fields: stat/lstat/fstat and raw statx: type bits, permission bits, nlink, size,
 * uid/gid, relative time facts, statx masks. */
#include "corpus.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* Linux's struct statx (256 bytes), declared here: musl 1.2.3 has no statx(). */
struct kstatx_ts { int64_t tv_sec; uint32_t tv_nsec; int32_t reserved; };
struct kstatx {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, pad1;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct kstatx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t spare[14];
};
#define K_STATX_TYPE 0x1U
#define K_STATX_MODE 0x2U
#define K_STATX_NLINK 0x4U
#define K_STATX_SIZE 0x200U
#define K_STATX_BASIC_STATS 0x7ffU

static const char *ftype(mode_t m)
{
    if (S_ISREG(m)) return "regular";
    if (S_ISDIR(m)) return "directory";
    if (S_ISLNK(m)) return "symlink";
    if (S_ISCHR(m)) return "chardev";
    if (S_ISBLK(m)) return "blockdev";
    if (S_ISFIFO(m)) return "fifo";
    if (S_ISSOCK(m)) return "socket";
    return "?";
}

static void show(const char *label, const struct stat *st)
{
    printf("%s: %s perm %04o nlink %lu size %lld uid %u gid %u\n", label, ftype(st->st_mode),
           (unsigned)(st->st_mode & 07777), (unsigned long)st->st_nlink, (long long)st->st_size,
           (unsigned)st->st_uid, (unsigned)st->st_gid);
}

int main(void)
{
    umask(0);
    int fd = open("file", O_RDWR | O_CREAT | O_TRUNC, 0640);
    MUST(fd >= 0);
    MUST(write(fd, "0123456789", 10) == 10);
    MUST(mkdir("dir", 0751) == 0);
    MUST(symlink("file", "link") == 0);
    MUST(symlink("a-much-longer-target-name/that/does/not/exist", "dangling") == 0);

    struct stat st, lst, fst;
    MUST(stat("file", &st) == 0);
    show("stat file", &st);
    MUST(fstat(fd, &fst) == 0);
    show("fstat file", &fst);
    YESNO("stat and fstat agree on ino/dev", st.st_ino == fst.st_ino && st.st_dev == fst.st_dev);
    MUST(stat("dir", &st) == 0);
    printf("stat dir: %s perm %04o nlink %lu\n", ftype(st.st_mode), (unsigned)(st.st_mode & 07777),
           (unsigned long)st.st_nlink);
    MUST(lstat("link", &lst) == 0);
    printf("lstat link: %s perm %04o size %lld\n", ftype(lst.st_mode), (unsigned)(lst.st_mode & 07777),
           (long long)lst.st_size);
    MUST(stat("link", &st) == 0);
    show("stat link (follows)", &st);
    MUST(lstat("dangling", &lst) == 0);
    printf("lstat dangling: %s size %lld\n", ftype(lst.st_mode), (long long)lst.st_size);
    EXPECT_ERR("stat dangling", stat("dangling", &st), ENOENT);
    MUST(lstat("file", &lst) == 0);
    show("lstat plain file", &lst);
    MUST(stat(".", &st) == 0);
    printf("stat .: %s\n", ftype(st.st_mode));
    MUST(stat("/", &st) == 0);
    printf("stat /: %s\n", ftype(st.st_mode));
    MUST(stat("/dev/null", &st) == 0);
    printf("stat /dev/null: %s perm %04o rdev %u:%u\n", ftype(st.st_mode), (unsigned)(st.st_mode & 0777),
           major(st.st_rdev), minor(st.st_rdev));
    MUST(stat("/dev/zero", &st) == 0);
    printf("stat /dev/zero: %s rdev %u:%u\n", ftype(st.st_mode), major(st.st_rdev), minor(st.st_rdev));

    /* size follows writes and truncation; blocks are at least size/512 when allocated */
    MUST(ftruncate(fd, 5000) == 0);
    MUST(fstat(fd, &fst) == 0);
    printf("after ftruncate: size %lld\n", (long long)fst.st_size);
    MUST(pwrite(fd, "x", 1, 8191) == 1);
    MUST(fstat(fd, &fst) == 0);
    printf("after pwrite: size %lld, blksize > 0: %s\n", (long long)fst.st_size, fst.st_blksize > 0 ? "yes" : "no");

    /* time relations */
    struct stat t1, t2;
    MUST(fstat(fd, &t1) == 0);
    YESNO("mtime == ctime after write (within 1s)", t1.st_mtime - t1.st_ctime <= 1 && t1.st_ctime - t1.st_mtime <= 1);
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    MUST(write(fd, "y", 1) == 1);
    MUST(fstat(fd, &t2) == 0);
    YESNO("mtime advanced", t2.st_mtim.tv_sec > t1.st_mtim.tv_sec ||
          (t2.st_mtim.tv_sec == t1.st_mtim.tv_sec && t2.st_mtim.tv_nsec > t1.st_mtim.tv_nsec));
    nanosleep(&ts, NULL);
    MUST(fchmod(fd, 0600) == 0);
    MUST(fstat(fd, &t1) == 0);
    YESNO("chmod changes ctime, not mtime",
          t1.st_mtim.tv_sec == t2.st_mtim.tv_sec && t1.st_mtim.tv_nsec == t2.st_mtim.tv_nsec &&
          (t1.st_ctim.tv_sec > t2.st_ctim.tv_sec ||
           (t1.st_ctim.tv_sec == t2.st_ctim.tv_sec && t1.st_ctim.tv_nsec > t2.st_ctim.tv_nsec)));
    close(fd);

    /* raw statx */
    struct kstatx sx;
    memset(&sx, 0xff, sizeof sx);
    long r = syscall(SYS_statx, AT_FDCWD, "file", 0, K_STATX_BASIC_STATS, &sx);
    printf("statx file: %ld\n", r);
    printf("  mask has type|mode|nlink|size: %s\n",
           (sx.stx_mask & (K_STATX_TYPE | K_STATX_MODE | K_STATX_NLINK | K_STATX_SIZE)) ==
           (K_STATX_TYPE | K_STATX_MODE | K_STATX_NLINK | K_STATX_SIZE) ? "yes" : "no");
    printf("  %s perm %04o nlink %u size %llu uid %u gid %u\n", ftype(sx.stx_mode),
           sx.stx_mode & 07777, sx.stx_nlink, (unsigned long long)sx.stx_size, sx.stx_uid, sx.stx_gid);
    MUST(stat("file", &st) == 0);
    YESNO("  ino matches stat", sx.stx_ino == (uint64_t)st.st_ino);
    YESNO("  mtime matches stat", sx.stx_mtime.tv_sec == (int64_t)st.st_mtim.tv_sec &&
          sx.stx_mtime.tv_nsec == (uint32_t)st.st_mtim.tv_nsec);
    YESNO("  dev matches stat", makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev);
    YESNO("  nsec fields < 1e9", sx.stx_mtime.tv_nsec < 1000000000u && sx.stx_atime.tv_nsec < 1000000000u &&
          sx.stx_ctime.tv_nsec < 1000000000u);
    r = syscall(SYS_statx, AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW, K_STATX_BASIC_STATS, &sx);
    printf("statx link nofollow: %ld %s size %llu\n", r, ftype(sx.stx_mode), (unsigned long long)sx.stx_size);
    r = syscall(SYS_statx, AT_FDCWD, "dir", 0, K_STATX_BASIC_STATS, &sx);
    printf("statx dir: %ld %s perm %04o\n", r, ftype(sx.stx_mode), sx.stx_mode & 07777);
    r = syscall(SYS_statx, AT_FDCWD, "/dev/null", 0, K_STATX_BASIC_STATS, &sx);
    printf("statx /dev/null: %ld %s rdev %u:%u\n", r, ftype(sx.stx_mode), sx.stx_rdev_major, sx.stx_rdev_minor);
    errno = 0;
    r = syscall(SYS_statx, AT_FDCWD, "missing", 0, K_STATX_BASIC_STATS, &sx);
    printf("statx missing: %ld %s\n", r, errname(errno));
    errno = 0;
    r = syscall(SYS_statx, AT_FDCWD, "file", 0x80000000, K_STATX_BASIC_STATS, &sx);
    printf("statx bad flags: %ld %s\n", r, errname(errno));

    unlink("file"); unlink("link"); unlink("dangling"); rmdir("dir");
    return 0;
}
