/* lock_sqlite: the lock dance of SQLite's unix VFS (rollback journal mode), byte for byte:
 * PENDING_BYTE 0x40000000, RESERVED_BYTE +1, SHARED_FIRST +2, SHARED_SIZE 510.
 *   SHARED:    read-lock PENDING, read-lock the shared range, unlock PENDING
 *   RESERVED:  write-lock RESERVED
 *   EXCLUSIVE: write-lock PENDING, then write-lock the shared range
 *   back to SHARED / NONE: read-lock the shared range / unlock everything
 * Two processes step through a writer/reader interleaving in lockstep over pipes; each
 * step's outcome (granted or EAGAIN, i.e. SQLITE_BUSY) is printed by the parent. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PENDING 0x40000000LL
#define RESERVED (PENDING + 1)
#define SHARED_FIRST (PENDING + 2)
#define SHARED_SIZE 510

static int lk(int fd, short type, long long start, long long len)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    return fcntl(fd, F_SETLK, &fl) == 0 ? 0 : errno;
}

static int shared(int fd)
{
    int e = lk(fd, F_RDLCK, PENDING, 1);
    if (e) return e;
    e = lk(fd, F_RDLCK, SHARED_FIRST, SHARED_SIZE);
    lk(fd, F_UNLCK, PENDING, 1);
    return e;
}
static int reserved(int fd) { return lk(fd, F_WRLCK, RESERVED, 1); }
static int pending(int fd) { return lk(fd, F_WRLCK, PENDING, 1); }
static int exclusive(int fd) { return lk(fd, F_WRLCK, SHARED_FIRST, SHARED_SIZE); }
static int toShared(int fd)
{
    int e = lk(fd, F_RDLCK, SHARED_FIRST, SHARED_SIZE);
    lk(fd, F_UNLCK, PENDING, 2);   /* PENDING and RESERVED */
    return e;
}
static int none(int fd) { return lk(fd, F_UNLCK, 0, 0); }

enum { SHARED, RES, PEND, EXCL, TOSHARED, NONE, QUIT };
static const char *names[] = { "SHARED", "RESERVED", "PENDING", "EXCLUSIVE", "->SHARED", "->NONE" };

static int run(int fd, int op)
{
    switch (op) {
    case SHARED: return shared(fd);
    case RES: return reserved(fd);
    case PEND: return pending(fd);
    case EXCL: return exclusive(fd);
    case TOSHARED: return toShared(fd);
    default: return none(fd);
    }
}

int main(void)
{
    int fd = open("db", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    int to[2], from[2];
    MUST(pipe(to) == 0 && pipe(from) == 0);
    fflush(stdout);
    pid_t kid = fork();
    MUST(kid >= 0);
    if (kid == 0) {
        int f = open("db", O_RDWR);
        int op;
        while (read(to[0], &op, sizeof op) == sizeof op && op != QUIT) {
            int e = run(f, op);
            write(from[1], &e, sizeof e);
        }
        _exit(0);
    }
    /* Who does what, in order: W = parent (writer), R = child (reader). */
    struct { char who; int op; } steps[] = {
        {'W', SHARED}, {'R', SHARED}, {'W', RES}, {'R', RES}, {'R', SHARED},
        {'W', PEND}, {'W', EXCL}, {'R', NONE}, {'R', SHARED}, {'W', EXCL},
        {'R', SHARED}, {'W', TOSHARED}, {'R', SHARED}, {'R', RES}, {'W', NONE},
        {'R', RES}, {'R', PEND}, {'R', EXCL}, {'W', SHARED}, {'R', NONE}, {'W', SHARED},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int e;
        if (steps[i].who == 'W') {
            e = run(fd, steps[i].op);
        } else {
            MUST(write(to[1], &steps[i].op, sizeof(int)) == sizeof(int));
            MUST(read(from[0], &e, sizeof e) == sizeof e);
        }
        printf("%2zu %s %-9s %s\n", i, steps[i].who == 'W' ? "writer" : "reader", names[steps[i].op],
               e == 0 ? "ok" : e == EAGAIN ? "BUSY" : errname(e));
    }
    int quit = QUIT;
    write(to[1], &quit, sizeof quit);
    int st;
    MUST(waitpid(kid, &st, 0) == kid);
    return 0;
}
