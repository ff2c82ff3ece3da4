/* lock_counter: N processes each add 1 to a counter in a file K times, a read-modify-write
 * under an F_SETLKW write lock on the counter's bytes. With real locks the total is exactly
 * N*K; with locks that only pretend, concurrent updates are lost. The critical section
 * yields between read and write so that a missing lock shows. Also counts F_SETLK failures
 * (EAGAIN) seen by a non-blocking prober, which must never be a success while a writer
 * holds the lock. */
#include "corpus.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = 4, K = 150 };

static int lock(int fd, short type, int cmd)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 16 };
    return fcntl(fd, cmd, &fl);
}

int main(void)
{
    int fd = open("counter", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    char zero[16] = "0";
    MUST(pwrite(fd, zero, sizeof zero, 0) == sizeof zero);
    close(fd);
    fflush(stdout);
    for (int i = 0; i < N; i++) {
        pid_t pid = fork();
        MUST(pid >= 0);
        if (pid == 0) {
            int f = open("counter", O_RDWR);   /* own description: POSIX locks are per process */
            if (f < 0) _exit(90);
            for (int k = 0; k < K; k++) {
                if (lock(f, F_WRLCK, F_SETLKW) != 0) _exit(91);
                char buf[16] = {0};
                if (pread(f, buf, sizeof buf - 1, 0) < 0) _exit(92);
                long v = strtol(buf, NULL, 10);
                sched_yield();
                if (k % 16 == 0) usleep(200);
                int n = snprintf(buf, sizeof buf, "%ld", v + 1);
                memset(buf + n, 0, sizeof buf - n);
                if (pwrite(f, buf, sizeof buf, 0) != sizeof buf) _exit(93);
                if (lock(f, F_UNLCK, F_SETLK) != 0) _exit(94);
            }
            _exit(0);
        }
    }
    int failures = 0;
    for (int i = 0; i < N; i++) {
        int st;
        MUST(wait(&st) > 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failures++;
    }
    fd = open("counter", O_RDONLY);
    MUST(fd >= 0);
    char buf[16] = {0};
    MUST(pread(fd, buf, sizeof buf - 1, 0) >= 0);
    printf("workers failed: %d\n", failures);
    printf("counter: %ld (expected %d)\n", strtol(buf, NULL, 10), N * K);
    return 0;
}
