/* errno_paths: error returns of common calls: ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY,
 * EBADF, EINVAL, EFAULT (bad pointers passed to read/write/stat/open), ELOOP,
 * ENAMETOOLONG, ENOSPC (/dev/full), ERANGE, ESPIPE-free seeks, and EXDEV where the scratch
 * directory and /tmp are on different filesystems. */
#include "corpus.h"
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* An address that is not mapped natively (x86-64) and outside the guest's memory. */
#define BAD ((void *)(uintptr_t)0xFFFFE000u)

int main(void)
{
    int fd = open("file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(write(fd, "data", 4) == 4);
    MUST(mkdir("dir", 0755) == 0);
    MUST(mkdir("full", 0755) == 0);
    close(open("full/x", O_WRONLY | O_CREAT, 0644));
    char buf[64];
    struct stat st;

    /* ENOENT */
    EXPECT_ERR("open missing", open("missing", O_RDONLY), ENOENT);
    EXPECT_ERR("open missing dir component", open("nodir/file", O_RDONLY | O_CREAT, 0644), ENOENT);
    EXPECT_ERR("stat empty path", stat("", &st), ENOENT);
    EXPECT_ERR("unlink missing", unlink("missing"), ENOENT);
    EXPECT_ERR("chdir missing", chdir("missing"), ENOENT);
    /* EEXIST */
    EXPECT_ERR("mkdir existing dir", mkdir("dir", 0755), EEXIST);
    EXPECT_ERR("mkdir over file", mkdir("file", 0755), EEXIST);
    EXPECT_ERR("O_CREAT|O_EXCL existing", open("file", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
    EXPECT_ERR("symlink over existing", symlink("x", "file"), EEXIST);
    EXPECT_ERR("link over existing", link("file", "dir"), EEXIST);
    /* ENOTDIR */
    EXPECT_ERR("open file/x", open("file/x", O_RDONLY), ENOTDIR);
    EXPECT_ERR("stat file/x", stat("file/x", &st), ENOTDIR);
    EXPECT_ERR("mkdir file/x", mkdir("file/x", 0755), ENOTDIR);
    EXPECT_ERR("open file/ (trailing slash)", open("file/", O_RDONLY), ENOTDIR);
    EXPECT_ERR("rmdir file", rmdir("file"), ENOTDIR);
    /* EISDIR */
    EXPECT_ERR("open dir O_WRONLY", open("dir", O_WRONLY), EISDIR);
    int dfd = open("dir", O_RDONLY);
    MUST(dfd >= 0);
    EXPECT_ERR("read a directory", read(dfd, buf, sizeof buf), EISDIR);
    EXPECT_ERR("write a directory fd", write(dfd, "x", 1), EBADF);
    close(dfd);
    EXPECT_ERR("unlink a directory", unlink("dir"), EISDIR);
    EXPECT_ERR("rename file over dir", rename("file", "dir"), EISDIR);
    /* ENOTEMPTY */
    EXPECT_ERR("rmdir non-empty", rmdir("full"), ENOTEMPTY);
    EXPECT_ERR("rename dir over non-empty", rename("dir", "full"), ENOTEMPTY);
    /* EBADF */
    EXPECT_ERR("read closed fd", read(42, buf, 1), EBADF);
    EXPECT_ERR("write -1", write(-1, "x", 1), EBADF);
    EXPECT_ERR("close 1000", close(1000), EBADF);
    EXPECT_ERR("fstat bad fd", fstat(77, &st), EBADF);
    EXPECT_ERR("lseek bad fd", lseek(77, 0, SEEK_SET), EBADF);
    EXPECT_ERR("dup bad fd", dup(77), EBADF);
    EXPECT_ERR("fsync bad fd", fsync(77), EBADF);
    /* EINVAL */
    EXPECT_ERR("lseek bad whence", lseek(fd, 0, 99), EINVAL);
    EXPECT_ERR("lseek negative result", lseek(fd, -10, SEEK_SET), EINVAL);
    EXPECT_ERR("lseek before start from end", lseek(fd, -100, SEEK_END), EINVAL);
    EXPECT_ERR("rename . ", rename(".", "x"), EBUSY);
    EXPECT_ERR("readlink on non-link", readlink("file", buf, sizeof buf), EINVAL);
    EXPECT_ERR("readlink size 0", readlink("file", buf, 0), EINVAL);
    EXPECT_ERR("open bad access mode", open("file", O_WRONLY | O_RDWR), EINVAL);
    EXPECT_ERR("pread negative offset", pread(fd, buf, 1, -5), EINVAL);
    EXPECT_ERR("mkdir .", mkdir(".", 0755), EEXIST);
    /* EFAULT */
    EXPECT_ERR("read into bad buffer", pread(fd, BAD, 4, 0), EFAULT);
    EXPECT_ERR("write from bad buffer", write(fd, BAD, 4), EFAULT);
    EXPECT_ERR("stat bad path", stat((const char *)BAD, &st), EFAULT);
    EXPECT_ERR("open bad path", open((const char *)BAD, O_RDONLY), EFAULT);
    EXPECT_ERR("mkdir bad path", mkdir((const char *)BAD, 0755), EFAULT);
    EXPECT_ERR("unlink bad path", unlink((const char *)BAD), EFAULT);
    EXPECT_ERR("readlink into bad buffer", readlink("file", BAD, 10), EINVAL);
    MUST(symlink("file", "sl") == 0);
    EXPECT_ERR("readlink link into bad buffer", readlink("sl", BAD, 10), EFAULT);
    EXPECT_ERR("getcwd bad buffer", (long)(getcwd(BAD, 100) ? 0 : -1), EFAULT);
    EXPECT_ERR("chdir bad path", chdir((const char *)BAD), EFAULT);
    /* ELOOP */
    MUST(symlink("loop2", "loop1") == 0);
    MUST(symlink("loop1", "loop2") == 0);
    MUST(symlink("self", "self") == 0);
    EXPECT_ERR("open symlink loop", open("loop1", O_RDONLY), ELOOP);
    EXPECT_ERR("stat symlink loop", stat("loop2", &st), ELOOP);
    EXPECT_ERR("open self loop", open("self", O_RDONLY), ELOOP);
    EXPECT_ERR("path through loop", open("loop1/x", O_RDONLY), ELOOP);
    SHOW("lstat on the loop link itself", lstat("loop1", &st));
    /* a chain of 40 links resolves; 41 is too many */
    char name[32], target[32];
    for (int i = 1; i <= 45; i++) {
        snprintf(name, sizeof name, "chain%d", i);
        if (i == 1) snprintf(target, sizeof target, "file");
        else snprintf(target, sizeof target, "chain%d", i - 1);
        MUST(symlink(target, name) == 0);
    }
    SHOW("stat chain of 40", stat("chain40", &st));
    EXPECT_ERR("stat chain of 41", stat("chain41", &st), ELOOP);
    /* ENAMETOOLONG */
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    EXPECT_ERR("open 256-char component", open(longname, O_RDONLY | O_CREAT, 0644), ENAMETOOLONG);
    EXPECT_ERR("mkdir 256-char component", mkdir(longname, 0755), ENAMETOOLONG);
    longname[255] = 0;
    fd = open(longname, O_WRONLY | O_CREAT, 0644);
    printf("255-char name creatable: %s\n", fd >= 0 ? "yes" : errname(errno));
    if (fd >= 0) { close(fd); unlink(longname); }
    static char huge[PATH_MAX + 100];
    for (int i = 0; i < PATH_MAX + 50; i++) huge[i] = (i % 2) ? '/' : 'a';
    huge[PATH_MAX + 50] = 0;
    EXPECT_ERR("path longer than PATH_MAX", stat(huge, &st), ENAMETOOLONG);
    /* ENOSPC */
    int full = open("/dev/full", O_WRONLY);
    MUST(full >= 0);
    EXPECT_ERR("write /dev/full", write(full, "x", 1), ENOSPC);
    close(full);
    /* ERANGE */
    char small[2];
    EXPECT_ERR("getcwd tiny buffer", (long)(getcwd(small, sizeof small) ? 0 : -1), ERANGE);
    /* ENOTTY */
    fd = open("file", O_RDONLY);
    errno = 0;
    int tty = isatty(fd);
    printf("isatty regular file: %d %s\n", tty, errname(errno));
    close(fd);
    /* EXDEV: only meaningful when the scratch dir and /tmp are different filesystems */
    struct stat here, tmp;
    MUST(stat(".", &here) == 0 && stat("/tmp", &tmp) == 0);
    char tpath[64];
    snprintf(tpath, sizeof tpath, "/tmp/corpus-exdev-%d", 1);
    errno = 0;
    int rr = rename("file", tpath);
    int e = errno;
    if (here.st_dev != tmp.st_dev)
        printf("rename across filesystems: %s\n", rr < 0 && e == EXDEV ? "EXDEV as expected" : "UNEXPECTED");
    else {
        printf("rename across filesystems: %s\n", rr == 0 ? "EXDEV as expected" : "UNEXPECTED");
        if (rr == 0) rename(tpath, "file");
    }
    errno = 0;
    rr = link("file", tpath);
    e = errno;
    if (here.st_dev != tmp.st_dev)
        printf("link across filesystems: %s\n", rr < 0 && e == EXDEV ? "EXDEV as expected" : "UNEXPECTED");
    else {
        printf("link across filesystems: %s\n", rr == 0 ? "EXDEV as expected" : "UNEXPECTED");
        if (rr == 0) unlink(tpath);
    }
    /* errno is not cleared by a successful call */
    errno = ENOENT;
    MUST(stat("file", &st) == 0);
    printf("errno after success still ENOENT: %s\n", errno == ENOENT ? "yes" : "no");
    return 0;
}
