/* job_stop_cont: job control without a terminal. Stopping a child with SIGSTOP and
 * continuing it, seen by waitpid(WUNTRACED / WCONTINUED) once each and by SIGCHLD's
 * siginfo; raise(SIGSTOP); SIGTSTP/SIGTTIN/SIGTTOU caught, ignored, blocked and unblocked
 * later; SIGCONT handlers; SIGCONT discarding a pending stop; SA_NOCLDSTOP; SIGKILL to a
 * stopped child; stop signals discarded in an orphaned group; and a group orphaned while
 * one of its members is stopped getting SIGHUP and SIGCONT. */
#include "corpus.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *sig(int s)
{
    switch (s) {
    case SIGHUP: return "SIGHUP";
    case SIGKILL: return "SIGKILL";
    case SIGCONT: return "SIGCONT";
    case SIGSTOP: return "SIGSTOP";
    case SIGTSTP: return "SIGTSTP";
    case SIGTTIN: return "SIGTTIN";
    case SIGTTOU: return "SIGTTOU";
    default: {
        static char buf[16];
        snprintf(buf, sizeof buf, "signal %d", s);
        return buf;
    }
    }
}

static void report(const char *what, pid_t want, pid_t got, int st)
{
    printf("%s: ", what);
    if (got != want) printf("waitpid returned %s", got == 0 ? "0" : got < 0 ? errname(errno) : "another pid");
    else if (WIFSTOPPED(st)) printf("stopped by %s", sig(WSTOPSIG(st)));
    else if (WIFCONTINUED(st)) printf("continued");
    else if (WIFEXITED(st)) printf("exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("killed by %s", sig(WTERMSIG(st)));
    else printf("status %#x", st);
    printf("\n");
    fflush(stdout);
}

static void wait_report(const char *what, pid_t c, int options)
{
    int st = 0;
    pid_t r = waitpid(c, &st, options);
    report(what, c, r, st);
}

/* A child that waits on a pipe for a byte, then exits with `code`. */
static pid_t sleeper(int code, int own_group, int *go)
{
    int p[2];
    MUST(pipe(p) == 0);
    fflush(stdout);
    pid_t c = fork();
    MUST(c >= 0);
    if (c == 0) {
        if (own_group) setpgid(0, 0);
        close(p[1]);
        char b;
        while (read(p[0], &b, 1) < 0 && errno == EINTR) {}
        _exit(code);
    }
    if (own_group) setpgid(c, c);
    close(p[0]);
    *go = p[1];
    return c;
}

static volatile sig_atomic_t caught, conts, hups;
static void on_tstp(int s) { (void)s; caught++; }
static void on_cont(int s) { (void)s; conts++; }
static void on_hup(int s) { (void)s; hups++; }
static volatile sig_atomic_t chlds;
static void on_chld(int s) { (void)s; chlds++; }

static void basic_stop_continue(void)
{
    int go;
    pid_t c = sleeper(3, 0, &go);
    MUST(kill(c, SIGSTOP) == 0);
    wait_report("SIGSTOP", c, WUNTRACED);
    wait_report("reported once", c, WUNTRACED | WNOHANG);
    wait_report("WNOHANG without WUNTRACED", c, WNOHANG);
    MUST(kill(c, SIGCONT) == 0);
    wait_report("SIGCONT", c, WCONTINUED);
    wait_report("reported once", c, WCONTINUED | WUNTRACED | WNOHANG);
    MUST(write(go, "x", 1) == 1);
    wait_report("exit after continue", c, WUNTRACED | WCONTINUED);
    close(go);
}

static void raise_stop(void)
{
    fflush(stdout);
    pid_t c = fork();
    MUST(c >= 0);
    if (c == 0) {
        raise(SIGSTOP);
        printf("child: resumed after raise(SIGSTOP)\n");
        fflush(stdout);
        _exit(0);
    }
    wait_report("raise(SIGSTOP)", c, WUNTRACED);
    MUST(kill(c, SIGCONT) == 0);
    wait_report("after SIGCONT", c, 0);
}

static void chld_siginfo(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    MUST(sigprocmask(SIG_BLOCK, &set, &old) == 0);
    struct sigaction sa = { 0 };
    sa.sa_handler = on_chld;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGCHLD, &sa, 0) == 0);
    int go;
    pid_t c = sleeper(0, 0, &go);
    siginfo_t si;
    MUST(kill(c, SIGSTOP) == 0);
    MUST(sigwaitinfo(&set, &si) == SIGCHLD);
    printf("SIGCHLD on stop: code %s, status %s, from the child %d\n",
           si.si_code == CLD_STOPPED ? "CLD_STOPPED" : "other", sig(si.si_status), si.si_pid == c);
    MUST(kill(c, SIGCONT) == 0);
    MUST(sigwaitinfo(&set, &si) == SIGCHLD);
    printf("SIGCHLD on continue: code %s, status %s\n",
           si.si_code == CLD_CONTINUED ? "CLD_CONTINUED" : "other", sig(si.si_status));
    wait_report("continued", c, WCONTINUED);
    MUST(write(go, "x", 1) == 1);
    wait_report("exit", c, 0);
    close(go);
    while (sigtimedwait(&set, &si, &(struct timespec){ 0, 0 }) > 0) {}

    /* SA_NOCLDSTOP: no SIGCHLD for stops and continues, one for the exit. */
    sa.sa_flags = SA_NOCLDSTOP;
    MUST(sigaction(SIGCHLD, &sa, 0) == 0);
    MUST(sigprocmask(SIG_SETMASK, &old, 0) == 0);
    chlds = 0;
    c = sleeper(0, 0, &go);
    MUST(kill(c, SIGSTOP) == 0);
    wait_report("SA_NOCLDSTOP stop", c, WUNTRACED);
    MUST(kill(c, SIGCONT) == 0);
    wait_report("SA_NOCLDSTOP continue", c, WCONTINUED);
    printf("SIGCHLDs before exit: %d\n", (int)chlds);
    MUST(write(go, "x", 1) == 1);
    wait_report("exit", c, 0);
    printf("SIGCHLDs after exit: %d\n", (int)chlds);
    close(go);
    signal(SIGCHLD, SIG_DFL);
}

