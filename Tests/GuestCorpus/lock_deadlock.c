/* lock_deadlock: two processes each hold one byte and wait for the other's with F_SETLKW.
 * The one that would close the cycle gets EDEADLK (the other keeps waiting and is granted
 * when the first unlocks). Also: a cycle through three processes, and OFD waits, which
 * Linux never reports as deadlocks (checked with F_OFD_SETLK only, which cannot wait). */
#include "corpus.h"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static int lockbyte(int fd, int cmd, short type, off_t at)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1 };
    return fcntl(fd, cmd, &fl);
}

/* A child that takes byte `own`, says so, then waits for byte `want` and reports the
 * outcome as its exit status (0 granted, 1 EDEADLK, 2 other error). */
static pid_t waiter(int own, int want, int ready[2])
{
    fflush(stdout);
    pid_t pid = fork();
    MUST(pid >= 0);
    if (pid == 0) {
        int fd = open("data", O_RDWR);
        if (fd < 0 || lockbyte(fd, F_SETLK, F_WRLCK, own) != 0) _exit(3);
        char c = 1;
        if (write(ready[1], &c, 1) != 1) _exit(4);
        if (want < 0) { pause(); _exit(0); }
        int r = lockbyte(fd, F_SETLKW, F_WRLCK, want);
        _exit(r == 0 ? 0 : errno == EDEADLK ? 1 : 2);
    }
    char c;
    MUST(read(ready[0], &c, 1) == 1);
    return pid;
}

int main(void)
{
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    int ready[2];
    MUST(pipe(ready) == 0);

    /* Two processes. */
    MUST(lockbyte(fd, F_SETLK, F_WRLCK, 0) == 0);
    pid_t a = waiter(1, 0, ready);          /* holds 1, waits for 0 (ours) */
    usleep(300000);                         /* a is asleep in F_SETLKW */
    EXPECT_ERR("parent waits for byte 1", lockbyte(fd, F_SETLKW, F_WRLCK, 1), EDEADLK);
    EXPECT_ERR("non-blocking is EAGAIN, not EDEADLK", lockbyte(fd, F_SETLK, F_WRLCK, 1), EAGAIN);
    SHOW("parent unlocks byte 0", lockbyte(fd, F_SETLK, F_UNLCK, 0));
    int st;
    MUST(waitpid(a, &st, 0) == a);
    printf("child: %s\n", WEXITSTATUS(st) == 0 ? "granted byte 0" : WEXITSTATUS(st) == 1 ? "EDEADLK" : "error");

    /* Three processes: parent holds 10; b holds 11 waits 12; c holds 12 waits 10. Parent
     * waiting for 11 closes parent -> b -> c -> parent. */
    MUST(lockbyte(fd, F_SETLK, F_WRLCK, 10) == 0);
    pid_t c = waiter(12, -1, ready);        /* holds 12 for now, no wait yet */
    pid_t b = waiter(11, 12, ready);        /* holds 11, waits for 12 (c) */
    usleep(200000);
    SHOW("no cycle yet: parent tries 13", lockbyte(fd, F_SETLK, F_WRLCK, 13));
    kill(c, SIGKILL);                       /* c's exit releases 12: b is granted */
    MUST(waitpid(c, &st, 0) == c);
    MUST(waitpid(b, &st, 0) == b);
    printf("b after c died: %s\n", WEXITSTATUS(st) == 0 ? "granted byte 12" : "not granted");

    pid_t d = waiter(21, 10, ready);        /* holds 21, waits for 10 (ours) */
    pid_t e = waiter(22, 21, ready);        /* holds 22, waits for 21 (d) */
    usleep(300000);
    EXPECT_ERR("parent waits for 22: cycle of three", lockbyte(fd, F_SETLKW, F_WRLCK, 22), EDEADLK);
    SHOW("parent unlocks 10", lockbyte(fd, F_SETLK, F_UNLCK, 10));
    MUST(waitpid(d, &st, 0) == d);
    printf("d: %s\n", WEXITSTATUS(st) == 0 ? "granted" : "not granted");
    MUST(waitpid(e, &st, 0) == e);
    printf("e: %s\n", WEXITSTATUS(st) == 0 ? "granted" : "not granted");
    return 0;
}
