// FileTable.swift: open file descriptions and the per-process descriptor table.
//
// `OpenFile` is Linux's `struct file`: one per open(), shared by dup() and fork(), holding
// the offset and status flags. Subclasses implement the kinds (image files, directories,
// devices, /proc entries, the caller's host stdio, pipes). Every operation has a default
// that fails with the errno Linux gives for a file that cannot do it.
import VFSImage

/// O_* and F_* values (asm-generic), the ones the fd layer itself needs.
public enum OpenFlags {
    public static let O_ACCMODE: Int32 = 0o3
    public static let O_RDONLY: Int32 = 0o0
    public static let O_WRONLY: Int32 = 0o1
    public static let O_RDWR: Int32 = 0o2
    public static let O_CREAT: Int32 = 0o100
    public static let O_EXCL: Int32 = 0o200
    public static let O_NOCTTY: Int32 = 0o400
    public static let O_TRUNC: Int32 = 0o1000
    public static let O_APPEND: Int32 = 0o2000
    public static let O_NONBLOCK: Int32 = 0o4000
    public static let O_DSYNC: Int32 = 0o10000
    public static let O_DIRECT: Int32 = 0o40000
    public static let O_LARGEFILE: Int32 = 0o100000
    public static let O_DIRECTORY: Int32 = 0o200000
    public static let O_NOFOLLOW: Int32 = 0o400000
    public static let O_NOATIME: Int32 = 0o1000000
    public static let O_CLOEXEC: Int32 = 0o2000000
    public static let O_SYNC: Int32 = 0o4010000
    public static let O_PATH: Int32 = 0o10000000
    public static let O_TMPFILE: Int32 = 0o20200000
    /// O_ASYNC: signal-driven I/O, which this kernel does not deliver (F_SETFL and FIOASYNC
    /// refuse it with EINVAL rather than accept it and never send SIGIO).
    public static let O_ASYNC: Int32 = 0o20000
    /// Flags F_SETFL may change.
    public static let settable: Int32 = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME
}

public class OpenFile {
    /// Access mode and status flags (O_APPEND, O_NONBLOCK, ...), as F_GETFL returns them.
    public var statusFlags: Int32
    public var offset: Int64 = 0
    /// Descriptors (in all processes) referring to this description.
    public internal(set) var references = 0
    /// F_SETOWN/F_SETSIG bookkeeping (read back by F_GETOWN/F_GETSIG). Nothing is signalled:
    /// O_ASYNC, which would make it matter, is refused.
    public var owner: Int32 = 0
    public var ownerSignal: Int32 = 0

    public init(flags: Int32) {
        self.statusFlags = flags & ~(OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_NOCTTY
                                     | OpenFlags.O_TRUNC | OpenFlags.O_CLOEXEC)
    }

    public var accessMode: Int32 { statusFlags & OpenFlags.O_ACCMODE }
    public var isPath: Bool { statusFlags & OpenFlags.O_PATH != 0 }
    public var canRead: Bool { !isPath && accessMode != OpenFlags.O_WRONLY }
    public var canWrite: Bool { !isPath && accessMode != OpenFlags.O_RDONLY }
    public var isNonBlocking: Bool { statusFlags & OpenFlags.O_NONBLOCK != 0 }

    /// The file's location in the VFS, if it has one (fchdir, fstatat with AT_EMPTY_PATH,
    /// /proc/PID/fd links, *at() with this descriptor as dirfd).
    public var node: VNode? { nil }
    /// What /proc/PID/fd/N reads as (a path, "pipe:[N]", "/dev/pts/0" ...).
    public func procLinkName() -> [UInt8] { Array("anon_inode:[unknown]".utf8) }

