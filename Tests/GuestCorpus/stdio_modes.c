/* stdio_modes: fopen modes (r w a r+ w+ a+ x), fgets, fputs, fprintf, fscanf, fread,
 * fwrite, feof/ferror/clearerr, getc/putc, getline, fdopen. */
#include "corpus.h"
#include <fcntl.h>
#include <unistd.h>

static void dump(const char *p)
{
    FILE *f = fopen(p, "r");
    if (!f) { printf("dump %s: %s\n", p, errname(errno)); return; }
    char line[256];
    printf("--- %s\n", p);
    while (fgets(line, sizeof line, f)) printf("| %s", line);
    printf("--- eof %d error %d\n", feof(f) != 0, ferror(f) != 0);
    fclose(f);
}

int main(void)
{
    errno = 0;
    FILE *f = fopen("missing", "r");
    printf("fopen r missing: %s %s\n", f ? "ok" : "NULL", errname(errno));

    f = fopen("t.txt", "w");
    MUST(f);
    fprintf(f, "line %d: %s\n", 1, "alpha");
    fputs("line 2: beta\n", f);
    fputc('3', f);
    putc('\n', f);
    fprintf(f, "%5.2f|%-6s|%+d|%x\n", 3.14159, "ab", 42, 255u);
    MUST(fclose(f) == 0);
    dump("t.txt");

    f = fopen("t.txt", "a");
    MUST(f);
    fputs("appended\n", f);
    fclose(f);
    dump("t.txt");

    /* r+ : overwrite in place */
    f = fopen("t.txt", "r+");
    MUST(f);
    fputs("LINE", f);
    fclose(f);
    dump("t.txt");

    /* a+ : reads from the start, writes at the end */
    f = fopen("t.txt", "a+");
    MUST(f);
    char buf[64];
    MUST(fgets(buf, sizeof buf, f));
    printf("a+ first line: %s", buf);
    fseek(f, 0, SEEK_SET);
    fputs("tail\n", f);
    fclose(f);
    dump("t.txt");

    /* w+ truncates, then read back what was written */
    f = fopen("t.txt", "w+");
    MUST(f);
    fputs("12 34.5 word 0x1f\n", f);
    rewind(f);
    int i; double d; char w[16]; unsigned x;
    int n = fscanf(f, "%d %lf %15s %x", &i, &d, w, &x);
    printf("fscanf: %d -> %d %.1f %s %u\n", n, i, d, w, x);
    n = fscanf(f, "%d", &i);
    printf("fscanf at end: %d feof %d\n", n, feof(f) != 0);
    clearerr(f);
    printf("after clearerr feof %d\n", feof(f) != 0);
    fclose(f);

    /* fscanf mismatch leaves the input */
    f = fopen("t.txt", "w+");
    fputs("abc 17\n", f);
    rewind(f);
    n = fscanf(f, "%d", &i);
    printf("fscanf mismatch: %d\n", n);
    n = fscanf(f, "%3s %d", w, &i);
    printf("then: %d %s %d\n", n, w, i);
    fclose(f);

    /* x: exclusive create */
    errno = 0;
    f = fopen("t.txt", "wx");
    printf("fopen wx existing: %s %s\n", f ? "ok" : "NULL", errname(errno));
    if (f) fclose(f);
    f = fopen("new.txt", "wx");
    printf("fopen wx new: %s\n", f ? "ok" : "NULL");
    if (f) fclose(f);

    /* invalid mode */
    errno = 0;
    f = fopen("t.txt", "q");
    printf("fopen bad mode: %s %s\n", f ? "ok" : "NULL", errname(errno));

    /* writing to a read-only stream sets the error indicator */
    f = fopen("t.txt", "r");
    MUST(f);
    n = fputc('x', f);
    printf("fputc on r stream: %s ferror %d\n", n == EOF ? "EOF" : "ok", ferror(f) != 0);
    fclose(f);

    /* fread / fwrite of binary records */
    struct rec { int a; short b; char c[6]; } recs[3] = { { 1, 2, "one" }, { 3, 4, "two" }, { 5, 6, "three" } }, in[4];
    f = fopen("bin", "wb");
    MUST(f);
    printf("fwrite: %zu\n", fwrite(recs, sizeof recs[0], 3, f));
    fclose(f);
    f = fopen("bin", "rb");
    size_t got = fread(in, sizeof in[0], 4, f);
    printf("fread: %zu eof %d\n", got, feof(f) != 0);
    for (size_t k = 0; k < got; k++) printf("  %d %d %s\n", in[k].a, in[k].b, in[k].c);
    fclose(f);

    /* getline with growing lines */
    f = fopen("lines", "w");
    for (int k = 1; k <= 5; k++) {
        for (int j = 0; j < k * 37; j++) fputc('a' + (j % 26), f);
        fputc('\n', f);
    }
    fputs("no newline at end", f);
    fclose(f);
    f = fopen("lines", "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) != -1) printf("getline %zd, last char %s\n", len, line[len - 1] == '\n' ? "\\n" : "other");
    free(line);
    fclose(f);

    /* fdopen on an open descriptor */
    int fd = open("fd.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    f = fdopen(fd, "w+");
    MUST(f);
    printf("fileno matches: %s\n", fileno(f) == fd ? "yes" : "no");
    fprintf(f, "via fdopen %d\n", 7);
    fflush(f);
    char raw[64];
    ssize_t r = pread(fd, raw, sizeof raw, 0);
    printf("pread sees: %.*s", (int)r, raw);
    fclose(f);
    printf("fd closed by fclose: %s\n", fcntl(fd, F_GETFD) < 0 && errno == EBADF ? "yes" : "no");

    unlink("t.txt"); unlink("new.txt"); unlink("bin"); unlink("lines"); unlink("fd.txt");
    return 0;
}
