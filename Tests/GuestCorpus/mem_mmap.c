/* mem_mmap: anonymous mmap (zeroed), munmap and MAP_FIXED reuse reads zero again, private
 * file mappings (contents, zeros after EOF, writes not carried to the file), mprotect,
 * argument errors, and the program break (sbrk(0), moved with the raw brk syscall). */
#include "corpus.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 512) if (p[i]) return 0;
    return p[n - 1] == 0;
}

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    printf("page size 4096: %s\n", pg == 4096 ? "yes" : "no");

    /* brk first, before stdio or malloc might use it */
    /* sbrk(0) reports the break; growing goes through the raw syscall because musl's
     * sbrk refuses non-zero increments (ENOMEM) where glibc's moves the break */
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    int sbrk_matches = (uintptr_t)sbrk(0) == cur;
    uintptr_t want = cur + 3 * 4096 + 100;
    uintptr_t got = (uintptr_t)syscall(SYS_brk, want);
    int brk_grew = got == want;
    int brk_zero = 1;
    if (brk_grew) {
        unsigned char *p = (unsigned char *)cur;
        for (size_t i = 0; i < 3 * 4096 + 100; i++) if (p[i]) brk_zero = 0;
        memset(p, 0x5A, 3 * 4096 + 100);
    }
    uintptr_t shrunk = (uintptr_t)syscall(SYS_brk, cur);
    uintptr_t unchanged = (uintptr_t)syscall(SYS_brk, 0);
    printf("sbrk(0) is the current break: %s\n", sbrk_matches ? "yes" : "no");
    printf("brk grow returns the new break: %s\n", brk_grew ? "yes" : "no");
    printf("brk memory zero-filled: %s\n", brk_zero ? "yes" : "no");
    printf("brk shrink back: %s\n", shrunk == cur && unchanged == cur ? "yes" : "no");

    size_t len = 10 * 4096;
    unsigned char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(a != MAP_FAILED);
    printf("anon mapping page aligned: %s\n", ((uintptr_t)a % 4096) == 0 ? "yes" : "no");
    printf("anon mapping zeroed: %s\n", all_zero(a, len) ? "yes" : "no");
    memset(a, 0xEE, len);
    SHOW("munmap middle 2 pages", munmap(a + 4 * 4096, 2 * 4096));
    unsigned char *b = mmap(a + 4 * 4096, 2 * 4096, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED reuse at the same address: %s\n", b == a + 4 * 4096 ? "yes" : "no");
    printf("reused pages read zero: %s\n", all_zero(b, 2 * 4096) ? "yes" : "no");
    printf("neighbours untouched: %s\n", a[4 * 4096 - 1] == 0xEE && a[6 * 4096] == 0xEE ? "yes" : "no");
    unsigned char *c = mmap(a + 8 * 4096, 4096, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED over a live mapping zeroes it: %s\n", c == a + 8 * 4096 && all_zero(c, 4096) ? "yes" : "no");
    SHOW("mprotect read-only", mprotect(a, 4096, PROT_READ));
    SHOW("mprotect back", mprotect(a, 4096, PROT_READ | PROT_WRITE));
    SHOW("munmap all", munmap(a, len));
    SHOW("munmap again (no-op)", munmap(a, len));

    /* many map/unmap cycles do not run out */
    int cycles_ok = 1;
    for (int i = 0; i < 200; i++) {
        unsigned char *p = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { cycles_ok = 0; break; }
        if (p[0] || p[256 * 1024 - 1]) cycles_ok = 0;
        p[0] = p[256 * 1024 - 1] = 1;
        if (munmap(p, 256 * 1024)) cycles_ok = 0;
    }
    printf("200 map/unmap cycles of 256 KiB, each zeroed: %s\n", cycles_ok ? "yes" : "no");

    /* a big anonymous mapping */
    size_t bigl = 64u * 1024 * 1024;
    unsigned char *big = mmap(NULL, bigl, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(big != MAP_FAILED);
    for (size_t i = 0; i < bigl; i += 1024 * 1024) big[i] = (unsigned char)(i >> 20);
    int bok = 1;
    for (size_t i = 0; i < bigl; i += 1024 * 1024) if (big[i] != (unsigned char)(i >> 20)) bok = 0;
    printf("64 MiB mapping usable: %s\n", bok ? "yes" : "no");
    munmap(big, bigl);

    /* private file mapping */
    int fd = open("mapped", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    for (int i = 0; i < 5000; i++) MUST(write(fd, &"0123456789"[i % 10], 1) == 1);
    unsigned char *f = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    MUST(f != MAP_FAILED);
    printf("file map: %.12s ... byte 4999 '%c', after EOF zero: %s\n", (char *)f, f[4999],
           all_zero(f + 5000, 2 * 4096 - 5000) ? "yes" : "no");
    f[0] = 'X';
    char c0;
    MUST(pread(fd, &c0, 1, 0) == 1);
    printf("private write not in file: %s\n", c0 == '0' ? "yes" : "no");
    munmap(f, 2 * 4096);
    unsigned char *off = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
    MUST(off != MAP_FAILED);
    printf("offset 4096 mapping starts with '%c%c%c'\n", off[0], off[1], off[2]);
    munmap(off, 4096);

    /* errors */
    EXPECT_ERR("mmap len 0", (long)(intptr_t)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    EXPECT_ERR("mmap unaligned offset", (long)(intptr_t)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
    EXPECT_ERR("mmap bad fd", (long)(intptr_t)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 77, 0), EBADF);
    EXPECT_ERR("mmap neither shared nor private", (long)(intptr_t)mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    EXPECT_ERR("munmap unaligned", munmap((void *)(uintptr_t)4097, 4096), EINVAL);
    close(fd);
    unlink("mapped");
    return 0;
}
