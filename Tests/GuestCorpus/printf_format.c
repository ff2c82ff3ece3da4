/* printf_format: conversions and flags (%d %i %u %o %x %X %c %s %e %E %f %F %g %G %a %A
 * %% %n %p-free), widths, precisions, '*', length modifiers, the ' flag in the C locale,
 * snprintf truncation and return values, and the scanf family. */
#include "corpus.h"
#include <stdint.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>

int main(void)
{
    printf("[%d] [%5d] [%-5d] [%05d] [%+d] [% d] [%+.3d] [%.0d] [%x]\n", 42, 42, 42, 42, 42, 42, 7, 0, 0);
    printf("[%i] [%u] [%o] [%#o] [%x] [%#x] [%X] [%#X] [%#.3x]\n", -17, 4000000000u, 8, 8, 255, 255, 255, 255, 1);
    printf("[%hhd] [%hhu] [%hd] [%hu] [%lld] [%llu] [%jd] [%zu] [%td]\n", (signed char)200, (unsigned char)300,
           (short)70000, (unsigned short)70000, LLONG_MIN, ULLONG_MAX, (intmax_t)-5, (size_t)12, (ptrdiff_t)-3);
    printf("[%d] [%d] [%u]\n", INT_MAX, INT_MIN, UINT_MAX);
    printf("[%" PRId64 "] [%" PRIx64 "] [%" PRIu32 "]\n", INT64_C(-1234567890123), UINT64_C(0xdeadbeefcafe),
           (uint32_t)4294967295u);
    printf("[%c] [%3c] [%-3c] [%s] [%10s] [%-10s] [%.3s] [%*s] [%-*s] [%.*s]\n", 'A', 'b', 'c', "str", "right",
           "left", "truncate", 6, "star", 6, "star", 2, "precision");
    printf("[%%]\n");
    printf("[%'d] [%'.2f]\n", 1234567, 1234567.891);

    double vals[] = { 0.0, -0.0, 1.0, -1.5, 0.1, 123.456, 1e-5, 1e-4, 123456789.0, 1e21, 6.02214076e23, 5e-324 / 1e-300 * 1e-300 };
    for (unsigned i = 0; i < sizeof vals / sizeof *vals; i++) {
        double v = vals[i];
        printf("%%e [%e] %%.2E [%.2E] %%f [%f] %%.0f [%.0f] %%#.0f [%#.0f] %%g [%g] %%#g [%#g] %%.10g [%.10g] %%G [%G]\n",
               v, v, v, v, v, v, v, v, v);
    }
    printf("[%10.3f] [%-10.3f] [%+010.3f] [% .3e] [%010.2e] [%.0e] [%#.0e]\n", 3.14159, 3.14159, 3.14159, 3.14159,
           -3.14159, 25.0, 25.0);
    printf("rounding: [%.0f] [%.0f] [%.0f] [%.0f] [%.1f] [%.2f] [%.3f]\n", 0.5, 1.5, 2.5, -0.5, 0.05, 1.005, 2.0005);
    printf("[%a] [%a] [%a] [%A] [%.2a] [%a] [%a]\n", 1.0, 0.5, 3.0, 255.0, 1.0 / 3.0, -2.75, 0.0);
    printf("[%f] [%F] [%e] [%g] [%5.1f]\n", 1.0 / 0.0, -1.0 / 0.0, 1.0 / 0.0, -1.0 / 0.0, 1.0 / 0.0);
    printf("[%.20f]\n", 0.1);
    printf("[%.30e]\n", 1.0 / 3.0);
    printf("[%.15g] [%.16g] [%.17g]\n", 0.1, 0.1, 0.1);
    printf("big: [%.0f] [%f]\n", 1e300 / 1e285, 123456789012345678.0);

    int n1 = 0, n2 = 0;
    printf("count%n this%n\n", &n1, &n2);
    printf("%%n results: %d %d\n", n1, n2);

    char small[8];
    int r = snprintf(small, sizeof small, "%s-%d", "truncated", 12345);
    printf("snprintf returned %d, buffer [%s]\n", r, small);
    r = snprintf(NULL, 0, "%d items of %s", 1000, "thing");
    printf("snprintf(NULL, 0) returned %d\n", r);
    r = snprintf(small, 1, "abc");
    printf("snprintf size 1: %d [%s]\n", r, small);
    char wide[64];
    r = sprintf(wide, "%08.3f|%-6x|%+i", -3.5, 0xbeef, 0);
    printf("sprintf: %d [%s]\n", r, wide);
    char *dyn = NULL;
    r = asprintf(&dyn, "%s %d %.2f", "asprintf", 99, 2.5);
    printf("asprintf: %d [%s]\n", r, dyn);
    free(dyn);
    /* positional arguments */
    printf("positional: %2$s %1$s %2$s\n", "world", "hello");
    printf("positional width: [%1$*2$d]\n", 7, 5);

    /* scanf family */
    int i1, i2;
    unsigned u;
    double d;
    char w[16], rest[32];
    int c = sscanf("  42 -7 0x1A 2.5e3 word remaining text", "%d %i %x %lf %15s %31[^\n]", &i1, &i2, &u, &d, w, rest);
    printf("sscanf: %d -> %d %d %u %g [%s] [%s]\n", c, i1, i2, u, d, w, rest);
    c = sscanf("010 0x10 10", "%i %i %i", &i1, &i2, (int *)&u);
    printf("sscanf %%i bases: %d -> %d %d %d\n", c, i1, i2, (int)u);
    c = sscanf("abc", "%d", &i1);
    printf("sscanf mismatch: %d\n", c);
    c = sscanf("", "%d", &i1);
    printf("sscanf empty: %d\n", c);
    char set[16];
    c = sscanf("aaabbbccc", "%[ab]%n", set, &i1);
    printf("sscanf scanset: %d [%s] consumed %d\n", c, set, i1);
    c = sscanf("12:34:56", "%d:%d:%*d", &i1, &i2);
    printf("sscanf suppressed: %d -> %d %d\n", c, i1, i2);
    c = sscanf("  x", " %c", w);
    printf("sscanf space then %%c: %d [%c]\n", c, w[0]);
    long long ll;
    c = sscanf("-9223372036854775808", "%lld", &ll);
    printf("sscanf lld min: %d %lld\n", c, ll);
    float f;
    c = sscanf("3.25", "%f", &f);
    printf("sscanf float: %d %g\n", c, f);
    return 0;
}
