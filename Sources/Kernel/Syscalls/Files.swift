// Files.swift (syscalls): descriptors and I/O: openat, close, read/write and their vector
// and positioned forms, _llseek, dup/dup3, fcntl64, ioctl, getdents64, fsync, sendfile,
// copy_file_range and the advisory no-ops. Paths, attributes and the namespace are in
// FilesPaths.swift. Semantics live in VFS/; these decode arguments and write results.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

extension Kernel {

    // MARK: argument helpers

    /// A path argument: NULL is EFAULT, longer than PATH_MAX is ENAMETOOLONG.
    static func pathArg(_ t: GuestThread, _ i: Int) throws(SyscallError) -> [UInt8] {
        let addr = t.uarg(i)
        if addr == 0 { throw .errno(.EFAULT) }
        return try t.memory.cString(addr, limit: 4096)
    }

    /// A byte count: negative as ssize_t is EINVAL; Linux caps a transfer at MAX_RW_COUNT.
    static func countArg(_ raw: UInt32) throws(SyscallError) -> Int {
        if raw > UInt32(Int32.max) { throw .errno(.EINVAL) }
        return Int(min(raw, 0x7fff_f000))
    }

    static func iovecs(_ t: GuestThread, _ addr: UInt32, _ count: Int32) throws(SyscallError) -> [(base: UInt32, len: Int)] {
        if count < 0 || count > 1024 { throw .errno(.EINVAL) }
        if count == 0 { return [] }
        let raw = try t.memory.read(addr, count: 8 * Int(count))
        var out: [(base: UInt32, len: Int)] = []
        var total = 0
        for i in 0..<Int(count) {
            let base = UInt32(raw[8 * i]) | UInt32(raw[8 * i + 1]) << 8 | UInt32(raw[8 * i + 2]) << 16 | UInt32(raw[8 * i + 3]) << 24
            let len = UInt32(raw[8 * i + 4]) | UInt32(raw[8 * i + 5]) << 8 | UInt32(raw[8 * i + 6]) << 16 | UInt32(raw[8 * i + 7]) << 24
            if len > UInt32(Int32.max) { throw .errno(.EINVAL) }
            let take = min(Int(len), 0x7fff_f000 - total)
            out.append((base, take))
            total += take
        }
        return out
    }

    /// A descriptor for I/O: EBADF for O_PATH descriptors.
    static func ioFile(_ t: GuestThread, _ fd: Int32) throws(SyscallError) -> OpenFile {
        let f = try t.process.files.get(fd)
        if f.isPath { throw .errno(.EBADF) }
        return f
    }

    /// pread/pwrite need a seekable file: ESPIPE for pipes, sockets, terminals.
    static func requireSeekable(_ t: GuestThread, _ f: OpenFile) throws(SyscallError) {
        try f.checkPositional(t)
    }

    static func installCheck(_ files: FileTable) throws(SyscallError) {
        var fd: Int32 = 0
        while files.entry(fd) != nil { fd += 1 }
        if fd >= files.limit { throw .errno(.EMFILE) }
    }

    // MARK: open and close

