/* Futex calls for the channel (KandeloABI.h); libc has no wrapper. */
#define _GNU_SOURCE
#include "KandeloABI.h"
#include <errno.h>
#include <linux/futex.h>
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