    /// Reads up to `count` bytes into guest memory at `addr`; `position` nil means at (and
    /// advancing) the file offset.
    public func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        throw .errno(.EINVAL)
    }
    public func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        throw .errno(.EINVAL)
    }
    // (VFS work, additive) readv/writev/preadv/pwritev: `iov` holds (guest address, length)
    // pairs. The defaults call read/write once per non-empty iovec, stop at the first short
    // transfer, and return what was moved when a later iovec fails or blocks. A subclass
    // whose read/write may throw `.suspended` must override these: a suspension after a
    // partial transfer cannot be taken back.
    public func readv(_ t: GuestThread, _ iov: [(base: UInt32, len: Int)], at position: Int64?) throws(SyscallError) -> Int {
        var total = 0
        for v in iov where v.len > 0 {
            let n: Int
            do { n = try read(t, into: v.base, count: v.len, at: position.map { $0 + Int64(total) }) } catch {
                if total > 0 { return total }
                throw error
            }
            total += n
            if n < v.len { break }
        }
        return total
    }
    public func writev(_ t: GuestThread, _ iov: [(base: UInt32, len: Int)], at position: Int64?) throws(SyscallError) -> Int {
        var total = 0
        for v in iov where v.len > 0 {
            let n: Int
            do { n = try write(t, from: v.base, count: v.len, at: position.map { $0 + Int64(total) }) } catch {
                if total > 0 { return total }
                throw error
            }
            total += n
            if n < v.len { break }
        }
        return total
    }
    public func seek(_ t: GuestThread, offset: Int64, whence: Int32) throws(SyscallError) -> Int64 {
        throw .errno(.ESPIPE)
    }
    /// mmap of the file: records the mapping through `commit` and fills guest memory
    /// [addr, addr + length) with the file's bytes from `offset` (a mapping is a copy taken
    /// now: sdk/ABI.md §2). A file that cannot be mapped fails before calling `commit`, so
    /// mmap has no side effect then. Default: ENODEV (Linux: no mmap operation — pipes,
    /// FIFOs, terminals, directories, /proc files).
    public func mapInto(_ t: GuestThread, at addr: UInt32, length: Int, offset: Int64,
                        commit: () throws(SyscallError) -> Void) throws(SyscallError) {
        throw .errno(.ENODEV)
    }
    /// pread/pwrite/preadv/pwritev need a file with positions. Default: it has them if
    /// lseek(fd, 0, SEEK_CUR) works (ESPIPE from pipes, FIFOs, terminals).
    public func checkPositional(_ t: GuestThread) throws(SyscallError) {
        let saved = offset
        _ = try seek(t, offset: 0, whence: 1)
        offset = saved
    }
    /// fallocate(mode, offset, length), the arguments checked by the handler. Default:
    /// ESPIPE for a file with no node (a pipe), else ENODEV (Linux: no fallocate operation).
    public func allocate(_ t: GuestThread, mode: Int32, offset: Int64, length: Int64) throws(SyscallError) {
        throw .errno(node == nil ? .ESPIPE : .ENODEV)
    }
    /// sync_file_range (flags checked by the handler): ESPIPE for a file with no node; any
    /// flag that asks for writeback makes the whole file durable (a superset of Linux's
    /// promise).
    public func syncRange(_ t: GuestThread, flags: UInt32) throws(SyscallError) {
        if node == nil { throw .errno(.ESPIPE) }
        if flags != 0 { try sync(t) }
    }
    /// The bytes behind the description at any position, for copies made inside the kernel
    /// (sendfile, copy_file_range). nil: Linux's EINVAL (no copy or splice support).
    var contents: (any FileContents)? { nil }
    /// A directory: copy_file_range's EISDIR.
    public var isDirectory: Bool { false }
    /// fcntl commands the descriptor layer leaves to the kind of file. Default: EINVAL
    /// (Linux's answer to a command the file does not know).
    public func fileControl(_ t: GuestThread, command: Int32, arg: Int32) throws(SyscallError) -> Int32 {
        throw .errno(.EINVAL)
    }
    public func stat(_ t: GuestThread) throws(SyscallError) -> KStat { throw .errno(.EBADF) }
    public func ioctl(_ t: GuestThread, request: UInt32, arg: UInt32) throws(SyscallError) -> Int32 {
        throw .errno(.ENOTTY)
    }
    /// Fills `count` bytes at `addr` with linux_dirent64 records; returns bytes used.
    public func getdents64(_ t: GuestThread, into addr: UInt32, count: Int) throws(SyscallError) -> Int {
        throw .errno(.ENOTDIR)
    }
    public func truncate(_ t: GuestThread, to size: Int64) throws(SyscallError) { throw .errno(.EINVAL) }
    /// fsync/fdatasync: Linux's answer for files with nothing to sync through (pipes,
    /// sockets, character devices, terminals, /proc) is EINVAL; storage overrides it.
    public func sync(_ t: GuestThread) throws(SyscallError) { throw .errno(.EINVAL) }
    public var isTerminal: Bool { false }

    // MARK: readiness (poll, select, epoll)

    /// The events (`Events`: POLLIN, POLLOUT, POLLHUP, ...) true of the file now, as seen
    /// by `t` (a signalfd answers for the reader's own pending signals). The default is
    /// Linux's DEFAULT_POLLMASK for files without a poll method: a regular file is always
    /// readable and writable.
    public func readiness(_ t: GuestThread) -> UInt32 { Events.readable | Events.writable }
    /// The queue this file notifies with the events that happen; nil if its readiness never
    /// changes.
    public var readinessQueue: WaitQueue? { nil }
    /// Registers `w` to be called when some of its events happen, until `unwatch`. Returns
    /// false for a file whose readiness never changes (Linux: no poll method): poll answers
    /// from `readiness` alone, and epoll_ctl refuses it with EPERM.
    public func watch(_ w: Waiter, _ t: GuestThread) -> Bool {
        guard let q = readinessQueue else { return false }
        q.add(w)
        return true
    }
    public func unwatch(_ w: Waiter) { w.removeFromAll() }
    /// Whether `watch` can succeed (epoll_ctl's EPERM test, made without registering).
    public var isWatchable: Bool { readinessQueue != nil }
    /// Lines this kind adds to /proc/PID/fdinfo/N (Linux's show_fdinfo).
    public func fdinfo() -> String { "" }
    /// Epoll entries watching this description; removed when its last reference closes
    /// (Linux's eventpoll_release), not when one of its descriptors does.
    var epollWatchers: [EpollItem] = []

    /// The last descriptor referring to the description is gone.
    public func release() {}
}

