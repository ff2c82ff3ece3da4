#define _GNU_SOURCE
#include "CHost.h"
#include <errno.h>
#include <signal.h>
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

int chost_eventfd(void) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
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

int chost_ioctl_ptr(int fd, unsigned long request, void *arg) {
    int r = ioctl(fd, request, arg);
    return r < 0 ? -errno : r;
}

int chost_ioctl_int(int fd, unsigned long request, long arg) {
    int r = ioctl(fd, request, arg);
    return r < 0 ? -errno : r;
}

long chost_getrandom(void *buf, size_t len) {
    long n = syscall(SYS_getrandom, buf, len, 0);
    return n < 0 ? -errno : n;
}
