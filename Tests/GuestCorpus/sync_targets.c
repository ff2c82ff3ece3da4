/* sync_targets: fsync, fdatasync, syncfs and sync answer as Linux does for each kind of file.
 *   the rename-then-fsync(directory) pattern; fsync of a file open read-only; syncfs of a
 *   directory, a file and a pipe; sync;
 *   EINVAL where there is nothing to sync through: a pipe, /dev/null, /proc files and
 *   directories; EBADF for O_PATH and closed descriptors. */
#include "corpus.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? errname(errno) : "");
}

int main(void)
{
    MUST(mkdir("d", 0755) == 0);
    int f = open("d/new.tmp", O_CREAT | O_TRUNC | O_WRONLY, 0644);
    MUST(f >= 0 && write(f, "data\n", 5) == 5);
    show("fsync file", fsync(f));
    show("fdatasync file", fdatasync(f));
    close(f);
    MUST(rename("d/new.tmp", "d/final") == 0);
    int d = open("d", O_RDONLY | O_DIRECTORY);
    MUST(d >= 0);
    show("fsync directory after rename", fsync(d));
    show("fdatasync directory", fdatasync(d));
    show("syncfs directory", syncfs(d));
    int ro = open("d/final", O_RDONLY);
    show("fsync read-only file", fsync(ro));
    show("syncfs file", syncfs(ro));
    close(ro);
    close(d);
    sync();
    printf("sync returned\n");

    int p[2];
    MUST(pipe(p) == 0);
    show("fsync pipe", fsync(p[1]));
    show("fdatasync pipe", fdatasync(p[0]));
    show("syncfs pipe", syncfs(p[0]));
    int null = open("/dev/null", O_WRONLY);
    show("fsync /dev/null", fsync(null));
    int dev = open("/dev", O_RDONLY | O_DIRECTORY);
    show("fsync /dev", fsync(dev));
    int st = open("/proc/self/status", O_RDONLY);
    show("fsync /proc/self/status", fsync(st));
    int pd = open("/proc/self", O_RDONLY | O_DIRECTORY);
    show("fsync /proc/self", fsync(pd));
    int path = open("d", O_PATH);
    show("fsync O_PATH", fsync(path));
    show("syncfs O_PATH", syncfs(path));
    show("fsync closed", fsync(200));
    show("syncfs closed", syncfs(200));
    return 0;
}
