// Pipe.swift: pipes (pipe2) and, later, FIFOs. A ring buffer of 64 KiB with Linux's
// rules: reads block while empty and writers exist, return 0 (EOF) once none is left;
// writes of at most PIPE_BUF bytes are atomic; writing with no reader raises SIGPIPE and
// fails with EPIPE; O_NONBLOCK gives EAGAIN instead of blocking.
import VFSImage

public final class Pipe {
    static let capacity = 65536
    static let atomicSize = 4096     // PIPE_BUF
    unowned let kernel: Kernel
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Pipe.capacity, alignment: 64)
    var head = 0, count = 0
    var readers = 0, writers = 0
    /// Woken when data or EOF arrives (readers wait) or space frees up (writers wait).
    let readable = WaitQueue(), writable = WaitQueue()
    /// Called when the last end closes (a FIFO's pipe is then forgotten, data and all).
    var onLastClose: (() -> Void)?
    let id: UInt64

    init(kernel: Kernel) {
        self.kernel = kernel
        kernel.nextPipeID += 1
        id = kernel.nextPipeID
    }

    deinit { buffer.deallocate() }
}

public final class PipeEnd: OpenFile {
    let pipe: Pipe
    let isReader: Bool

    init(pipe: Pipe, flags: Int32) {
        self.pipe = pipe
        self.isReader = flags & OpenFlags.O_ACCMODE == OpenFlags.O_RDONLY
        super.init(flags: flags)
        if isReader { pipe.readers += 1 } else { pipe.writers += 1 }
    }

    public override func procLinkName() -> [UInt8] { Array("pipe:[\(pipe.id)]".utf8) }

    public override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        guard isReader else { throw .errno(.EBADF) }
        if position != nil { throw .errno(.ESPIPE) }
        if count == 0 { return 0 }
        try t.memory.check(addr, count)
        let p = pipe
        if p.count == 0 {
            if p.writers == 0 { return 0 }
            if isNonBlocking { throw .errno(.EAGAIN) }
            throw .block(p.readable)
        }
        let n = min(count, p.count)
        let first = min(n, Pipe.capacity - p.head)
        let b = p.buffer
        try t.memory.write(addr, from: UnsafeRawBufferPointer(rebasing: b[p.head..<p.head + first]))
        if n > first { try t.memory.write(addr + UInt32(first), from: UnsafeRawBufferPointer(rebasing: b[0..<n - first])) }
        p.head = (p.head + n) % Pipe.capacity
        p.count -= n
        p.writable.wakeAll()
        return n
    }

    public override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        guard !isReader else { throw .errno(.EBADF) }
        if position != nil { throw .errno(.ESPIPE) }
        let p = pipe
        if p.readers == 0 {
            p.kernel.send(Signal.SIGPIPE, to: t.process)
            throw .errno(.EPIPE)
        }
        if count == 0 { return 0 }
        try t.memory.check(addr, count)
        let space = Pipe.capacity - p.count
        // Small writes go in whole or wait; large ones take what fits (a short write).
        if space == 0 || (count <= Pipe.atomicSize && space < count) {
            if isNonBlocking { throw .errno(.EAGAIN) }
            throw .block(p.writable)
        }
        let n = min(count, space)
        let tail = (p.head + p.count) % Pipe.capacity
        let first = min(n, Pipe.capacity - tail)
        let b = p.buffer
        try t.memory.read(addr, into: UnsafeMutableRawBufferPointer(rebasing: b[tail..<tail + first]))
        if n > first { try t.memory.read(addr + UInt32(first), into: UnsafeMutableRawBufferPointer(rebasing: b[0..<n - first])) }
        p.count += n
        p.readable.wakeAll()
        return n
    }

    public override func stat(_ t: GuestThread) throws(SyscallError) -> KStat {
        var s = KStat()
        s.mode = 0o010600   // S_IFIFO
        s.ino = pipe.id
        s.dev = 0x0c
        s.blksize = 4096
        s.uid = t.process.cred.euid
        s.gid = t.process.cred.egid
        let n = pipe.kernel.now()
        s.atime = n; s.mtime = n; s.ctime = n
        return s
    }

    public override func ioctl(_ t: GuestThread, request: UInt32, arg: UInt32) throws(SyscallError) -> Int32 {
        if request == 0x541B {   // FIONREAD
            try t.memory.store(arg, Int32(isReader ? pipe.count : 0))
            return 0
        }
        throw .errno(.ENOTTY)
    }

    public override func poll(_ events: Int16) -> Int16 {
        let POLLIN: Int16 = 1, POLLOUT: Int16 = 4, POLLERR: Int16 = 8, POLLHUP: Int16 = 16
        if isReader {
            var r: Int16 = pipe.count > 0 ? POLLIN & events : 0
            if pipe.writers == 0 { r |= POLLHUP }
            return r
        }
        if pipe.readers == 0 { return POLLERR }
        return Pipe.capacity - pipe.count >= Pipe.atomicSize ? POLLOUT & events : 0
    }

    public override var pollQueue: WaitQueue? { isReader ? pipe.readable : pipe.writable }

    public override func release() {
        if isReader {
            pipe.readers -= 1
            pipe.writable.wakeAll()
        } else {
            pipe.writers -= 1
            pipe.readable.wakeAll()
        }
        if pipe.readers == 0 && pipe.writers == 0 { pipe.onLastClose?() }
    }
}
