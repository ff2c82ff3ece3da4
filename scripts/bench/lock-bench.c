/* lock-bench.c: fcntl record-lock throughput, natively and as a Kandelo guest
 * (scripts/bench-guest.sh, the "locks" block). One figure per invocation; prints one
 * "name value unit" line and exits 0, or a message on stderr and exits 1.
 *
 *   lock-bench uncontended FILE [N]   F_SETLK write lock + unlock of bytes 0-99, one
 *                                     process (fcntl calls per second)
 *   lock-bench contended FILE [N]     two processes each take F_SETLKW on the same
 *                                     bytes, bump a counter in the file, unlock, N times
 *                                     (lock acquisitions per second, both together; the
 *                                     counter must end at 2N or the run fails) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int lk(int fd, int cmd, short type) {
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
    return fcntl(fd, cmd, &fl);
}

static int worker(const char *path, long n) {
    int fd = open(path, O_RDWR);
    if (fd < 0) return 1;
    for (long i = 0; i < n; i++) {
        long v = 0;
        if (lk(fd, F_SETLKW, F_WRLCK) != 0) return 2;
        if (pread(fd, &v, sizeof v, 0) != sizeof v) return 3;
        v++;
        if (pwrite(fd, &v, sizeof v, 0) != sizeof v) return 4;
        if (lk(fd, F_SETLK, F_UNLCK) != 0) return 5;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: lock-bench uncontended|contended FILE [N]\n"); return 1; }
    const char *path = argv[2];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    long zero = 0;
    if (fd < 0 || pwrite(fd, &zero, sizeof zero, 0) != sizeof zero) { perror("open"); return 1; }
    if (strcmp(argv[1], "uncontended") == 0) {
        long n = argc > 3 ? atol(argv[3]) : 100000;
        lk(fd, F_SETLK, F_WRLCK); lk(fd, F_SETLK, F_UNLCK);
        double t0 = now();
        for (long i = 0; i < n; i++) {
            if (lk(fd, F_SETLK, F_WRLCK) != 0 || lk(fd, F_SETLK, F_UNLCK) != 0) { perror("fcntl"); return 1; }
        }
        printf("lock_uncontended %.0f ops/s\n", 2 * n / (now() - t0));
        return 0;
    }
    if (strcmp(argv[1], "contended") == 0) {
        long n = argc > 3 ? atol(argv[3]) : 20000;
        double t0 = now();
        pid_t kids[2];
        for (int i = 0; i < 2; i++) {
            kids[i] = fork();
            if (kids[i] < 0) { perror("fork"); return 1; }
            if (kids[i] == 0) _exit(worker(path, n));
        }
        for (int i = 0; i < 2; i++) {
            int st;
            if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "worker failed (status %d)\n", st);
                return 1;
            }
        }
        double dt = now() - t0;
        long v = 0;
        pread(fd, &v, sizeof v, 0);
        if (v != 2 * n) { fprintf(stderr, "counter %ld, expected %ld: the lock did not exclude\n", v, 2 * n); return 1; }
        printf("lock_contended %.0f ops/s\n", 2 * n / dt);
        return 0;
    }
    fprintf(stderr, "unknown figure %s\n", argv[1]);
    return 1;
}