    /// openat(2): opens or creates a file relative to a directory descriptor.
    static func sys_openat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let dirfd = t.arg(0), flags = t.arg(2), mode = t.uarg(3)
        let path = try pathArg(t, 1)
        try installCheck(t.process.files)
        let f = try k.vfs.open(t, dirfd: dirfd, path: path, flags: flags, mode: mode)
        return try t.process.files.install(f, cloexec: flags & OpenFlags.O_CLOEXEC != 0)   // (releases f on failure)
    }

    /// close(2): releases a descriptor.
    static func sys_close(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try t.process.files.close(t.arg(0))
        return 0
    }

    /// close_range(2): closes, or marks close-on-exec, a range of descriptors.
    static func sys_close_range(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let first = t.uarg(0), last = t.uarg(1), flags = t.uarg(2)
        let UNSHARE: UInt32 = 2, CLOEXEC: UInt32 = 4
        if flags & ~(UNSHARE | CLOEXEC) != 0 || first > last { throw .errno(.EINVAL) }
        let files = t.process.files
        for fd in files.entries.keys.sorted() where UInt32(bitPattern: fd) >= first && UInt32(bitPattern: fd) <= last {
            if flags & CLOEXEC != 0 { try files.setCloexec(fd, true) } else { try files.close(fd) }
        }
        return 0
    }

    // MARK: read and write

    /// read(2): reads at the file offset.
    static func sys_read(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        if !f.canRead { throw .errno(.EBADF) }
        let n = try countArg(t.uarg(2))
        return Int32(try f.read(t, into: t.uarg(1), count: n, at: nil))
    }

    /// write(2): writes at the file offset (the end with O_APPEND).
    static func sys_write(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        if !f.canWrite { throw .errno(.EBADF) }
        let n = try countArg(t.uarg(2))
        return Int32(try f.write(t, from: t.uarg(1), count: n, at: nil))
    }

    /// readv(2): read(2) into a vector of buffers.
    static func sys_readv(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        if !f.canRead { throw .errno(.EBADF) }
        let iov = try iovecs(t, t.uarg(1), t.arg(2))
        return Int32(try f.readv(t, iov, at: nil))
    }

    /// writev(2): write(2) from a vector of buffers.
    static func sys_writev(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        if !f.canWrite { throw .errno(.EBADF) }
        let iov = try iovecs(t, t.uarg(1), t.arg(2))
        return Int32(try f.writev(t, iov, at: nil))
    }

    /// pread64(2): reads at a given position without moving the offset.
    static func sys_pread64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        if !f.canRead { throw .errno(.EBADF) }
        let n = try countArg(t.uarg(2))
        let pos = t.arg64(3)
        if pos < 0 { throw .errno(.EINVAL) }
        try requireSeekable(t, f)
        return Int32(try f.read(t, into: t.uarg(1), count: n, at: pos))
    }

    /// pwrite64(2): writes at a given position without moving the offset.
    static func sys_pwrite64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        if !f.canWrite { throw .errno(.EBADF) }
        let n = try countArg(t.uarg(2))
        let pos = t.arg64(3)
        if pos < 0 { throw .errno(.EINVAL) }
        try requireSeekable(t, f)
        return Int32(try f.write(t, from: t.uarg(1), count: n, at: pos))
    }

    static func positionedVector(_ t: GuestThread, write: Bool, pos: Int64, current: Bool) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        if write ? !f.canWrite : !f.canRead { throw .errno(.EBADF) }
        let iov = try iovecs(t, t.uarg(1), t.arg(2))
        if current {
            return Int32(write ? try f.writev(t, iov, at: nil) : try f.readv(t, iov, at: nil))
        }
        if pos < 0 { throw .errno(.EINVAL) }
        try requireSeekable(t, f)
        return Int32(write ? try f.writev(t, iov, at: pos) : try f.readv(t, iov, at: pos))
    }

    /// preadv(2): pread64(2) into a vector of buffers.
    static func sys_preadv(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try positionedVector(t, write: false, pos: t.arg64(3), current: false)
    }

    /// pwritev(2): pwrite64(2) from a vector of buffers.
    static func sys_pwritev(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try positionedVector(t, write: true, pos: t.arg64(3), current: false)
    }

    /// preadv2/pwritev2: offset -1 means the file offset; the RWF_* hints are accepted.
    static func sys_preadv2(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if t.uarg(5) & ~0x1f != 0 { throw .errno(.EOPNOTSUPP) }
        let pos = t.arg64(3)
        return try positionedVector(t, write: false, pos: pos, current: pos == -1)
    }

    /// pwritev2's flags are semantics, not hints: RWF_APPEND (0x10) writes at the end of
    /// the file whatever the offset (the file offset moves only with offset -1), RWF_DSYNC (2)
    /// and RWF_SYNC (4) make the data durable before the call returns. RWF_HIPRI (1) and
    /// RWF_NOWAIT (8) change nothing here: no write to a regular file waits on I/O.
    static func sys_pwritev2(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let flags = t.uarg(5)
        if flags & ~0x1f != 0 { throw .errno(.EOPNOTSUPP) }
        let pos = t.arg64(3)
        let f = try t.process.files.get(t.arg(0))
        let saved = f.statusFlags
        if flags & 0x10 != 0 { f.statusFlags |= OpenFlags.O_APPEND }
        if flags & 0x6 != 0 { f.statusFlags |= OpenFlags.O_DSYNC }
        defer { f.statusFlags = saved }
        return try positionedVector(t, write: true, pos: pos, current: pos == -1)
    }

    /// _llseek(fd, offset_high, offset_low, loff_t *result, whence)
    static func sys_llseek(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        let off = Int64(bitPattern: (UInt64(t.uarg(1)) << 32) | UInt64(t.uarg(2)))
        let whence = t.arg(4)
        if whence < 0 || whence > 4 { throw .errno(.EINVAL) }
        let result = t.uarg(3)
        try t.memory.check(result, 8)
        let new = try f.seek(t, offset: off, whence: whence)
        try t.memory.store(result, new)
        return 0
    }

    // MARK: descriptors

    /// dup(2): the lowest free descriptor for the same open file description.
    static func sys_dup(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try t.process.files.get(t.arg(0))
        return try t.process.files.install(f, cloexec: false)
    }

    /// dup3(2): the open file description at a chosen descriptor, optionally close-on-exec.
    static func sys_dup3(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let old = t.arg(0), new = t.arg(1), flags = t.arg(2)
        if flags & ~OpenFlags.O_CLOEXEC != 0 { throw .errno(.EINVAL) }
        if old == new { throw .errno(.EINVAL) }
        let f = try t.process.files.get(old)
        try t.process.files.install(f, at: new, cloexec: flags & OpenFlags.O_CLOEXEC != 0)
        return new
    }

    /// fcntl64(2): descriptor and status flags, duplication, owner, locks.
    static func sys_fcntl64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let fd = t.arg(0), cmd = t.arg(1), arg = t.arg(2)
        let files = t.process.files
        let f = try files.get(fd)
        switch cmd {
        case 0, 1030:   // F_DUPFD, F_DUPFD_CLOEXEC
            if arg < 0 || arg >= files.limit { throw .errno(.EINVAL) }
            return try files.install(f, cloexec: cmd == 1030, minimum: arg)
        case 1:         // F_GETFD
            return files.entry(fd)!.cloexec ? 1 : 0
        case 2:         // F_SETFD
            try files.setCloexec(fd, arg & 1 != 0)
            return 0
        case 3:         // F_GETFL
            return f.statusFlags
        case 4:         // F_SETFL
            if f.isPath { throw .errno(.EBADF) }
            if arg & OpenFlags.O_ASYNC != 0 { throw .errno(.EINVAL) }   // no SIGIO here
            f.statusFlags = (f.statusFlags & ~OpenFlags.settable) | (arg & OpenFlags.settable)
            return 0
        case 5, 6, 7, 12, 13, 14, 36, 37, 38:   // F_GETLK/SETLK/SETLKW (+64, OFD)
            if f.isPath { throw .errno(.EBADF) }
            let addr = t.uarg(2)
            let type: Int16 = try t.memory.load(addr)
            let F_RDLCK: Int16 = 0, F_WRLCK: Int16 = 1, F_UNLCK: Int16 = 2
            guard type == F_RDLCK || type == F_WRLCK || type == F_UNLCK else { throw .errno(.EINVAL) }
            let whence: Int16 = try t.memory.load(t.memory.field(addr, 2))
            guard whence >= 0 && whence <= 2 else { throw .errno(.EINVAL) }
            if cmd == 5 || cmd == 12 || cmd == 36 {
                // Nobody else holds a lock: report the range unlocked.
                try t.memory.store(addr, F_UNLCK)
                return 0
            }
            if type == F_RDLCK && !f.canRead { throw .errno(.EBADF) }
            if type == F_WRLCK && !f.canWrite { throw .errno(.EBADF) }
            return 0
        case 8:         // F_SETOWN (kept; nothing is sent: O_ASYNC is refused)
            f.owner = arg
            return 0
        case 9:         // F_GETOWN
            return f.owner
        case 10:        // F_SETSIG
            if arg < 0 || arg > 64 { throw .errno(.EINVAL) }
            f.ownerSignal = arg
            return 0
        case 11:        // F_GETSIG
            return f.ownerSignal
        case 1025:      // F_GETLEASE
            return 2
        case 1024, 1026:  // F_SETLEASE, F_NOTIFY
            throw .errno(.EINVAL)
        default:
            return try f.fileControl(t, command: cmd, arg: arg)
        }
    }

    /// ioctl(2): terminal, FIONREAD/FIONBIO/FIOCLEX-family requests.
    static func sys_ioctl(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let fd = t.arg(0), req = t.uarg(1), arg = t.uarg(2)
        let files = t.process.files
        let f = try files.get(fd)
        if f.isPath { throw .errno(.EBADF) }
        switch req {
        case 0x5451:    // FIOCLEX
            try files.setCloexec(fd, true)
            return 0
        case 0x5450:    // FIONCLEX
            try files.setCloexec(fd, false)
            return 0
        case 0x5421:    // FIONBIO
            let on: Int32 = try t.memory.load(arg)
            if on != 0 { f.statusFlags |= OpenFlags.O_NONBLOCK } else { f.statusFlags &= ~OpenFlags.O_NONBLOCK }
            return 0
        case 0x5452:    // FIOASYNC: turning it on is refused (no SIGIO here), off is a no-op
            let on: Int32 = try t.memory.load(arg)
            if on != 0 { throw .errno(.EINVAL) }
            return 0
        default:        // FIONREAD and the rest: the kind of file's
            return try f.ioctl(t, request: req, arg: arg)
        }
    }

    /// getdents64(2): directory entries as struct linux_dirent64.
    static func sys_getdents64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        let count = Int(min(t.uarg(2), 0x7fff_f000))
        return Int32(try f.getdents64(t, into: t.uarg(1), count: count))
    }

    // MARK: sync, size

    /// fsync(2): makes the file's data and metadata durable.
    static func sys_fsync(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        try f.sync(t)
        return 0
    }

    /// sync(2): makes every filesystem durable.
    static func sys_sync(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if let hook = k.vfs.onSync { try hook(t) }
        return 0
    }

    /// ftruncate64(2): sets the size of an open file.
    static func sys_ftruncate64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        let length = t.arg64(1)
        if length < 0 { throw .errno(.EINVAL) }
        if !f.canWrite { throw .errno(.EINVAL) }
        try f.truncate(t, to: length)
        return 0
    }

    /// fallocate: reserves no blocks (the image allocates them on write, so a later write
    /// can still get ENOSPC): mode 0 only extends the size, FALLOC_FL_KEEP_SIZE alone does
    /// nothing; hole punching and the rest are EOPNOTSUPP.
    static func sys_fallocate(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        let mode = t.arg(1), off = t.arg64(2), len = t.arg64(4)
        if off < 0 || len <= 0 { throw .errno(.EINVAL) }
        if !f.canWrite { throw .errno(.EBADF) }
        if mode & ~1 != 0 { throw .errno(.EOPNOTSUPP) }
        try f.allocate(t, mode: mode, offset: off, length: len)
        return 0
    }

    // MARK: copies

    /// Copies `count` bytes between two files' contents through a bounce buffer.
    static func copyRange(_ src: any FileContents, _ from: Int64, _ dst: any FileContents, _ to: Int64, _ count: Int) throws(SyscallError) -> Int {
        var done = 0
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: min(max(count, 1), bounceLimit), alignment: 16)
        defer { buf.deallocate() }
        while done < count {
            let want = min(buf.count, count - done)
            let got: Int
            do {
                got = try src.readBytes(at: from + Int64(done), count: want) { chunk, offset throws(SyscallError) in
                    UnsafeMutableRawBufferPointer(rebasing: buf[offset..<(offset + chunk.count)]).copyMemory(from: chunk)
                }
            } catch {
                if done > 0 { break }
                throw error
            }
            if got == 0 { break }
            let wrote: Int
            do {
                wrote = try dst.writeBytes(at: to + Int64(done), count: got) { chunk, offset throws(SyscallError) in
                    chunk.copyMemory(from: UnsafeRawBufferPointer(rebasing: buf[offset..<(offset + chunk.count)]))
                }
            } catch {
                if done > 0 { break }
                throw error
            }
            done += wrote
            if wrote < got || got < want { break }
        }
        return done
    }

    /// sendfile64(out, in, loff_t *offset, count): between regular files only; EINVAL
    /// otherwise (callers fall back on read/write).
    static func sys_sendfile64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let out = try ioFile(t, t.arg(0)), input = try ioFile(t, t.arg(1))
        if !input.canRead || !out.canWrite { throw .errno(.EBADF) }
        let offPtr = t.uarg(2)
        let count = try countArg(t.uarg(3))
        guard let src = input.contents, let dst = out.contents else { throw .errno(.EINVAL) }
        if out.statusFlags & OpenFlags.O_APPEND != 0 { throw .errno(.EINVAL) }
        var from = input.offset
        if offPtr != 0 {
            from = try t.memory.load(offPtr, as: Int64.self)
            if from < 0 { throw .errno(.EINVAL) }
        }
        let n = try copyRange(src, from, dst, out.offset, count)
        out.offset += Int64(n)
        if offPtr != 0 { try t.memory.store(offPtr, from + Int64(n)) } else { input.offset = from + Int64(n) }
        return Int32(n)
    }

    /// copy_file_range(fd_in, loff_t *off_in, fd_out, loff_t *off_out, len, flags)
    static func sys_copy_file_range(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if t.uarg(5) != 0 { throw .errno(.EINVAL) }
        let input = try ioFile(t, t.arg(0)), out = try ioFile(t, t.arg(2))
        if !input.canRead || !out.canWrite { throw .errno(.EBADF) }
        if out.statusFlags & OpenFlags.O_APPEND != 0 { throw .errno(.EBADF) }
        if input.isDirectory || out.isDirectory { throw .errno(.EISDIR) }
        guard let src = input.contents, let dst = out.contents else { throw .errno(.EINVAL) }
        let count = try countArg(t.uarg(4))
        let inPtr = t.uarg(1), outPtr = t.uarg(3)
        let from = inPtr != 0 ? try t.memory.load(inPtr, as: Int64.self) : input.offset
        let to = outPtr != 0 ? try t.memory.load(outPtr, as: Int64.self) : out.offset
        if from < 0 || to < 0 { throw .errno(.EINVAL) }
        if input.node != nil && input.node == out.node && from < to + Int64(count) && to < from + Int64(count) {
            throw .errno(.EINVAL)
        }
        let n = try copyRange(src, from, dst, to, count)
        if inPtr != 0 { try t.memory.store(inPtr, from + Int64(n)) } else { input.offset = from + Int64(n) }
        if outPtr != 0 { try t.memory.store(outPtr, to + Int64(n)) } else { out.offset = to + Int64(n) }
        return Int32(n)
    }

    // MARK: advice and locks (accepted, nothing to do)

    /// fadvise64_64(2): checks the arguments; advice is a hint with nothing to act on.
    static func sys_fadvise64_64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        let advice = t.arg(5)
        if advice < 0 || advice > 5 || t.arg64(3) < 0 { throw .errno(.EINVAL) }
        if f.node == nil { throw .errno(.ESPIPE) }
        return 0
    }

    /// sync_file_range(fd, offset, nbytes, flags) (asm-generic order with 64-bit halves):
    /// Linux starts or waits for writeback of the range; here any flag that asks for writing
    /// makes the file's data durable (a superset of what Linux promises).
    static func sys_sync_file_range(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        let offset = t.arg64(1), count = t.arg64(3), flags = t.uarg(5)
        if flags & ~UInt32(7) != 0 || offset < 0 || count < 0 { throw .errno(.EINVAL) }
        try f.syncRange(t, flags: flags)
        return 0
    }

    /// readahead(2): checks the descriptor; there is no page cache to fill.
    static func sys_readahead(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        _ = try ioFile(t, t.arg(0))
        return 0
    }

    /// flock(2): checks the arguments only (no lock is taken yet).
    static func sys_flock(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        _ = try ioFile(t, t.arg(0))
        let op = t.arg(1)
        let kind = op & ~4   // LOCK_NB
        if kind != 1 && kind != 2 && kind != 8 { throw .errno(.EINVAL) }
        return 0
    }
}
