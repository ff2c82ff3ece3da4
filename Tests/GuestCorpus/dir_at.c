/* dir_at: the *at calls with directory descriptors, AT_FDCWD, AT_SYMLINK_NOFOLLOW,
 * AT_REMOVEDIR, AT_EMPTY_PATH. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    MUST(mkdir("base", 0755) == 0);
    int dfd = open("base", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);

    SHOW("mkdirat sub", mkdirat(dfd, "sub", 0700));
    int fd = openat(dfd, "sub/file", O_WRONLY | O_CREAT | O_EXCL, 0640);
    YESNO("openat relative to dirfd", fd >= 0);
    MUST(write(fd, "at-data", 7) == 7);
    close(fd);
    YESNO("visible from cwd", access("base/sub/file", F_OK) == 0);

    struct stat st;
    SHOW("fstatat", fstatat(dfd, "sub/file", &st, 0));
    printf("  mode %o size %lld reg %d\n", (unsigned)(st.st_mode & 07777), (long long)st.st_size, S_ISREG(st.st_mode));
    SHOW("fstatat dir", fstatat(dfd, "sub", &st, 0));
    printf("  mode %o dir %d\n", (unsigned)(st.st_mode & 07777), S_ISDIR(st.st_mode));

    SHOW("symlinkat", symlinkat("sub/file", dfd, "ln"));
    char buf[64];
    ssize_t n = readlinkat(dfd, "ln", buf, sizeof buf);
    printf("readlinkat: %zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    SHOW("fstatat nofollow", fstatat(dfd, "ln", &st, AT_SYMLINK_NOFOLLOW));
    printf("  is link %d size %lld\n", S_ISLNK(st.st_mode), (long long)st.st_size);
    SHOW("fstatat follow", fstatat(dfd, "ln", &st, 0));
    printf("  is reg %d size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);

    SHOW("linkat", linkat(dfd, "sub/file", dfd, "hard", 0));
    SHOW("fstatat hard", fstatat(dfd, "hard", &st, 0));
    printf("  nlink %lu\n", (unsigned long)st.st_nlink);
    SHOW("linkat symlink (no follow)", linkat(dfd, "ln", dfd, "ln2", 0));
    SHOW("lstat ln2", fstatat(dfd, "ln2", &st, AT_SYMLINK_NOFOLLOW));
    printf("  ln2 is link %d\n", S_ISLNK(st.st_mode));
    SHOW("linkat AT_SYMLINK_FOLLOW", linkat(dfd, "ln", dfd, "ln3", AT_SYMLINK_FOLLOW));
    SHOW("lstat ln3", fstatat(dfd, "ln3", &st, AT_SYMLINK_NOFOLLOW));
    printf("  ln3 is reg %d\n", S_ISREG(st.st_mode));

    SHOW("renameat", renameat(dfd, "hard", AT_FDCWD, "moved"));
    YESNO("moved to cwd", access("moved", F_OK) == 0);
    SHOW("faccessat R_OK", faccessat(dfd, "sub/file", R_OK, 0));
    EXPECT_ERR("faccessat missing", faccessat(dfd, "nope", F_OK, 0), ENOENT);
    SHOW("fchmodat", fchmodat(dfd, "sub/file", 0600, 0));
    SHOW("fstatat after chmod", fstatat(dfd, "sub/file", &st, 0));
    printf("  mode %o\n", (unsigned)(st.st_mode & 07777));

    /* AT_EMPTY_PATH on a descriptor */
    fd = openat(dfd, "sub/file", O_RDONLY);
    MUST(fd >= 0);
    SHOW("fstatat AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH));
    printf("  size %lld\n", (long long)st.st_size);
    EXPECT_ERR("fstatat empty path without flag", fstatat(fd, "", &st, 0), ENOENT);
    EXPECT_ERR("openat with a file as dirfd", openat(fd, "x", O_RDONLY), ENOTDIR);
    close(fd);
    EXPECT_ERR("openat bad dirfd", openat(1234, "x", O_RDONLY), EBADF);
    fd = openat(1234, "base", O_RDONLY | O_DIRECTORY);
    YESNO("bad dirfd ignored? (should fail)", fd >= 0);
    /* absolute paths ignore the dirfd */
    char cwd[4096];
    MUST(getcwd(cwd, sizeof cwd));
    char abs[4200];
    snprintf(abs, sizeof abs, "%s/base/sub/file", cwd);
    fd = openat(1234, abs, O_RDONLY);
    YESNO("absolute path ignores bad dirfd", fd >= 0);
    if (fd >= 0) close(fd);

    /* the dirfd follows its directory across a rename */
    SHOW("rename base -> base2", rename("base", "base2"));
    fd = openat(dfd, "sub/file", O_RDONLY);
    YESNO("dirfd still resolves", fd >= 0);
    if (fd >= 0) {
        n = read(fd, buf, sizeof buf);
        printf("  read \"%.*s\"\n", (int)n, buf);
        close(fd);
    }

    EXPECT_ERR("unlinkat dir without AT_REMOVEDIR", unlinkat(dfd, "sub", 0), EISDIR);
    EXPECT_ERR("unlinkat AT_REMOVEDIR non-empty", unlinkat(dfd, "sub", AT_REMOVEDIR), ENOTEMPTY);
    SHOW("unlinkat file", unlinkat(dfd, "sub/file", 0));
    EXPECT_ERR("unlinkat AT_REMOVEDIR on file", unlinkat(dfd, "ln", AT_REMOVEDIR), ENOTDIR);
    SHOW("unlinkat ln", unlinkat(dfd, "ln", 0));
    SHOW("unlinkat ln2", unlinkat(dfd, "ln2", 0));
    SHOW("unlinkat ln3", unlinkat(dfd, "ln3", 0));
    SHOW("unlinkat sub", unlinkat(dfd, "sub", AT_REMOVEDIR));
    SHOW("unlinkat moved via AT_FDCWD", unlinkat(AT_FDCWD, "moved", 0));
    close(dfd);
    SHOW("rmdir base2", rmdir("base2"));
    return 0;
}
