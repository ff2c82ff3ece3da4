// Pipe.swift: pipes (pipe2) and the pipes behind FIFOs (Fifo.swift). A ring buffer of 64 KiB with Linux's
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
    /// Notified with POLLIN when data arrives and POLLHUP when the last writer goes
    /// (readers wait and watch here); with POLLOUT when space frees up and POLLERR when the
    /// last reader goes (writers).
    let readable = WaitQueue(), writable = WaitQueue()
    /// Called when the last end closes (a FIFO's pipe is then forgotten, data and all).
    var onLastClose: (() -> Void)?
    let id: UInt64
    /// The pipe's inode as fstat shows it (Linux's pipefs inode): pipe(2) makes it 0600,
    /// owned by the caller; fchmod, fchown and futimens change it (Core/PipeInode.swift). A FIFO's pipe shows its node instead (`fifoNode`).
    var mode: UInt32 = 0o600
    var uid: UInt32 = 0, gid: UInt32 = 0
    var atime: (sec: Int64, nsec: UInt32), mtime: (sec: Int64, nsec: UInt32), ctime: (sec: Int64, nsec: UInt32)
    /// The FIFO node this pipe serves (Fifo.swift); nil for pipe(2).
    var fifoNode: VNode?

    init(kernel: Kernel) {
        self.kernel = kernel
        kernel.nextPipeID += 1
        id = kernel.nextPipeID
        let now = kernel.now()
        atime = now; mtime = now; ctime = now
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
        p.writable.notify(Events.writable)
        return n
    }

    public override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        try writev(t, [(addr, count)], at: position)
    }

    /// A blocking write completes (Linux's pipe_write): what fits goes in, then the call
    /// blocks and, when run again, goes on after what it already wrote (`t.partial`, kept
    /// for this call only); a signal ends it with the count written so far (Kernel
    /// checkSignals), EINTR only if nothing was. Writes of at most PIPE_BUF bytes are atomic.
    /// O_NONBLOCK: what fits, or EAGAIN.
    public override func writev(_ t: GuestThread, _ iov: [(base: UInt32, len: Int)], at position: Int64?) throws(SyscallError) -> Int {
        guard !isReader else { throw .errno(.EBADF) }
        if position != nil { throw .errno(.ESPIPE) }
        let p = pipe
        let total = iov.reduce(0) { $0 + $1.len }
        let already = t.partial?.serial == t.serial ? t.partial!.done : 0
        if p.readers == 0 {
            p.kernel.send(Signal.SIGPIPE, to: t.process)
            if already > 0 { t.partial = nil; return already }
            throw .errno(.EPIPE)
        }
        if total == 0 { return 0 }
        for v in iov { try t.memory.check(v.base, v.len) }
        let space = Pipe.capacity - p.count
        let remaining = total - already
        if space == 0 || (total <= Pipe.atomicSize && space < remaining) {
            if isNonBlocking { throw .errno(.EAGAIN) }
            throw .block(p.writable)
        }
        let n = min(remaining, space)
        // Copy bytes [already, already + n) of the vectors into the ring.
        var skip = already, copied = 0
        for v in iov where copied < n {
            if skip >= v.len { skip -= v.len; continue }
            let take = min(v.len - skip, n - copied)
            let tail = (p.head + p.count) % Pipe.capacity
            let first = min(take, Pipe.capacity - tail)
            let b = p.buffer
            let src = v.base + UInt32(skip)
            try t.memory.read(src, into: UnsafeMutableRawBufferPointer(rebasing: b[tail..<tail + first]))
            if take > first { try t.memory.read(src + UInt32(first), into: UnsafeMutableRawBufferPointer(rebasing: b[0..<take - first])) }
            p.count += take
            copied += take
            skip = 0
        }
        p.readable.notify(Events.readable)
        let done = already + n
        if done < total && !isNonBlocking {
            t.partial = (t.serial, done)
            throw .block(p.writable)
        }
        t.partial = nil
        return done
    }

    public override func stat(_ t: GuestThread) throws(SyscallError) -> KStat { try pipe.stat(t) }

    public override func ioctl(_ t: GuestThread, request: UInt32, arg: UInt32) throws(SyscallError) -> Int32 {
        if request == 0x541B {   // FIONREAD
            try t.memory.store(arg, Int32(isReader ? pipe.count : 0))
            return 0
        }
        throw .errno(.ENOTTY)
    }

    /// Linux's pipe_poll: a reader sees POLLIN while data is buffered and POLLHUP once no
    /// writer is left (never POLLRDHUP: that is for sockets); a writer sees POLLOUT while
    /// PIPE_BUF bytes fit and POLLERR once no reader is left.
    public override func readiness(_ t: GuestThread) -> UInt32 {
        if isReader {
            var r: UInt32 = pipe.count > 0 ? Events.readable : 0
            if pipe.writers == 0 { r |= Events.hup }
            return r
        }
        var r: UInt32 = Pipe.capacity - pipe.count >= Pipe.atomicSize ? Events.writable : 0
        if pipe.readers == 0 { r |= Events.err }
        return r
    }

    public override var readinessQueue: WaitQueue? { isReader ? pipe.readable : pipe.writable }

    public override func release() {
        if isReader {
            pipe.readers -= 1
            if pipe.readers == 0 { pipe.writable.notify(Events.err) } else { pipe.writable.notify(0) }
        } else {
            pipe.writers -= 1
            if pipe.writers == 0 { pipe.readable.notify(Events.hup) } else { pipe.readable.notify(0) }
        }
        if pipe.readers == 0 && pipe.writers == 0 { pipe.onLastClose?() }
    }
}
