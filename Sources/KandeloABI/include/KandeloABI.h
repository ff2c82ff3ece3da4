/*
 * KandeloABI: what the runner (Engine) and the kernel (Kernel) must agree on, in C so
 * that both Swift modules import the same definitions.
 *
 *  - sdk/include/kandelo/abi.h: syscall numbers and guest ABI constants (the single
 *    source of truth, shared with the guest libc);
 *  - the channel: one shared page per guest thread through which the runner posts a
 *    syscall and the kernel answers (layout below), with the atomics and futex calls
 *    that move it.  Swift has no atomics on foreign memory, hence the inline helpers.
 */
#ifndef KANDELO_ABI_SWIFT_H
#define KANDELO_ABI_SWIFT_H

#include "../../../sdk/include/kandelo/abi.h"
#include <stdint.h>
#include <stddef.h>

/* ---- the channel ------------------------------------------------------------------
 * A memfd the kernel creates per guest process, mapped MAP_SHARED by the kernel and by
 * the runner: page 0 is the header, page 1+i is the slot of the process's i-th thread.
 *
 * A syscall: the runner fills nr/args/memory_size, stores state = KCH_REQUEST, and
 * rings the kernel's doorbell (an eventfd) unless the kernel says it is polling.  The
 * kernel fills result/action, stores state = KCH_RESPONSE and futex-wakes the slot if
 * the runner said it sleeps.  Both sides spin briefly before sleeping; the flags are
 * read after the state store (sequentially consistent), so a wake-up is never lost.
 */
#define KCH_PAGE 4096
#define KCH_MAX_THREADS 63
#define KCH_SIZE 262144 /* KCH_PAGE * (1 + KCH_MAX_THREADS) */
#define KCH_MAGIC 0x4b434831u /* "KCH1" */
#define KCH_DATA_MAX (KCH_PAGE - 112)

enum kch_state { KCH_IDLE = 0, KCH_REQUEST = 1, KCH_RESPONSE = 2 };

/* What the runner does with a response besides returning `result` to the guest. */
enum kch_action {
    KCH_ACT_RETURN = 0,      /* return result */
    KCH_ACT_GROW = 1,        /* grow memory to arg[0] bytes, then return result */
    KCH_ACT_EXIT = 2,        /* the process is gone: _exit(arg[0]) without returning */
    KCH_ACT_EXEC = 3,        /* run the module the kernel wrote into the slot's runner_fd (arg[0] bytes) in
                                place of the current one, in this same host process */
    KCH_ACT_FORK = 4,        /* host-fork; the child maps the slot's runner_fd (sized and set up by the
                                kernel) as its channel; the parent returns result (the child's pid) */
    KCH_ACT_THREAD = 5,      /* start a thread: arg[0] = tid, arg[1] = start block, arg[2] = slot; return result */
    KCH_ACT_THREAD_EXIT = 6, /* this thread is done: clear and futex-wake the guest word at arg[0] (if not 0),
                                store state = KCH_IDLE (the slot may be reused) and end the host thread */
    KCH_ACT_MEMFD = 7,       /* the call needs a descriptor from the runner: make an empty memfd, put its
                                number in runner_fd and post the same call again (the kernel takes its own
                                copy with pidfd_getfd; fork and exec pass memory this way, never by path) */
};

/* Runner-only requests (never issued by guests: above the private range). */
#define KCH_NR_HELLO     0x7fff0001  /* a forked runner is up: args[0] = its host pid */
#define KCH_NR_FAILED    0x7fff0002  /* the module could not run: args[0] = reason; data = message */
#define KCH_NR_TRAPPED   0x7fff0003  /* guest trapped: args[0] = signal to report; data = message */
#define KCH_NR_FORKFAIL  0x7fff0004  /* host fork failed: args[0] = the child pid the kernel made, args[1] = errno */
#define KCH_FAIL_INVALID 1           /* not wasm / failed validation / bad imports -> ENOEXEC */

struct kch_header {
    uint32_t magic;
    uint32_t kernel_polling;      /* atomic: 1 while the kernel spins over its channels */
    uint32_t runner_pid;
    uint32_t slots_used;
    uint32_t heap_base;           /* written by the runner before _start: __heap_base */
    uint32_t kernel_pid;          /* the kernel's host pid: a runner whose kernel died exits */
    uint64_t reserved[5];
};

