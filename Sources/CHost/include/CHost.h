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
int chost_signalfd(const void *sigset);     /* SFD_CLOEXEC; sigset is a sigset_t * */
int chost_pidfd_open(int pid);
int chost_ioctl_ptr(int fd, unsigned long request, void *arg);   /* -errno on failure */
int chost_ioctl_int(int fd, unsigned long request, long arg);
long chost_getrandom(void *buf, size_t len);      /* bytes or -errno */
#endif
