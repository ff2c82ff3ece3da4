/* pipe_full_write: a blocking write to a pipe completes (POSIX; Linux's pipe_write) even
 * when it is larger than the pipe: write(pipe, 200000) returns 200000 and the reader gets
 * every byte in order; writev likewise. A non-blocking write takes what fits. A signal that
 * interrupts a blocked write after some bytes went in ends it with that count. */
#include "corpus.h"
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long drain(int fd, unsigned *sum)
{
    static unsigned char buf[8192];
    unsigned long n = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < r; i++) *sum = *sum * 31 + buf[i];
        n += r;
    }
    return n;
}

static void on_alarm(int s) { (void)s; }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    static unsigned char big[200000];
    for (unsigned i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + i / 251);
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        close(p[1]);
        unsigned sum = 0;
        unsigned long n = drain(p[0], &sum);
        printf("reader: %lu bytes, checksum %u\n", n, sum);
        _exit(0);
    }
    close(p[0]);
    ssize_t w = write(p[1], big, sizeof big);
    printf("write 200000 -> %zd\n", w);
    struct iovec v[3] = { { big, 70000 }, { big + 70000, 80000 }, { big + 150000, 50000 } };
    w = writev(p[1], v, 3);
    printf("writev 200000 -> %zd\n", w);
    close(p[1]);
    waitpid(c, 0, 0);

    /* non-blocking: what fits */
    pipe(p);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    w = write(p[1], big, sizeof big);
    printf("non-blocking write -> %zd\n", w);
    errno = 0;
    w = write(p[1], big, 10);
    printf("full non-blocking pipe -> %zd %s\n", w, errname(errno));
    close(p[0]);
    close(p[1]);

    /* a signal during a blocked write: the count so far */
    pipe(p);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    w = write(p[1], big, sizeof big);
    printf("interrupted write -> %zd\n", w);
    /* the pipe is full and nobody reads: the next write blocks until the alarm */
    errno = 0;
    alarm(1);
    w = write(p[1], big, 10);
    printf("interrupted with nothing written -> %zd %s\n", w, errname(errno));
    return 0;
}
