/* sort_search_strtol: qsort of ints, strings and structs (unique keys, so the unstable
 * sort is deterministic), bsearch hits and misses, strtol/strtoul/strtoll/strtoull edge
 * cases (bases, prefixes, signs, overflow with ERANGE, endptr), atoi/atol. Values are kept
 * within 32 bits where `long` differs between the native build (64-bit) and wasm32. */
#include "corpus.h"
#include <limits.h>
#include <stdint.h>
#include <inttypes.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
struct person { const char *name; int age; };
static int cmp_person(const void *a, const void *b)
{
    const struct person *p = a, *q = b;
    if (p->age != q->age) return p->age - q->age;
    return strcmp(p->name, q->name);
}

static void tl(const char *s, int base)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, base);
    int e = errno;
    /* errno after "no conversion" is EINVAL in musl and untouched in glibc: not printed */
    if (end == s) printf("strtol(\"%s\", %d) = %ld, no conversion\n", s, base, v);
    else if (e == ERANGE) printf("strtol(\"%s\", %d) = %s ERANGE, consumed %d\n", s, base,
                            v == LONG_MAX ? "LONG_MAX" : v == LONG_MIN ? "LONG_MIN" : "?", (int)(end - s));
    else printf("strtol(\"%s\", %d) = %ld %s consumed %d\n", s, base, v, errname(e), (int)(end - s));
}

static void badbase(int base)
{
    errno = 0;
    long v = strtol("12", NULL, base);
    printf("strtol base %d: %ld %s\n", base, v, errname(errno));
}

static void tll(const char *s, int base)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, base);
    printf("strtoll(\"%s\", %d) = %lld %s consumed %d\n", s, base, v, errname(errno), (int)(end - s));
}

static void tull(const char *s, int base)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    printf("strtoull(\"%s\", %d) = %llu %s consumed %d\n", s, base, v, errname(errno), (int)(end - s));
}

int main(void)
{
    enum { N = 1000 };
    static int a[N];
    unsigned x = 2463534242u;
    for (int i = 0; i < N; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        a[i] = (int)(x % 100000) - 50000;
    }
    qsort(a, N, sizeof *a, cmp_int);
    int sorted = 1;
    for (int i = 1; i < N; i++) if (a[i - 1] > a[i]) sorted = 0;
    printf("qsort 1000 ints sorted: %s, min %d max %d median %d\n", sorted ? "yes" : "no", a[0], a[N - 1], a[N / 2]);
    long long sum = 0;
    for (int i = 0; i < N; i++) sum += (long long)a[i] * (i + 1);
    printf("weighted sum %lld\n", sum);
    int key = a[123];
    int *hit = bsearch(&key, a, N, sizeof *a, cmp_int);
    printf("bsearch existing: %s value %d\n", hit ? "found" : "missing", hit ? *hit : 0);
    key = 50001;
    printf("bsearch absent: %s\n", bsearch(&key, a, N, sizeof *a, cmp_int) ? "found" : "missing");
    printf("bsearch in empty: %s\n", bsearch(&key, a, 0, sizeof *a, cmp_int) ? "found" : "missing");

    const char *words[] = { "pear", "apple", "fig", "banana", "cherry", "Apple", "date", "elderberry", "grape", "" };
    int nw = sizeof words / sizeof *words;
    qsort(words, nw, sizeof *words, cmp_str);
    printf("sorted words:");
    for (int i = 0; i < nw; i++) printf(" [%s]", words[i]);
    printf("\n");
    struct person people[] = { { "eve", 30 }, { "bob", 25 }, { "amy", 30 }, { "dan", 19 }, { "cat", 25 } };
    qsort(people, 5, sizeof *people, cmp_person);
    printf("people:");
    for (int i = 0; i < 5; i++) printf(" %s/%d", people[i].name, people[i].age);
    printf("\n");
    qsort(a, 1, sizeof *a, cmp_int);
    qsort(NULL, 0, sizeof *a, cmp_int);
    printf("qsort of 0 and 1 elements: fine\n");

    tl("12345", 10);
    tl("   -42xyz", 10);
    tl("+17", 10);
    tl("0x1F", 16);
    tl("0x1F", 0);
    tl("017", 0);
    tl("017", 10);
    tl("0b101", 0);
    tl("z", 36);
    tl("ZZ", 36);
    tl("", 10);
    tl("   ", 10);
    tl("-", 10);
    tl("0x", 16);
    tl("0x", 0);
    tl("2147483647", 10);
    tl("-2147483648", 10);
    tl("99999999999999999999", 10);
    tl("-99999999999999999999", 10);
    badbase(1);
    badbase(37);
    tll("9223372036854775807", 10);
    tll("9223372036854775808", 10);
    tll("-9223372036854775808", 10);
    tll("-9223372036854775809", 10);
    tll("0x7fffffffffffffff", 0);
    tull("18446744073709551615", 10);
    tull("18446744073709551616", 10);
    tull("-1", 10);
    tull("0xffffffffffffffff", 16);
    errno = 0;
    unsigned long ul = strtoul("4294967295", NULL, 10);
    printf("strtoul(4294967295) = %lu %s\n", ul, errname(errno));
    printf("strtoimax(-123) = %" PRIdMAX ", strtoumax(0777, 8) = %" PRIuMAX "\n", strtoimax("-123", NULL, 10),
           strtoumax("0777", NULL, 8));
    printf("atoi: %d %d %d %d\n", atoi("42"), atoi("  -7x"), atoi("abc"), atoi("2147483647"));
    printf("atol: %ld atoll: %lld\n", atol("-123456"), atoll("1234567890123"));
    div_t q = div(-7, 2);
    ldiv_t lq = ldiv(7L, -2L);
    printf("div(-7,2) = %d r %d, ldiv(7,-2) = %ld r %ld, abs %d labs %ld llabs %lld\n", q.quot, q.rem, lq.quot, lq.rem,
           abs(-5), labs(-6L), llabs(-7LL));
    return 0;
}
