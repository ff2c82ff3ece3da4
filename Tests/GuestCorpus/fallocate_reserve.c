/* fallocate_reserve: fallocate and posix_fallocate reserve real blocks.
 *   mode 0 (posix_fallocate): the size grows, st_blocks covers the range, it reads as zeros;
 *   FALLOC_FL_KEEP_SIZE inside a sparse file: blocks appear, the size stays;
 *   PUNCH_HOLE|KEEP_SIZE: the range reads as zeros and a whole block is given back;
 *   errors: PUNCH_HOLE without KEEP_SIZE, len 0, a read-only descriptor, a pipe, and a
 *   reservation past RLIMIT_FSIZE (EFBIG and SIGXFSZ).
 * (KEEP_SIZE past the end of a file is refused by the image format, EOPNOTSUPP, while ext4
 * reserves it: that case is in the kernel tests, not here.) */
#include "corpus.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

static long long blocks(int fd)
{
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    return (long long)st.st_blocks * 512;
}

static long long size(int fd)
{
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    return (long long)st.st_size;
}

static int all(int fd, off_t from, size_t n, char c)
{
    static char buf[1 << 16];
    while (n > 0) {
        size_t want = n < sizeof buf ? n : sizeof buf;
        MUST(pread(fd, buf, want, from) == (ssize_t)want);
        for (size_t i = 0; i < want; i++)
            if (buf[i] != c) return 0;
        n -= want;
        from += want;
    }
    return 1;
}

static volatile sig_atomic_t xfsz;
static void on_xfsz(int s) { (void)s; xfsz++; }

int main(void)
{
    int fd = open("reserved", O_CREAT | O_TRUNC | O_RDWR, 0644);
    MUST(fd >= 0);
    printf("posix_fallocate 1 MiB: %d\n", posix_fallocate(fd, 0, 1 << 20));
    printf("size %lld, blocks cover it: %s, zeros: %s\n", size(fd), blocks(fd) >= (1 << 20) ? "yes" : "no",
           all(fd, 0, 1 << 20, 0) ? "yes" : "no");
    MUST(pwrite(fd, "hello", 5, 0) == 5);
    SHOW("fallocate past the end", fallocate(fd, 0, (2 << 20) - 100, 200));
    printf("size %lld, hello kept: %s, tail zeros: %s\n", size(fd), all(fd, 0, 1, 'h') ? "yes" : "no",
           all(fd, 5, (2 << 20) + 95, 0) ? "yes" : "no");
    SHOW("fallocate inside (nothing to add)", fallocate(fd, 0, 4096, 4096));
    printf("size %lld\n", size(fd));
    close(fd);

    fd = open("sparse", O_CREAT | O_TRUNC | O_RDWR, 0644);
    MUST(ftruncate(fd, 1 << 20) == 0);
    printf("sparse: size %lld, blocks %lld\n", size(fd), blocks(fd));
    SHOW("KEEP_SIZE 512 KiB inside", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 512 << 10));
    long long b = blocks(fd);
    printf("size %lld, blocks at least 512 KiB: %s, less than 1 MiB: %s\n", size(fd),
           b >= (512 << 10) ? "yes" : "no", b < (1 << 20) ? "yes" : "no");
    close(fd);

    fd = open("punched", O_CREAT | O_TRUNC | O_RDWR, 0644);
    static char xs[64 << 10];
    memset(xs, 'x', sizeof xs);
    MUST(write(fd, xs, sizeof xs) == sizeof xs);
    MUST(fsync(fd) == 0);
    long long before = blocks(fd);
    SHOW("punch 8 KiB at 4196", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4196, 8192));
    printf("size %lld, given back %lld bytes\n", size(fd), before - blocks(fd));
    printf("x before: %s, zeros: %s, x after: %s\n", all(fd, 0, 4196, 'x') ? "yes" : "no",
           all(fd, 4196, 8192, 0) ? "yes" : "no", all(fd, 4196 + 8192, sizeof xs - 4196 - 8192, 'x') ? "yes" : "no");
    SHOW("punch past the end", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1 << 20, 4096));
    printf("size %lld\n", size(fd));

    EXPECT_ERR("PUNCH_HOLE without KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP);
    EXPECT_ERR("length 0", fallocate(fd, 0, 0, 0), EINVAL);
    EXPECT_ERR("negative offset", fallocate(fd, 0, -1, 10), EINVAL);
    close(fd);
    int ro = open("punched", O_RDONLY);
    EXPECT_ERR("read-only descriptor", fallocate(ro, 0, 0, 10), EBADF);
    printf("posix_fallocate read-only: %s\n", errname(posix_fallocate(ro, 0, 10)));
    close(ro);
    int p[2];
    MUST(pipe(p) == 0);
    EXPECT_ERR("pipe", fallocate(p[1], 0, 0, 10), ESPIPE);

    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        signal(SIGXFSZ, on_xfsz);
        struct rlimit rl = { 100000, 100000 };
        setrlimit(RLIMIT_FSIZE, &rl);
        int f = open("limited", O_CREAT | O_TRUNC | O_RDWR, 0644);
        EXPECT_ERR("past RLIMIT_FSIZE", fallocate(f, 0, 0, 200000), EFBIG);
        printf("SIGXFSZ %d, size %lld\n", xfsz, size(f));
        SHOW("within the limit", fallocate(f, 0, 0, 50000));
        printf("size %lld\n", size(f));
        SHOW("KEEP_SIZE inside", fallocate(f, FALLOC_FL_KEEP_SIZE, 0, 4096));
        printf("SIGXFSZ %d, size %lld\n", xfsz, size(f));
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));
    return 0;
}
