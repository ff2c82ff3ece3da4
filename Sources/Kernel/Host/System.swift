// System.swift: the kernel's calls into the host (libc), and who is to blame when they fail.
//
// Two kinds of host error:
//   - the guest's: what the host says about the guest's data or request, passed through as
//     the guest's errno. EACCES/EPERM/EROFS/ENOSPC/EDQUOT/EFBIG/ENAMETOOLONG/ENOENT/EEXIST/
//     ENOTEMPTY/ENOTDIR/EISDIR/EXDEV/ELOOP from a bind directory; EIO, EPIPE, EAGAIN, ESPIPE,
//     EINVAL (a bad offset or length the guest gave) from a descriptor lent to the guest;
//     ESRCH from kill of a runner that has just died (its reaping is on the way).
//   - ours: EBADF and EFAULT on one of our own descriptors or buffers can only mean the
//     kernel closed what it still uses or passed a bad pointer. Handing that to the guest
//     would turn a kernel bug into a guest's "bad file descriptor"; it stops the service
//     instead (`ours`), with the call named, so the bug is found.
// Host calls belong here and beside it: a bind directory's in HostDirectory.swift (which
// says when a host EBADF is the guest's), a runner's start, pidfd and reaping in
// Runners.swift, the Ring's in Ring.swift and CHost/ring.c. The rest of the kernel does not
// call libc for host work: guest memory is read and written by Host/GuestMemory.swift
// (process_vm_readv/writev), the host side of locks on bind files is Host/HostLocks.swift.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import KandeloABI
import VFSImage

/// A host descriptor the kernel owns (the caller's stdio copies, bind files, memfds,
/// pidfds): not a guest fd, so the two cannot be mixed up.
public struct HostFD: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ fd: Int32) { rawValue = fd }
}

enum HostSystem {
    /// The errno of a host call that failed on our own descriptor or buffer: EBADF and
    /// EFAULT are the kernel's bugs and stop it; anything else is the guest's to see.
    static func guestErrno(_ e: Int32, _ call: StaticString) -> LinuxErrno {
        precondition(e != EBADF && e != EFAULT,
                     "host \(call) failed with \(String(cString: strerror(e))) on the kernel's own descriptor or buffer")
        return LinuxErrno(rawValue: e)
    }

    /// `errno` after a failed call, sorted by `guestErrno`.
    static func lastError(_ call: StaticString) -> LinuxErrno { guestErrno(errno, call) }

    // MARK: processes (runners)

    /// Sends `sig` to a runner. ESRCH (the runner has just died; its pidfd reports it) is
    /// not an error here; EPERM or EINVAL would be ours.
    static func signalRunner(_ pid: pid_t, _ sig: Int32) {
        precondition(pid > 0, "kill(\(pid)) would signal a process group of the service")
        if kill(pid, sig) != 0 && errno != ESRCH {
            preconditionFailure("host kill(\(pid), \(sig)): \(String(cString: strerror(errno)))")
        }
    }

    /// Kills a runner that never became a process of ours (spawn failed half-way) and
    /// reaps it, so no zombie is left.
    static func killAndReap(_ pid: pid_t) {
        signalRunner(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// A new close-on-exec memfd (a module, a channel). EMFILE, ENFILE and ENOMEM are the
    /// host's limits, which the guest's fork, exec or spawn fails with.
    static func memfd(_ name: String) throws(LinuxErrno) -> HostFD {
        let fd = chost_memfd(name)
        if fd < 0 { throw guestErrno(-fd, "memfd_create") }
        return HostFD(fd)
    }

    /// setpriority(PRIO_PROCESS) of a runner; a runner that has gone is no error.
    static func setRunnerPriority(_ pid: pid_t, _ nice: Int32) {
        _ = setpriority(__priority_which_t(0), id_t(pid), nice)
    }

    // MARK: the machine

    static var pageSize: UInt64 { UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1)) }
    static var physicalPages: Int { max(sysconf(Int32(_SC_PHYS_PAGES)), 0) }
    static var availablePages: Int { max(sysconf(Int32(_SC_AVPHYS_PAGES)), 0) }
    static var onlineCPUs: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// The host's node name (uname), which guests see as theirs.
    static func nodeName() -> [UInt8] {
        var uts = utsname()
        uname(&uts)
        return withUnsafeBytes(of: &uts.nodename) { Array($0.prefix { $0 != 0 }) }
    }

    /// The target of a host symlink (for /proc/self/exe and /proc/self/fd/N), nil if none.
    static func readLink(_ path: String) -> [UInt8]? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        return n > 0 ? buf[0..<n].map { UInt8(bitPattern: $0) } : nil
    }
}

