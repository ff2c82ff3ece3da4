/* setjmp_longjmp: setjmp return values, longjmp(env, 0) -> 1, nested jmp_bufs, jumping
 * out of deep recursion, volatile locals, re-entering the same setjmp many times,
 * _setjmp/_longjmp. */
#include "corpus.h"
#include <setjmp.h>

static jmp_buf outer, inner;
static int depth_reached;

static void recurse(int n, int limit)
{
    volatile char pad[64];
    pad[0] = (char)n;
    depth_reached = n + pad[0] - (char)n;
    if (n == limit) longjmp(outer, n);
    recurse(n + 1, limit);
    pad[1] = 0; /* not reached */
}

static int nested(void)
{
    volatile int steps = 0;
    int r = setjmp(inner);
    steps++;
    if (r == 0) {
        longjmp(inner, 5);
    } else if (r == 5) {
        printf("inner caught %d after %d steps\n", r, steps);
        longjmp(outer, 77);
    }
    return -1;
}

static int counter;
static jmp_buf loop_env;
static void bump(void) { counter++; longjmp(loop_env, counter); }

static jmp_buf chain[3];
static void level(int i)
{
    if (setjmp(chain[i]) == 0) {
        if (i < 2) level(i + 1);
        else longjmp(chain[1], 1);
        printf("level %d: not reached\n", i);
    } else {
        printf("level %d resumed\n", i);
        if (i > 0) longjmp(chain[i - 1], 1);
    }
}

int main(void)
{
    volatile int local = 1;
    int r = setjmp(outer);
    printf("setjmp returned %d (local %d)\n", r, local);
    if (r == 0) {
        local = 2;
        longjmp(outer, 0);
    }
    if (r == 1) {
        printf("longjmp(env, 0) delivered 1, local now %d\n", local);
        local = 3;
        longjmp(outer, 42);
    }
    if (r == 42) printf("got 42, local %d\n", local);

    r = setjmp(outer);
    if (r == 0) {
        recurse(0, 5000);
    } else {
        printf("escaped recursion at depth %d (returned %d)\n", depth_reached, r);
    }

    r = setjmp(outer);
    if (r == 0) nested();
    else printf("outer caught %d from inner\n", r);

    r = setjmp(loop_env);
    if (r < 1000) bump();
    printf("re-entered setjmp %d times, counter %d\n", r, counter);

    level(0);

    /* _setjmp/_longjmp do not save the mask but otherwise work the same */
    jmp_buf e;
    volatile int tries = 0;
    if (_setjmp(e) < 3) { tries++; _longjmp(e, tries); }
    printf("_setjmp loop tries %d\n", tries);

    /* values survive across the jump when volatile, and the negative value passes */
    r = setjmp(outer);
    if (r == 0) longjmp(outer, -7);
    printf("negative value: %d\n", r);
    return 0;
}
