// HostLocks.swift: the host side of guest locks on files of a `--bind` directory. A guest
// owner's POSIX, OFD or flock lock there is also taken on the host file as an OFD or flock lock
// (Syscalls/Locks.swift decides when), through a host descriptor of its own, so host
// processes and guests exclude each other on the host's file. Host calls live in Host/.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

/// A host descriptor carrying one guest owner's locks on one bind file to the host kernel.
struct HostLock {
    let fd: Int32

    /// F_OFD_SETLK of `request`'s range (or its unlock); false if a host holder conflicts.
    @discardableResult
    func apply(_ request: FileLock, unlock: Bool) -> Bool {
        if request.kind == .flock { return flock(unlock ? 8 : (request.exclusive ? 2 : 1)) }
        var fl = Glibc.flock()
        fl.l_type = Int16(unlock ? F_UNLCK : (request.exclusive ? F_WRLCK : F_RDLCK))
        fl.l_whence = Int16(SEEK_SET)
        fl.l_start = off_t(request.start)
        fl.l_len = request.end == Int64.max ? 0 : off_t(request.end - request.start + 1)
        return fcntl(fd, 37 /* F_OFD_SETLK */, &fl) == 0
    }

    /// flock(2) without waiting; false if a host holder conflicts.
    func flock(_ op: Int32) -> Bool { chost_flock(fd, op | LOCK_NB) == 0 }

    /// A host holder of a lock conflicting with `request` (F_OFD_GETLK), as a guest sees it:
    /// pid 0 (outside the guests' pid space), or -1 for an OFD lock.
    func conflict(_ request: FileLock) -> FileLock? {
        guard request.kind != .flock else { return nil }
        var fl = Glibc.flock()
        fl.l_type = Int16(request.exclusive ? F_WRLCK : F_RDLCK)
        fl.l_whence = Int16(SEEK_SET)
        fl.l_start = off_t(request.start)
        fl.l_len = request.end == Int64.max ? 0 : off_t(request.end - request.start + 1)
        guard fcntl(fd, 36 /* F_OFD_GETLK */, &fl) == 0, Int32(fl.l_type) != F_UNLCK else { return nil }
        return FileLock(owner: .fuse(0), kind: fl.l_pid == -1 ? .ofd : .posix, exclusive: Int32(fl.l_type) == F_WRLCK,
                        start: Int64(fl.l_start), end: fl.l_len == 0 ? Int64.max : Int64(fl.l_start + fl.l_len - 1),
                        pid: fl.l_pid == -1 ? -1 : 0, hostPid: fl.l_pid)
    }
}

/// The host descriptors of HostLock, per (owner, file): a separate open file description
/// each (reopened through /proc/self/fd), so the host kernel tells owners apart.
final class HostLockDescriptors {
    struct Key: Hashable { var owner: FileLockOwner; var file: FileLockKey }
    private var fds: [Key: Int32] = [:]

    func descriptor(_ owner: FileLockOwner, _ file: FileLockKey, reopening fd: Int32) -> Int32? {
        let key = Key(owner: owner, file: file)
        if let d = fds[key] { return d }
        var d = open("/proc/self/fd/\(fd)", O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        if d < 0 { d = open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }
        guard d >= 0 else { return nil }
        fds[key] = d
        return d
    }

    /// Closing the descriptor drops the host locks it carries.
    func close(_ owner: FileLockOwner, _ file: FileLockKey) {
        guard !fds.isEmpty else { return }
        if let d = fds.removeValue(forKey: Key(owner: owner, file: file)) { Glibc.close(d) }
    }
}