extension HostFD {
    /// A close-on-exec duplicate at or above `minimum` (EMFILE/ENFILE are the host's limits,
    /// EBADF is the caller's: the descriptor handed to us was not open).
    static func duplicate(_ fd: Int32, minimum: Int32) throws(LinuxErrno) -> HostFD {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, minimum)
        if copy < 0 { throw LinuxErrno(rawValue: errno) }
        return HostFD(copy)
    }

    func close() {
        if Glibc.close(rawValue) != 0 && errno == EBADF { preconditionFailure("host close(\(rawValue)): not open") }
    }

    var isTerminal: Bool { isatty(rawValue) == 1 }

    /// Readiness now for `events` (0 when nothing is ready).
    func poll(_ events: Int16) -> Int16 {
        var p = pollfd(fd: rawValue, events: events, revents: 0)
        return Glibc.poll(&p, 1, 0) > 0 ? p.revents : 0
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        let r = Glibc.read(rawValue, buffer.baseAddress, buffer.count)
        if r < 0 { throw HostSystem.lastError("read") }
        return r
    }

    func write(from buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        let r = Glibc.write(rawValue, buffer.baseAddress, buffer.count)
        if r < 0 { throw HostSystem.lastError("write") }
        return r
    }

    func seek(_ offset: Int64, _ whence: Int32) throws(LinuxErrno) -> Int64 {
        let r = lseek(rawValue, off_t(offset), whence)
        if r < 0 { throw HostSystem.lastError("lseek") }
        return Int64(r)
    }

    func stat() throws(LinuxErrno) -> Glibc.stat {
        var st = Glibc.stat()
        if fstat(rawValue, &st) != 0 { throw HostSystem.lastError("fstat") }
        return st
    }

    /// fsync; EINVAL and EROFS (a pipe, a terminal, a read-only file system: nothing to
    /// make durable) are success.
    func sync() throws(LinuxErrno) {
        if fsync(rawValue) != 0 && errno != EINVAL && errno != EROFS { throw HostSystem.lastError("fsync") }
    }

    func dataSync() throws(LinuxErrno) {
        if fdatasync(rawValue) != 0 && errno != EINVAL && errno != EROFS { throw HostSystem.lastError("fdatasync") }
    }

    /// pread; the descriptor must be one opened for reading (for a bind: HostDirectory.swift's header).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        let n = pread(rawValue, buffer.baseAddress, buffer.count, off_t(truncatingIfNeeded: offset))
        if n < 0 { throw HostSystem.lastError("pread") }
        return n
    }

    /// pwrite; the descriptor must be one opened for writing (for a bind: HostDirectory.swift's header).
    func write(at offset: UInt64, from data: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        let n = pwrite(rawValue, data.baseAddress, data.count, off_t(truncatingIfNeeded: offset))
        if n < 0 { throw HostSystem.lastError("pwrite") }
        return n
    }

    /// Whether the host file has a poll method (epoll_ctl refuses one without, as /dev/null
    /// and regular files, with EPERM).
    var isPollable: Bool { chost_pollable(rawValue) != 0 }

    func truncate(_ size: Int64) throws(LinuxErrno) {
        if ftruncate(rawValue, off_t(size)) != 0 { throw HostSystem.lastError("ftruncate") }
    }

    /// What /proc/self/fd/N says of it on the host.
    var linkName: [UInt8]? { HostSystem.readLink("/proc/self/fd/\(rawValue)") }
}

extension HostFD {
    /// Writes all of `bytes` from offset 0 (a memfd we made). ENOSPC/ENOMEM (a full
    /// /dev/shm or memory limit) are the guest's: its exec or spawn fails with them.
    func writeAll(_ bytes: [UInt8]) throws(LinuxErrno) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(rawValue, $0.baseAddress! + written, bytes.count - written, off_t(written)) }
            if n < 0 { throw HostSystem.lastError("pwrite") }
            if n == 0 { throw .ENOSPC }
            written += n
        }
    }

    /// Sizes the file to `size` bytes and maps it shared, read-write (a channel).
    func mapShared(size: Int) throws(LinuxErrno) -> UnsafeMutableRawPointer {
        if ftruncate(rawValue, off_t(size)) != 0 { throw HostSystem.lastError("ftruncate") }
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, rawValue, 0), base != MAP_FAILED else {
            throw HostSystem.lastError("mmap")
        }
        return base
    }

    /// Unmaps a runner's channel (this memfd's `mapShared` of KCH_SIZE bytes at `base`) and
    /// closes the memfd: the runner is gone or never started. A failure would be ours.
    func releaseChannel(mappedAt base: UnsafeMutableRawPointer) {
        precondition(munmap(base, Int(KCH_SIZE)) == 0, "munmap of a channel: \(String(cString: strerror(errno)))")
        close()
    }

    /// A fresh, empty memfd: regular, size 0, and answering F_GET_SEALS (memfds do; other
    /// files say EINVAL). What a runner hands over must be one (Spawn.takeRunnerMemfd).
    var isEmptyMemfd: Bool {
        let F_GET_SEALS: Int32 = 1034
        guard let st = try? stat() else { return false }
        return st.st_mode & S_IFMT == S_IFREG && st.st_size == 0 && fcntl(rawValue, F_GET_SEALS) >= 0
    }
}
