// OpenFiles.swift: the open file descriptions the VFS makes (Linux's struct file kinds).
//
//   VFSFile        base: a node in the VFS, an open reference on SharedFS inodes (so an
//                  unlinked file stays readable until the last close), /proc link names
//   RegularFile    image, tmpfs and devfs regular files: read/write/seek/truncate/sync
//   DirectoryFile  getdents64 with offsets that stay valid across calls
//   PathFile       O_PATH descriptors: a location only
//   DeviceFile     (Devices.swift)   ProcFile (ProcFS.swift)
#if canImport(Glibc)
import Glibc
#endif
import VFSImage

public class VFSFile: OpenFile {
    public let vfs: VFS
    public let vnode: VNode
    /// The directory and name it was opened through (nil for directories, which are named
    /// by walking "..").
    let parentDir: VNode?
    let name: [UInt8]
    /// The inode held open in a SharedFS or HostDirFS, released at last close.
    private var held: ((any InodeFileSystem), InodeNumber)?

    init(vfs: VFS, node: VNode, flags: Int32, parent: VNode?, name: [UInt8]) {
        self.vfs = vfs
        self.vnode = node
        self.parentDir = parent
        self.name = name
        if let fs = vfs.mount(of: node).backend {
            let ino = InodeNumber(UInt32(truncatingIfNeeded: node.ino))
            fs.retain(ino)
            held = (fs, ino)
        }
        super.init(flags: flags)
    }

    public override var node: VNode? { vnode }

    /// Files in the VFS have positions (O_PATH descriptors never reach I/O).
    public override func checkPositional(_ t: GuestThread) throws(SyscallError) {}

    public override func stat(_ t: GuestThread) throws(SyscallError) -> KStat { try vfs.stat(t, vnode) }

    public override func release() {
        if let (fs, ino) = held {
            held = nil
            fs.release(ino)
        }
    }

    public override func procLinkName() -> [UInt8] {
        let root = vfs.rootNode
        var linkCount: UInt32 = 1
        if let st = try? vfs.stat(nil, vnode) {
            linkCount = st.nlink
            if st.isDirectory {
                return vfs.path(of: vnode, root: root) ?? (name.isEmpty ? Array("/".utf8) : name) + Array(" (deleted)".utf8)
            }
        }
        var path: [UInt8]
        if let parentDir, let dirPath = vfs.path(of: parentDir, root: root) {
            path = dirPath == [0x2F] ? dirPath + name : dirPath + [0x2F] + name
        } else {
            path = name
        }
        if linkCount == 0 { path += Array(" (deleted)".utf8) }
        return path
    }

    var sharedFS: SharedFS? { vfs.mount(of: vnode).shared }
    var inode: InodeNumber { InodeNumber(UInt32(truncatingIfNeeded: vnode.ino)) }
}

extension OpenFile {
    /// lseek for files with a plain size: SEEK_SET/CUR/END, and SEEK_DATA/SEEK_HOLE that
    /// see the whole file as data.
    func seekPlain(_ off: Int64, _ whence: Int32, size: Int64) throws(SyscallError) -> Int64 {
        let new: Int64
        switch whence {
        case 0: new = off
        case 1:
            let (v, o) = offset.addingReportingOverflow(off)
            if o { throw .errno(.EOVERFLOW) }
            new = v
        case 2:
            let (v, o) = size.addingReportingOverflow(off)
            if o { throw .errno(.EOVERFLOW) }
            new = v
        case 3:   // SEEK_DATA
            if off < 0 { throw .errno(.EINVAL) }
            if off >= size { throw .errno(.ENXIO) }
            new = off
        case 4:   // SEEK_HOLE
            if off < 0 { throw .errno(.EINVAL) }
            if off >= size { throw .errno(.ENXIO) }
            new = size
        default: throw .errno(.EINVAL)
        }
        if new < 0 { throw .errno(.EINVAL) }
        offset = new
        return new
    }
}

/// Copies between SharedFS files and guest memory go through a bounce buffer of at most
/// this many bytes at a time.
let bounceLimit = 1 << 20

final class RegularFile: VFSFile, FileContents {
    let fs: any InodeFileSystem
    let mountRef: Mount

    override init(vfs: VFS, node: VNode, flags: Int32, parent: VNode?, name: [UInt8]) {
        mountRef = vfs.mount(of: node)
        fs = mountRef.backend!
        super.init(vfs: vfs, node: node, flags: flags, parent: parent, name: name)
    }

    var size: Int64 {
        get throws(SyscallError) { try fsCall { () throws(LinuxErrno) in try fs.kstat(inode) }.size }
    }

