/* stdio_buffering: setvbuf modes observed through a second descriptor, ungetc,
 * fseek/ftell/fgetpos/fsetpos, tmpfile in /tmp, large writes read back with a checksum,
 * freopen. */
#include "corpus.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static long long disk_size(const char *p)
{
    struct stat st;
    MUST(stat(p, &st) == 0);
    return (long long)st.st_size;
}

int main(void)
{
    static char fbuf[64];
    FILE *f = fopen("full", "w");
    MUST(f);
    SHOW("setvbuf full 64", setvbuf(f, fbuf, _IOFBF, sizeof fbuf));
    fputs("0123456789", f);
    /* glibc may write a first small chunk through at once; only "not all lost" and
     * "not more than written" are common ground before the flush */
    printf("full: on disk before flush at most 10: %s\n", disk_size("full") <= 10 ? "yes" : "no");
    fflush(f);
    printf("full: after fflush %lld\n", disk_size("full"));
    for (int i = 0; i < 20; i++) fputs("abcdefghij", f);
    printf("full: after 200 more bytes, some written: %s, all written: %s\n",
           disk_size("full") > 10 ? "yes" : "no", disk_size("full") == 210 ? "yes" : "no");
    fclose(f);
    printf("full: after fclose %lld\n", disk_size("full"));

    f = fopen("line", "w");
    MUST(f);
    SHOW("setvbuf line", setvbuf(f, NULL, _IOLBF, 128));
    fputs("partial", f);
    printf("line: before newline %lld\n", disk_size("line"));
    fputs(" done\nnext", f);
    printf("line: after newline %lld\n", disk_size("line"));
    fclose(f);

    f = fopen("none", "w");
    MUST(f);
    SHOW("setvbuf none", setvbuf(f, NULL, _IONBF, 0));
    fputc('a', f);
    printf("none: after one char %lld\n", disk_size("none"));
    fprintf(f, "%d", 12345);
    printf("none: after fprintf %lld\n", disk_size("none"));
    fclose(f);

    /* ungetc */
    f = fopen("ung", "w+");
    MUST(f);
    fputs("xyz", f);
    rewind(f);
    int c = fgetc(f);
    printf("fgetc %c\n", c);
    printf("ungetc: %c\n", ungetc('Q', f));
    printf("ftell after ungetc: %ld\n", ftell(f));
    printf("read back: %c", fgetc(f));
    printf("%c\n", fgetc(f));
    ungetc('1', f);
    fseek(f, 0, SEEK_SET);
    printf("fseek discards pushback: %c\n", fgetc(f));
    printf("ungetc EOF: %d\n", ungetc(EOF, f));
    fclose(f);

    /* fseek / ftell / fgetpos */
    f = fopen("seek", "w+");
    MUST(f);
    for (int i = 0; i < 100; i++) fprintf(f, "%02d", i);
    printf("ftell after writes: %ld\n", ftell(f));
    fseek(f, 50, SEEK_SET);
    char two[3] = { 0 };
    MUST(fread(two, 1, 2, f) == 2);
    printf("at 50: %s, ftell %ld\n", two, ftell(f));
    fpos_t pos;
    fgetpos(f, &pos);
    fseek(f, -4, SEEK_END);
    MUST(fread(two, 1, 2, f) == 2);
    printf("at end-4: %s\n", two);
    fsetpos(f, &pos);
    MUST(fread(two, 1, 2, f) == 2);
    printf("after fsetpos: %s\n", two);
    fseek(f, 10, SEEK_CUR);
    printf("SEEK_CUR +10: %ld\n", ftell(f));
    errno = 0;
    int fr = fseek(f, -1000, SEEK_SET);
    printf("fseek negative: %d %s\n", fr, errname(errno));
    printf("ftell unchanged: %ld\n", ftell(f));
    fseek(f, 300, SEEK_SET);
    fputc('E', f);
    fflush(f);
    printf("write after seek past end, size %lld\n", disk_size("seek"));
    fclose(f);

    /* tmpfile (in /tmp) */
    f = tmpfile();
    printf("tmpfile: %s\n", f ? "ok" : errname(errno));
    if (f) {
        fputs("temporary data", f);
        rewind(f);
        char tb[32] = { 0 };
        fgets(tb, sizeof tb, f);
        printf("tmpfile read: %s\n", tb);
        struct stat st;
        MUST(fstat(fileno(f), &st) == 0);
        printf("tmpfile nlink %lu\n", (unsigned long)st.st_nlink);
        fclose(f);
    }

    /* large writes: 300000 bytes through stdio, checksum read back with read() */
    f = fopen("large", "w");
    MUST(f);
    unsigned sum = 0;
    static char chunk[3000];
    for (int i = 0; i < 100; i++) {
        for (int j = 0; j < 3000; j += 100) chunk[j] = (char)(i + j / 100);
        MUST(fwrite(chunk, 1, sizeof chunk, f) == sizeof chunk);
        for (int j = 0; j < 3000; j += 100) sum = sum * 31 + (unsigned char)chunk[j];
    }
    fclose(f);
    printf("large size: %lld\n", disk_size("large"));
    int fd = open("large", O_RDONLY);
    MUST(fd >= 0);
    static char big[300000];
    ssize_t got = 0, r;
    while ((r = read(fd, big + got, sizeof big - got)) > 0) got += r;
    close(fd);
    unsigned sum2 = 0;
    for (ssize_t i = 0; i < got; i += 100) sum2 = sum2 * 31 + (unsigned char)big[i];
    printf("large read %zd, checksum match: %s\n", got, sum == sum2 ? "yes" : "no");

    /* freopen */
    f = fopen("re1", "w");
    fputs("first", f);
    f = freopen("re2", "w", f);
    MUST(f);
    fputs("second", f);
    fclose(f);
    printf("re1 %lld re2 %lld\n", disk_size("re1"), disk_size("re2"));

    unlink("full"); unlink("line"); unlink("none"); unlink("ung"); unlink("seek");
    unlink("large"); unlink("re1"); unlink("re2");
    return 0;
}