/// A file's bytes at positions, without guest memory: the source and target of in-kernel
/// copies. `readBytes` hands `sink` chunks with the count already delivered and returns
/// the total (short at end of file); `writeBytes` asks `source` to fill chunks and returns
/// the bytes written. Errors are Linux's (EINVAL for a negative position, EFBIG, EIO...).
protocol FileContents: AnyObject {
    func readBytes(at start: Int64, count: Int,
                   _ sink: (UnsafeRawBufferPointer, Int) throws(SyscallError) -> Void) throws(SyscallError) -> Int
    func writeBytes(at start: Int64, count: Int,
                    _ source: (UnsafeMutableRawBufferPointer, Int) throws(SyscallError) -> Void) throws(SyscallError) -> Int
}

public final class FileTable {
    public struct Entry {
        public var file: OpenFile
        public var cloexec: Bool
    }
    public private(set) var entries: [Int32: Entry] = [:]
    /// RLIMIT_NOFILE: descriptors are < limit.
    public var limit: Int32 = 1024
    /// Called with the description a descriptor stops referring to (close, dup2 over it,
    /// exec's FD_CLOEXEC, exit), before the reference is dropped: the owning process's
    /// locks go with it (Syscalls/Locks.swift). Not copied by fork: each process sets its own.
    public var onClose: ((OpenFile) -> Void)?

    public init() {}

    public func get(_ fd: Int32) throws(SyscallError) -> OpenFile {
        guard let e = entries[fd] else { throw .errno(.EBADF) }
        return e.file
    }
    public func entry(_ fd: Int32) -> Entry? { entries[fd] }

    /// Installs `file` at the lowest free descriptor ≥ `minimum` (EMFILE when none).
    public func install(_ file: OpenFile, cloexec: Bool, minimum: Int32 = 0) throws(SyscallError) -> Int32 {
        var fd = max(minimum, 0)
        while entries[fd] != nil { fd += 1 }
        if fd >= limit {
            // A description no table holds yet is let go here, or what it holds (an open
            // inode, a pipe end) would never be released.
            if file.references == 0 { file.release() }
            throw .errno(.EMFILE)
        }
        file.references += 1
        entries[fd] = Entry(file: file, cloexec: cloexec)
        return fd
    }

    /// dup2/dup3: installs at exactly `fd`, closing what was there.
    public func install(_ file: OpenFile, at fd: Int32, cloexec: Bool) throws(SyscallError) {
        if fd < 0 || fd >= limit {
            if file.references == 0 { file.release() }
            throw .errno(.EBADF)
        }
        file.references += 1
        let old = entries[fd]
        entries[fd] = Entry(file: file, cloexec: cloexec)
        if let old { closed(old.file) }
    }

    public func setCloexec(_ fd: Int32, _ on: Bool) throws(SyscallError) {
        guard entries[fd] != nil else { throw .errno(.EBADF) }
        entries[fd]!.cloexec = on
    }

    public func close(_ fd: Int32) throws(SyscallError) {
        guard let e = entries.removeValue(forKey: fd) else { throw .errno(.EBADF) }
        closed(e.file)
    }

    public func closeAll() {
        let all = entries
        entries = [:]
        for (_, e) in all.sorted(by: { $0.key < $1.key }) { closed(e.file) }
    }

    /// execve: close the FD_CLOEXEC descriptors.
    public func closeOnExec() {
        for (fd, e) in entries where e.cloexec {
            entries[fd] = nil
            closed(e.file)
        }
    }

    /// fork: a copy sharing the open file descriptions.
    public func copy() -> FileTable {
        let t = FileTable()
        t.limit = limit
        for (fd, e) in entries {
            e.file.references += 1
            t.entries[fd] = e
        }
        return t
    }

    private func closed(_ file: OpenFile) {
        onClose?(file)
        FileTable.drop(file)
    }

    static func drop(_ file: OpenFile) {
        file.references -= 1
        if file.references == 0 {
            let watchers = file.epollWatchers
            file.epollWatchers = []
            for item in watchers { item.epoll?.forget(item) }
            file.release()
        }
    }
}