struct kch_slot {
    uint32_t state;               /* atomic, futex word: enum kch_state */
    uint32_t runner_sleeping;     /* atomic: 1 while the runner sleeps on `state` */
    int32_t nr;
    int32_t args[6];
    int32_t result;
    uint32_t action;              /* enum kch_action */
    uint32_t tid;
    uint64_t memory_base;         /* host address of guest address 0 in the runner */
    uint64_t memory_size;         /* current size of guest memory in bytes */
    uint64_t action_arg[4];
    uint32_t data_len;            /* bytes used in data[] (messages) */
    uint32_t host_tid;            /* the runner thread's host tid (for kch_tgkill), set by the runner */
    int32_t runner_fd;            /* a descriptor of the runner's for this call (KCH_ACT_MEMFD), else -1 */
    uint32_t reserved;
    uint8_t data[KCH_PAGE - 112];
};

_Static_assert(sizeof(struct kch_slot) == KCH_PAGE, "one page per slot");
_Static_assert(sizeof(struct kch_header) <= KCH_PAGE, "header fits a page");
_Static_assert(KCH_SIZE == KCH_PAGE * (1 + KCH_MAX_THREADS), "channel size");

static inline struct kch_header *kch_header_of(void *base) { return (struct kch_header *)base; }
static inline struct kch_slot *kch_slot_of(void *base, uint32_t i) {
    return (struct kch_slot *)((char *)base + KCH_PAGE * (1 + (size_t)i));
}

static inline uint32_t kch_load(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline uint32_t kch_load_acquire(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void kch_store(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline uint32_t kch_exchange(uint32_t *p, uint32_t v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
static inline void kch_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Shared (not private) futexes: the word is in a mapping two processes share.
 * Timeout in nanoseconds, negative = none.  Returns 0 or -errno. */
int kch_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);
int kch_futex_wake(uint32_t *word, int count);
/* Futex on a guest word in the caller's own memory (private), used for guest futexes. */
int kch_futex_wait_private(uint32_t *word, uint32_t expected, int64_t timeout_ns);
int kch_futex_wake_private(uint32_t *word, int count);

/* A guest futex_time64(uaddr, op, val, timeout|val2, uaddr2, val3) on the runner's own
 * copy of guest memory [base, base+size).  `sigword` (may be NULL) is the calling
 * thread's signal-pending word: a wait returns -EINTR once it is raised, or once
 * kch_generation() is no longer `generation` (the caller's image was replaced).
 * Returns the result or -errno (Linux's). */
int kch_guest_futex(uint8_t *base, uint64_t size, const volatile uint32_t *sigword, uint32_t generation,
                    uint32_t uaddr, int32_t op, uint32_t val, uint32_t arg3,
                    uint32_t uaddr2, uint32_t val3);
/* CLONE_CHILD_CLEARTID at thread exit: store 0 at guest `addr` and wake one waiter. */
int kch_guest_clear_tid(uint8_t *base, uint64_t size, uint32_t addr);
int kch_gettid(void);
/* An empty memfd (close-on-exec): what a fork's channel or an execve's module travels in. */
int kch_memfd(const char *name);
/* tgkill(2): the kernel knocks a runner thread out of a futex wait. */
int kch_tgkill(int pid, int tid, int sig);

/* ---- the runner's sandbox (sandbox.c, Documentation/sandbox.md) ---- */
/* no_new_privs and the seccomp allowlist, for every thread.  0 or -errno. */
int kch_sandbox_install(void);
/* openat(AT_FDCWD, path, O_RDONLY): the test hook's forbidden call (never returns under
 * the sandbox). */
int kch_sandbox_probe_openat(const char *path);
/* Closes every descriptor but stderr and [keep_from, keep_to] (keep_from >= 3). */
int kch_close_other_fds(int keep_from, int keep_to);
/* The runner's image generation, bumped when an execve replaces the image: threads of the
 * old image leave at their next call or wait (runner-local futex waits end with EINTR). */
uint32_t kch_generation(void);
uint32_t kch_generation_bump(void);  /* returns the new generation */

#endif
