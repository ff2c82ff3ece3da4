// HostDirectory.swift: the host calls of a --bind directory (HostDirFS), one small function
// each, so HostDirFS keeps only confinement (which descriptor and which single name a call
// may use) and the mapping to the VFS.
//
// Whose error is it (System.swift's header): every directory descriptor, held file
// descriptor and buffer passed here is the kernel's own, opened by HostDirFS and closed only
// by it, so EBADF and EFAULT are our bugs and stop the service (HostSystem.guestErrno).
// Everything else is what the host says about the guest's request (ENOENT, EACCES, EROFS,
// ENOSPC, ELOOP, EXDEV, ENOTEMPTY...) and passes through.
//
// EBADF that is the guest's: the host answers EBADF for an I/O call on an O_PATH descriptor
// and for a write on a read-only one. HostDirFS holds an O_PATH descriptor for an open node
// it may not read (a directory, a FIFO, a file the host refuses to open even to root, such
// as /proc/sys/vm/drop_caches), and a read-only one for a file it may not write; a guest can
// make both happen. So no call here is ever given such a descriptor: HostDirFS keeps the
// access it opened each descriptor with (`HostDirFS.Access`) and answers EISDIR, EACCES
// itself before calling (read, write, truncate, fsync, fallocate), and heldDescriptor lends
// the Ring and the lock code only descriptors that can do I/O. No EBADF is mapped to an
// answer here: one reaching guestErrno is a descriptor we closed or opened wrong.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

/// Behind _GNU_SOURCE in glibc, so not in Swift's Glibc module (x86_64 and aarch64 value).
let O_PATH: Int32 = 0o10000000

enum HostDirectory {
    static let RESOLVE_NO_MAGICLINKS: UInt64 = 0x02
    static let RESOLVE_NO_SYMLINKS: UInt64 = 0x04
    static let RESOLVE_BENEATH: UInt64 = 0x08
    /// Nothing on the path may be "..", a symlink or a /proc magic link (HostDirFS's header).
    static let confined = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS

