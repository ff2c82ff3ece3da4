/* sigsetjmp_signal: siglongjmp out of a handler for a signal raised with raise();
 * savemask=1 restores the mask from sigsetjmp time, savemask=0 leaves the handler's mask
 * (the signal still blocked); a handler that returns normally. */
#include "corpus.h"
#include <setjmp.h>
#include <signal.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile sig_atomic_t hits;

static void jumper(int sig)
{
    hits++;
    siglongjmp(env, sig);
}

static void returner(int sig) { (void)sig; hits += 100; }

static int blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jumper;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    MUST(sigaction(SIGUSR2, &sa, NULL) == 0);

    volatile int stage = 0;
    int r = sigsetjmp(env, 1);
    if (r == 0) {
        stage = 1;
        raise(SIGUSR1);
        printf("not reached after raise\n");
    }
    printf("sigsetjmp(1) returned %s, stage %d, hits %d\n", r == SIGUSR1 ? "SIGUSR1" : "other", stage, (int)hits);
    printf("SIGUSR1 blocked after siglongjmp (mask restored): %s\n", blocked(SIGUSR1) ? "yes" : "no");

    /* again, many times: the handler can be re-entered each time */
    int rounds = 0;
    for (int i = 0; i < 20; i++) {
        if (sigsetjmp(env, 1) == 0) raise(SIGUSR2);
        else rounds++;
    }
    printf("20 raise/siglongjmp rounds: %d, SIGUSR2 blocked: %s\n", rounds, blocked(SIGUSR2) ? "yes" : "no");

    /* savemask = 0: the handler's mask (signal blocked) stays */
    r = sigsetjmp(env, 0);
    if (r == 0) raise(SIGUSR1);
    printf("sigsetjmp(0): returned %s, SIGUSR1 blocked afterwards: %s\n", r == SIGUSR1 ? "SIGUSR1" : "other",
           blocked(SIGUSR1) ? "yes" : "no");
    /* while blocked, raise only makes it pending */
    hits = 0;
    raise(SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    printf("pending while blocked: %s, hits %d\n", sigismember(&pend, SIGUSR1) ? "yes" : "no", (int)hits);
    r = sigsetjmp(env, 1);
    if (r == 0) {
        sigset_t un;
        sigemptyset(&un);
        sigaddset(&un, SIGUSR1);
        sigprocmask(SIG_UNBLOCK, &un, NULL);
        printf("not reached: unblocking delivers at once\n");
    }
    printf("delivered on unblock: %s, hits %d, blocked now: %s\n", r == SIGUSR1 ? "yes" : "no", (int)hits,
           blocked(SIGUSR1) ? "yes" : "no");

    /* a mask saved with a signal blocked is restored as blocked */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    r = sigsetjmp(env, 1);
    if (r == 0) {
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(SIGUSR1);
    }
    printf("restored mask has SIGUSR2 blocked again: %s\n", blocked(SIGUSR2) ? "yes" : "no");
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    /* a handler that returns: execution continues after raise */
    sa.sa_handler = returner;
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    hits = 0;
    int rv = raise(SIGUSR1);
    printf("returning handler: raise -> %d, hits %d\n", rv, (int)hits);

    /* longjmp (not siglongjmp) out of a handler also works */
    static jmp_buf plain;
    sa.sa_handler = (void (*)(int))0;
    sa.sa_handler = jumper;
    MUST(sigaction(SIGUSR2, &sa, NULL) == 0);
    if (sigsetjmp(env, 1) == 0) {
        raise(SIGUSR2);
    }
    (void)plain;
    printf("done, SIGUSR2 blocked: %s\n", blocked(SIGUSR2) ? "yes" : "no");
    return 0;
}
