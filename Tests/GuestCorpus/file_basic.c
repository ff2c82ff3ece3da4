/* file_basic: create, write, read, append, seek, holes, O_TRUNC, O_EXCL, O_APPEND. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void dump(const char *path)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    MUST(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    MUST(n >= 0);
    buf[n] = 0;
    for (ssize_t i = 0; i < n; i++) if (buf[i] == 0) buf[i] = '@';
    printf("%s [%zd]: \"%s\"\n", path, n, buf);
    close(fd);
}

int main(void)
{
    umask(022);
    int fd = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0666);
    MUST(fd >= 0);
    SHOW("write hello", write(fd, "hello ", 6));
    SHOW("write world", write(fd, "world\n", 6));
    SHOW("lseek cur", lseek(fd, 0, SEEK_CUR));
    SHOW("lseek end", lseek(fd, 0, SEEK_END));
    SHOW("lseek set 6", lseek(fd, 6, SEEK_SET));
    SHOW("overwrite", write(fd, "WORLD", 5));
    SHOW("close", close(fd));
    dump("a.txt");

    struct stat st;
    MUST(stat("a.txt", &st) == 0);
    printf("mode %o size %lld\n", (unsigned)(st.st_mode & 07777), (long long)st.st_size);

    /* reading in small pieces, EOF */
    fd = open("a.txt", O_RDONLY);
    MUST(fd >= 0);
    char b[5];
    ssize_t n;
    int chunks = 0;
    while ((n = read(fd, b, sizeof b)) > 0) {
        printf("chunk %d: %zd \"%.*s\"\n", chunks++, n, (int)n, b);
    }
    SHOW("read at eof", n);
    SHOW("read again at eof", read(fd, b, 1));
    SHOW("lseek -3 from end", lseek(fd, -3, SEEK_END));
    n = read(fd, b, sizeof b);
    printf("tail: %zd \"%.*s\"\n", n, (int)n, b);
    SHOW("lseek cur -2", lseek(fd, -2, SEEK_CUR));
    SHOW("write on O_RDONLY", write(fd, "x", 1));
    close(fd);

    /* O_APPEND: every write goes to the end, even after a seek */
    fd = open("a.txt", O_WRONLY | O_APPEND);
    MUST(fd >= 0);
    SHOW("lseek 0 on append fd", lseek(fd, 0, SEEK_SET));
    SHOW("append", write(fd, "more\n", 5));
    SHOW("pos after append", lseek(fd, 0, SEEK_CUR));
    close(fd);
    dump("a.txt");

    /* O_EXCL */
    SHOW("O_EXCL on existing", open("a.txt", O_WRONLY | O_CREAT | O_EXCL, 0600));
    fd = open("b.txt", O_WRONLY | O_CREAT | O_EXCL, 0600);
    YESNO("O_EXCL new file opened", fd >= 0);
    MUST(fstat(fd, &st) == 0);
    printf("b.txt mode %o size %lld\n", (unsigned)(st.st_mode & 07777), (long long)st.st_size);
    close(fd);

    /* O_TRUNC empties; O_CREAT without O_TRUNC keeps content */
    fd = open("a.txt", O_RDWR | O_CREAT, 0600);
    MUST(fd >= 0);
    MUST(fstat(fd, &st) == 0);
    printf("O_CREAT existing keeps size %lld\n", (long long)st.st_size);
    close(fd);
    fd = open("a.txt", O_RDWR | O_TRUNC);
    MUST(fd >= 0);
    MUST(fstat(fd, &st) == 0);
    printf("O_TRUNC size %lld\n", (long long)st.st_size);

    /* a hole: seek past the end and write */
    SHOW("seek 10", lseek(fd, 10, SEEK_SET));
    SHOW("write after hole", write(fd, "end", 3));
    close(fd);
    dump("a.txt");

    /* umask applies to the creation mode */
    umask(077);
    fd = open("c.txt", O_WRONLY | O_CREAT, 0666);
    MUST(fd >= 0);
    MUST(fstat(fd, &st) == 0);
    printf("umask 077 -> mode %o\n", (unsigned)(st.st_mode & 07777));
    close(fd);
    SHOW("umask returns previous", umask(022));

    /* creat() is O_WRONLY|O_CREAT|O_TRUNC */
    fd = creat("c.txt", 0644);
    MUST(fd >= 0);
    SHOW("read on creat fd", read(fd, b, 1));
    close(fd);

    SHOW("unlink a", unlink("a.txt"));
    SHOW("unlink b", unlink("b.txt"));
    SHOW("unlink c", unlink("c.txt"));
    SHOW("unlink again", unlink("c.txt"));
    return 0;
}
