#define _GNU_SOURCE
#include "CHost.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <stdint.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

long chost_vm_read(int pid, void *local, uint64_t remote, size_t len) {
    struct iovec l = { local, len }, r = { (void *)(uintptr_t)remote, len };
    ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
    return n < 0 ? -errno : n;
}

long chost_vm_write(int pid, const void *local, uint64_t remote, size_t len) {
    struct iovec l = { (void *)local, len }, r = { (void *)(uintptr_t)remote, len };
    ssize_t n = process_vm_writev(pid, &l, 1, &r, 1, 0);
    return n < 0 ? -errno : n;
}

int chost_memfd(const char *name) {
    int fd = memfd_create(name, MFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int chost_flock(int fd, int op) {
    return syscall(SYS_flock, fd, op) == 0 ? 0 : -errno;
}

int chost_eventfd(void) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

/* 1 if `fd` has a poll method (a host epoll set accepts it), 0 if not (EPERM: regular
 * files, /dev/null), -errno if the question could not be asked. */
int chost_pollable(int fd) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return -errno;
    struct epoll_event ev = { .events = EPOLLIN };
    int r = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    int e = errno;
    close(ep);
    if (r == 0) return 1;
    return e == EPERM ? 0 : -e;
}

int chost_signalfd(const void *set) {
    int fd = signalfd(-1, (const sigset_t *)set, SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int chost_pidfd_open(int pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

int chost_pidfd_getfd(int pidfd, int targetfd) {
    long fd = syscall(SYS_pidfd_getfd, pidfd, targetfd, 0);
    return fd < 0 ? -errno : (int)fd;
}

/* PIDFD_GET_INFO (Linux 6.13+), the part we use: a process's wait status after it died,
 * which its pidfd answers even to a non-parent and after the process was reaped. */
struct chost_pidfd_info {
    uint64_t mask, cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
};
#define CHOST_PIDFD_GET_INFO _IOWR(0xFF, 11, struct chost_pidfd_info)
#define CHOST_PIDFD_INFO_EXIT (1ULL << 3)

int chost_pidfd_exit_status(int pidfd) {
    struct chost_pidfd_info info = { .mask = CHOST_PIDFD_INFO_EXIT };
    if (ioctl(pidfd, CHOST_PIDFD_GET_INFO, &info) != 0 || !(info.mask & CHOST_PIDFD_INFO_EXIT)) return -1;
    return info.exit_code;
}

int chost_ioctl_ptr(int fd, unsigned long request, void *arg) {
    int r = ioctl(fd, request, arg);
    return r < 0 ? -errno : r;
}

int chost_ioctl_int(int fd, unsigned long request, long arg) {
    int r = ioctl(fd, request, arg);
    return r < 0 ? -errno : r;
}

int chost_membarrier(int cmd) {
    long r = syscall(SYS_membarrier, cmd, 0, 0);
    return r < 0 ? -errno : (int)r;
}

long chost_getrandom(void *buf, size_t len) {
    long n = syscall(SYS_getrandom, buf, len, 0);
    return n < 0 ? -errno : n;
}

/* CPU affinity of one host thread; `mask` is a cpu_set_t's bytes (bit n = CPU n). */
int chost_set_affinity(int tid, const void *mask, size_t size) {
    cpu_set_t set;
    CPU_ZERO(&set);
    memcpy(&set, mask, size < sizeof set ? size : sizeof set);
    return sched_setaffinity(tid, sizeof set, &set) ? -errno : 0;
}

int chost_get_affinity(int tid, void *mask, size_t size) {
    cpu_set_t set;
    if (sched_getaffinity(tid, sizeof set, &set)) return -errno;
    memcpy(mask, &set, size < sizeof set ? size : sizeof set);
    return 0;
}

/* fallocate(2) and syncfs(2) on a host descriptor (glibc declares them only under
 * _GNU_SOURCE, which Swift's Glibc module does not see). */
int chost_fallocate(int fd, int mode, int64_t offset, int64_t length) {
    return fallocate(fd, mode, offset, length) ? -errno : 0;
}

int chost_syncfs(int fd) {
    return syncfs(fd) ? -errno : 0;
}

/* The filesystem magic (statfs f_type) of the filesystem holding `fd`; -errno on failure. */
#include <sys/vfs.h>
long chost_fs_type(int fd) {
    struct statfs s;
    return fstatfs(fd, &s) ? -errno : (long)(unsigned long)s.f_type;
}
