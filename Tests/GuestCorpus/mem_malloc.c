/* mem_malloc: malloc/free patterns, calloc zeroing (also of reused memory), realloc
 * growth to many MB preserving content, alignment guarantees, malloc(0), overflow
 * checks. Only facts are printed, never addresses. */
#include "corpus.h"
#include <stdint.h>
#include <malloc.h>

/* Called through volatile pointers so that the compiler cannot drop an allocation whose
 * result is only compared with NULL (clang assumes such a malloc succeeds). */
static void *(*volatile do_malloc)(size_t) = malloc;
static void *(*volatile do_calloc)(size_t, size_t) = calloc;

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 9)); }

int main(void)
{
    /* many small blocks of varied size, freed in a scrambled order, content intact */
    enum { N = 2000 };
    static unsigned char *blocks[N];
    static size_t sizes[N];
    unsigned seed = 12345;
    int aligned = 1;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        sizes[i] = 1 + (seed >> 16) % 300;
        blocks[i] = malloc(sizes[i]);
        MUST(blocks[i]);
        if ((uintptr_t)blocks[i] % 8) aligned = 0;
        memset(blocks[i], i & 0xff, sizes[i]);
    }
    YESNO("all small blocks 8-aligned", aligned);
    int intact = 1;
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < sizes[i]; k += 17)
            if (blocks[i][k] != (unsigned char)(i & 0xff)) intact = 0;
    YESNO("small blocks intact", intact);
    for (int step = 0; step < 7; step++)
        for (int i = step; i < N; i += 7) { free(blocks[i]); blocks[i] = NULL; }
    printf("freed %d blocks\n", N);

    /* calloc zeroes, including memory that was just freed with garbage in it */
    unsigned char *g = malloc(100000);
    MUST(g);
    memset(g, 0xAB, 100000);
    free(g);
    unsigned char *z = calloc(100000, 1);
    MUST(z);
    int zero = 1;
    for (size_t i = 0; i < 100000; i += 13) if (z[i]) zero = 0;
    YESNO("calloc(100000) zeroed", zero);
    free(z);
    for (int i = 0; i < 50; i++) {
        void *p = malloc(64); memset(p, 0xCD, 64); free(p);
        int *q = calloc(16, sizeof(int));
        for (int k = 0; k < 16; k++) if (q[k]) zero = 0;
        free(q);
    }
    YESNO("small callocs after dirty frees zeroed", zero);

    /* overflow checks */
    errno = 0;
    void *ov = do_calloc((size_t)-1 / 2, 4);
    printf("calloc overflow: %s %s\n", ov ? "non-NULL" : "NULL", errname(errno));
    errno = 0;
    ov = do_malloc((size_t)-1 - 100);
    printf("malloc huge: %s %s\n", ov ? "non-NULL" : "NULL", errname(errno));

    /* realloc growth to 24 MiB in steps, content preserved (sampled) */
    size_t size = 1000;
    unsigned char *r = malloc(size);
    MUST(r);
    for (size_t i = 0; i < size; i++) r[i] = pattern(i);
    int kept = 1;
    while (size < 24u * 1024 * 1024) {
        size_t nsize = size * 3;
        unsigned char *n = realloc(r, nsize);
        MUST(n);
        r = n;
        for (size_t i = 0; i < size; i += 4093) if (r[i] != pattern(i)) kept = 0;
        if (r[size - 1] != pattern(size - 1)) kept = 0;
        for (size_t i = (size + 4092) / 4093 * 4093; i < nsize; i += 4093) r[i] = pattern(i);
        r[nsize - 1] = pattern(nsize - 1);
        size = nsize;
    }
    printf("grew to %zu bytes, content kept: %s\n", size, kept ? "yes" : "no");
    /* shrink back */
    r = realloc(r, 500);
    MUST(r);
    int ok = 1;
    for (size_t i = 0; i < 500; i++) if (r[i] != pattern(i)) ok = 0;
    YESNO("shrink keeps prefix", ok);
    free(r);

    /* realloc(NULL) is malloc; malloc(0) is freeable */
    char *s = realloc(NULL, 10);
    MUST(s);
    strcpy(s, "realloc");
    printf("realloc(NULL,10): %s\n", s);
    free(s);
    void *m0 = malloc(0);
    free(m0);
    printf("malloc(0) + free: fine\n");
    free(NULL);
    printf("free(NULL): fine\n");

    /* alignment */
    void *al = NULL;
    SHOW("posix_memalign 4096", posix_memalign(&al, 4096, 1000));
    YESNO("aligned to 4096", ((uintptr_t)al % 4096) == 0);
    free(al);
    SHOW("posix_memalign bad alignment", posix_memalign(&al, 3, 10));
    void *aa = aligned_alloc(64, 256);
    YESNO("aligned_alloc 64", aa && ((uintptr_t)aa % 64) == 0);
    free(aa);
    void *mem = memalign(256, 10);
    YESNO("memalign 256", mem && ((uintptr_t)mem % 256) == 0);
    free(mem);
    YESNO("malloc_usable_size >= request", malloc_usable_size(malloc(37)) >= 37);

    /* a few large blocks alive at once, freed, allocated again */
    for (int round = 0; round < 3; round++) {
        unsigned char *big[4];
        for (int i = 0; i < 4; i++) {
            big[i] = malloc(3u * 1024 * 1024);
            MUST(big[i]);
            for (size_t k = 0; k < 3u * 1024 * 1024; k += 65536) big[i][k] = (unsigned char)(i + round);
        }
        int good = 1;
        for (int i = 0; i < 4; i++)
            for (size_t k = 0; k < 3u * 1024 * 1024; k += 65536) if (big[i][k] != (unsigned char)(i + round)) good = 0;
        for (int i = 0; i < 4; i++) free(big[i]);
        printf("round %d: 4 x 3 MiB blocks good: %s\n", round, good ? "yes" : "no");
    }
    return 0;
}
