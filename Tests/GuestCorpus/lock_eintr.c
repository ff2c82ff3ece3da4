/* lock_eintr: a blocked F_SETLKW, F_OFD_SETLKW or flock is ended by a signal whose handler
 * was installed without SA_RESTART: -1 EINTR, the handler ran, and the lock was not taken
 * (the holder still holds it). With SA_RESTART the wait resumes and is granted once the
 * holder lets go. */
#include "corpus.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static void onalarm(int s) { (void)s; hits++; }

static void arm(int restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = onalarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { .it_value = { 0, 150000 } };
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    int ready[2], release[2];
    MUST(pipe(ready) == 0 && pipe(release) == 0);
    fflush(stdout);
    pid_t holder = fork();
    MUST(holder >= 0);
    if (holder == 0) {
        int f = open("data", O_RDWR);
        struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
        if (fcntl(f, F_SETLK, &w) != 0 || flock(f, LOCK_EX) != 0) _exit(1);
        char c = 1;
        write(ready[1], &c, 1);
        read(release[0], &c, 1);     /* holds until told */
        _exit(0);
    }
    char c;
    MUST(read(ready[0], &c, 1) == 1);

    struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    arm(0);
    EXPECT_ERR("F_SETLKW interrupted", fcntl(fd, F_SETLKW, &w), EINTR);
    printf("handler ran: %d\n", (int)hits);
    struct flock q = w;
    MUST(fcntl(fd, F_GETLK, &q) == 0);
    printf("holder still holds: %s\n", q.l_type == F_WRLCK && q.l_pid == holder ? "yes" : "no");

    arm(0);
    struct flock o = w;
    EXPECT_ERR("F_OFD_SETLKW interrupted", fcntl(fd, F_OFD_SETLKW, &o), EINTR);
    arm(0);
    EXPECT_ERR("flock interrupted", flock(fd, LOCK_EX), EINTR);
    printf("handler ran: %d\n", (int)hits);

    /* SA_RESTART: the alarm interrupts, the call restarts and is granted when the holder
     * exits (after the alarm, told through the release pipe by a second timer child). */
    fflush(stdout);
    pid_t releaser = fork();
    MUST(releaser >= 0);
    if (releaser == 0) {
        usleep(400000);
        write(release[1], &c, 1);
        _exit(0);
    }
    arm(1);
    SHOW("F_SETLKW with SA_RESTART", fcntl(fd, F_SETLKW, &w));
    printf("handler ran: %d\n", (int)hits);
    int st;
    MUST(waitpid(holder, &st, 0) == holder);
    MUST(waitpid(releaser, &st, 0) == releaser);
    return 0;
}
