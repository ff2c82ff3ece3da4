/* file_flags: O_DIRECTORY, O_NOFOLLOW, access modes, fcntl F_GETFL/F_SETFL. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void show_fl(const char *label, int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) { printf("%s: F_GETFL %s\n", label, errname(errno)); return; }
    const char *acc = (fl & O_ACCMODE) == O_RDONLY ? "O_RDONLY"
                    : (fl & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
                    : (fl & O_ACCMODE) == O_RDWR ? "O_RDWR" : "?";
    printf("%s: %s%s%s\n", label, acc, fl & O_APPEND ? "|O_APPEND" : "",
           fl & O_NONBLOCK ? "|O_NONBLOCK" : "");
}

int main(void)
{
    MUST(mkdir("d", 0755) == 0);
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(write(fd, "content", 7) == 7);
    close(fd);
    MUST(symlink("f", "lf") == 0);
    MUST(symlink("d", "ld") == 0);
    MUST(symlink("missing", "dangling") == 0);

    /* O_DIRECTORY */
    fd = open("d", O_RDONLY | O_DIRECTORY);
    YESNO("O_DIRECTORY on dir", fd >= 0);
    if (fd >= 0) close(fd);
    EXPECT_ERR("O_DIRECTORY on file", open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
    fd = open("ld", O_RDONLY | O_DIRECTORY);
    YESNO("O_DIRECTORY through symlink to dir", fd >= 0);
    if (fd >= 0) close(fd);
    EXPECT_ERR("O_DIRECTORY missing", open("nothere", O_RDONLY | O_DIRECTORY), ENOENT);
    EXPECT_ERR("open dir for writing", open("d", O_WRONLY), EISDIR);
    EXPECT_ERR("open dir O_RDWR", open("d", O_RDWR), EISDIR);
    EXPECT_ERR("open dir O_CREAT", open("d", O_RDONLY | O_CREAT, 0644), EISDIR);

    /* O_NOFOLLOW */
    EXPECT_ERR("O_NOFOLLOW on symlink", open("lf", O_RDONLY | O_NOFOLLOW), ELOOP);
    fd = open("f", O_RDONLY | O_NOFOLLOW);
    YESNO("O_NOFOLLOW on plain file", fd >= 0);
    if (fd >= 0) close(fd);
    EXPECT_ERR("O_NOFOLLOW on dangling symlink", open("dangling", O_RDONLY | O_NOFOLLOW), ELOOP);
    EXPECT_ERR("follow dangling", open("dangling", O_RDONLY), ENOENT);
    fd = open("dangling", O_WRONLY | O_CREAT, 0644);
    YESNO("O_CREAT through dangling symlink creates target", fd >= 0);
    if (fd >= 0) close(fd);
    YESNO("target now exists", access("missing", F_OK) == 0);
    EXPECT_ERR("O_CREAT|O_EXCL on symlink", open("lf", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);

    /* access modes */
    char c;
    fd = open("f", O_RDONLY);
    show_fl("O_RDONLY", fd);
    EXPECT_ERR("write on O_RDONLY", write(fd, "x", 1), EBADF);
    close(fd);
    fd = open("f", O_WRONLY);
    show_fl("O_WRONLY", fd);
    EXPECT_ERR("read on O_WRONLY", read(fd, &c, 1), EBADF);
    close(fd);
    fd = open("f", O_RDWR | O_APPEND);
    show_fl("O_RDWR|O_APPEND", fd);
    SHOW("F_SETFL O_NONBLOCK (drops append)", fcntl(fd, F_SETFL, O_NONBLOCK));
    show_fl("after F_SETFL", fd);
    SHOW("F_SETFL O_APPEND|O_RDONLY (access mode ignored)", fcntl(fd, F_SETFL, O_APPEND | O_RDONLY));
    show_fl("after second F_SETFL", fd);
    SHOW("write still allowed", write(fd, "!", 1));
    close(fd);
    show_fl("closed fd", fd);

    /* O_TRUNC together with O_RDONLY is unspecified; skip. O_CLOEXEC shows in F_GETFD */
    fd = open("f", O_RDONLY | O_CLOEXEC);
    SHOW("F_GETFD with O_CLOEXEC", fcntl(fd, F_GETFD));
    close(fd);
    fd = open("f", O_RDONLY);
    SHOW("F_GETFD without", fcntl(fd, F_GETFD));
    close(fd);

    /* content check */
    fd = open("f", O_RDONLY);
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf);
    printf("f: \"%.*s\"\n", (int)n, buf);
    close(fd);

    unlink("lf"); unlink("ld"); unlink("dangling"); unlink("missing"); unlink("f");
    SHOW("rmdir d", rmdir("d"));
    return 0;
}
