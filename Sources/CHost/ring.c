/* io_uring wrappers for the kernel's Ring (CHost.h explains why they are C). */
#define _GNU_SOURCE   /* before any system header: liburing.h wants it, the fallback needs preadv2/ppoll */
#include "CHost.h"
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

struct kring {
    struct io_uring ring;
    unsigned pending;       /* prepared, not yet submitted */
};

kring *kring_create(unsigned entries, int *error) {
    kring *r = calloc(1, sizeof *r);
    if (!r) { *error = -ENOMEM; return NULL; }
    struct io_uring_params p = { 0 };
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
    int e = io_uring_queue_init_params(entries, &r->ring, &p);
    if (e < 0) {                      /* older kernels refuse the flags */
        struct io_uring_params plain = { 0 };
        e = io_uring_queue_init_params(entries, &r->ring, &plain);
    }
    if (e < 0) { free(r); *error = e; return NULL; }
    return r;
}

void kring_destroy(kring *r) {
    if (!r) return;
    io_uring_queue_exit(&r->ring);
    free(r);
}

static struct io_uring_sqe *sqe(kring *r) {
    struct io_uring_sqe *s = io_uring_get_sqe(&r->ring);
    if (!s) {
        io_uring_submit(&r->ring);
        r->pending = 0;
        s = io_uring_get_sqe(&r->ring);
    }
    if (s) r->pending++;
    return s;
}

int kring_read(kring *r, int fd, void *buf, unsigned len, uint64_t offset, uint64_t user_data) {
    struct io_uring_sqe *s = sqe(r);
    if (!s) return -EBUSY;
    io_uring_prep_read(s, fd, buf, len, offset);
    io_uring_sqe_set_data64(s, user_data);
    return 0;
}

int kring_write(kring *r, int fd, const void *buf, unsigned len, uint64_t offset, uint64_t user_data) {
    struct io_uring_sqe *s = sqe(r);
    if (!s) return -EBUSY;
    io_uring_prep_write(s, fd, buf, len, offset);
    io_uring_sqe_set_data64(s, user_data);
    return 0;
}

int kring_poll(kring *r, int fd, unsigned events, uint64_t user_data) {
    struct io_uring_sqe *s = sqe(r);
    if (!s) return -EBUSY;
    io_uring_prep_poll_add(s, fd, events);
    io_uring_sqe_set_data64(s, user_data);
    return 0;
}

int kring_timeout(kring *r, uint64_t ns, uint64_t user_data) {
    struct __kernel_timespec ts = { .tv_sec = (long long)(ns / 1000000000u), .tv_nsec = (long long)(ns % 1000000000u) };
    struct io_uring_sqe *s = sqe(r);
    if (!s) return -EBUSY;
    io_uring_prep_timeout(s, &ts, 0, 0);
    io_uring_sqe_set_data64(s, user_data);
    /* The kernel copies the timespec during submission: submit while ts is alive. */
    int n = io_uring_submit(&r->ring);
    r->pending = 0;
    return n < 0 ? n : 0;
}

int kring_cancel(kring *r, uint64_t target, uint64_t user_data) {
    struct io_uring_sqe *s = sqe(r);
    if (!s) return -EBUSY;
    io_uring_prep_cancel64(s, target, 0);
    io_uring_sqe_set_data64(s, user_data);
    return 0;
}

int kring_submit(kring *r) {
    if (r->pending == 0) return 0;
    r->pending = 0;
    return io_uring_submit(&r->ring);
}

int kring_wait(kring *r) {
    struct io_uring_cqe *c = NULL;
    if (r->pending) {
        r->pending = 0;
        return io_uring_submit_and_wait(&r->ring, 1) < 0 ? -errno : 0;
    }
    int e = io_uring_wait_cqe(&r->ring, &c);
    return e < 0 ? e : 0;
}

int kring_peek(kring *r, struct kring_cqe *out) {
    struct io_uring_cqe *c = NULL;
    if (io_uring_peek_cqe(&r->ring, &c) != 0 || !c) return 0;
    out->user_data = c->user_data;
    out->res = c->res;
    out->flags = c->flags;
    io_uring_cqe_seen(&r->ring, c);
    return 1;
}

/* ---- The plain-syscall fallback (Ring.swift's backend when io_uring is unavailable) ----
 * Here because this file is compiled with liburing.h's _GNU_SOURCE, which preadv2,
 * pwritev2 (RWF_NOWAIT) and ppoll need. */
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static long kfb_result(long n) { return n < 0 ? -errno : n; }

long kfb_read(int fd, void *buf, unsigned len, uint64_t offset, int nowait) {
    if (nowait) {
        struct iovec v = { buf, len };
        return kfb_result(preadv2(fd, &v, 1, offset == UINT64_MAX ? -1 : (off_t)offset, RWF_NOWAIT));
    }
    return kfb_result(offset == UINT64_MAX ? read(fd, buf, len) : pread(fd, buf, len, (off_t)offset));
}

long kfb_write(int fd, const void *buf, unsigned len, uint64_t offset, int nowait) {
    if (nowait) {
        struct iovec v = { (void *)buf, len };
        return kfb_result(pwritev2(fd, &v, 1, offset == UINT64_MAX ? -1 : (off_t)offset, RWF_NOWAIT));
    }
    return kfb_result(offset == UINT64_MAX ? write(fd, buf, len) : pwrite(fd, buf, len, (off_t)offset));
}

int kfb_ppoll(void *fds, unsigned n, int64_t timeout_ns) {
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tp = &ts;
    }
    int r = ppoll((struct pollfd *)fds, n, tp, NULL);
    return r < 0 ? -errno : r;
}

int kfb_file_kind(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -errno;
    return S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ? 1 : 0;
}
