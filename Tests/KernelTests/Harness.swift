// Harness.swift: drives the VFS and the file syscall handlers without a runner. The
// "guest memory" is a buffer in this test process: GuestMemory reaches it with
// process_vm_readv/writev on our own pid, exactly as it reaches a runner.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

/// A description with no node, like a pipe or the caller's stdio.
final class FakeStream: OpenFile {
    var written: [UInt8] = []
    var terminal: Bool
    var released = false
    init(flags: Int32 = OpenFlags.O_RDWR, terminal: Bool = false) {
        self.terminal = terminal
        super.init(flags: flags)
    }
    override func procLinkName() -> [UInt8] { Array("pipe:[42]".utf8) }
    override var isTerminal: Bool { terminal }
    override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        if position != nil { throw .errno(.ESPIPE) }
        written += try t.memory.read(addr, count: count)
        return count
    }
    override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        if position != nil { throw .errno(.ESPIPE) }
        return 0
    }
    override func stat(_ t: GuestThread) throws(SyscallError) -> KStat {
        var s = KStat()
        s.mode = 0o010600
        s.ino = 42
        s.dev = 99
        return s
    }
    override func release() { released = true }
}

/// One kernel, one image, one process with one thread, and a guest memory buffer.
final class Harness {
    static let memorySize = 4 << 20
    let image: SharedFS
    let vfs: VFS
    let kernel: Kernel
    let buffer: UnsafeMutableRawPointer
    let memory: GuestMemory
    let process: Process
    let thread: GuestThread
    let slot: UnsafeMutablePointer<kch_slot>
    let stdio: [FakeStream]
    private var next: UInt32 = 4096
    var processes: [Int32: Process] = [:]
    var handlers: [Int32: Kernel.Handler] = [:]

