/* lock_flock: flock(2) between processes: shared locks coexist, an exclusive one excludes
 * (EWOULDBLOCK with LOCK_NB), a blocking LOCK_EX waits until the holder unlocks (the order
 * of events shows it), conversion shared->exclusive, LOCK_UN, a lock kept across fork and
 * released by either holder of the shared description, invalid operations (EINVAL) and
 * flock being independent of fcntl locks. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int a = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int b = open("data", O_RDONLY);
    MUST(a >= 0 && b >= 0);
    SHOW("a LOCK_SH", flock(a, LOCK_SH));
    SHOW("b LOCK_SH", flock(b, LOCK_SH | LOCK_NB));
    EXPECT_ERR("b LOCK_EX while a shares", flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    SHOW("a LOCK_UN", flock(a, LOCK_UN));
    SHOW("b converts to LOCK_EX", flock(b, LOCK_EX | LOCK_NB));
    EXPECT_ERR("a LOCK_SH while b exclusive", flock(a, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    SHOW("b converts back to LOCK_SH", flock(b, LOCK_SH | LOCK_NB));
    SHOW("a LOCK_SH now", flock(a, LOCK_SH | LOCK_NB));
    SHOW("a LOCK_UN", flock(a, LOCK_UN));
    SHOW("b LOCK_UN", flock(b, LOCK_UN));
    SHOW("LOCK_UN with nothing held", flock(b, LOCK_UN));
    EXPECT_ERR("op 0", flock(a, 0), EINVAL);
    EXPECT_ERR("LOCK_SH|LOCK_EX", flock(a, LOCK_SH | LOCK_EX), EINVAL);
    EXPECT_ERR("closed fd", flock(77, LOCK_SH), EBADF);
    SHOW("flock on an O_RDONLY fd may be exclusive", flock(b, LOCK_EX));
    struct flock w = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    SHOW("fcntl lock is independent of flock", fcntl(b, F_SETLK, &w));
    SHOW("b LOCK_UN", flock(b, LOCK_UN));

    /* A blocking LOCK_EX waits for the holder. */
    int ev[2];
    MUST(pipe(ev) == 0);
    SHOW("a LOCK_EX", flock(a, LOCK_EX));
    fflush(stdout);
    pid_t kid = fork();
    MUST(kid >= 0);
    if (kid == 0) {
        int f = open("data", O_RDWR);
        write(ev[1], "w", 1);                      /* about to wait */
        int r = flock(f, LOCK_EX);
        write(ev[1], r == 0 ? "G" : "E", 1);       /* granted */
        flock(f, LOCK_UN);
        _exit(0);
    }
    char c;
    MUST(read(ev[0], &c, 1) == 1);
    usleep(200000);
    write(ev[1], "U", 1);                          /* parent unlocks after this mark */
    SHOW("a LOCK_UN", flock(a, LOCK_UN));
    int st;
    MUST(waitpid(kid, &st, 0) == kid);
    char order[3] = {0};
    MUST(read(ev[0], order, 2) == 2);
    printf("event order: %s\n", order);

    /* Across fork: the child has the same description and so the same lock. */
    SHOW("a LOCK_EX before fork", flock(a, LOCK_EX));
    fflush(stdout);
    kid = fork();
    MUST(kid >= 0);
    if (kid == 0) {
        int other = open("data", O_RDONLY);
        printf("child: other description LOCK_SH: %s\n", flock(other, LOCK_SH | LOCK_NB) == 0 ? "granted" : errname(errno));
        printf("child: inherited fd LOCK_EX: %d\n", flock(a, LOCK_EX | LOCK_NB));
        printf("child: inherited fd LOCK_UN: %d\n", flock(a, LOCK_UN));
        printf("child: other description LOCK_SH now: %d\n", flock(other, LOCK_SH | LOCK_NB));
        fflush(stdout);
        _exit(0);
    }
    MUST(waitpid(kid, &st, 0) == kid);
    SHOW("parent: b LOCK_EX after the child's unlock", flock(b, LOCK_EX | LOCK_NB));
    return 0;
}