static void terminal_stop_signals(void)
{
    /* Default action: stop (the child's own group has its parent outside it, in the same
     * session: not orphaned). */
    int sigs[] = { SIGTSTP, SIGTTIN, SIGTTOU };
    for (int i = 0; i < 3; i++) {
        int go;
        pid_t c = sleeper(0, 1, &go);
        MUST(kill(c, sigs[i]) == 0);
        char what[64];
        snprintf(what, sizeof what, "%s by default", sig(sigs[i]));
        wait_report(what, c, WUNTRACED);
        if (i == 2) {
            /* SIGKILL ends a stopped child. */
            MUST(kill(c, SIGKILL) == 0);
            wait_report("SIGKILL while stopped", c, WUNTRACED | WCONTINUED);
        } else {
            MUST(kill(c, SIGCONT) == 0);
            MUST(write(go, "x", 1) == 1);
            wait_report("then", c, WUNTRACED);
        }
        close(go);
    }

    /* Caught: the handler runs, no stop. Ignored: nothing. */
    int p[2];
    MUST(pipe(p) == 0);
    fflush(stdout);
    pid_t c = fork();
    MUST(c >= 0);
    if (c == 0) {
        setpgid(0, 0);
        signal(SIGTSTP, on_tstp);
        signal(SIGTTIN, SIG_IGN);
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGTSTP);
        sigprocmask(SIG_BLOCK, &block, &old);
        MUST(write(p[1], "r", 1) == 1);
        while (!caught) sigsuspend(&old);
        printf("child: caught SIGTSTP %d time(s)\n", (int)caught);
        fflush(stdout);
        _exit(0);
    }
    setpgid(c, c);
    char b;
    MUST(read(p[0], &b, 1) == 1);
    MUST(kill(c, SIGTTIN) == 0);
    MUST(kill(c, SIGTSTP) == 0);
    wait_report("SIGTTIN ignored, SIGTSTP caught", c, WUNTRACED);
    close(p[0]);
    close(p[1]);
}

static void blocked_then_unblocked(void)
{
    int p[2], q[2];
    MUST(pipe(p) == 0 && pipe(q) == 0);
    fflush(stdout);
    pid_t c = fork();
    MUST(c >= 0);
    if (c == 0) {
        setpgid(0, 0);
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGTSTP);
        sigprocmask(SIG_BLOCK, &block, 0);
        MUST(write(p[1], "r", 1) == 1);
        char b;
        MUST(read(q[0], &b, 1) == 1);
        sigset_t pend;
        sigpending(&pend);
        printf("child: SIGTSTP pending while blocked: %d\n", sigismember(&pend, SIGTSTP));
        fflush(stdout);
        sigprocmask(SIG_UNBLOCK, &block, 0);   /* stops here */
        printf("child: running again after unblocking\n");
        fflush(stdout);
        _exit(0);
    }
    setpgid(c, c);
    char b;
    MUST(read(p[0], &b, 1) == 1);
    MUST(kill(c, SIGTSTP) == 0);
    MUST(write(q[1], "g", 1) == 1);
    wait_report("blocked SIGTSTP, then unblocked", c, WUNTRACED);
    MUST(kill(c, SIGCONT) == 0);
    wait_report("after SIGCONT", c, 0);

    /* SIGCONT discards a pending stop signal: unblocking then does not stop. */
    fflush(stdout);
    c = fork();
    MUST(c >= 0);
    if (c == 0) {
        setpgid(0, 0);
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGTSTP);
        sigprocmask(SIG_BLOCK, &block, 0);
        MUST(write(p[1], "r", 1) == 1);
        MUST(read(q[0], &b, 1) == 1);
        sigset_t pend;
        sigpending(&pend);
        printf("child: SIGTSTP pending after SIGCONT: %d\n", sigismember(&pend, SIGTSTP));
        fflush(stdout);
        sigprocmask(SIG_UNBLOCK, &block, 0);
        _exit(4);
    }
    setpgid(c, c);
    MUST(read(p[0], &b, 1) == 1);
    MUST(kill(c, SIGTSTP) == 0);
    MUST(kill(c, SIGCONT) == 0);
    MUST(write(q[1], "g", 1) == 1);
    wait_report("SIGTSTP then SIGCONT while blocked", c, WUNTRACED);
    close(p[0]); close(p[1]); close(q[0]); close(q[1]);
}

