/* dir_rename_link: rename (files, dirs, over existing, into itself), hard links and
 * link counts, symlinks and readlink, unlink of open files. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *p, const char *s)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
    close(fd);
}

static void cat(const char *p)
{
    char buf[128];
    int fd = open(p, O_RDONLY);
    if (fd < 0) { printf("cat %s: %s\n", p, errname(errno)); return; }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    printf("cat %s: \"%.*s\"\n", p, (int)n, buf);
}

static void nlink(const char *p)
{
    struct stat st;
    if (lstat(p, &st) != 0) { printf("nlink %s: %s\n", p, errname(errno)); return; }
    printf("nlink %s: %lu\n", p, (unsigned long)st.st_nlink);
}

int main(void)
{
    put("one", "first");
    put("two", "second");
    SHOW("rename one->uno", rename("one", "uno"));
    cat("one");
    cat("uno");
    SHOW("rename over existing", rename("uno", "two"));
    cat("two");
    cat("uno");
    SHOW("rename to itself", rename("two", "two"));
    EXPECT_ERR("rename missing", rename("ghost", "x"), ENOENT);

    MUST(mkdir("d1", 0755) == 0);
    MUST(mkdir("d2", 0755) == 0);
    put("d1/f", "in d1");
    SHOW("rename file into dir", rename("two", "d1/two"));
    SHOW("rename dir", rename("d1", "d3"));
    cat("d3/f");
    cat("d3/two");
    SHOW("rename dir over empty dir", rename("d3", "d2"));
    cat("d2/f");
    YESNO("d3 gone", access("d3", F_OK) != 0);
    MUST(mkdir("d4", 0755) == 0);
    put("d4/x", "x");
    EXPECT_ERR("rename dir over non-empty dir", rename("d2", "d4"), ENOTEMPTY);
    EXPECT_ERR("rename dir over file", rename("d2", "d4/x"), ENOTDIR);
    EXPECT_ERR("rename file over dir", rename("d4/x", "d2"), EISDIR);
    EXPECT_ERR("rename dir into itself", rename("d2", "d2/sub"), EINVAL);
    EXPECT_ERR("rename to missing dir", rename("d4/x", "nowhere/x"), ENOENT);

    /* hard links */
    put("orig", "linked content");
    nlink("orig");
    SHOW("link", link("orig", "hard"));
    nlink("orig");
    nlink("hard");
    cat("hard");
    put("hard", "changed via hard");
    cat("orig");
    struct stat a, b;
    MUST(stat("orig", &a) == 0 && stat("hard", &b) == 0);
    YESNO("same inode", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    EXPECT_ERR("link to existing", link("orig", "hard"), EEXIST);
    EXPECT_ERR("link missing", link("ghost", "g2"), ENOENT);
    EXPECT_ERR("link a directory", link("d2", "d2link"), EPERM);
    SHOW("unlink orig", unlink("orig"));
    nlink("hard");
    cat("hard");
    /* rename of hard links to each other is a no-op */
    SHOW("link again", link("hard", "hard2"));
    SHOW("rename hard->hard2 (same inode)", rename("hard", "hard2"));
    YESNO("both still exist", access("hard", F_OK) == 0 && access("hard2", F_OK) == 0);

    /* directory link counts */
    nlink("d4");
    MUST(mkdir("d4/s1", 0755) == 0);
    MUST(mkdir("d4/s2", 0755) == 0);
    nlink("d4");
    MUST(rmdir("d4/s1") == 0);
    nlink("d4");

    /* symlinks */
    SHOW("symlink", symlink("hard2", "sym"));
    char buf[64];
    ssize_t n = readlink("sym", buf, sizeof buf);
    printf("readlink: %zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    n = readlink("sym", buf, 3);
    printf("readlink truncated: %zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    EXPECT_ERR("readlink on file", readlink("hard2", buf, sizeof buf), EINVAL);
    EXPECT_ERR("readlink missing", readlink("ghost", buf, sizeof buf), ENOENT);
    cat("sym");
    SHOW("symlink relative into dir", symlink("../hard2", "d4/up"));
    cat("d4/up");
    SHOW("symlink to dir", symlink("d4", "sd"));
    cat("sd/x");
    cat("sd/up");
    EXPECT_ERR("symlink existing", symlink("x", "sym"), EEXIST);
    SHOW("rename symlink", rename("sym", "sym2"));
    n = readlink("sym2", buf, sizeof buf);
    printf("readlink renamed: \"%.*s\"\n", (int)(n > 0 ? n : 0), buf);
    SHOW("unlink symlink", unlink("sym2"));
    YESNO("target survives", access("hard2", F_OK) == 0);
    n = readlink("sd/", buf, sizeof buf);
    printf("readlink with trailing slash: %s\n", n < 0 ? errname(errno) : "ok");

    /* unlink an open file: data stays readable through the fd */
    put("open-then-unlink", "still here");
    int fd = open("open-then-unlink", O_RDONLY);
    MUST(fd >= 0);
    SHOW("unlink open file", unlink("open-then-unlink"));
    n = read(fd, buf, sizeof buf);
    printf("read after unlink: \"%.*s\"\n", (int)n, buf);
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    printf("fstat nlink after unlink: %lu\n", (unsigned long)st.st_nlink);
    close(fd);
    EXPECT_ERR("unlink a directory", unlink("d4"), EISDIR);

    /* clean */
    unlink("d4/x"); unlink("d4/up"); rmdir("d4/s2"); rmdir("d4");
    unlink("d2/f"); unlink("d2/two"); rmdir("d2");
    unlink("hard"); unlink("hard2"); unlink("sd");
    SHOW("all cleaned (access d4)", access("d4", F_OK));
    return 0;
}
