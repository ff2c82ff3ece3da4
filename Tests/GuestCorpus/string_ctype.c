/* string_ctype: <string.h> behaviour (copy, compare signs, search, tokenise, overlapping
 * moves, padding), <ctype.h> classification of 0..127 in the C locale, case mapping. */
#include "corpus.h"
#include <ctype.h>
#include <strings.h>

static int sign(int x) { return x < 0 ? -1 : x > 0; }

int main(void)
{
    char buf[64];
    printf("strlen: %zu %zu\n", strlen(""), strlen("hello"));
    strcpy(buf, "abc");
    strcat(buf, "def");
    strncat(buf, "ghijk", 2);
    printf("strcat: %s\n", buf);
    char pad[8];
    memset(pad, 'X', sizeof pad);
    strncpy(pad, "ab", sizeof pad);
    printf("strncpy pads with NUL: %s\n", pad[2] == 0 && pad[7] == 0 ? "yes" : "no");
    strncpy(pad, "abcdefghij", sizeof pad);
    printf("strncpy no terminator: %.8s\n", pad);
    printf("strcmp signs: %d %d %d %d\n", sign(strcmp("a", "b")), sign(strcmp("b", "a")), sign(strcmp("abc", "abc")),
           sign(strcmp("ab", "abc")));
    printf("strcmp high bit unsigned: %d\n", sign(strcmp("\x80", "\x01")));
    printf("strncmp: %d %d\n", sign(strncmp("abcX", "abcY", 3)), sign(strncmp("abcX", "abcY", 4)));
    printf("strcasecmp: %d %d\n", sign(strcasecmp("HeLLo", "hello")), sign(strncasecmp("ABCd", "abce", 4)));
    printf("memcmp: %d %d\n", sign(memcmp("\xff", "\x01", 1)), sign(memcmp("same", "same", 4)));

    const char *s = "the quick brown fox";
    printf("strchr: %s\n", strchr(s, 'q'));
    printf("strchr NUL: %s\n", *strchr(s, 0) == 0 ? "end" : "?");
    printf("strrchr: %s\n", strrchr(s, 'o'));
    printf("strstr: %s | %s\n", strstr(s, "brown"), strstr(s, "") == s ? "empty->start" : "?");
    printf("strstr missing: %s\n", strstr(s, "cat") ? "found" : "NULL");
    printf("strspn: %zu strcspn: %zu\n", strspn("aaabbbccc", "ab"), strcspn("hello world", " "));
    printf("strpbrk: %s\n", strpbrk(s, "xyz"));
    printf("memchr: %s\n", (char *)memchr(s, 'b', strlen(s)));
    printf("memrchr: %s\n", (char *)memrchr(s, 'o', strlen(s)));
    printf("strnlen: %zu\n", strnlen("abcdef", 3));
    printf("strchrnul: %s\n", *strchrnul(s, '#') == 0 ? "end" : "?");

    char tok[] = "  one,two;;three , four  ";
    char *save, *t;
    printf("strtok_r:");
    for (t = strtok_r(tok, " ,;", &save); t; t = strtok_r(NULL, " ,;", &save)) printf(" [%s]", t);
    printf("\n");
    char tok2[] = "a:b::c";
    printf("strtok:");
    for (t = strtok(tok2, ":"); t; t = strtok(NULL, ":")) printf(" [%s]", t);
    printf("\n");
    char sep[] = "a:b::c";
    char *p = sep;
    printf("strsep:");
    while ((t = strsep(&p, ":"))) printf(" [%s]", t);
    printf("\n");

    char ov[32] = "0123456789";
    memmove(ov + 2, ov, 8);
    printf("memmove forward overlap: %s\n", ov);
    strcpy(ov, "0123456789");
    memmove(ov, ov + 3, 8);
    printf("memmove backward overlap: %.10s\n", ov);
    memset(ov, '-', 5);
    printf("memset: %.10s\n", ov);

    char *d = strdup("duplicate");
    char *dn = strndup("duplicate", 3);
    printf("strdup %s strndup %s\n", d, dn);
    free(d);
    free(dn);
    printf("stpcpy end offset: %td\n", stpcpy(buf, "12345") - buf);
    printf("bzero/bcmp: ");
    bzero(buf, 4);
    printf("%d\n", bcmp(buf, "\0\0\0\0", 4) == 0);

    /* ctype table: one letter per class for each of 0..127 */
    printf("ctype classes (a=alpha d=digit s=space p=punct u=upper l=lower x=xdigit c=cntrl g=graph P=print b=blank):\n");
    for (int ch = 0; ch < 128; ch++) {
        char cls[16];
        int k = 0;
        if (isalpha(ch)) cls[k++] = 'a';
        if (isdigit(ch)) cls[k++] = 'd';
        if (isspace(ch)) cls[k++] = 's';
        if (ispunct(ch)) cls[k++] = 'p';
        if (isupper(ch)) cls[k++] = 'u';
        if (islower(ch)) cls[k++] = 'l';
        if (isxdigit(ch)) cls[k++] = 'x';
        if (iscntrl(ch)) cls[k++] = 'c';
        if (isgraph(ch)) cls[k++] = 'g';
        if (isprint(ch)) cls[k++] = 'P';
        if (isblank(ch)) cls[k++] = 'b';
        cls[k] = 0;
        printf("%3d:%-6s%s", ch, cls, ch % 8 == 7 ? "\n" : " ");
    }
    printf("toupper/tolower:");
    for (int ch = 'X'; ch <= 'c'; ch++) printf(" %c%c", toupper(ch), tolower(ch));
    printf("\n");
    printf("toupper(EOF) = %d, isalpha(EOF) = %d\n", toupper(EOF), isalpha(EOF) != 0);
    printf("high bytes classified (C locale): alpha %d upper %d\n", isalpha(0xE9) != 0, toupper(0xE9));
    return 0;
}
