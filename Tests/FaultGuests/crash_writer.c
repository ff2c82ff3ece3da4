/* crash_writer.c: the guest half of the service crash-consistency workload
 * (Tests/LaunchTests/ServiceCrashTests.swift, scripts/bench-faults.sh).
 *
 *   crash_writer ID COUNT DIR
 *
 * Writes COUNT records in DIR (a directory it creates), and prints one line for each on
 * stdout only after the fsync that makes it durable has returned, so every line printed is
 * a promise the image must keep after the service is killed:
 *
 *   file PATH LEN SEED          PATH holds exactly LEN bytes of pattern SEED: written to
 *                               PATH.tmp, fsync'd, renamed to PATH, the directory fsync'd
 *   append PATH OFF LEN SEED    bytes OFF..OFF+LEN-1 of PATH are pattern SEED: appended to
 *                               one growing file, fsync'd
 *
 * Pattern SEED: x = SEED, then for each byte x = x * 1103515245 + 12345 (mod 2^32) and the
 * byte is (x >> 16) & 0xff. Lengths vary from 1 byte to 160 KiB (direct and indirect
 * blocks, partial blocks). Exit 0 after COUNT records; 1 (with a line on stderr) when a
 * call fails, as it does once the service is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t rng;
static uint32_t next(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }

static void pattern(unsigned char *b, size_t n, uint32_t seed) {
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) { x = x * 1103515245u + 12345u; b[i] = (unsigned char)(x >> 16); }
}

static int fail(const char *what, const char *path) {
    fprintf(stderr, "crash_writer: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

static int writeAll(int fd, const unsigned char *b, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        b += w; n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: crash_writer ID COUNT DIR\n"); return 64; }
    unsigned id = (unsigned)atoi(argv[1]);
    int count = atoi(argv[2]);
    const char *dir = argv[3];
    rng = 0x9e3779b9u ^ (id * 2654435761u);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return fail("mkdir", dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) return fail("open", dir);
    static unsigned char buf[160 * 1024];
    char path[512], tmp[520], apath[512];
    snprintf(apath, sizeof apath, "%s/append-%u", dir, id);
    int afd = open(apath, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (afd < 0) return fail("open", apath);
    off_t aoff = lseek(afd, 0, SEEK_END);
    for (int i = 0; i < count; i++) {
        uint32_t r = next();
        size_t len = (r % 8 == 0) ? 1 + next() % sizeof buf : 1 + next() % 9000;
        uint32_t seed = next();
        pattern(buf, len, seed);
        if (i % 3 != 2) {
            snprintf(path, sizeof path, "%s/w%u-%d", dir, id, i);
            snprintf(tmp, sizeof tmp, "%s.tmp", path);
            int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0) return fail("open", tmp);
            if (writeAll(fd, buf, len) != 0) return fail("write", tmp);
            if (fsync(fd) != 0) return fail("fsync", tmp);
            if (close(fd) != 0) return fail("close", tmp);
            if (rename(tmp, path) != 0) return fail("rename", tmp);
            if (fsync(dfd) != 0) return fail("fsync", dir);
            printf("file %s %zu %u\n", path, len, seed);
        } else {
            if (writeAll(afd, buf, len) != 0) return fail("write", apath);
            if (fsync(afd) != 0) return fail("fsync", apath);
            printf("append %s %lld %zu %u\n", apath, (long long)aoff, len, seed);
            aoff += (off_t)len;
        }
        if (fflush(stdout) != 0) return fail("fflush", "stdout");
    }
    close(afd);
    close(dfd);
    return 0;
}
