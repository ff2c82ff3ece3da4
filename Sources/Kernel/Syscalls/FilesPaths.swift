// FilesPaths.swift (syscalls): paths, attributes and the namespace: statx, fstatat64,
// fstat64, statfs64, mkdirat, mknodat, unlinkat, renameat(2), linkat, symlinkat,
// readlinkat, fchmod(at), fchown(at), utimensat_time64, truncate64, faccessat(2), chdir,
// fchdir, chroot, getcwd, umask.
import KandeloABI
import VFSImage

extension Kernel {

    /// A path argument that may be NULL with AT_EMPTY_PATH (statx since Linux 6.11).
    static func optionalPathArg(_ t: GuestThread, _ i: Int, emptyPath: Bool) throws(SyscallError) -> [UInt8] {
        if t.uarg(i) == 0 && emptyPath { return [] }
        return try pathArg(t, i)
    }

    // MARK: stat

    /// statx(2): extended file status by path or descriptor.
    static func sys_statx(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let dirfd = t.arg(0), flags = t.arg(2), mask = t.uarg(3), buf = t.uarg(4)
        let known = AtFlags.SYMLINK_NOFOLLOW | AtFlags.NO_AUTOMOUNT | AtFlags.EMPTY_PATH | AtFlags.STATX_SYNC_TYPE
        if flags & ~known != 0 || flags & AtFlags.STATX_SYNC_TYPE == AtFlags.STATX_SYNC_TYPE { throw .errno(.EINVAL) }
        if mask & StatABI.STATX__RESERVED != 0 { throw .errno(.EINVAL) }
        let emptyPath = flags & AtFlags.EMPTY_PATH != 0
        let path = try optionalPathArg(t, 1, emptyPath: emptyPath)
        let target = try k.vfs.target(t, dirfd: dirfd, path: path, follow: flags & AtFlags.SYMLINK_NOFOLLOW == 0,
                                      emptyPath: emptyPath)
        let st = try k.vfs.stat(t, target)
        var mountID = 0
        if case .node(let n) = target { mountID = n.mountID }
        try t.memory.write(buf, StatABI.statx(st, mountID: mountID))
        return 0
    }

