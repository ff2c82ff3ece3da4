/* Named pipes: blocking opens that wait for the other side, O_NONBLOCK opens (ENXIO for a
 * writer without readers), O_RDWR, EOF when the last writer closes, data gone once every
 * end is closed, a signal interrupting a blocked open, and fstat/stat types. */
#include "corpus.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int s) { (void)s; }

int main(void)
{
    unlink("f1");
    if (mkfifo("f1", 0644) != 0) { printf("mkfifo: %s\n", errname(errno)); return 1; }
    struct stat st;
    stat("f1", &st);
    printf("stat: fifo %d mode %o\n", S_ISFIFO(st.st_mode), st.st_mode & 0777);

    errno = 0;
    int w = open("f1", O_WRONLY | O_NONBLOCK);
    printf("nonblocking writer, no reader: %d %s\n", w, errname(errno));
    int r = open("f1", O_RDONLY | O_NONBLOCK);
    printf("nonblocking reader: ok %d\n", r >= 0);
    char buf[64];
    printf("read with no writer: %zd\n", read(r, buf, sizeof buf));
    w = open("f1", O_WRONLY | O_NONBLOCK);
    printf("nonblocking writer with a reader: ok %d\n", w >= 0);
    write(w, "abc", 3);
    close(w);
    ssize_t n = read(r, buf, sizeof buf);
    printf("read %zd '%.*s', then %zd (EOF)\n", n, (int)n, buf, read(r, buf, sizeof buf));
    close(r);

    /* Blocking: the child opens for writing first and waits for the parent's reader. */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int fd = open("f1", O_WRONLY);
        for (int i = 0; i < 3; i++) { char line[32]; int k = snprintf(line, sizeof line, "line %d\n", i); write(fd, line, k); }
        close(fd);
        _exit(0);
    }
    usleep(100000);
    int fd = open("f1", O_RDONLY);
    FILE *f = fdopen(fd, "r");
    char line[64];
    while (fgets(line, sizeof line, f)) printf("parent got: %s", line);
    fclose(f);
    int status;
    waitpid(c, &status, 0);
    printf("writer exited %d\n", WEXITSTATUS(status));

    /* The reader blocks first this time. */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        int fd2 = open("f1", O_RDONLY);
        ssize_t k = read(fd2, buf, sizeof buf);
        printf("child reader got %zd bytes\n", k);
        fflush(stdout);
        _exit(0);
    }
    usleep(100000);
    w = open("f1", O_WRONLY);
    write(w, "0123456789", 10);
    close(w);
    waitpid(c, &status, 0);

    /* O_RDWR never blocks; data left when everyone closes is gone. */
    int rw = open("f1", O_RDWR);
    write(rw, "leftover", 8);
    close(rw);
    r = open("f1", O_RDONLY | O_NONBLOCK);
    errno = 0;
    n = read(r, buf, sizeof buf);
    printf("after all closed, read gives %zd %s\n", n, n < 0 ? errname(errno) : "");
    close(r);

    /* A signal (handler without SA_RESTART) interrupts a blocked open. */
    struct sigaction sa = { 0 };
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
    fflush(stdout);
    c = fork();
    if (c == 0) { usleep(200000); kill(getppid(), SIGUSR1); _exit(0); }
    errno = 0;
    fd = open("f1", O_RDONLY);
    printf("interrupted open: %d %s\n", fd, errname(errno));
    waitpid(c, &status, 0);
    unlink("f1");
    return 0;
}
