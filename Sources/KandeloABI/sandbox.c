/* The runner's seccomp-bpf allowlist (Documentation/sandbox.md explains every entry).
 *
 * Installed by the runner once its engine and first module are loaded, before the guest
 * runs and before any guest thread exists (and with SECCOMP_FILTER_FLAG_TSYNC, so a thread
 * the host libraries may have started is covered too).  It is inherited by every host
 * fork (forked guest processes) and every thread, and it cannot be removed: execve is not
 * on the list, so a runner never runs another host program; exec of a guest is done in
 * the same process (Engine/Runner.swift).  Anything not listed kills the whole runner
 * with SIGSYS (SECCOMP_RET_KILL_PROCESS), which the kernel reports as the guest dying of
 * SIGSYS.  The one exception is clone3, answered ENOSYS: its flags live in memory the
 * filter cannot read, and glibc's pthread_create falls back to clone, whose flags it can.
 */
#define _GNU_SOURCE
#include "KandeloABI.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)

#define ARCH_NR AUDIT_ARCH_X86_64
#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
/* Low 32 bits of argument i (little-endian). Every argument checked below is an int or a
 * flag word whose upper half the kernel ignores (legacy clone uses lower_32_bits). */
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define LOAD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF)
/* nr == N: allow; else fall through to the next test. */
#define ALLOW(n) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, 1), RET(SECCOMP_RET_ALLOW)

/* The exact clone flags glibc 2.36 uses: fork() (arch_fork) and pthread_create (the
 * clone fallback of __clone_internal). */
#define FORK_FLAGS (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD)
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_SIGHAND | CLONE_THREAD | \
                      CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

static struct sock_filter filter[] = {
    /* Only the x86_64 syscall ABI: an int 0x80 (i386) or x32 call kills. */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH_OFF),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NR, 1, 0),
    RET(SECCOMP_RET_KILL_PROCESS),
    LOAD_NR,
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* __X32_SYSCALL_BIT */, 0, 1),
    RET(SECCOMP_RET_KILL_PROCESS),

    /* ---- plain allows (the hot ones first: futex and channel traffic) ---- */
    ALLOW(__NR_futex),          /* channel slots (shared), guest futexes (private), glibc locks */
    ALLOW(__NR_sched_yield),    /* the channel's spin loop yields now and then */
    ALLOW(__NR_write),          /* the kernel's doorbell (eventfd), last words on stderr */
    ALLOW(__NR_pread64),        /* reading a module from its memfd */
    ALLOW(__NR_close),          /* a module memfd once read; a fork's channel memfd in the parent */
    ALLOW(__NR_memfd_create),   /* an empty memfd attached to a fork (the child's channel) or an execve (the module) */
    ALLOW(__NR_dup2),           /* a forked child moves its new channel to fd 3 */
    ALLOW(__NR_munmap),         /* memory: guest memory, WasmKit, malloc, the parent's channel in a fork child */
    ALLOW(__NR_madvise),        /* glibc malloc trimming, freed thread stacks */
    ALLOW(__NR_brk),            /* glibc malloc's main arena */
    ALLOW(__NR_rt_sigprocmask), /* pthread_create, fork and abort mask signals around their work */
    ALLOW(__NR_rt_sigreturn),   /* return from the SIGURG knock and WasmKit's SIGSEGV trap handler */
    ALLOW(__NR_rt_sigaction),   /* handlers installed lazily: WasmKit's trap guard (SIGSEGV/SIGBUS) at the first
                                   guest call of a thread, the Swift runtime's SIGRTMIN+1 at the first thread */
    ALLOW(__NR_restart_syscall),/* a futex wait with a timeout resumed after SIGSTOP/SIGCONT (job control) */
    ALLOW(__NR_getpid),         /* a forked runner says hello with its host pid */
    ALLOW(__NR_gettid),         /* a thread names its host tid in its slot (the kernel knocks it) */
    ALLOW(__NR_set_robust_list),/* glibc registers each new thread's robust mutex list */
    ALLOW(__NR_rseq),           /* glibc registers each new thread with restartable sequences */
    ALLOW(__NR_clock_gettime),  /* timeouts of guest futex waits: the vDSO answers, unless the host's
                                   clocksource has no vDSO support (some VMs), then it is a syscall */
    ALLOW(__NR_exit),           /* a host thread ends (a guest thread exited) */
    ALLOW(__NR_exit_group),     /* the guest process ends */

    /* ---- allows with argument checks ---- */
    /* mmap/mprotect: never executable memory (WasmKit interprets; nothing is generated). */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 0, 4),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
    RET(SECCOMP_RET_KILL_PROCESS),
    RET(SECCOMP_RET_ALLOW),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 0, 4),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
    RET(SECCOMP_RET_KILL_PROCESS),
    RET(SECCOMP_RET_ALLOW),
    /* clone: a host fork (a guest fork) or a thread (a guest thread), nothing else: no
     * namespaces, no shared-VM processes. */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 5),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FORK_FLAGS, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THREAD_FLAGS, 1, 0),
    RET(SECCOMP_RET_KILL_PROCESS),
    RET(SECCOMP_RET_ALLOW),
    /* clone3: ENOSYS, so that glibc falls back to clone (above). */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
    RET(SECCOMP_RET_ERRNO | ENOSYS),
    /* kill: only signal 0, the "is the kernel still there" probe of a waiting runner. */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 0, 4),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
    RET(SECCOMP_RET_ALLOW),
    RET(SECCOMP_RET_KILL_PROCESS),
    RET(SECCOMP_RET_KILL_PROCESS),
};

int kch_sandbox_install(void) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
    struct sock_fprog prog = { .len = sizeof filter / sizeof filter[0], .filter = filter };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) return -errno;
    return 0;
}

#else
int kch_sandbox_install(void) { return -ENOSYS; }
#endif

int kch_sandbox_probe_openat(const char *path) {
    return (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
}

int kch_close_other_fds(int keep_from, int keep_to) {
    /* Everything but stderr and [keep_from, keep_to]: what posix_spawn let through. */
    int r = 0;
    if (keep_from > 3) r |= (int)syscall(SYS_close_range, 3, keep_from - 1, 0);
    r |= (int)syscall(SYS_close_range, 0, 1, 0);
    r |= (int)syscall(SYS_close_range, keep_to + 1, ~0U, 0);
    return r < 0 ? -errno : 0;
}
