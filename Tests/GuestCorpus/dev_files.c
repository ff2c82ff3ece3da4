/* dev_files: /dev/null (reads EOF, swallows writes), /dev/zero (reads zeros, also into a
 * private mapping), /dev/full (ENOSPC, reads zeros), /dev/urandom and getrandom (bytes
 * that vary), /dev/random, device types, /dev/stdin-style links, isatty. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int count_distinct(const unsigned char *p, size_t n)
{
    int seen[256] = { 0 }, d = 0;
    for (size_t i = 0; i < n; i++) if (!seen[p[i]]++) d++;
    return d;
}

int main(void)
{
    char buf[4096];
    int fd = open("/dev/null", O_RDWR);
    MUST(fd >= 0);
    SHOW("read /dev/null", read(fd, buf, sizeof buf));
    SHOW("write /dev/null", write(fd, buf, 1000));
    SHOW("lseek /dev/null", lseek(fd, 100, SEEK_SET));
    SHOW("pread /dev/null", pread(fd, buf, 10, 5));
    close(fd);
    FILE *f = fopen("/dev/null", "w");
    MUST(f);
    for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i);
    printf("fclose /dev/null: %d\n", fclose(f));

    fd = open("/dev/zero", O_RDONLY);
    MUST(fd >= 0);
    memset(buf, 0x77, sizeof buf);
    ssize_t n = read(fd, buf, sizeof buf);
    int zero = 1;
    for (ssize_t i = 0; i < n; i++) if (buf[i]) zero = 0;
    printf("read /dev/zero: %zd bytes, all zero: %s\n", n, zero ? "yes" : "no");
    static char big[200000];
    memset(big, 1, sizeof big);
    n = read(fd, big, sizeof big);
    zero = 1;
    for (ssize_t i = 0; i < n; i += 97) if (big[i]) zero = 0;
    printf("read /dev/zero big: %zd, zero: %s\n", n, zero ? "yes" : "no");
    unsigned char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
        printf("mmap /dev/zero reads zero: %s\n", m[0] == 0 && m[8191] == 0 ? "yes" : "no");
        munmap(m, 8192);
    } else printf("mmap /dev/zero: %s\n", errname(errno));
    close(fd);
    fd = open("/dev/zero", O_WRONLY);
    SHOW("write /dev/zero", write(fd, "abc", 3));
    close(fd);

    fd = open("/dev/full", O_RDWR);
    MUST(fd >= 0);
    EXPECT_ERR("write /dev/full", write(fd, "x", 1), ENOSPC);
    n = read(fd, buf, 16);
    printf("read /dev/full: %zd, zero: %s\n", n, n == 16 && !buf[0] && !buf[15] ? "yes" : "no");
    close(fd);
    f = fopen("/dev/full", "w");
    fputs("buffered", f);
    errno = 0;
    int r = fflush(f);
    printf("fflush to /dev/full: %d %s\n", r, errname(errno));
    fclose(f);

    fd = open("/dev/urandom", O_RDONLY);
    MUST(fd >= 0);
    unsigned char a[256], b[256];
    MUST(read(fd, a, sizeof a) == sizeof a);
    MUST(read(fd, b, sizeof b) == sizeof b);
    printf("urandom: two reads differ: %s, variety > 100 values: %s\n", memcmp(a, b, sizeof a) ? "yes" : "no",
           count_distinct(a, sizeof a) > 100 ? "yes" : "no");
    n = read(fd, big, 100000);
    printf("urandom large read: %zd\n", n);
    close(fd);
    fd = open("/dev/random", O_RDONLY);
    MUST(fd >= 0);
    n = read(fd, a, 32);
    printf("/dev/random read: %zd\n", n);
    close(fd);
    n = getrandom(a, 64, 0);
    printf("getrandom: %zd variety > 20: %s\n", n, count_distinct(a, 64) > 20 ? "yes" : "no");
    n = getrandom(a, 16, GRND_NONBLOCK);
    printf("getrandom nonblock: %zd\n", n);
    EXPECT_ERR("getrandom bad flags", getrandom(a, 16, 0x100), EINVAL);

    const char *devs[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };
    for (unsigned i = 0; i < sizeof devs / sizeof *devs; i++) {
        struct stat st;
        MUST(stat(devs[i], &st) == 0);
        printf("%-12s chr %d rdev %u:%u perm %04o\n", devs[i], S_ISCHR(st.st_mode) ? 1 : 0,
               major(st.st_rdev), minor(st.st_rdev), (unsigned)(st.st_mode & 07777));
    }
    struct stat st;
    printf("/dev is a directory: %s\n", stat("/dev", &st) == 0 && S_ISDIR(st.st_mode) ? "yes" : "no");
    printf("/dev/fd resolves to a directory: %s\n", stat("/dev/fd", &st) == 0 && S_ISDIR(st.st_mode) ? "yes" : "no");
    fd = open("/dev/null", O_RDONLY);
    printf("isatty(/dev/null): %d\n", isatty(fd));
    close(fd);
    printf("isatty(0) (stdin is /dev/null): %d\n", isatty(0));
    printf("isatty(1) (stdout is a file): %d\n", isatty(1));
    EXPECT_ERR("create a file in /dev/null/", open("/dev/null/x", O_RDONLY), ENOTDIR);
    return 0;
}
