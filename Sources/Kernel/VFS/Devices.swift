// Devices.swift: devfs and the character devices.
//
// devfs is a small in-memory SharedFS mounted on /dev: device nodes (mode, owner and rdev
// like Linux's), the stdio symlinks into /proc/self/fd, and the shm and pts directories.
// Opening a character-device node in any mount opens the device its rdev names:
//   1:3 null   1:5 zero   1:7 full   1:8 random   1:9 urandom   5:0 tty   5:1 console
// tty/console are the caller's terminal: the description on fd 0, 1 or 2 that is a
// terminal (shared, as the process's own stdio), else ENXIO. Other numbers: ENXIO.
#if canImport(Glibc)
import Glibc
#endif
import VFSImage

extension VFS {
    public static func makeDevfs() throws -> SharedFS {
        let fs = try SharedFS(size: 256 << 10, maxSize: 64 << 20)
        let root = InodeNumber.root
        func node(_ name: String, _ major: UInt32, _ minor: UInt32, _ mode: UInt32 = 0o666, gid: UInt32 = 0) throws {
            _ = try fs.mknod(root, Array(name.utf8), mode: Mode.S_IFCHR | mode,
                             rdev: UInt32(truncatingIfNeeded: DeviceNumber.make(major, minor)), uid: 0, gid: gid)
        }
        try node("null", 1, 3)
        try node("zero", 1, 5)
        try node("full", 1, 7)
        try node("random", 1, 8)
        try node("urandom", 1, 9)
        try node("tty", 5, 0, gid: 5)
        try node("console", 5, 1, 0o600)
        for (name, target) in [("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                               ("stderr", "/proc/self/fd/2"), ("fd", "/proc/self/fd")] {
            _ = try fs.symlink(root, Array(name.utf8), target: Array(target.utf8))
        }
        let shm = try fs.mkdir(root, Array("shm".utf8), mode: 0o1777)
        try fs.chmod(shm, 0o1777)
        _ = try fs.mkdir(root, Array("pts".utf8), mode: 0o755)
        return fs
    }

    /// Opens the character device `rdev` (userspace dev_t encoding) for node `n`.
    func openDevice(_ t: GuestThread, rdev: UInt64, node n: VNode, flags: Int32,
                    parent: VNode?, name: [UInt8]) throws(SyscallError) -> OpenFile {
        let major = DeviceNumber.major(rdev), minor = DeviceNumber.minor(rdev)
        switch (major, minor) {
        case (1, 3): return DeviceFile(.null, vfs: self, node: n, flags: flags, parent: parent, name: name)
        case (1, 5): return DeviceFile(.zero, vfs: self, node: n, flags: flags, parent: parent, name: name)
        case (1, 7): return DeviceFile(.full, vfs: self, node: n, flags: flags, parent: parent, name: name)
        case (1, 8), (1, 9): return DeviceFile(.random, vfs: self, node: n, flags: flags, parent: parent, name: name)
        case (5, 0), (5, 1):
            if let tty = processLookup(t.process.sid)?.controllingTerminal, tty.session == t.process.sid {
                return tty.openSlave(flags: flags)   // our pty (Terminal/PseudoTerminal.swift)
            }
            for fd: Int32 in 0...2 {
                if let f = t.process.files.entry(fd)?.file, f.isTerminal { return f }
            }
            throw .errno(.ENXIO)
        default:
            throw .errno(.ENXIO)
        }
    }
}

final class DeviceFile: VFSFile {
    enum Kind { case null, zero, full, random }
    let kind: Kind

    init(_ kind: Kind, vfs: VFS, node: VNode, flags: Int32, parent: VNode?, name: [UInt8]) {
        self.kind = kind
        super.init(vfs: vfs, node: node, flags: flags, parent: parent, name: name)
    }

    override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        switch kind {
        case .null:
            return 0
        case .zero, .full:
            try t.memory.zero(addr, count: count)
            return count
        case .random:
            try t.memory.check(addr, count)
            var done = 0
            var chunk = [UInt8](repeating: 0, count: min(count, 65536))
            while done < count {
                let n = min(chunk.count, count - done)
                chunk.withUnsafeMutableBytes { b in DeviceFile.fillRandom(UnsafeMutableRawBufferPointer(rebasing: b[0..<n])) }
                try t.memory.write(addr + UInt32(done), Array(chunk[0..<n]))
                done += n
            }
            return count
        }
    }

    override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        switch kind {
        case .full: throw .errno(.ENOSPC)
        case .null, .zero, .random:
            try t.memory.check(addr, count)
            return count
        }
    }

    /// Linux's null/zero/random lseek: always succeeds at position 0.
    override func seek(_ t: GuestThread, offset: Int64, whence: Int32) throws(SyscallError) -> Int64 {
        if whence < 0 || whence > 4 { throw .errno(.EINVAL) }
        self.offset = 0
        return 0
    }

    override func truncate(_ t: GuestThread, to size: Int64) throws(SyscallError) { throw .errno(.EINVAL) }

    /// /dev/zero maps as zeroed memory (what `commit` leaves); null, full and random have
    /// no mmap on Linux: ENODEV.
    override func mapInto(_ t: GuestThread, at addr: UInt32, length: Int, offset: Int64,
                          commit: () throws(SyscallError) -> Void) throws(SyscallError) {
        guard kind == .zero else { throw .errno(.ENODEV) }
        try commit()
    }

    static func fillRandom(_ b: UnsafeMutableRawBufferPointer) {
        var g = SystemRandomNumberGenerator()
        var i = 0
        while i < b.count {
            var word = g.next()
            let n = min(8, b.count - i)
            withUnsafeBytes(of: &word) { w in
                for j in 0..<n { b[i + j] = w[j] }
            }
            i += n
        }
    }
}