    /// Opens the bind's own directory (the launcher's path, before any guest runs): every
    /// error is the launcher's to report.
    static func openRoot(_ path: String) throws(LinuxErrno) -> (HostFD, Glibc.stat) {
        let fd = Glibc.open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw LinuxErrno(rawValue: errno) }
        var st = Glibc.stat()
        if fstat(fd, &st) != 0 { let e = errno; Glibc.close(fd); throw LinuxErrno(rawValue: e) }
        return (HostFD(fd), st)
    }

    /// openat2 of `path` below `dir`, confined; ENOSYS (no openat2: old kernel, seccomp) is
    /// thrown for the caller to fall back to `open`.
    static func openConfined(_ dir: HostFD, _ path: UnsafePointer<CChar>, _ flags: Int32) throws(LinuxErrno) -> HostFD {
        let fd = hd_openat2(dir.rawValue, path, flags, 0, confined)
        if fd < 0 { throw HostSystem.guestErrno(-fd, "openat2") }
        return HostFD(fd)
    }

    /// openat of one name in `dir` (flags from HostDirFS, which always adds O_NOFOLLOW).
    static func open(_ dir: HostFD, _ name: UnsafePointer<CChar>, _ flags: Int32, mode: UInt32 = 0) throws(LinuxErrno) -> HostFD {
        let fd = openat(dir.rawValue, name, flags, mode)
        if fd < 0 { throw HostSystem.lastError("openat") }
        return HostFD(fd)
    }

    /// fstatat without following the name.
    static func stat(_ dir: HostFD, _ name: UnsafePointer<CChar>) throws(LinuxErrno) -> Glibc.stat {
        var st = Glibc.stat()
        if fstatat(dir.rawValue, name, &st, AT_SYMLINK_NOFOLLOW) != 0 { throw HostSystem.lastError("fstatat") }
        return st
    }

    static func readLink(_ dir: HostFD, _ name: UnsafePointer<CChar>) throws(LinuxErrno) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { readlinkat(dir.rawValue, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
        if n < 0 { throw HostSystem.lastError("readlinkat") }
        return Array(buf[0..<n])
    }

    static func makeDirectory(_ dir: HostFD, _ name: UnsafePointer<CChar>, _ mode: UInt32) throws(LinuxErrno) {
        if mkdirat(dir.rawValue, name, mode) != 0 { throw HostSystem.lastError("mkdirat") }
    }

    /// mknodat of a regular file, FIFO or socket (HostDirFS refuses device nodes first).
    static func makeNode(_ dir: HostFD, _ name: UnsafePointer<CChar>, _ mode: UInt32) throws(LinuxErrno) {
        if mknodat(dir.rawValue, name, mode, 0) != 0 { throw HostSystem.lastError("mknodat") }
    }

    static func makeSymlink(_ target: [UInt8], _ dir: HostFD, _ name: UnsafePointer<CChar>) throws(LinuxErrno) {
        let ctarget = (target + [0]).map { CChar(bitPattern: $0) }
        if symlinkat(ctarget, dir.rawValue, name) != 0 { throw HostSystem.lastError("symlinkat") }
    }

    /// linkat without following the source name.
    static func link(_ dir: HostFD, _ name: UnsafePointer<CChar>, to newDir: HostFD, _ newName: UnsafePointer<CChar>) throws(LinuxErrno) {
        if linkat(dir.rawValue, name, newDir.rawValue, newName, 0) != 0 { throw HostSystem.lastError("linkat") }
    }

    /// unlinkat of a file, or of a directory with `directory`.
    static func remove(_ dir: HostFD, _ name: UnsafePointer<CChar>, directory: Bool) throws(LinuxErrno) {
        if unlinkat(dir.rawValue, name, directory ? AT_REMOVEDIR : 0) != 0 { throw HostSystem.lastError("unlinkat") }
    }

    /// renameat2 with the guest's RENAME_* flags (EINVAL for ones the host does not know).
    static func rename(_ dir: HostFD, _ name: UnsafePointer<CChar>, _ newDir: HostFD, _ newName: UnsafePointer<CChar>, flags: UInt32) throws(LinuxErrno) {
        let r = hd_renameat2(dir.rawValue, name, newDir.rawValue, newName, flags)
        if r < 0 { throw HostSystem.guestErrno(-r, "renameat2") }
    }

    /// chmod that never follows the name (fchmodat2; EOPNOTSUPP for a symlink without it).
    static func changeMode(_ dir: HostFD, _ name: UnsafePointer<CChar>, _ mode: UInt32) throws(LinuxErrno) {
        let r = hd_chmod_nofollow(dir.rawValue, name, mode)
        if r < 0 { throw HostSystem.guestErrno(-r, "fchmodat2") }
    }

    /// fchownat without following; UInt32.max leaves an id as it is.
    static func changeOwner(_ dir: HostFD, _ name: UnsafePointer<CChar>, uid: UInt32, gid: UInt32) throws(LinuxErrno) {
        if fchownat(dir.rawValue, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 { throw HostSystem.lastError("fchownat") }
    }

    /// utimensat without following; nil leaves that time as it is (UTIME_OMIT).
    static func setTimes(_ dir: HostFD, _ name: UnsafePointer<CChar>, access: Timestamp?, modification: Timestamp?) throws(LinuxErrno) {
        func ts(_ t: Timestamp?) -> timespec {
            guard let t else { return timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2 /* UTIME_OMIT */) }
            return timespec(tv_sec: Int(t.seconds), tv_nsec: Int(t.nanoseconds))
        }
        let times = [ts(access), ts(modification)]
        if utimensat(dir.rawValue, name, times, AT_SYMLINK_NOFOLLOW) != 0 { throw HostSystem.lastError("utimensat") }
    }

    /// Lists directory `fd` (opened O_RDONLY; consumed: closed when done) from `offset` (a
    /// d_off from an earlier listing): name, the d_off after it, d_type and, except for "."
    /// and "..", the entry's fstatat (nil when it was removed on the host meanwhile). `body`
    /// returns false to stop.
    static func list(_ fd: HostFD, from offset: UInt64,
                     _ body: ([UInt8], UInt64, UInt8, Glibc.stat?) -> Bool) throws(LinuxErrno) {
        guard let d = fdopendir(fd.rawValue) else { let e = errno; fd.close(); throw HostSystem.guestErrno(e, "fdopendir") }
        defer { closedir(d) }
        if offset > 0 { seekdir(d, Int(bitPattern: UInt(offset))) }
        while true {
            errno = 0
            guard let e = readdir(d) else {
                if errno != 0 { throw HostSystem.lastError("readdir") }
                return
            }
            let name: [UInt8] = withUnsafeBytes(of: &e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            let next = UInt64(bitPattern: Int64(e.pointee.d_off))
            var st: Glibc.stat? = nil
            if name != [0x2E] && name != [0x2E, 0x2E] {
                var s = Glibc.stat()
                let r = withUnsafeBytes(of: &e.pointee.d_name) { raw in
                    fstatat(dirfd(d), raw.baseAddress!.assumingMemoryBound(to: CChar.self), &s, AT_SYMLINK_NOFOLLOW)
                }
                if r != 0 { _ = HostSystem.lastError("fstatat"); continue }   // ENOENT: removed meanwhile
                st = s
            }
            if !body(name, next, e.pointee.d_type, st) { return }
        }
    }
}

extension HostFD {
    /// fsync that reports every failure (HostFD.sync makes EINVAL/EROFS success for stdio;
    /// a bind's file answers the guest what the host said).
    func syncStrictly() throws(LinuxErrno) {
        if fsync(rawValue) != 0 { throw HostSystem.lastError("fsync") }
    }

    /// fallocate(2) on a descriptor opened for writing; EOPNOTSUPP, ENOSPC, EFBIG, EINVAL
    /// are the host file system's answer to the guest's request.
    func allocate(mode: Int32, offset: Int64, length: Int64) throws(LinuxErrno) {
        let r = chost_fallocate(rawValue, mode, offset, length)
        if r < 0 { throw HostSystem.guestErrno(-r, "fallocate") }
    }

    /// syncfs(2) of the file system holding this (non-O_PATH) descriptor.
    func syncFilesystem() throws(LinuxErrno) {
        let r = chost_syncfs(rawValue)
        if r < 0 { throw HostSystem.guestErrno(-r, "syncfs") }
    }

    /// fstatvfs of the file system holding this descriptor.
    func filesystemStatistics() throws(LinuxErrno) -> statvfs {
        var s = statvfs()
        if fstatvfs(rawValue, &s) != 0 { throw HostSystem.lastError("fstatvfs") }
        return s
    }

    /// The host file system's magic number (fstatfs f_type).
    func filesystemType() throws(LinuxErrno) -> Int {
        let r = chost_fs_type(rawValue)
        if r < 0 { throw HostSystem.guestErrno(Int32(-r), "fstatfs") }
        return r
    }
}
