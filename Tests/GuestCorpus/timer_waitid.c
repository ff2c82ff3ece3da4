/* setitimer/getitimer/alarm (ITIMER_REAL: SIGALRM, once and periodic, what is left,
 * kept by the process, not by a fork child) and waitid (P_PID/P_ALL/P_PGID, WEXITED,
 * WSTOPPED, WCONTINUED, WNOHANG, WNOWAIT, the siginfo it fills). */
#include "corpus.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alrm(int s) { (void)s; alarms++; }

static const char *code(int c)
{
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "other";
    }
}

static void show(const char *what, int r, siginfo_t *si, pid_t c)
{
    if (r != 0) { printf("%s: -1 %s\n", what, errname(errno)); return; }
    printf("%s: signo %d code %s status %d from child %d\n", what, si->si_signo == SIGCHLD,
           code(si->si_code), si->si_status, si->si_pid == c);
}

int main(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alrm;
    sigaction(SIGALRM, &sa, 0);

    struct itimerval it = { { 0, 50000 }, { 0, 100000 } }, cur;
    setitimer(ITIMER_REAL, &it, 0);
    getitimer(ITIMER_REAL, &cur);
    printf("armed: interval %ld us, value in (0, 100ms]: %d\n", (long)cur.it_interval.tv_usec,
           cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 100000);
    while (alarms < 3) pause();
    printf("periodic: %d alarms\n", (int)alarms);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, &cur);
    printf("disarmed, old interval %ld us\n", (long)cur.it_interval.tv_usec);
    getitimer(ITIMER_REAL, &cur);
    printf("now: %ld.%06ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);

    alarms = 0;
    alarm(5);
    printf("alarm(0) returns %u\n", alarm(0));
    errno = 0;
    struct itimerval bad = { { 0, 0 }, { 0, 2000000 } };
    int rb = setitimer(ITIMER_REAL, &bad, 0);
    printf("bad usec: %d %s\n", rb, errname(errno));

    /* A fork child does not inherit the timer. */
    it.it_interval.tv_usec = 0;
    it.it_value.tv_usec = 200000;
    setitimer(ITIMER_REAL, &it, 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct itimerval mine;
        getitimer(ITIMER_REAL, &mine);
        printf("child timer: %ld.%06ld\n", (long)mine.it_value.tv_sec, (long)mine.it_value.tv_usec);
        fflush(stdout);
        _exit(7);
    }
    pause();
    printf("parent got %d alarm\n", (int)alarms);

    siginfo_t si;
    errno = 0;
    int rn = waitid(P_ALL, 0, &si, 0);
    printf("no options: %d %s\n", rn, errname(errno));
    usleep(50000);
    int r = waitid(P_PID, c, &si, WEXITED | WNOWAIT);
    show("WNOWAIT", r, &si, c);
    r = waitid(P_ALL, 0, &si, WEXITED);
    show("exited", r, &si, c);
    errno = 0;
    int ra = waitid(P_PID, c, &si, WEXITED);
    printf("again: %d %s\n", ra, errname(errno));

    fflush(stdout);
    c = fork();
    if (c == 0) { for (;;) pause(); }
    si.si_pid = 1234;
    r = waitid(P_PID, c, &si, WEXITED | WNOHANG);
    printf("WNOHANG nothing yet: %d pid %d\n", r, si.si_pid);
    kill(c, SIGSTOP);
    r = waitid(P_PID, c, &si, WSTOPPED);
    show("stopped", r, &si, c);
    kill(c, SIGCONT);
    r = waitid(P_PGID, 0, &si, WCONTINUED);
    show("continued", r, &si, c);
    kill(c, SIGTERM);
    r = waitid(P_PID, c, &si, WEXITED);
    show("killed", r, &si, c);
    return 0;
}
