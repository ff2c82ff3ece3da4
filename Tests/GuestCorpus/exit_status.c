/* exit_status: atexit handlers run in reverse order, stdio is flushed at exit, and the
 * status passes through (exit(42) from a nested call). */
#include "corpus.h"
#include <unistd.h>

static void h1(void) { printf("atexit h1 (registered first, runs last)\n"); }
static void h2(void) { printf("atexit h2\n"); }
static void h3(void) { printf("atexit h3 (registered last, runs first)\n"); fflush(stdout); }

static void deep(int n)
{
    if (n == 0) {
        printf("exiting from depth with 42\n");
        exit(42);
    }
    deep(n - 1);
}

int main(void)
{
    MUST(atexit(h1) == 0);
    MUST(atexit(h2) == 0);
    MUST(atexit(h3) == 0);
    printf("buffered output before exit\n");
    FILE *f = fopen("out.txt", "w");
    MUST(f);
    fprintf(f, "unflushed file data\n");
    /* not closed: exit must flush it */
    deep(10);
    return 0;
}
