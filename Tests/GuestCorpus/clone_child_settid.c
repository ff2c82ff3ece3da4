/* clone_child_settid: clone's CLONE_CHILD_SETTID stores the child's tid in the child's
 * memory only (the parent's copy keeps its value), CLONE_PARENT_SETTID stores it in the
 * parent's, and CLONE_CHILD_SETTID together with a fork's exit signal still reports to
 * waitpid. Raw syscalls: x86_64 orders clone's arguments (flags, stack, ptid, ctid, tls),
 * asm-generic (the guest) (flags, stack, ptid, tls, ctid). */
#include "corpus.h"
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long raw_clone(unsigned long flags, pid_t *ptid, pid_t *ctid)
{
#if defined(__x86_64__)
    return syscall(SYS_clone, flags, 0, ptid, ctid, 0);
#else
    return syscall(SYS_clone, flags, 0, ptid, 0, ctid);
#endif
}

int main(void)
{
    volatile pid_t ctid = -1, ptid = -1;
    long pid = raw_clone(CLONE_CHILD_SETTID | SIGCHLD, NULL, (pid_t *)&ctid);
    MUST(pid >= 0);
    if (pid == 0) {
        /* The child sees its own tid at once, before doing anything. */
        _exit(ctid == getpid() ? 0 : 1);
    }
    int st;
    MUST(waitpid((pid_t)pid, &st, 0) == pid);
    printf("child saw its tid: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
    printf("parent's copy untouched: %s\n", ctid == -1 ? "yes" : "no");

    pid = raw_clone(CLONE_PARENT_SETTID | SIGCHLD, (pid_t *)&ptid, NULL);
    MUST(pid >= 0);
    if (pid == 0) _exit(0);
    MUST(waitpid((pid_t)pid, &st, 0) == pid);
    printf("parent got the tid: %s\n", ptid == pid ? "yes" : "no");
    return 0;
}
