/* Futex calls for the channel (KandeloABI.h); libc has no wrapper. */
#define _GNU_SOURCE
#include "KandeloABI.h"
#include <errno.h>
#include <linux/futex.h>
#include <linux/memfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int futex_call(uint32_t *word, int op, uint32_t val, int64_t timeout_ns) {
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tp = &ts;
    }
    long r = syscall(SYS_futex, word, op, val, tp, NULL, 0);
    return r < 0 ? -errno : (int)r;
}

int kch_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    return futex_call(word, FUTEX_WAIT, expected, timeout_ns);
}
int kch_futex_wake(uint32_t *word, int count) {
    return futex_call(word, FUTEX_WAKE, (uint32_t)count, -1);
}
int kch_futex_wait_private(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    return futex_call(word, FUTEX_WAIT_PRIVATE, expected, timeout_ns);
}
int kch_futex_wake_private(uint32_t *word, int count) {
    return futex_call(word, FUTEX_WAKE_PRIVATE, (uint32_t)count, -1);
}

/* ---- guest futexes, served inside the runner ---------------------------------------
 * A guest's futex word lives in its linear memory, which is ordinary memory of the
 * runner process shared by the runner's threads: FUTEX_WAIT/WAKE on it are host private
 * futexes, with no trip through the kernel process.  Waits are cut into slices so the
 * waiter can notice a signal: the kernel raises the thread's signal word (guest memory)
 * and then knocks the thread with a host signal (kch_tgkill); the slice bounds the one
 * race the knock cannot cover (it landing just before the wait starts). */
#define KCH_FUTEX_SLICE_NS 50000000LL   /* 50 ms */

static int64_t clock_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Reads a guest struct __kernel_timespec (i64 sec, i64 nsec; the nsec's upper word is
 * ignored, as Linux does for 32-bit tasks) at `addr`.  Returns 0, -EFAULT or -EINVAL. */
static int guest_timespec(const uint8_t *base, uint64_t size, uint32_t addr, int64_t *ns) {
    if ((uint64_t)addr + 16 > size) return -EFAULT;
    int64_t sec;
    int32_t nsec;
    __builtin_memcpy(&sec, base + addr, 8);
    __builtin_memcpy(&nsec, base + addr + 8, 4);
    if (sec < 0 || nsec < 0 || nsec >= 1000000000) return -EINVAL;
    if (sec > INT64_MAX / 1000000000LL - 1) sec = INT64_MAX / 1000000000LL - 1;
    *ns = sec * 1000000000LL + nsec;
    return 0;
}

static uint32_t kch_image_generation;
uint32_t kch_generation(void) { return __atomic_load_n(&kch_image_generation, __ATOMIC_ACQUIRE); }
uint32_t kch_generation_bump(void) { return __atomic_add_fetch(&kch_image_generation, 1, __ATOMIC_SEQ_CST); }

static int guest_wait(uint32_t *word, uint32_t val, int64_t deadline, uint32_t bitset,
                      const volatile uint32_t *sigword, uint32_t generation) {
    for (;;) {
        if (sigword && __atomic_load_n(sigword, __ATOMIC_ACQUIRE) != 0) return -EINTR;
        /* An execve replaced the image: this thread belongs to the old one and must leave. */
        if (__atomic_load_n(&kch_image_generation, __ATOMIC_ACQUIRE) != generation) return -EINTR;
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        if (deadline >= 0 && now >= deadline) return -ETIMEDOUT;
        int64_t until = now + KCH_FUTEX_SLICE_NS;
        if (deadline >= 0 && deadline < until) until = deadline;
        struct timespec ts = { .tv_sec = until / 1000000000LL, .tv_nsec = until % 1000000000LL };
        long r = syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, val, &ts, NULL, bitset);
        if (r == 0) return 0;
        if (errno == EAGAIN) return -EAGAIN;
        if (errno == ETIMEDOUT || errno == EINTR) continue;
        return -errno;
    }
}

int kch_guest_futex(uint8_t *base, uint64_t size, const volatile uint32_t *sigword, uint32_t generation,
                    uint32_t uaddr, int32_t op, uint32_t val, uint32_t arg3,
                    uint32_t uaddr2, uint32_t val3) {
    int cmd = op & FUTEX_CMD_MASK;
    if (uaddr & 3) return -EINVAL;
    if ((uint64_t)uaddr + 4 > size) return -EFAULT;
    uint32_t *word = (uint32_t *)(base + uaddr);
    uint32_t *word2 = NULL;
    if (cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP) {
        if (uaddr2 & 3) return -EINVAL;
        if ((uint64_t)uaddr2 + 4 > size) return -EFAULT;
        word2 = (uint32_t *)(base + uaddr2);
    }
    long r;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        uint32_t bitset = cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3;
        if (bitset == 0) return -EINVAL;
        int64_t deadline = -1;
        if (arg3 != 0) {
            int64_t t;
            int e = guest_timespec(base, size, arg3, &t);
            if (e) return e;
            int64_t now = clock_ns(CLOCK_MONOTONIC);
            if (cmd == FUTEX_WAIT) deadline = now + t;                        /* relative */
            else if (op & FUTEX_CLOCK_REALTIME) deadline = now + (t - clock_ns(CLOCK_REALTIME));
            else deadline = t;                                                /* absolute, monotonic */
        }
        return guest_wait(word, val, deadline, bitset, sigword, generation);
    }
    case FUTEX_WAKE:
        r = syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
        break;
    case FUTEX_WAKE_BITSET:
        if (val3 == 0) return -EINVAL;
        r = syscall(SYS_futex, word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, val, NULL, NULL, val3);
        break;
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
        /* arg3 is a count (val2) here, passed in the timeout's place. */
        r = syscall(SYS_futex, word, cmd | FUTEX_PRIVATE_FLAG, val, (unsigned long)arg3, word2, val3);
        break;
    default:
        return -ENOSYS;
    }
    return r < 0 ? -errno : (int)r;
}

int kch_guest_clear_tid(uint8_t *base, uint64_t size, uint32_t addr) {
    if (addr == 0 || (addr & 3) || (uint64_t)addr + 4 > size) return -EFAULT;
    uint32_t *word = (uint32_t *)(base + addr);
    __atomic_store_n(word, 0, __ATOMIC_SEQ_CST);
    return (int)syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

int kch_gettid(void) { return (int)syscall(SYS_gettid); }

int kch_memfd(const char *name) {
    long r = syscall(SYS_memfd_create, name, MFD_CLOEXEC);
    return r < 0 ? -errno : (int)r;
}

int kch_tgkill(int pid, int tid, int sig) {
    long r = syscall(SYS_tgkill, pid, tid, sig);
    return r < 0 ? -errno : 0;
}