    /// fstatat64(2): struct stat64 by path relative to a directory descriptor.
    static func sys_fstatat64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let dirfd = t.arg(0), buf = t.uarg(2), flags = t.arg(3)
        if flags & ~(AtFlags.SYMLINK_NOFOLLOW | AtFlags.NO_AUTOMOUNT | AtFlags.EMPTY_PATH) != 0 { throw .errno(.EINVAL) }
        let emptyPath = flags & AtFlags.EMPTY_PATH != 0
        let path = try pathArg(t, 1)
        let target = try k.vfs.target(t, dirfd: dirfd, path: path, follow: flags & AtFlags.SYMLINK_NOFOLLOW == 0,
                                      emptyPath: emptyPath)
        try t.memory.write(buf, StatABI.stat64(try k.vfs.stat(t, target)))
        return 0
    }

    /// fstat64(2): struct stat64 of an open file.
    static func sys_fstat64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        try t.memory.write(t.uarg(1), StatABI.stat64(try f.stat(t)))
        return 0
    }

    static func statfsSize(_ raw: UInt32) throws(SyscallError) -> Int {
        if raw != 84 && raw != 88 { throw .errno(.EINVAL) }
        return Int(raw)
    }

    /// statfs64(2): filesystem statistics by path.
    static func sys_statfs64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let size = try statfsSize(t.uarg(1))
        let path = try pathArg(t, 0)
        let n = try k.vfs.resolve(t, dirfd: AtFlags.FDCWD, path: path, followFinal: true)
        try t.memory.write(t.uarg(2), StatABI.statfs64(k.vfs.statfs(n, for: t.process), size: size))
        return 0
    }

    /// fstatfs64(2): filesystem statistics of an open file.
    static func sys_fstatfs64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        let size = try statfsSize(t.uarg(1))
        // Files without a node (pipes, sockets, host stdio) answer as pipefs.
        let s = f.node.map { k.vfs.statfs($0, for: t.process) } ?? StatABI.StatFS(type: 0x5049_5045)
        try t.memory.write(t.uarg(2), StatABI.statfs64(s, size: size))
        return 0
    }

    // MARK: namespace

    /// mkdirat(2): creates a directory.
    static func sys_mkdirat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let path = try pathArg(t, 1)
        try k.vfs.mkdir(t, dirfd: t.arg(0), path: path, mode: t.uarg(2))
        return 0
    }

    /// mknodat(2): creates a regular file, FIFO or device node.
    static func sys_mknodat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let path = try pathArg(t, 1)
        try k.vfs.mknod(t, dirfd: t.arg(0), path: path, mode: t.uarg(2), dev: t.uarg(3))
        return 0
    }

    /// unlinkat(2): removes a name (AT_REMOVEDIR: a directory).
    static func sys_unlinkat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let flags = t.arg(2)
        if flags & ~AtFlags.REMOVEDIR != 0 { throw .errno(.EINVAL) }
        let path = try pathArg(t, 1)
        try k.vfs.unlink(t, dirfd: t.arg(0), path: path, removeDir: flags & AtFlags.REMOVEDIR != 0)
        return 0
    }

    /// renameat(2): renames a path.
    static func sys_renameat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let old = try pathArg(t, 1), new = try pathArg(t, 3)
        try k.vfs.rename(t, olddirfd: t.arg(0), oldpath: old, newdirfd: t.arg(2), newpath: new, flags: 0)
        return 0
    }

    /// renameat2(2): renameat(2) with RENAME_NOREPLACE / RENAME_EXCHANGE.
    static func sys_renameat2(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let old = try pathArg(t, 1), new = try pathArg(t, 3)
        try k.vfs.rename(t, olddirfd: t.arg(0), oldpath: old, newdirfd: t.arg(2), newpath: new, flags: t.uarg(4))
        return 0
    }

    /// linkat(2): makes a hard link.
    static func sys_linkat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let old = try pathArg(t, 1), new = try pathArg(t, 3)
        try k.vfs.link(t, olddirfd: t.arg(0), oldpath: old, newdirfd: t.arg(2), newpath: new, flags: t.arg(4))
        return 0
    }

    /// symlinkat(2): makes a symbolic link.
    static func sys_symlinkat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let target = try pathArg(t, 0), path = try pathArg(t, 2)
        try k.vfs.symlink(t, target: target, dirfd: t.arg(1), path: path)
        return 0
    }

    /// readlinkat(2): the target of a symbolic link.
    static func sys_readlinkat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let size = t.arg(3)
        if size <= 0 { throw .errno(.EINVAL) }
        let path = try pathArg(t, 1)
        let target = try k.vfs.readlink(t, dirfd: t.arg(0), path: path)
        let n = min(Int(size), target.count)
        try t.memory.write(t.uarg(2), Array(target.prefix(n)))
        return Int32(n)
    }

    // MARK: attributes

    /// fchmodat(2): changes mode bits by path.
    static func sys_fchmodat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let path = try pathArg(t, 1)
        let target = try k.vfs.target(t, dirfd: t.arg(0), path: path, follow: true, emptyPath: false)
        if case .node(let n) = target { try k.vfs.chmod(t, n, mode: t.uarg(2)) }
        return 0
    }

    /// fchmod(2): changes mode bits of an open file.
    static func sys_fchmod(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        if let n = f.node { try k.vfs.chmod(t, n, mode: t.uarg(1)) }
        return 0
    }

    /// fchownat(2): changes owner and group by path.
    static func sys_fchownat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let flags = t.arg(4)
        if flags & ~(AtFlags.SYMLINK_NOFOLLOW | AtFlags.EMPTY_PATH) != 0 { throw .errno(.EINVAL) }
        let emptyPath = flags & AtFlags.EMPTY_PATH != 0
        let path = try pathArg(t, 1)
        let target = try k.vfs.target(t, dirfd: t.arg(0), path: path, follow: flags & AtFlags.SYMLINK_NOFOLLOW == 0,
                                      emptyPath: emptyPath)
        if case .node(let n) = target { try k.vfs.chown(t, n, uid: t.uarg(2), gid: t.uarg(3)) }
        return 0
    }

    /// fchown(2): changes owner and group of an open file.
    static func sys_fchown(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        if let n = f.node { try k.vfs.chown(t, n, uid: t.uarg(1), gid: t.uarg(2)) }
        return 0
    }

    static let UTIME_NOW: Int64 = (1 << 30) - 1
    static let UTIME_OMIT: Int64 = (1 << 30) - 2

    /// One struct __kernel_timespec; the upper half of tv_nsec is ignored (sdk/ABI.md §3).
    static func timeSetting(_ t: GuestThread, _ addr: UInt32) throws(SyscallError) -> VFS.TimeSetting {
        let sec: Int64 = try t.memory.load(addr)
        let rawNsec: Int64 = try t.memory.load(t.memory.field(addr, 8))
        let nsec = Int64(Int32(truncatingIfNeeded: rawNsec))
        if nsec == UTIME_NOW { return .now }
        if nsec == UTIME_OMIT { return .omit }
        if nsec < 0 || nsec >= 1_000_000_000 { throw .errno(.EINVAL) }
        return .set(sec: sec, nsec: nsec)
    }

    /// utimensat_time64(dirfd, path, times[2], flags); path NULL means dirfd itself
    /// (futimens).
    static func sys_utimensat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let dirfd = t.arg(0), pathAddr = t.uarg(1), times = t.uarg(2), flags = t.arg(3)
        if flags & ~(AtFlags.SYMLINK_NOFOLLOW | AtFlags.EMPTY_PATH) != 0 { throw .errno(.EINVAL) }
        var atime = VFS.TimeSetting.now, mtime = VFS.TimeSetting.now
        if times != 0 {
            atime = try timeSetting(t, times)
            mtime = try timeSetting(t, times + 16)
        }
        let target: VFS.Target
        if pathAddr == 0 {
            if dirfd == AtFlags.FDCWD { throw .errno(.EFAULT) }
            if flags & AtFlags.SYMLINK_NOFOLLOW != 0 { throw .errno(.EINVAL) }
            let f = try t.process.files.get(dirfd)
            if let n = f.node { target = .node(n) } else { target = .file(f) }
        } else {
            let path = try t.memory.cString(pathAddr, limit: 4096)
            target = try k.vfs.target(t, dirfd: dirfd, path: path, follow: flags & AtFlags.SYMLINK_NOFOLLOW == 0,
                                      emptyPath: flags & AtFlags.EMPTY_PATH != 0)
        }
        if case .node(let n) = target { try k.vfs.setTimes(t, n, atime: atime, mtime: mtime, now: k.now()) }
        return 0
    }

    /// truncate64(2): sets the size of a file by path.
    static func sys_truncate64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let path = try pathArg(t, 0)
        let length = t.arg64(1)
        if length < 0 { throw .errno(.EINVAL) }
        let n = try k.vfs.resolve(t, dirfd: AtFlags.FDCWD, path: path, followFinal: true)
        try k.vfs.truncate(t, n, length: length)
        return 0
    }

    /// faccessat(2): permission check with the real ids.
    static func sys_faccessat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let path = try pathArg(t, 1)
        try k.vfs.access(t, dirfd: t.arg(0), path: path, mode: t.uarg(2), flags: 0)
        return 0
    }

    /// faccessat2(2): faccessat(2) with AT_EACCESS and AT_SYMLINK_NOFOLLOW.
    static func sys_faccessat2(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let flags = t.arg(3)
        let path = try optionalPathArg(t, 1, emptyPath: flags & AtFlags.EMPTY_PATH != 0)
        try k.vfs.access(t, dirfd: t.arg(0), path: path, mode: t.uarg(2), flags: flags)
        return 0
    }

    // MARK: cwd, root, umask

    /// chdir(2): changes the working directory by path.
    static func sys_chdir(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let path = try pathArg(t, 0)
        let n = try k.vfs.resolve(t, dirfd: AtFlags.FDCWD, path: path, followFinal: true)
        try k.vfs.chdir(t, n)
        return 0
    }

    /// fchdir(2): changes the working directory to an open directory.
    static func sys_fchdir(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        guard let n = f.node else { throw .errno(.ENOTDIR) }
        try k.vfs.chdir(t, n)
        return 0
    }

    /// chroot(2): changes the root directory (root only).
    static func sys_chroot(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let path = try pathArg(t, 0)
        let n = try k.vfs.resolve(t, dirfd: AtFlags.FDCWD, path: path, followFinal: true)
        let st = try k.vfs.stat(t, n)
        guard st.isDirectory else { throw .errno(.ENOTDIR) }
        try k.vfs.checkAccess(st, Access.X, t.process.cred)
        if !t.process.cred.isRoot { throw .errno(.EPERM) }
        t.process.root = n
        return 0
    }

    /// getcwd(buf, size): the length including the NUL; ERANGE when it does not fit.
    static func sys_getcwd(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let buf = t.uarg(0), size = t.uarg(1)
        let path = try k.vfs.getcwd(t)
        if UInt64(size) < UInt64(path.count + 1) { throw .errno(.ERANGE) }
        try t.memory.write(buf, path + [0])
        return Int32(path.count + 1)
    }

    /// umask(2): sets the file-creation mask and returns the old one.
    static func sys_umask(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let old = t.process.umask
        t.process.umask = t.uarg(0) & 0o777
        return Int32(old)
    }
}
