/* tty_session: a program for a terminal session. Without a terminal (the corpus runs it
 * with stdin from /dev/null) it checks that the terminal calls fail the same way
 * natively and on Kandelo. On a terminal (KernelTests/TerminalTests.swift runs it on the
 * kernel's pty, typing at the master side) it walks through what a shell does: window
 * size, a canonical line with erasures, raw mode, a child brought to the foreground with
 * tcsetpgrp and stopped by ^Z, stopped again by SIGTTIN when it reads from the
 * background, finishing in the foreground, and ^C. */
#include "corpus.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *how(int st)
{
    static char buf[64];
    if (WIFSTOPPED(st)) snprintf(buf, sizeof buf, "stopped by %s", WSTOPSIG(st) == SIGTSTP ? "SIGTSTP" :
                                 WSTOPSIG(st) == SIGTTIN ? "SIGTTIN" : "another signal");
    else if (WIFEXITED(st)) snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) snprintf(buf, sizeof buf, "killed by signal %d", WTERMSIG(st));
    else snprintf(buf, sizeof buf, "status %#x", st);
    return buf;
}

static volatile sig_atomic_t interrupted;
static void on_int(int s) { (void)s; interrupted = 1; }

static void no_terminal(void)
{
    struct termios t;
    struct winsize ws;
    YESNO("isatty(0)", isatty(0));
    EXPECT_ERR("tcgetattr(0)", tcgetattr(0, &t), ENOTTY);
    EXPECT_ERR("tcgetpgrp(0)", tcgetpgrp(0), ENOTTY);
    EXPECT_ERR("TIOCGWINSZ", ioctl(0, TIOCGWINSZ, &ws), ENOTTY);
    EXPECT_ERR("tcsetpgrp(0)", tcsetpgrp(0, getpgrp()), ENOTTY);
}

int main(void)
{
    if (!isatty(0)) {
        no_terminal();
        return 0;
    }
    setvbuf(stdout, 0, _IONBF, 0);
    signal(SIGTTOU, SIG_IGN);   /* as a shell: tcsetpgrp from the background */
    struct winsize ws;
    MUST(ioctl(0, TIOCGWINSZ, &ws) == 0);
    printf("tty: pgrp in foreground %d, session leader %d, %dx%d\n",
           tcgetpgrp(0) == getpgrp(), getsid(0) == getpid(), ws.ws_row, ws.ws_col);

    char line[128];
    printf("ready> ");
    ssize_t n = read(0, line, sizeof line - 1);
    MUST(n > 0);
    line[n] = 0;
    printf("line [%.*s] %zd bytes\n", (int)(n - 1), line, n);

    struct termios saved, raw;
    MUST(tcgetattr(0, &saved) == 0);
    raw = saved;
    raw.c_lflag &= ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 3;
    raw.c_cc[VTIME] = 0;
    MUST(tcsetattr(0, TCSANOW, &raw) == 0);
    printf("raw> ");
    n = read(0, line, sizeof line);
    printf("raw read %zd [%.*s]\n", n, (int)n, line);
    MUST(tcsetattr(0, TCSANOW, &saved) == 0);

    pid_t c = fork();
    MUST(c >= 0);
    if (c == 0) {
        setpgid(0, 0);
        signal(SIGTTOU, SIG_DFL);
        while (tcgetpgrp(0) != getpgrp()) usleep(1000);
        printf("child reading\n");
        n = read(0, line, sizeof line - 1);
        if (n < 0) { printf("child read: %s\n", errname(errno)); _exit(1); }
        printf("child got [%.*s]\n", (int)(n - 1), line);
        _exit(0);
    }
    setpgid(c, c);
    MUST(tcsetpgrp(0, c) == 0);
    int st;
    MUST(waitpid(c, &st, WUNTRACED) == c);
    printf("child %s\n", how(st));
    MUST(tcsetpgrp(0, getpgrp()) == 0);
    MUST(kill(-c, SIGCONT) == 0);   /* in the background now: its read stops it again */
    MUST(waitpid(c, &st, WUNTRACED) == c);
    printf("child %s\n", how(st));
    MUST(tcsetpgrp(0, c) == 0);
    printf("fg again\n");
    MUST(kill(-c, SIGCONT) == 0);
    MUST(waitpid(c, &st, 0) == c);
    printf("child %s\n", how(st));
    MUST(tcsetpgrp(0, getpgrp()) == 0);

    signal(SIGINT, on_int);
    sigset_t block, none;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, 0);
    sigemptyset(&none);
    printf("sleep> ");
    while (!interrupted) sigsuspend(&none);
    printf("SIGINT\n");
    return 0;
}
