/* dir_cwd: getcwd, chdir, fchdir, relative paths after chdir; paths printed relative to
 * the starting directory (the scratch dir's absolute path differs natively). */
#include "corpus.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char start[PATH_MAX];

static void where(const char *label)
{
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf)) { printf("%s: getcwd %s\n", label, errname(errno)); return; }
    size_t n = strlen(start);
    if (!strncmp(buf, start, n) && (buf[n] == 0 || buf[n] == '/'))
        printf("%s: <start>%s\n", label, buf + n);
    else
        printf("%s: outside start (%s)\n", label, buf[0] == '/' ? "absolute" : "relative");
}

int main(void)
{
    MUST(getcwd(start, sizeof start));
    YESNO("cwd is absolute", start[0] == '/');
    where("initial");
    MUST(mkdir("a", 0755) == 0 && mkdir("a/b", 0755) == 0 && mkdir("a/b/c", 0755) == 0);
    SHOW("chdir a/b", chdir("a/b"));
    where("now");
    SHOW("chdir c", chdir("c"));
    where("now");
    SHOW("chdir ../..", chdir("../.."));
    where("now");
    SHOW("chdir ./b/./c/", chdir("./b/./c/"));
    where("now");
    int fd = open("here.txt", O_WRONLY | O_CREAT, 0644);
    MUST(fd >= 0);
    close(fd);
    SHOW("chdir start via absolute path", chdir(start));
    YESNO("file created relative to cwd", access("a/b/c/here.txt", F_OK) == 0);

    int dfd = open("a/b", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    SHOW("fchdir a/b", fchdir(dfd));
    where("now");
    int ffd = open("c/here.txt", O_RDONLY);
    MUST(ffd >= 0);
    EXPECT_ERR("fchdir on a file", fchdir(ffd), ENOTDIR);
    EXPECT_ERR("fchdir bad fd", fchdir(99), EBADF);
    close(ffd);
    close(dfd);
    EXPECT_ERR("chdir to file", chdir("c/here.txt"), ENOTDIR);
    EXPECT_ERR("chdir missing", chdir("zzz"), ENOENT);
    where("unchanged");

    /* the cwd stays valid when its path is renamed */
    SHOW("chdir c", chdir("c"));
    char p1[PATH_MAX + 16], p2[PATH_MAX + 16];
    snprintf(p1, sizeof p1, "%s/a", start);
    snprintf(p2, sizeof p2, "%s/renamed", start);
    SHOW("rename a renamed", rename(p1, p2));
    where("after rename");
    YESNO("relative file still visible", access("here.txt", F_OK) == 0);

    /* getcwd with a too small buffer */
    char small[4];
    errno = 0;
    char *r = getcwd(small, sizeof small);
    printf("getcwd small: %s %s\n", r ? "ok" : "NULL", errname(errno));
    r = getcwd(NULL, 0);
    YESNO("getcwd(NULL,0) allocates", r != NULL);
    free(r);

    /* chdir("/") and back */
    SHOW("chdir /", chdir("/"));
    char buf[PATH_MAX];
    printf("cwd at root: %s\n", getcwd(buf, sizeof buf));
    SHOW("chdir ..  at root", chdir(".."));
    printf("still root: %s\n", getcwd(buf, sizeof buf));
    SHOW("back", chdir(start));
    unlink("renamed/b/c/here.txt");
    rmdir("renamed/b/c"); rmdir("renamed/b"); rmdir("renamed");
    where("final");
    return 0;
}
