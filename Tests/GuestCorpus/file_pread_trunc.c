/* file_pread_trunc: pread/pwrite leave the offset alone; truncate/ftruncate grow with
 * zeros and shrink; readv/writev. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static long long size_of(const char *p)
{
    struct stat st;
    MUST(stat(p, &st) == 0);
    return (long long)st.st_size;
}

int main(void)
{
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    SHOW("write", write(fd, "0123456789abcdef", 16));
    SHOW("lseek 4", lseek(fd, 4, SEEK_SET));

    char buf[32];
    ssize_t n = pread(fd, buf, 5, 10);
    printf("pread(5 @10) = %zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    SHOW("offset still", lseek(fd, 0, SEEK_CUR));
    SHOW("pwrite XY @2", pwrite(fd, "XY", 2, 2));
    SHOW("offset still", lseek(fd, 0, SEEK_CUR));
    n = read(fd, buf, 4);
    printf("read 4 = %zd \"%.*s\"\n", n, (int)n, buf);
    n = pread(fd, buf, 8, 14);
    printf("pread past end = %zd \"%.*s\"\n", n, (int)n, buf);
    SHOW("pread at 100", pread(fd, buf, 8, 100));
    SHOW("pwrite @20 (hole)", pwrite(fd, "Z", 1, 20));
    printf("size %lld\n", size_of("data"));
    n = pread(fd, buf, 32, 0);
    printf("all (%zd): ", n);
    for (ssize_t i = 0; i < n; i++) putchar(buf[i] ? buf[i] : '.');
    putchar('\n');
    SHOW("pread negative offset", pread(fd, buf, 1, -1));

    /* ftruncate shrink and grow */
    SHOW("ftruncate 6", ftruncate(fd, 6));
    printf("size %lld\n", size_of("data"));
    SHOW("offset unchanged by truncate", lseek(fd, 0, SEEK_CUR));
    SHOW("ftruncate 12", ftruncate(fd, 12));
    n = pread(fd, buf, 32, 0);
    printf("after grow (%zd): ", n);
    for (ssize_t i = 0; i < n; i++) putchar(buf[i] ? buf[i] : '.');
    putchar('\n');
    SHOW("ftruncate -1", ftruncate(fd, -1));

    /* truncate by path */
    SHOW("truncate 3", truncate("data", 3));
    printf("size %lld\n", size_of("data"));
    SHOW("truncate 70000", truncate("data", 70000));
    printf("size %lld\n", size_of("data"));
    n = pread(fd, buf, 4, 69998);
    printf("tail read %zd: %d %d\n", n, buf[0], buf[1]);
    SHOW("truncate missing", truncate("nope", 1));

    /* writev / readv */
    SHOW("ftruncate 0", ftruncate(fd, 0));
    SHOW("lseek 0", lseek(fd, 0, SEEK_SET));
    struct iovec iov[3] = {
        { "alpha-", 6 }, { "", 0 }, { "beta\n", 5 },
    };
    SHOW("writev", writev(fd, iov, 3));
    SHOW("lseek 0", lseek(fd, 0, SEEK_SET));
    char a[4], b[20];
    struct iovec riov[2] = { { a, sizeof a }, { b, sizeof b } };
    n = readv(fd, riov, 2);
    printf("readv %zd: \"%.4s\" \"%.*s\"\n", n, a, (int)(n - 4), b);
    close(fd);

    /* ftruncate on a read-only descriptor */
    fd = open("data", O_RDONLY);
    MUST(fd >= 0);
    SHOW("ftruncate O_RDONLY", ftruncate(fd, 0));
    close(fd);
    unlink("data");
    return 0;
}
