/* access_perm: access/faccessat for F_OK/R_OK/W_OK/X_OK across modes (as root, only the
 * execute bit matters), eaccess-style AT_EACCESS, and access through symlinks. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(const char *p)
{
    printf("%-10s F:%s R:%s W:%s X:%s RW:%s\n", p,
           access(p, F_OK) == 0 ? "y" : errname(errno),
           access(p, R_OK) == 0 ? "y" : errname(errno),
           access(p, W_OK) == 0 ? "y" : errname(errno),
           access(p, X_OK) == 0 ? "y" : errname(errno),
           access(p, R_OK | W_OK) == 0 ? "y" : errname(errno));
}

int main(void)
{
    int root = geteuid() == 0;
    printf("root: %s\n", root ? "yes" : "no");
    umask(0);
    const struct { const char *name; mode_t mode; } files[] = {
        { "m000", 0 }, { "m400", 0400 }, { "m200", 0200 }, { "m100", 0100 },
        { "m010", 010 }, { "m001", 001 }, { "m644", 0644 }, { "m755", 0755 },
    };
    for (unsigned i = 0; i < sizeof files / sizeof *files; i++) {
        int fd = open(files[i].name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        MUST(fd >= 0);
        close(fd);
        MUST(chmod(files[i].name, files[i].mode) == 0);
    }
    for (unsigned i = 0; i < sizeof files / sizeof *files; i++) check(files[i].name);
    MUST(mkdir("dir000", 0) == 0);
    MUST(mkdir("dir700", 0700) == 0);
    check("dir000");
    check("dir700");
    check("missing");
    MUST(symlink("m755", "link") == 0);
    check("link");
    MUST(symlink("missing", "dangle") == 0);
    check("dangle");
    EXPECT_ERR("access bad mode", access("m644", 0x40), EINVAL);
    EXPECT_ERR("access through file", access("m644/x", F_OK), ENOTDIR);
    SHOW("faccessat AT_EACCESS X_OK m100", faccessat(AT_FDCWD, "m100", X_OK, AT_EACCESS));
    SHOW("faccessat AT_EACCESS X_OK m644", faccessat(AT_FDCWD, "m644", X_OK, AT_EACCESS));
    SHOW("faccessat nofollow on link", faccessat(AT_FDCWD, "dangle", F_OK, AT_SYMLINK_NOFOLLOW));

    /* as root, opening for write works even with mode 0 */
    int fd = open("m000", O_RDWR);
    YESNO("open mode-0 file O_RDWR", fd >= 0);
    if (fd >= 0) close(fd);
    fd = open("dir000/inside", O_WRONLY | O_CREAT, 0644);
    YESNO("create inside mode-0 dir", fd >= 0);
    if (fd >= 0) { close(fd); unlink("dir000/inside"); }

    for (unsigned i = 0; i < sizeof files / sizeof *files; i++) unlink(files[i].name);
    unlink("link"); unlink("dangle");
    rmdir("dir000"); rmdir("dir700");
    return 0;
}
