/* lock_lifetimes: when locks go. POSIX locks: at the close of ANY descriptor the process
 * has for the file (even one never used to lock), and at exit. OFD and flock locks: only at
 * the last close of their open file description (dup and fork share it). Each state is
 * observed from a fresh child with its own description. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

/* In a child: is the file write-lockable (POSIX), (OFD), and flock-able? */
static void probe(const char *label)
{
    fflush(stdout);
    pid_t pid = fork();
    MUST(pid >= 0);
    if (pid == 0) {
        int f = open("data", O_RDWR);
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
        int posix = fcntl(f, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK;
        int fl2 = flock(f, LOCK_EX | LOCK_NB) == 0;
        int e = errno;
        printf("%s: posix range %s, flock %s\n", label, posix ? "free" : "locked",
               fl2 ? "free" : e == EWOULDBLOCK ? "locked (EWOULDBLOCK)" : errname(e));
        fflush(stdout);
        _exit(0);
    }
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
}

int main(void)
{
    int fd1 = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd1 >= 0);
    MUST(write(fd1, "0123456789", 10) == 10);
    probe("nothing held");

    struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    SHOW("POSIX lock via fd1", fcntl(fd1, F_SETLK, &w));
    probe("POSIX held");
    int fd2 = open("data", O_RDONLY);
    MUST(fd2 >= 0);
    SHOW("close another fd of the file", close(fd2));
    probe("after closing the other fd");

    SHOW("POSIX lock again", fcntl(fd1, F_SETLK, &w));
    int dupfd = dup(fd1);
    SHOW("close a dup", close(dupfd));
    probe("after closing a dup");

    SHOW("OFD lock via fd1", fcntl(fd1, F_OFD_SETLK, &w));
    fd2 = open("data", O_RDONLY);
    SHOW("close another fd", close(fd2));
    probe("OFD after closing another fd");
    dupfd = dup(fd1);
    SHOW("close fd1, dup keeps the description", close(fd1));
    probe("OFD with the dup open");
    SHOW("close the dup (last close)", close(dupfd));
    probe("OFD after last close");

    fd1 = open("data", O_RDWR);
    SHOW("flock LOCK_EX", flock(fd1, LOCK_EX));
    fd2 = open("data", O_RDONLY);
    EXPECT_ERR("flock on another description of ours", flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    SHOW("close that other description", close(fd2));
    probe("flock after closing another fd");
    fflush(stdout);
    pid_t kid = fork();
    MUST(kid >= 0);
    if (kid == 0) {
        /* Same description: the child's flock is the same lock (no conflict), and its
         * close does not release it. */
        printf("child relocks shared description: %d\n", flock(fd1, LOCK_EX | LOCK_NB));
        close(fd1);
        fflush(stdout);
        _exit(0);
    }
    int st;
    MUST(waitpid(kid, &st, 0) == kid);
    probe("flock after the child closed its copy");
    SHOW("close fd1 (last)", close(fd1));
    probe("flock after last close");

    /* Exit releases POSIX locks. */
    fflush(stdout);
    int ready[2];
    MUST(pipe(ready) == 0);
    kid = fork();
    if (kid == 0) {
        int f = open("data", O_RDWR);
        fcntl(f, F_SETLK, &w);
        char c = 1;
        write(ready[1], &c, 1);
        pause();
        _exit(0);
    }
    char c;
    MUST(read(ready[0], &c, 1) == 1);
    probe("child holds POSIX");
    kill(kid, SIGTERM);
    MUST(waitpid(kid, &st, 0) == kid);
    probe("after the child was killed");
    return 0;
}
