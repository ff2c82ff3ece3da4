/*
 * CHost: the few Linux calls the kernel needs that Swift's Glibc module does not expose
 * (they sit behind _GNU_SOURCE, or are variadic): cross-process memory copies, memfd,
 * eventfd, signalfd, pidfd, ioctl.  Thin wrappers, nothing else.  The header includes
 * only stdint/stddef so that it cannot clash with other C modules' system headers.
 */
#ifndef KANDELO_CHOST_H
#define KANDELO_CHOST_H
#include <stddef.h>
#include <stdint.h>

/* process_vm_readv/writev of one contiguous range; returns bytes or -errno. */
long chost_vm_read(int pid, void *local, uint64_t remote, size_t len);
long chost_vm_write(int pid, const void *local, uint64_t remote, size_t len);
int chost_memfd(const char *name);          /* MFD_CLOEXEC; -errno on failure */
int chost_eventfd(void);                    /* EFD_CLOEXEC|EFD_NONBLOCK */
int chost_flock(int fd, int op);            /* flock(2); -errno on failure (Swift's Glibc
                                               shadows the function with the struct) */
int chost_pollable(int fd);                 /* 1: has a poll method, 0: not (EPERM), <0: -errno */
int chost_signalfd(const void *sigset);     /* SFD_CLOEXEC; sigset is a sigset_t * */
int chost_pidfd_open(int pid);
/* sched_{set,get}affinity of host thread `tid` (behind _GNU_SOURCE); -errno on failure. */
int chost_set_affinity(int tid, const void *mask, size_t size);
int chost_get_affinity(int tid, void *mask, size_t size);
int chost_fallocate(int fd, int mode, int64_t offset, int64_t length);   /* 0 or -errno */
int chost_syncfs(int fd);                                                 /* 0 or -errno */
long chost_fs_type(int fd);                                              /* statfs f_type or -errno */
/* glibc's POSIX_SPAWN_SETSID (behind _GNU_SOURCE): the child calls setsid(). */
#define CHOST_POSIX_SPAWN_SETSID 0x80
/* A copy of descriptor `targetfd` of the process behind `pidfd` (close-on-exec); -errno. */
int chost_pidfd_getfd(int pidfd, int targetfd);
/* The wait status of the dead process behind `pidfd` (PIDFD_GET_INFO, Linux 6.13+), even
 * when it was not our child; -1 when the host cannot say. */
int chost_pidfd_exit_status(int pidfd);
int chost_ioctl_ptr(int fd, unsigned long request, void *arg);   /* -errno on failure */
int chost_ioctl_int(int fd, unsigned long request, long arg);
long chost_getrandom(void *buf, size_t len);      /* bytes or -errno */
/* membarrier(2) of the host (cmd, flags 0): its result or -errno. */
int chost_membarrier(int cmd);

/* io_uring through liburing, behind an opaque handle: liburing.h defines _GNU_SOURCE and
 * _XOPEN_SOURCE, which changes glibc's structures; kept out of every Swift-visible module
 * so that no two modules see different definitions of the same system type. */
typedef struct kring kring;
struct kring_cqe { uint64_t user_data; int32_t res; uint32_t flags; };
#define KRING_CQE_F_MORE (1U << 1)
kring *kring_create(unsigned entries, int *error);        /* NULL and *error = -errno */
void kring_destroy(kring *r);
/* Each prep returns 0, or -EBUSY when the submission queue is full even after a submit. */
int kring_read(kring *r, int fd, void *buf, unsigned len, uint64_t offset, uint64_t user_data);
int kring_write(kring *r, int fd, const void *buf, unsigned len, uint64_t offset, uint64_t user_data);
int kring_poll(kring *r, int fd, unsigned events, uint64_t user_data);
/* Relative timeout; the ring copies the time at submission, which this call does. */
int kring_timeout(kring *r, uint64_t nanoseconds, uint64_t user_data);
int kring_cancel(kring *r, uint64_t target, uint64_t user_data);
int kring_submit(kring *r);                               /* submitted count or -errno */
/* Submits and waits until at least one completion is ready (or a signal: -EINTR). */
int kring_wait(kring *r);
/* Takes one ready completion: 1 if *out was filled, 0 if none. */
int kring_peek(kring *r, struct kring_cqe *out);
/* The Ring's plain-syscall fallback (ring.c). Reads and writes at `offset`, or at the file
 * position when it is UINT64_MAX; `nowait` uses preadv2/pwritev2 with RWF_NOWAIT (-EAGAIN
 * instead of blocking; -EOPNOTSUPP where the file does not support it). Bytes or -errno. */
long kfb_read(int fd, void *buf, unsigned len, uint64_t offset, int nowait);
long kfb_write(int fd, const void *buf, unsigned len, uint64_t offset, int nowait);
/* ppoll over `n` struct pollfd; timeout_ns < 0 waits forever. Ready count or -errno. */
int kfb_ppoll(void *fds, unsigned n, int64_t timeout_ns);
/* 1: a regular file or block device (never waits for readiness), 0: other, -errno. */
int kfb_file_kind(int fd);
/* HostDirFS (hostdir.c). openat2(2) with `resolve` = RESOLVE_* bits: fd or -errno. */
int hd_openat2(int dirfd, const char *path, int flags, unsigned mode, uint64_t resolve);
int hd_renameat2(int olddir, const char *oldname, int newdir, const char *newname, unsigned flags);
/* chmod of `name` in `dirfd` without following a final symlink (-EOPNOTSUPP on one). */
int hd_chmod_nofollow(int dirfd, const char *name, unsigned mode);
/* The service's control socket (control.c). All return -errno on failure. */
int chost_unix_listen(const char *path);        /* bound (0600), listening, non-blocking */
int chost_unix_connect(const char *path);       /* connected, blocking */
int chost_accept(int fd);                       /* non-blocking connection */
int chost_peer_cred(int fd, int *pid, unsigned *uid, unsigned *gid);
/* sendmsg/recvmsg with up to 8 descriptors (SCM_RIGHTS); recv is non-blocking and closes
 * descriptors beyond `maxfds`. Bytes or -errno. */
long chost_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);
long chost_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds);
#endif
