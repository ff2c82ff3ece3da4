/* guest-bench.c: micro-benchmarks run natively and as a Kandelo guest by
 * scripts/bench-guest.sh.  Prints "name value unit" lines.
 * usage: guest-bench WORKDIR [quick] */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s WORKDIR [quick]\n", argv[0]); return 2; }
    int quick = argc > 2;
    if (chdir(argv[1]) != 0) { perror("chdir"); return 1; }

    /* getpid round trip */
    int n = quick ? 20000 : 200000;
    double t0 = now();
    volatile int sink = 0;
    for (int i = 0; i < n; i++) sink += getpid();
    double t1 = now();
    printf("getpid %.3f us\n", (t1 - t0) / n * 1e6);

    /* 1 MB file write and read */
    size_t size = 1 << 20;
    char *buf = malloc(size);
    for (size_t i = 0; i < size; i++) buf[i] = (char)(i * 31);
    int rounds = quick ? 8 : 64;
    t0 = now();
    for (int r = 0; r < rounds; r++) {
        int fd = open("bench.dat", O_CREAT | O_TRUNC | O_WRONLY, 0644);
        if (fd < 0) { perror("open"); return 1; }
        size_t done = 0;
        while (done < size) { ssize_t w = write(fd, buf + done, size - done); if (w <= 0) { perror("write"); return 1; } done += w; }
        close(fd);
    }
    t1 = now();
    printf("write_1MB %.1f MB/s\n", rounds * (size / 1e6) / (t1 - t0));
    t0 = now();
    for (int r = 0; r < rounds; r++) {
        int fd = open("bench.dat", O_RDONLY);
        size_t done = 0;
        while (done < size) { ssize_t got = read(fd, buf + done, size - done); if (got <= 0) { perror("read"); return 1; } done += got; }
        close(fd);
    }
    t1 = now();
    printf("read_1MB %.1f MB/s\n", rounds * (size / 1e6) / (t1 - t0));

    /* stat */
    struct stat st;
    n = quick ? 5000 : 50000;
    t0 = now();
    for (int i = 0; i < n; i++) stat("bench.dat", &st);
    t1 = now();
    printf("stat %.3f us\n", (t1 - t0) / n * 1e6);
    unlink("bench.dat");

    /* CPU-bound: a sieve and a hash loop, no syscalls */
    t0 = now();
    uint32_t h = 2166136261u;
    int limit = quick ? 200000 : 2000000;
    char *sieve = calloc(limit, 1);
    int primes = 0;
    for (int i = 2; i < limit; i++) {
        if (!sieve[i]) { primes++; for (long j = (long)i * i; j < limit; j += i) sieve[j] = 1; }
        h = (h ^ (uint32_t)i) * 16777619u;
    }
    t1 = now();
    printf("cpu_loop %.2f ms (primes=%d h=%08x)\n", (t1 - t0) * 1e3, primes, h);
    (void)sink;
    return 0;
}
