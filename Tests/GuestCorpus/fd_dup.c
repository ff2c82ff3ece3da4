/* fd_dup: dup, dup2, dup3, F_DUPFD, shared offsets, FD_CLOEXEC, lowest-free allocation. */
#include "corpus.h"
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    printf("first fd is 3: %s\n", fd == 3 ? "yes" : "no");
    MUST(write(fd, "abcdefghij", 10) == 10);

    int d = dup(fd);
    printf("dup gives lowest free (4): %s\n", d == 4 ? "yes" : "no");
    SHOW("lseek on original to 2", lseek(fd, 2, SEEK_SET));
    SHOW("dup sees offset", lseek(d, 0, SEEK_CUR));
    char c;
    MUST(read(d, &c, 1) == 1);
    printf("read via dup: %c\n", c);
    SHOW("original offset now", lseek(fd, 0, SEEK_CUR));

    SHOW("dup2 to 10", dup2(fd, 10));
    SHOW("dup2 same fd", dup2(fd, fd));
    EXPECT_ERR("dup2 bad old", dup2(77, 11), EBADF);
    EXPECT_ERR("dup2 negative new", dup2(fd, -1), EBADF);
    SHOW("F_GETFD on dup2 target", fcntl(10, F_GETFD));
    SHOW("dup3 O_CLOEXEC to 11", dup3(fd, 11, O_CLOEXEC));
    SHOW("F_GETFD 11", fcntl(11, F_GETFD));
    EXPECT_ERR("dup3 same fd", dup3(fd, fd, 0), EINVAL);
    EXPECT_ERR("dup3 bad flags", dup3(fd, 12, 0x1234), EINVAL);

    /* dup2 onto an open fd closes it first */
    int other = open("g", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(other >= 0);
    SHOW("dup2 onto open fd", dup2(fd, other));
    SHOW("offset via replaced fd", lseek(other, 0, SEEK_CUR));

    SHOW("F_DUPFD >= 20", fcntl(fd, F_DUPFD, 20));
    SHOW("F_DUPFD >= 20 again", fcntl(fd, F_DUPFD, 20));
    int cx = fcntl(fd, F_DUPFD_CLOEXEC, 30);
    SHOW("F_DUPFD_CLOEXEC >= 30", cx);
    SHOW("its F_GETFD", fcntl(cx, F_GETFD));
    SHOW("F_SETFD 0", fcntl(cx, F_SETFD, 0));
    SHOW("F_GETFD after", fcntl(cx, F_GETFD));
    SHOW("F_SETFD FD_CLOEXEC", fcntl(cx, F_SETFD, FD_CLOEXEC));
    SHOW("F_GETFD after", fcntl(cx, F_GETFD));
    SHOW("original F_GETFD unaffected", fcntl(fd, F_GETFD));
    EXPECT_ERR("F_GETFD closed", fcntl(55, F_GETFD), EBADF);
    EXPECT_ERR("fcntl bad cmd", fcntl(fd, 9999), EINVAL);

    /* close and reuse the lowest */
    SHOW("close 4", close(d));
    int again = open("f", O_RDONLY);
    printf("reopen reuses 4: %s\n", again == 4 ? "yes" : "no");
    SHOW("its offset is independent", lseek(again, 0, SEEK_CUR));
    EXPECT_ERR("close twice", close(d == again ? 99 : d), EBADF);
    EXPECT_ERR("close -1", close(-1), EBADF);

    /* closing one of the dups leaves the description alive */
    SHOW("close original", close(fd));
    SHOW("lseek via 10 still works", lseek(10, 0, SEEK_END));
    SHOW("write via 10", write(10, "K", 1));
    char buf[16];
    ssize_t n = pread(again, buf, sizeof buf, 0);
    printf("content: %.*s\n", (int)n, buf);

    /* stdio fds */
    SHOW("F_GETFD 0", fcntl(0, F_GETFD));
    SHOW("F_GETFD 1", fcntl(1, F_GETFD));
    int o = dup(1);
    fflush(stdout);
    MUST(write(o, "via dup of stdout\n", 18) == 18);
    close(o);
    unlink("f");
    unlink("g");
    return 0;
}
