/* lock_ranges: POSIX record locks seen through F_GETLK from another process: who holds
 * (reported relative to the fork result), ranges split by unlocking the middle, merged by
 * relocking, adjacent same-type locks merged, different types kept apart, SEEK_CUR/SEEK_END
 * and negative lengths, l_len 0 reported for "to EOF", OFD locks reported with l_pid -1,
 * and the errors (EBADF for a lock type the descriptor's mode does not allow, EINVAL for
 * bad types, whences, negative starts and OFD calls with l_pid set, EAGAIN on conflict). */
#include "corpus.h"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmdpipe[2], ansp[2];

static int setlk(int fd, int cmd, short type, short whence, off_t start, off_t len)
{
    struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &fl);
}

/* Child side: answers GETLK queries sent over the pipe. */
struct query { int ofd; short type; off_t start, len; };

static void prober(void)
{
    int fd = open("data", O_RDWR);
    if (fd < 0) _exit(80);
    struct query q;
    while (read(cmdpipe[0], &q, sizeof q) == sizeof q) {
        struct flock fl = { .l_type = q.type, .l_whence = SEEK_SET, .l_start = q.start, .l_len = q.len };
        int r = fcntl(fd, q.ofd ? F_OFD_GETLK : F_GETLK, &fl);
        struct flock out = fl;
        if (r != 0) out.l_type = -1;
        if (write(ansp[1], &out, sizeof out) != sizeof out) _exit(81);
    }
    _exit(0);
}

static pid_t parent;

static void ask(const char *label, int ofd, short type, off_t start, off_t len)
{
    struct query q = { ofd, type, start, len };
    struct flock out;
    MUST(write(cmdpipe[1], &q, sizeof q) == sizeof q);
    MUST(read(ansp[0], &out, sizeof out) == sizeof out);
    if (out.l_type == F_UNLCK) { printf("%s: unlocked\n", label); return; }
    const char *who = out.l_pid == parent ? "parent" : out.l_pid == -1 ? "-1 (OFD)" : "someone else";
    printf("%s: %s [%lld, len %lld] held by %s\n", label, out.l_type == F_WRLCK ? "WRLCK" : "RDLCK",
           (long long)out.l_start, (long long)out.l_len, who);
}