    override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        let start = position ?? offset
        try t.memory.check(addr, count)
        if count > 0, start >= 0, let (fd, _) = hostDescriptor() {
            try hostIO(t, fd: fd, write: false, addr: addr, count: count, at: start, updatesOffset: position == nil)
        }
        let n = try readBytes(at: start, count: count) { chunk, done throws(SyscallError) in
            try t.memory.write(addr + UInt32(done), from: chunk)
        }
        if position == nil { offset = start + Int64(n) }
        return n
    }

    /// Reads up to `count` bytes at `start`, handing them to `sink` chunk by chunk (with the
    /// number of bytes already delivered). Returns the total.
    func readBytes(at start: Int64, count: Int,
                   _ sink: (UnsafeRawBufferPointer, Int) throws(SyscallError) -> Void) throws(SyscallError) -> Int {
        if start < 0 { throw .errno(.EINVAL) }
        guard count > 0 else { return 0 }
        let buf = vfs.bounce
        var done = 0
        while done < count {
            let want = min(buf.count, count - done)
            let got = try fsCall { () throws(LinuxErrno) in
                try fs.read(inode, at: UInt64(start) + UInt64(done), into: UnsafeMutableRawBufferPointer(rebasing: buf[0..<want]))
            }
            if got <= 0 { break }
            try sink(UnsafeRawBufferPointer(rebasing: buf[0..<got]), done)
            done += got
            if got < want { break }
        }
        return done
    }

    override func write(_ t: GuestThread, from addr: UInt32, count rawCount: Int, at position: Int64?) throws(SyscallError) -> Int {
        try t.memory.check(addr, rawCount)
        // O_APPEND writes at the end, even pwrite (Linux's documented bug).
        let start = statusFlags & OpenFlags.O_APPEND != 0 ? try size : (position ?? offset)
        let count = try vfs.kernel?.fileSizeCheck(t, start: start, count: rawCount) ?? rawCount   // RLIMIT_FSIZE
        if count > 0, start >= 0, let (fd, writable) = hostDescriptor(), writable, start < fs.fileSizeLimit {
            try hostIO(t, fd: fd, write: true, addr: addr, count: count, at: start, updatesOffset: position == nil)
        }
        let n = try writeBytes(at: start, count: count) { chunk, done throws(SyscallError) in
            try t.memory.read(addr + UInt32(done), into: chunk)
        }
        if position == nil { offset = start + Int64(n) }
        // O_SYNC/O_DSYNC (and pwritev2's RWF_SYNC/RWF_DSYNC): durable when write returns.
        if n > 0 && statusFlags & OpenFlags.O_DSYNC != 0 { try sync(t) }
        return n
    }

    /// Writes `count` bytes at `start`, filled chunk by chunk by `source`.
    func writeBytes(at start: Int64, count: Int,
                    _ source: (UnsafeMutableRawBufferPointer, Int) throws(SyscallError) -> Void) throws(SyscallError) -> Int {
        if start < 0 { throw .errno(.EINVAL) }
        guard count > 0 else { return 0 }
        let limit = fs.fileSizeLimit
        if start >= limit { throw .errno(.EFBIG) }
        let total = Int(min(Int64(count), limit - start))
        let buf = vfs.bounce
        var done = 0
        while done < total {
            let want = min(buf.count, total - done)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buf[0..<want])
            try source(chunk, done)
            let wrote: Int
            do {
                wrote = try fsCall { () throws(LinuxErrno) in try fs.write(inode, at: UInt64(start) + UInt64(done), from: UnsafeRawBufferPointer(chunk)) }
            } catch {
                if done > 0 { break }
                throw error
            }
            done += wrote
            if wrote < want { break }
        }
        if done > 0 { vfs.imageChanged(mountRef, .inode(inode, offset: start, length: Int64(done))) }
        return done
    }

    override func seek(_ t: GuestThread, offset off: Int64, whence: Int32) throws(SyscallError) -> Int64 {
        try seekPlain(off, whence, size: try size)
    }

    /// The copy is read through the filesystem's synchronous read, for --bind files too:
    /// the Ring path (hostIO) answers the call with its byte count when the read completes,
    /// which is read(2)'s answer, not mmap's. Bytes past the end of the file stay zero.
    override func mapInto(_ t: GuestThread, at addr: UInt32, length: Int, offset: Int64,
                          commit: () throws(SyscallError) -> Void) throws(SyscallError) {
        try commit()
        _ = try readBytes(at: offset, count: length) { chunk, done throws(SyscallError) in
            try t.memory.write(addr + UInt32(done), from: chunk)
        }
    }

    // MARK: host-directory files through the Ring

    /// A host file (--bind) open with a descriptor of its own: its reads and writes go
    /// through the kernel's io_uring (or the Ring's fallback) instead of blocking the loop.
    private func hostDescriptor() -> (Int32, Bool)? {
        guard mountRef.kind == .hostdir, vfs.kernel != nil, let host = fs as? HostDirFS,
              let h = host.heldDescriptor(inode) else { return nil }
        return (h.fd, h.writable)
    }

    /// Submits one pread/pwrite of up to 1 MiB and suspends the call; the completion moves
    /// the bytes to guest memory (reads), advances the offset and either answers or, when
    /// the chunk was whole and more is asked, submits the next one: a read or write of a
    /// host file completes as on Linux (short only at EOF, ENOSPC or an error), with `done`
    /// the bytes already moved by earlier chunks.
    private func hostIO(_ t: GuestThread, fd: Int32, write: Bool, addr: UInt32, count: Int, at start: Int64,
                        updatesOffset: Bool, done already: Int = 0) throws(SyscallError) -> Never {
        guard let k = vfs.kernel else { throw .errno(.EIO) }
        let n = min(count, bounceLimit)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 64)
        if write {
            do { try t.memory.read(addr, into: buffer) } catch { buffer.deallocate(); throw error }
        }
        let serial = t.serial
        let durable = statusFlags & OpenFlags.O_DSYNC != 0   // O_SYNC/O_DSYNC on a bind's file
        // The held descriptor stays open until the completion, as Linux holds the file for
        // the length of a read: another guest thread's close of the last descriptor must not
        // close it under a queued read (the host would answer EBADF, taken for our bug, or a
        // reused number would read another file).
        let pin = (fs as? HostDirFS).map { ($0, inode) }
        pin.map { $0.0.retain($0.1) }
        // The description itself is held too (not weak): closed meanwhile, it must still
        // answer the call, or the thread would wait for ever.
        let done: (Int32) -> Void = { [weak t] r in
            defer {
                buffer.deallocate()
                pin.map { $0.0.release($0.1) }   // after the next chunk (if any) pinned it again
            }
            guard let t, t.serial == serial, t.inCall else { return }
            if r < 0 {
                if already > 0 { k.complete(t, Int32(already)) } else { k.fail(t, HostSystem.guestErrno(-r, write ? "pwrite" : "pread")) }
                return
            }
            if !write && r > 0 {
                do { try t.memory.write(addr, from: UnsafeRawBufferPointer(rebasing: buffer[0..<Int(r)])) } catch {
                    k.fail(t, .EFAULT)
                    return
                }
            }
            if updatesOffset { self.offset = start + Int64(r) }
            if write && r > 0 { self.vfs.imageChanged(self.mountRef, .inode(self.inode, offset: start, length: Int64(r))) }
            if write && r > 0 && durable {
                do throws(LinuxErrno) { try HostFD(fd).dataSync() } catch { k.fail(t, error); return }
            }
            let total = already + Int(r)
            if Int(r) == n && n < count {
                do throws(SyscallError) {
                    try self.hostIO(t, fd: fd, write: write, addr: addr + UInt32(n), count: count - n, at: start + Int64(n),
                                    updatesOffset: updatesOffset, done: total)
                } catch .suspended {
                    return   // the next chunk answers
                } catch {
                    k.complete(t, Int32(total))
                    return
                }
            }
            k.complete(t, Int32(truncatingIfNeeded: total))
        }
        if write {
            k.ring.write(fd: fd, from: UnsafeRawBufferPointer(buffer), offset: UInt64(start), done)
        } else {
            k.ring.read(fd: fd, into: buffer, offset: UInt64(start), done)
        }
        throw .suspended
    }

    override func truncate(_ t: GuestThread, to size: Int64) throws(SyscallError) {
        if size < 0 { throw .errno(.EINVAL) }
        try vfs.kernel?.fileSizeCheck(t, size: size)   // RLIMIT_FSIZE
        try fsCall { () throws(LinuxErrno) in try fs.truncate(inode, to: UInt64(size)) }
        vfs.imageChanged(mountRef, .inode(inode, offset: 0, length: 0))
    }

    override func sync(_ t: GuestThread) throws(SyscallError) {
        if mountRef.kind == .image, let hook = vfs.onSync { try hook(t) }
        try fsCall { () throws(LinuxErrno) in try fs.flush(inode) }
    }

    /// FIONREAD: the bytes between the offset and the end of the file.
    override func ioctl(_ t: GuestThread, request: UInt32, arg: UInt32) throws(SyscallError) -> Int32 {
        guard request == 0x541B else { throw .errno(.ENOTTY) }
        let left = max(0, try size - offset)
        try t.memory.store(arg, Int32(truncatingIfNeeded: min(left, Int64(Int32.max))))
        return 0
    }

    override var contents: (any FileContents)? { self }

    /// Mode 0 extends the file; FALLOC_FL_KEEP_SIZE alone is accepted (blocks are
    /// allocated on write anyway).
    /// fallocate: real blocks (Fallocate.swift).
    override func allocate(_ t: GuestThread, mode: Int32, offset off: Int64, length: Int64) throws(SyscallError) {
        let (end, overflow) = off.addingReportingOverflow(length)
        if overflow { throw .errno(.EFBIG) }
        if end > fs.fileSizeLimit, !(fs is HostDirFS) { throw .errno(.EFBIG) }
        try reserve(t, mode: mode, offset: off, length: length)
    }
}

