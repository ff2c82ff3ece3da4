/* hostdir.c: the host calls behind HostDirFS (Sources/Kernel/VFS/HostDirFS.swift) that
 * Swift's Glibc module does not expose: openat2 with RESOLVE_* flags (the confinement of
 * every host path below the bound directory), renameat2, and a chmod that never follows
 * a symlink (fchmodat2, Linux 6.6, with a fallback). Thin wrappers; -errno on failure. */
#define _GNU_SOURCE
#include "CHost.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int hd_openat2(int dirfd, const char *path, int flags, unsigned mode, uint64_t resolve) {
    struct open_how how = { 0 };
    how.flags = (uint64_t)(unsigned)flags;
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = resolve;
    long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    return r < 0 ? -errno : (int)r;
}

int hd_renameat2(int olddir, const char *oldname, int newdir, const char *newname, unsigned flags) {
    long r = syscall(SYS_renameat2, olddir, oldname, newdir, newname, flags);
    return r < 0 ? -errno : 0;
}

int hd_chmod_nofollow(int dirfd, const char *name, unsigned mode) {
    long r = syscall(452 /* fchmodat2 */, dirfd, name, mode, AT_SYMLINK_NOFOLLOW);
    if (r == 0) return 0;
    if (errno != ENOSYS) return -errno;
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
    if (S_ISLNK(st.st_mode)) return -EOPNOTSUPP;
    return fchmodat(dirfd, name, mode, 0) != 0 ? -errno : 0;
}