int main(void)
{
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    char buf[100];
    memset(buf, 'x', sizeof buf);
    MUST(write(fd, buf, sizeof buf) == sizeof buf);
    MUST(pipe(cmdpipe) == 0 && pipe(ansp) == 0);
    parent = getpid();
    fflush(stdout);
    pid_t child = fork();
    MUST(child >= 0);
    if (child == 0) { close(cmdpipe[1]); close(ansp[0]); prober(); }
    close(cmdpipe[0]);
    close(ansp[1]);

    SHOW("lock [0,100) write", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
    ask("probe 0", 0, F_RDLCK, 0, 1);
    SHOW("unlock [40,60)", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
    ask("probe 5", 0, F_RDLCK, 5, 1);
    ask("probe 45..55", 0, F_WRLCK, 45, 10);
    ask("probe 70", 0, F_RDLCK, 70, 1);
    SHOW("relock [40,60)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20));
    ask("probe 50 after merge", 0, F_RDLCK, 50, 1);
    SHOW("downgrade [20,30) to read", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10));
    ask("read probe 25", 0, F_RDLCK, 25, 1);
    ask("write probe 25", 0, F_WRLCK, 25, 1);
    ask("write probe 10", 0, F_WRLCK, 10, 1);
    ask("write probe 35", 0, F_WRLCK, 35, 1);
    SHOW("unlock all", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    ask("probe after unlock", 0, F_WRLCK, 0, 0);

    SHOW("read [200,210)", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 200, 10));
    SHOW("read [210,220)", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 210, 10));
    ask("adjacent reads merged", 0, F_WRLCK, 205, 10);
    SHOW("negative length: 50 back from 350", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 350, -50));
    ask("probe 320", 0, F_RDLCK, 320, 1);
    ask("probe 350", 0, F_RDLCK, 350, 1);
    MUST(lseek(fd, 500, SEEK_SET) == 500);
    SHOW("SEEK_CUR +10 len 5", setlk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 10, 5));
    ask("probe 512", 0, F_RDLCK, 512, 1);
    SHOW("SEEK_END -10 to EOF", setlk(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 0));
    ask("probe 95", 0, F_RDLCK, 95, 1);
    ask("probe 100000 (beyond EOF)", 0, F_RDLCK, 100000, 1);
    SHOW("unlock all again", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));

    /* OFD locks: conflict with the child's POSIX probes; l_pid -1. */
    struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
    SHOW("OFD lock [0,10)", fcntl(fd, F_OFD_SETLK, &ofd));
    ask("POSIX probe of OFD lock", 0, F_RDLCK, 0, 1);
    ask("OFD probe of OFD lock", 1, F_RDLCK, 0, 1);
    ofd.l_pid = 1;
    EXPECT_ERR("OFD with l_pid set", fcntl(fd, F_OFD_SETLK, &ofd), EINVAL);
    ofd.l_pid = 0;
    EXPECT_ERR("POSIX lock over own OFD lock, other owner", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 1), EAGAIN);
    ofd.l_type = F_UNLCK;
    SHOW("OFD unlock", fcntl(fd, F_OFD_SETLK, &ofd));

    int ro = open("data", O_RDONLY);
    MUST(ro >= 0);
    EXPECT_ERR("write lock on O_RDONLY", setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
    SHOW("read lock on O_RDONLY", setlk(ro, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    int wo = open("data", O_WRONLY);
    MUST(wo >= 0);
    EXPECT_ERR("read lock on O_WRONLY", setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
    EXPECT_ERR("bad type", setlk(fd, F_SETLK, 7, SEEK_SET, 0, 1), EINVAL);
    EXPECT_ERR("bad whence", setlk(fd, F_SETLK, F_RDLCK, 9, 0, 1), EINVAL);
    EXPECT_ERR("negative start", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, -5, 1), EINVAL);
    EXPECT_ERR("negative length before 0", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 3, -5), EINVAL);
    struct flock g = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    EXPECT_ERR("F_GETLK with F_UNLCK", fcntl(fd, F_GETLK, &g), EINVAL);
    EXPECT_ERR("lock on a closed fd", setlk(99, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);

    close(cmdpipe[1]);
    int st;
    MUST(waitpid(child, &st, 0) == child);
    printf("prober exit: %d\n", WEXITSTATUS(st));

    /* The other way round: the child holds, the parent asks; the answer names the child. */
    fflush(stdout);
    int go[2];
    MUST(pipe(go) == 0 && pipe(ansp) == 0);
    pid_t holder = fork();
    MUST(holder >= 0);
    if (holder == 0) {
        int f = open("data", O_RDWR);
        if (setlk(f, F_SETLK, F_WRLCK, SEEK_SET, 10, 5) != 0) _exit(70);
        char c = 1;
        if (write(ansp[1], &c, 1) != 1) _exit(71);
        read(go[0], &c, 1);
        _exit(0);
    }
    char c;
    MUST(read(ansp[0], &c, 1) == 1);
    struct flock q = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    SHOW("F_GETLK", fcntl(fd, F_GETLK, &q));
    printf("holder is %s, range [%lld, len %lld]\n", q.l_pid == holder ? "child" : "not the child",
           (long long)q.l_start, (long long)q.l_len);
    MUST(write(go[1], &c, 1) == 1);
    MUST(waitpid(holder, &st, 0) == holder);
    struct flock q2 = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    SHOW("F_GETLK after holder exit", fcntl(fd, F_GETLK, &q2));
    printf("after exit: %s\n", q2.l_type == F_UNLCK ? "unlocked" : "still locked");
    return 0;
}