final class DirectoryFile: VFSFile {
    init(vfs: VFS, node: VNode, flags: Int32) {
        super.init(vfs: vfs, node: node, flags: flags, parent: nil, name: [])
    }

    override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        throw .errno(.EISDIR)
    }

    override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        throw .errno(.EISDIR)
    }

    /// Directory offsets are the backend's cookies (SharedFS: byte offsets of records;
    /// procfs: positions): SEEK_SET to a value getdents64 reported, or 0, resumes there.
    override func seek(_ t: GuestThread, offset off: Int64, whence: Int32) throws(SyscallError) -> Int64 {
        switch whence {
        case 0:
            if off < 0 { throw .errno(.EINVAL) }
            offset = off
        case 1:
            if offset + off < 0 { throw .errno(.EINVAL) }
            offset += off
        default: throw .errno(.EINVAL)
        }
        return offset
    }

    override func getdents64(_ t: GuestThread, into addr: UInt32, count: Int) throws(SyscallError) -> Int {
        try t.memory.check(addr, count)
        var out: [UInt8] = []
        out.reserveCapacity(min(count, 65536))
        var next = UInt64(offset)
        var full = false
        try vfs.listDirectory(vnode, from: UInt64(offset)) { name, ino, type, nextOffset in
            let reclen = (19 + name.count + 1 + 7) & ~7
            if out.count + reclen > count { full = true; return false }
            appendLE(&out, ino)
            appendLE(&out, nextOffset)
            appendLE(&out, UInt16(reclen))
            out.append(type)
            out += name
            out += [UInt8](repeating: 0, count: reclen - 19 - name.count)
            next = nextOffset
            return true
        }
        if out.isEmpty && full { throw .errno(.EINVAL) }
        try t.memory.write(addr, out)
        offset = Int64(bitPattern: next)
        return out.count
    }

    /// fsync of a directory: the image's journal, or the host directory itself (a bind).
    override func sync(_ t: GuestThread) throws(SyscallError) {
        let m = vfs.mount(of: vnode)
        if m.kind == .proc { throw .errno(.EINVAL) }   // procfs has no fsync
        if m.kind == .image, let hook = vfs.onSync { try hook(t) }
        if m.kind == .hostdir, let fs = m.backend { try fsCall { () throws(LinuxErrno) in try fs.flush(inode) } }
    }

    override var isDirectory: Bool { true }
    override func allocate(_ t: GuestThread, mode: Int32, offset: Int64, length: Int64) throws(SyscallError) {
        throw .errno(.EISDIR)
    }
}

/// O_PATH: a location; only fstat, fchdir, *at() and a few fcntls work.
final class PathFile: VFSFile {
    override init(vfs: VFS, node: VNode, flags: Int32, parent: VNode?, name: [UInt8]) {
        super.init(vfs: vfs, node: node, flags: flags, parent: parent, name: name)
    }
    override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        throw .errno(.EBADF)
    }
    override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        throw .errno(.EBADF)
    }
    override func seek(_ t: GuestThread, offset: Int64, whence: Int32) throws(SyscallError) -> Int64 {
        throw .errno(.EBADF)
    }
    override func getdents64(_ t: GuestThread, into addr: UInt32, count: Int) throws(SyscallError) -> Int {
        throw .errno(.EBADF)
    }
    override func ioctl(_ t: GuestThread, request: UInt32, arg: UInt32) throws(SyscallError) -> Int32 {
        throw .errno(.EBADF)
    }
}

@inline(__always)
func appendLE<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
    var x = v.littleEndian
    withUnsafeBytes(of: &x) { out.append(contentsOf: $0) }
}