    init(uid: UInt32 = 0, gid: UInt32 = 0, tmp: Bool = true) throws {
        let image = try SharedFS(size: 4 << 20, maxSize: 64 << 20)
        image.clock = { 1_700_000_000_123 }
        self.image = image
        func dir(_ path: String, _ mode: UInt32 = 0o755, uid: UInt32 = 0, gid: UInt32 = 0) throws {
            let (parent, name) = try image.resolveParent(path)
            let ino = try image.mkdir(parent, name, mode: mode, uid: uid, gid: gid)
            try image.chmod(ino, mode)
        }
        func file(_ path: String, _ content: String, _ mode: UInt32 = 0o644, uid: UInt32 = 0) throws {
            let (parent, name) = try image.resolveParent(path)
            let ino = try image.create(parent, name, mode: mode, uid: uid, gid: 0)
            _ = try image.write(ino, at: 0, Array(content.utf8))
        }
        for d in ["/dev", "/proc", "/bin", "/etc", "/home"] { try dir(d) }
        if tmp { try dir("/tmp", 0o1777) }
        try dir("/home/user", 0o755, uid: 1000, gid: 1000)
        try dir("/secret", 0o700)
        try file("/secret/key", "k")
        try file("/etc/motd", "hello, world\n")
        try file("/bin/prog", "\0asm-program", 0o755)
        try file("/bin/data", "not executable", 0o644)
        try file("/home/user/notes", "mine", 0o600, uid: 1000)
        vfs = try VFS.standard(image: image)
        kernel = try Kernel(vfs: vfs)

        buffer = UnsafeMutableRawPointer.allocate(byteCount: Harness.memorySize, alignment: 4096)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: Harness.memorySize)
        memory = GuestMemory(pid: getpid(), base: UInt64(UInt(bitPattern: buffer)), size: UInt64(Harness.memorySize))
        stdio = [FakeStream(flags: OpenFlags.O_RDONLY, terminal: true), FakeStream(flags: OpenFlags.O_WRONLY),
                 FakeStream(flags: OpenFlags.O_WRONLY)]
        let files = FileTable()
        for (i, f) in stdio.enumerated() { try files.install(f, at: Int32(i), cloexec: false) }
        var cred = Credentials(uid: uid, gid: gid)
        cred.groups = [gid]
        process = Process(pid: 7, ppid: 1, cred: cred, files: files, cwd: vfs.rootNode, root: vfs.rootNode,
                          memory: memory, startTime: 0)
        process.argv = [Array("prog".utf8), Array("-x".utf8)]
        process.envp = [Array("HOME=/".utf8)]
        process.exePath = Array("/bin/prog".utf8)
        slot = UnsafeMutablePointer<kch_slot>.allocate(capacity: 1)
        UnsafeMutableRawPointer(slot).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<kch_slot>.size)
        thread = GuestThread(tid: 7, process: process, slot: slot)
        process.threads = [thread]
        processes[7] = process
        vfs.processLookup = { [unowned self] pid in self.processes[pid] }
        vfs.processList = { [unowned self] in Array(self.processes.values) }
        // Every handler of the kernel's one table (Syscalls/SyscallTable.swift).
        for e in Kernel.syscallTable { if let h = e.status.handler { handlers[e.nr] = h } }
    }

    deinit {
        buffer.deallocate()
        slot.deallocate()
    }

    var t: GuestThread { thread }

    // MARK: guest memory

    /// Reserves `count` bytes of guest memory (8-aligned) and returns the guest address.
    func alloc(_ count: Int, fill: UInt8 = 0xAA) -> UInt32 {
        let a = next
        next += UInt32((count + 7) & ~7)
        precondition(Int(next) < Harness.memorySize)
        (buffer + Int(a)).initializeMemory(as: UInt8.self, repeating: fill, count: count)
        return a
    }

    /// A NUL-terminated string in guest memory.
    func str(_ s: String) -> UInt32 { bytes(Array(s.utf8) + [0]) }

    func bytes(_ b: [UInt8]) -> UInt32 {
        let a = alloc(max(b.count, 1))
        if !b.isEmpty { b.withUnsafeBytes { (buffer + Int(a)).copyMemory(from: $0.baseAddress!, byteCount: b.count) } }
        return a
    }

    func read(_ addr: UInt32, _ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: buffer + Int(addr), count: count))
    }

    func u16(_ addr: UInt32) -> UInt16 { (buffer + Int(addr)).loadUnaligned(as: UInt16.self) }
    func u32(_ addr: UInt32) -> UInt32 { (buffer + Int(addr)).loadUnaligned(as: UInt32.self) }
    func i32(_ addr: UInt32) -> Int32 { (buffer + Int(addr)).loadUnaligned(as: Int32.self) }
    func u64(_ addr: UInt32) -> UInt64 { (buffer + Int(addr)).loadUnaligned(as: UInt64.self) }
    func i64(_ addr: UInt32) -> Int64 { (buffer + Int(addr)).loadUnaligned(as: Int64.self) }
    func store<T: FixedWidthInteger>(_ addr: UInt32, _ v: T) { (buffer + Int(addr)).storeBytes(of: v.littleEndian, as: T.self) }

    // MARK: syscalls

    /// Runs handler `nr` with these arguments; -errno on failure.
    @discardableResult
    func sys(_ nr: Int32, _ a: Int32...) -> Int32 {
        var args = a
        while args.count < 6 { args.append(0) }
        thread.nr = nr
        thread.args = (args[0], args[1], args[2], args[3], args[4], args[5])
        guard let h = handlers[nr] else { return -LinuxErrno.ENOSYS.rawValue }
        // In a call, as the kernel's dispatch would have it (the serial is the test's to
        // move: a retried call keeps it).
        thread.inCall = true
        defer { thread.inCall = false }
        do {
            return try h(kernel, thread)
        } catch {
            switch error {
            case .errno(let e): return -e.rawValue
            case .block: return -10_000
            case .suspended:
                // Host I/O on the Ring (host-directory files): run completions until the
                // call is answered, then take its result from the slot.
                while thread.inCall && kernel.ring.inFlight > 0 { kernel.ring.complete(block: true) }
                return thread.inCall ? -10_001 : thread.slot.pointee.result
            }
        }
    }

    static func a(_ v: UInt32) -> Int32 { Int32(bitPattern: v) }

    /// openat(AT_FDCWD, path, flags, mode)
    func open(_ path: String, _ flags: Int32, _ mode: UInt32 = 0o644, dirfd: Int32 = -100) -> Int32 {
        sys(__NR_openat, dirfd, Harness.a(str(path)), flags, Int32(mode))
    }

    func write(_ fd: Int32, _ s: String) -> Int32 {
        let b = Array(s.utf8)
        return sys(__NR_write, fd, Harness.a(bytes(b)), Int32(b.count))
    }

    func readAll(_ fd: Int32, max: Int = 4096) -> (Int32, String) {
        let buf = alloc(max)
        let n = sys(__NR_read, fd, Harness.a(buf), Int32(max))
        guard n >= 0 else { return (n, "") }
        return (n, String(decoding: read(buf, Int(n)), as: UTF8.self))
    }

    func lseek(_ fd: Int32, _ off: Int64, _ whence: Int32) -> (Int32, Int64) {
        let res = alloc(8)
        let v = UInt64(bitPattern: off)
        let r = sys(__NR__llseek, fd, Int32(bitPattern: UInt32(v >> 32)), Int32(bitPattern: UInt32(v & 0xffff_ffff)),
                    Harness.a(res), whence)
        return (r, i64(res))
    }

    /// statx(AT_FDCWD, path, flags, STATX_BASIC_STATS): the 256 bytes, or the error.
    func statx(_ path: String, flags: Int32 = 0, dirfd: Int32 = -100) -> (Int32, UInt32) {
        let buf = alloc(256)
        let r = sys(__NR_statx, dirfd, Harness.a(str(path)), flags, 0x7ff, Harness.a(buf))
        return (r, buf)
    }

    func mode(_ path: String, follow: Bool = true) -> UInt32? {
        let (r, buf) = statx(path, flags: follow ? 0 : AtFlags.SYMLINK_NOFOLLOW)
        return r == 0 ? UInt32(u16(buf + 28)) : nil
    }

    func readlink(_ path: String) -> (Int32, String) {
        let buf = alloc(4096)
        let r = sys(__NR_readlinkat, -100, Harness.a(str(path)), Harness.a(buf), 4096)
        return (r, r > 0 ? String(decoding: read(buf, Int(r)), as: UTF8.self) : "")
    }

    func content(_ path: String) -> String? {
        let fd = open(path, OpenFlags.O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { sys(__NR_close, fd) }
        var out = ""
        while true {
            let (n, s) = readAll(fd, max: 8192)
            if n <= 0 { break }
            out += s
        }
        return out
    }

    /// All names getdents64 returns for an open directory, using a buffer of `bufSize`.
    func listing(_ fd: Int32, bufSize: Int = 4096) -> [String]? {
        var names: [String] = []
        let buf = alloc(bufSize)
        while true {
            let n = sys(__NR_getdents64, fd, Harness.a(buf), Int32(bufSize))
            if n < 0 { return nil }
            if n == 0 { return names }
            var off = 0
            while off < Int(n) {
                let rec = buf + UInt32(off)
                let reclen = Int(u16(rec + 16))
                let nameBytes = read(rec + 19, reclen - 19)
                names.append(String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self))
                off += reclen
            }
        }
    }

    func ls(_ path: String) -> [String]? {
        let fd = open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY)
        guard fd >= 0 else { return nil }
        defer { sys(__NR_close, fd) }
        return listing(fd)?.filter { $0 != "." && $0 != ".." }.sorted()
    }

    func node(_ path: String, follow: Bool = true) throws -> VNode {
        try vfs.resolve(thread, dirfd: -100, path: Array(path.utf8), followFinal: follow)
    }

    /// The errno a resolution fails with, or nil on success.
    func resolveError(_ path: String, follow: Bool = true, dirfd: Int32 = -100) -> LinuxErrno? {
        do {
            _ = try vfs.resolve(thread, dirfd: dirfd, path: Array(path.utf8), followFinal: follow)
            return nil
        } catch {
            if case .errno(let e) = error { return e }
            return .EIO
        }
    }

    func cwd() -> String {
        let buf = alloc(4096)
        let r = sys(__NR_getcwd, Harness.a(buf), 4096)
        return r > 0 ? String(decoding: read(buf, Int(r) - 1), as: UTF8.self) : "error \(r)"
    }
}

/// -errno as the handlers return it.
func err(_ e: LinuxErrno) -> Int32 { -e.rawValue }

let O_RDONLY = OpenFlags.O_RDONLY, O_WRONLY = OpenFlags.O_WRONLY, O_RDWR = OpenFlags.O_RDWR
let O_CREAT = OpenFlags.O_CREAT, O_EXCL = OpenFlags.O_EXCL, O_TRUNC = OpenFlags.O_TRUNC
let O_APPEND = OpenFlags.O_APPEND, O_DIRECTORY = OpenFlags.O_DIRECTORY, O_NOFOLLOW = OpenFlags.O_NOFOLLOW
let O_PATH = OpenFlags.O_PATH, O_CLOEXEC = OpenFlags.O_CLOEXEC
