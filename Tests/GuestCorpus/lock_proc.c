/* lock_proc: /proc/locks lists the locks on our file in Linux's format (POSIX, OFDLCK and
 * FLOCK lines; READ/WRITE; the holder's pid, -1 for OFD; MAJ:MIN:INO; the range or EOF).
 * Only the lines of this file's device and inode are kept (the host has others), with the
 * pid shown relative to ours, and sorted (the order of the list is the kernel's). */
#include "corpus.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void)
{
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int other = open("data", O_RDWR);
    MUST(fd >= 0 && other >= 0);
    struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
    MUST(fcntl(fd, F_SETLK, &w) == 0);
    struct flock r = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 0 };
    MUST(fcntl(fd, F_SETLK, &r) == 0);
    struct flock o = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 5 };
    MUST(fcntl(other, F_OFD_SETLK, &o) == 0);
    MUST(flock(other, LOCK_SH) == 0);
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    char want[64];
    snprintf(want, sizeof want, " %02x:%02x:%lu ", major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
    FILE *f = fopen("/proc/locks", "r");
    MUST(f != NULL);
    char line[256], *lines[32];
    int n = 0;
    char self[32];
    snprintf(self, sizeof self, " %d ", (int)getpid());
    while (fgets(line, sizeof line, f) && n < 32) {
        if (!strstr(line, want)) continue;
        char *rest = strchr(line, ':');                 /* drop "N:" */
        if (!rest) continue;
        rest++;
        char out[256];
        char *p = strstr(rest, self);
        if (p) {
            snprintf(out, sizeof out, "%.*s SELF%s", (int)(p - rest), rest, p + strlen(self) - 1);
        } else {
            snprintf(out, sizeof out, "%s", rest);
        }
        char *dev = strstr(out, want);                  /* and the device:inode */
        if (dev) memmove(dev + 1, dev + strlen(want), strlen(dev + strlen(want)) + 1);
        lines[n++] = strdup(out);
    }
    fclose(f);
    qsort(lines, n, sizeof *lines, cmp);
    printf("%d locks on the file\n", n);
    for (int i = 0; i < n; i++) printf("%s", lines[i]);
    return 0;
}
