/* mem_mmap_nodev: mmap of descriptors that cannot be mapped fails the way Linux fails it,
 * before anything changes: a pipe, a directory and /dev/null give ENODEV (no mmap
 * operation), a write-only descriptor EACCES, an O_PATH descriptor EBADF; a refused
 * MAP_FIXED leaves the mapping it would have replaced untouched. /dev/zero maps as zeroes,
 * and a regular file maps with its content (the terminal case is in KernelTests, which
 * has a terminal to hand). */
#include "corpus.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAPERR(label, fd, want) do { \
        errno = 0; \
        void *m_ = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, (fd), 0); \
        int e_ = errno; \
        printf("%s: %s%s\n", (label), m_ == MAP_FAILED ? errname(e_) : "mapped", \
               m_ == MAP_FAILED && e_ == (want) ? " (as expected)" : " (UNEXPECTED)"); \
        if (m_ != MAP_FAILED) munmap(m_, 4096); \
    } while (0)

int main(void)
{
    int p[2];
    MUST(pipe(p) == 0);
    MAPERR("pipe read end", p[0], ENODEV);
    MAPERR("pipe write end", p[1], EACCES);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    MUST(dir >= 0);
    MAPERR("directory", dir, ENODEV);
    int null = open("/dev/null", O_RDONLY);
    MUST(null >= 0);
    MAPERR("/dev/null", null, ENODEV);
    int path = open("input.txt", O_PATH);
    MUST(path >= 0);
    MAPERR("O_PATH descriptor", path, EBADF);

    /* MAP_FIXED over a live mapping with a pipe: refused, the old pages keep their bytes */
    unsigned char *a = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(a != MAP_FAILED);
    memset(a, 0x5A, 2 * 4096);
    errno = 0;
    void *r = mmap(a, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, p[0], 0);
    printf("MAP_FIXED with a pipe: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    int kept = 1;
    for (int i = 0; i < 2 * 4096; i++) if (a[i] != 0x5A) kept = 0;
    YESNO("old mapping untouched", kept);
    SHOW("munmap", munmap(a, 2 * 4096));

    int zero = open("/dev/zero", O_RDONLY);
    MUST(zero >= 0);
    unsigned char *z = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, zero, 0);
    int zeros = z != MAP_FAILED;
    for (int i = 0; zeros && i < 4096; i++) if (z[i]) zeros = 0;
    YESNO("/dev/zero maps as zeroes", zeros);

    FILE *f = fopen("mapped.txt", "w");
    MUST(f != NULL);
    fputs("mapped file content\n", f);
    fclose(f);
    int fd = open("mapped.txt", O_RDONLY);
    MUST(fd >= 0);
    char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    MUST(m != MAP_FAILED);
    printf("regular file: %.20s", m);
    YESNO("page aligned", ((unsigned long)m & 4095) == 0);
    return 0;
}
