/* host_stdio: the launcher's own descriptors (stdin from /dev/null, stdout to a file) behave
 *   as the host files they are: pread on stdin works where the host's file allows it,
 *   fsync reports the host's answer (EINVAL for /dev/null), the terminal job-control ioctls
 *   are ENOTTY on what is not a terminal, and one large write to stdout is complete (no
 *   64 KiB short count). */
#include "corpus.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    printf("%s: %ld %s\n", what, r, r < 0 ? errname(errno) : "");
}

int main(void)
{
    char buf[16];
    pid_t pg;
    show("pread stdin (/dev/null)", pread(0, buf, sizeof buf, 0));
    show("pread stdin at -1", pread(0, buf, sizeof buf, -1));
    show("pread stdout (write-only)", pread(1, buf, sizeof buf, 0));
    show("fsync stdin (/dev/null)", fsync(0));
    show("fdatasync stdin", fdatasync(0));
    fflush(stdout);
    show("fsync stdout (a file)", fsync(1));
    show("TIOCGPGRP on stdout", ioctl(1, TIOCGPGRP, &pg));
    show("TIOCSPGRP on stdout", ioctl(1, TIOCSPGRP, &pg));
    fflush(stdout);

    static char big[300000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = i % 64 == 63 ? '\n' : 'a' + (i / 64) % 26;
    ssize_t n = write(1, big, sizeof big);
    printf("\none write of %zu bytes to stdout: %zd\n", sizeof big, n);
    struct iovec v[3] = { { big, 70000 }, { big + 70000, 100 }, { big, 90000 } };
    fflush(stdout);
    n = writev(1, v, 3);
    printf("\nwritev of 160100 bytes: %zd\n", n);
    return 0;
}