static void cont_handler(void)
{
    int p[2], q[2];
    MUST(pipe(p) == 0);
    MUST(pipe(q) == 0);
    fflush(stdout);
    pid_t c = fork();
    MUST(c >= 0);
    if (c == 0) {
        signal(SIGCONT, on_cont);
        /* Blocked until sigsuspend, so the handler cannot run between the test and the
         * wait; SIGCONT continues the process all the same. */
        sigset_t block, none;
        sigemptyset(&block);
        sigaddset(&block, SIGCONT);
        sigprocmask(SIG_BLOCK, &block, 0);
        MUST(write(p[1], "r", 1) == 1);
        sigemptyset(&none);
        while (!conts) sigsuspend(&none);
        /* Report only after the parent has reported "continued" (or the two race). */
        char go;
        while (read(q[0], &go, 1) < 0 && errno == EINTR) {}
        printf("child: SIGCONT handler ran %d time(s)\n", (int)conts);
        fflush(stdout);
        _exit(0);
    }
    char b;
    MUST(read(p[0], &b, 1) == 1);
    MUST(kill(c, SIGSTOP) == 0);
    wait_report("stopped", c, WUNTRACED);
    MUST(kill(c, SIGCONT) == 0);
    wait_report("continued", c, WCONTINUED);
    MUST(write(q[1], "g", 1) == 1);
    wait_report("then", c, 0);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

static void orphaned(void)
{
    /* A child in a session of its own: its group is orphaned, so SIGTSTP is discarded
     * (SIGUSR1 then ends it); SIGSTOP still stops it. */
    int p[2];
    MUST(pipe(p) == 0);
    fflush(stdout);
    pid_t c = fork();
    MUST(c >= 0);
    if (c == 0) {
        setsid();
        signal(SIGUSR1, on_hup);
        sigset_t block, none;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        sigprocmask(SIG_BLOCK, &block, 0);
        MUST(write(p[1], "r", 1) == 1);
        sigemptyset(&none);
        while (!hups) sigsuspend(&none);
        _exit(7);
    }
    char b;
    MUST(read(p[0], &b, 1) == 1);
    MUST(kill(c, SIGTSTP) == 0);
    MUST(kill(c, SIGUSR1) == 0);
    wait_report("SIGTSTP in an orphaned group", c, WUNTRACED);
    close(p[0]);
    close(p[1]);

    /* M (a new session) forks A, A forks B into a group of its own; B stops; A exits:
     * B's group is orphaned with a stopped member, so B gets SIGHUP and SIGCONT. */
    fflush(stdout);
    pid_t m = fork();
    MUST(m >= 0);
    if (m == 0) {
        setsid();
        int out[2];
        MUST(pipe(out) == 0);
        pid_t a = fork();
        MUST(a >= 0);
        if (a == 0) {
            close(out[0]);
            pid_t bpid = fork();
            MUST(bpid >= 0);
            if (bpid == 0) {
                setpgid(0, 0);
                signal(SIGHUP, on_hup);
                hups = 0;
                raise(SIGSTOP);
                char msg[64];
                int n = snprintf(msg, sizeof msg, "B: resumed, SIGHUP caught %d time(s)\n", (int)hups);
                MUST(write(out[1], msg, n) == n);
                _exit(0);
            }
            setpgid(bpid, bpid);
            int st;
            MUST(waitpid(bpid, &st, WUNTRACED) == bpid);
            const char *msg = WIFSTOPPED(st) ? "A: B stopped, exiting\n" : "A: B not stopped\n";
            MUST(write(out[1], msg, strlen(msg)) == (ssize_t)strlen(msg));
            _exit(0);
        }
        close(out[1]);
        char buf[256];
        ssize_t n, total = 0;
        while ((n = read(out[0], buf + total, sizeof buf - 1 - total)) > 0) total += n;
        buf[total] = 0;
        printf("%s", buf);
        int st;
        MUST(waitpid(a, &st, 0) == a);
        fflush(stdout);
        _exit(0);
    }
    wait_report("orphaned group demo", m, 0);
}

int main(void)
{
    basic_stop_continue();
    raise_stop();
    chld_siginfo();
    terminal_stop_signals();
    blocked_then_unblocked();
    cont_handler();
    orphaned();
    return 0;
}
