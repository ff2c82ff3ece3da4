/* signals_basic: signal(), sigaction with SA_SIGINFO (si_signo, si_code, si_pid),
 * sigprocmask blocking -> sigpending -> delivery on unblock (each once),
 * sa_mask during the handler, SA_RESETHAND, SA_NODEFER, SIG_IGN, kill(getpid()),
 * old actions returned, invalid signals. */
#include "corpus.h"
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t order[16];
static volatile sig_atomic_t norder;
static void record(int sig) { if (norder < 16) order[norder++] = sig; }

static volatile int info_signo, info_code, info_pid_ok, info_val;
static void with_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    info_signo = si->si_signo;
    info_code = si->si_code;
    info_pid_ok = si->si_pid == getpid();
    (void)sig;
}

static volatile int usr2_blocked_inside, self_blocked_inside;
static void check_mask(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    usr2_blocked_inside = sigismember(&cur, SIGUSR2);
    self_blocked_inside = sigismember(&cur, sig);
}

static volatile int nested_depth, max_depth, calls;
static void reenter(int sig)
{
    calls++;
    nested_depth++;
    if (nested_depth > max_depth) max_depth = nested_depth;
    if (calls < 3) raise(sig);
    nested_depth--;
}

static const char *code_name(int c)
{
    switch (c) {
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    default: return "other";
    }
}

int main(void)
{
    /* signal() returns the previous handler */
    void (*prev)(int) = signal(SIGUSR1, record);
    printf("initial SIGUSR1 handler is SIG_DFL: %s\n", prev == SIG_DFL ? "yes" : "no");
    prev = signal(SIGUSR1, record);
    printf("second signal() returns ours: %s\n", prev == record ? "yes" : "no");
    norder = 0;
    SHOW("raise SIGUSR1", raise(SIGUSR1));
    printf("delivered: %d (sig %s)\n", (int)norder, norder && order[0] == SIGUSR1 ? "SIGUSR1" : "?");
    SHOW("kill self SIGUSR1", kill(getpid(), SIGUSR1));
    printf("delivered total: %d\n", (int)norder);
    SHOW("kill self signal 0", kill(getpid(), 0));

    /* SA_SIGINFO */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = with_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGUSR2, &sa, NULL) == 0);
    raise(SIGUSR2);
    printf("siginfo via raise: signo %s code %s pid matches %s\n", info_signo == SIGUSR2 ? "SIGUSR2" : "?",
           code_name(info_code), info_pid_ok ? "yes" : "no");
    kill(getpid(), SIGUSR2);
    printf("siginfo via kill: code %s pid matches %s\n", code_name(info_code), info_pid_ok ? "yes" : "no");
    MUST(sigaction(SIGUSR2, NULL, &old) == 0);
    printf("sigaction query: SA_SIGINFO set %s, handler ours %s\n", (old.sa_flags & SA_SIGINFO) ? "yes" : "no",
           old.sa_sigaction == with_info ? "yes" : "no");

    /* block, raise several, check pending, unblock: delivered in number order */
    sigset_t set, oldset, pend;
    signal(SIGUSR1, record);
    signal(SIGUSR2, record);
    signal(SIGHUP, record);
    signal(SIGALRM, record);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGALRM);
    SHOW("block 4 signals", sigprocmask(SIG_BLOCK, &set, &oldset));
    norder = 0;
    raise(SIGUSR2);
    raise(SIGALRM);
    raise(SIGHUP);
    raise(SIGUSR1);
    raise(SIGUSR1); /* standard signals do not queue */
    printf("delivered while blocked: %d\n", (int)norder);
    sigpending(&pend);
    printf("pending: HUP %d USR1 %d USR2 %d ALRM %d TERM %d\n", sigismember(&pend, SIGHUP),
           sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2), sigismember(&pend, SIGALRM),
           sigismember(&pend, SIGTERM));
    SHOW("unblock", sigprocmask(SIG_SETMASK, &oldset, NULL));
    /* the order handlers run in is checked by signal_order.c */
    int got[65] = { 0 };
    for (int i = 0; i < norder; i++) got[order[i]]++;
    printf("delivered after unblock: %d, set:", (int)norder);
    for (int i = 1; i < 65; i++) if (got[i]) printf(" %d x%d", i, got[i]);
    printf("\n");
    sigpending(&pend);
    printf("nothing pending: %s\n", sigismember(&pend, SIGUSR1) || sigismember(&pend, SIGHUP) ? "no" : "yes");

    /* sa_mask applies during the handler; the signal itself is blocked too */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = check_mask;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    raise(SIGUSR1);
    printf("inside handler: USR2 blocked %d, USR1 blocked %d\n", usr2_blocked_inside, self_blocked_inside);
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("after handler: USR2 blocked %d\n", sigismember(&set, SIGUSR2));
    sa.sa_flags = SA_NODEFER;
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    raise(SIGUSR1);
    printf("SA_NODEFER: USR1 blocked inside %d\n", self_blocked_inside);

    /* without SA_NODEFER a raise inside the handler waits; with it, it nests */
    sa.sa_handler = reenter;
    sa.sa_flags = 0;
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    nested_depth = max_depth = calls = 0;
    raise(SIGUSR1);
    printf("re-raise without NODEFER: calls %d, max depth %d\n", calls, max_depth);
    sa.sa_flags = SA_NODEFER;
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    nested_depth = max_depth = calls = 0;
    raise(SIGUSR1);
    printf("re-raise with NODEFER: calls %d, max depth %d\n", calls, max_depth);

    /* SA_RESETHAND: one shot, then SIG_DFL */
    sa.sa_handler = record;
    sa.sa_flags = SA_RESETHAND;
    MUST(sigaction(SIGUSR2, &sa, NULL) == 0);
    norder = 0;
    raise(SIGUSR2);
    MUST(sigaction(SIGUSR2, NULL, &old) == 0);
    printf("SA_RESETHAND: delivered %d, now SIG_DFL: %s\n", (int)norder, old.sa_handler == SIG_DFL ? "yes" : "no");

    /* SIG_IGN: raise does nothing; ignored signals are not left pending */
    signal(SIGUSR2, SIG_IGN);
    SHOW("raise ignored SIGUSR2", raise(SIGUSR2));
    sigpending(&pend);
    printf("ignored not pending: %s\n", sigismember(&pend, SIGUSR2) ? "no" : "yes");
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    sigpending(&pend);
    printf("blocked+ignored pending: %s\n", sigismember(&pend, SIGUSR2) ? "yes" : "no");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    /* SIGCHLD and SIGWINCH default to ignore */
    signal(SIGWINCH, SIG_DFL);
    SHOW("raise SIGWINCH (default ignore)", raise(SIGWINCH));

    /* errors */
    EXPECT_ERR("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL), EINVAL);
    EXPECT_ERR("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL), EINVAL);
    EXPECT_ERR("sigaction 0", sigaction(0, &sa, NULL), EINVAL);
    EXPECT_ERR("sigaction 65", sigaction(65, &sa, NULL), EINVAL);
    EXPECT_ERR("kill bad signal", kill(getpid(), 999), EINVAL);
    EXPECT_ERR("sigprocmask bad how", sigprocmask(99, &set, NULL), EINVAL);
    /* SIGKILL cannot be blocked */
    sigfillset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    sigprocmask(SIG_SETMASK, NULL, &set);
    printf("fill mask: KILL blocked %d, STOP blocked %d, USR1 blocked %d\n", sigismember(&set, SIGKILL),
           sigismember(&set, SIGSTOP), sigismember(&set, SIGUSR1));
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    printf("end\n");
    return 0;
}
