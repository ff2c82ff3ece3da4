// HostFile.swift: a host file descriptor lent to a guest: the launcher's stdin, stdout
// and stderr become the guest's fds 0-2. Reads and writes go through the kernel's
// io_uring, so a guest blocked on a terminal or a full pipe never stalls the loop;
// terminal ioctls pass through (Linux's termios layout is the same on both sides).
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

public final class HostFile: OpenFile {
    /// Our duplicate of the caller's descriptor (closed at the last guest close).
    let host: HostFD
    public var fd: Int32 { host.rawValue }
    let kernel: Kernel
    private var buffer: UnsafeMutableRawBufferPointer
    private static let bufferSize = 1 << 16

    /// Wraps `fd` (dup'ed: the guest closing it never closes the caller's descriptor).
    public init(kernel: Kernel, fd: Int32, flags: Int32) throws(SyscallError) {
        do { host = try HostFD.duplicate(fd, minimum: 10) } catch { throw .errno(error) }
        self.kernel = kernel
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: HostFile.bufferSize, alignment: 64)
        super.init(flags: flags)
    }

    deinit { buffer.deallocate() }

    public override func release() {
        if let a = armed {
            armed = nil
            kernel.ring.cancel(a.token)
        }
        host.close()
    }

    public override var isTerminal: Bool { host.isTerminal }

    public override func procLinkName() -> [UInt8] {
        host.linkName ?? Array("host:[\(fd)]".utf8)
    }

    private func ready(_ events: Int16) -> Bool {
        host.poll(events) != 0
    }

    public override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        if !canRead { throw .errno(.EBADF) }
        if count == 0 { return 0 }
        try t.memory.check(addr, count)
        let n = min(count, HostFile.bufferSize)
        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
        if let position {
            // pread: the host answers for its file (a regular file reads at once; a pipe or
            // terminal is ESPIPE there as here).
            if position < 0 { throw .errno(.EINVAL) }
            let r: Int
            do { r = try host.read(at: UInt64(position), into: chunk) } catch { throw .errno(error) }
            try t.memory.write(addr, from: UnsafeRawBufferPointer(rebasing: chunk[0..<r]))
            return r
        }
        if ready(Int16(POLLIN)) {
            // Ready: a plain read will not block.
            let r: Int
            do { r = try host.read(into: chunk) } catch { throw .errno(error) }
            try t.memory.write(addr, from: UnsafeRawBufferPointer(rebasing: chunk[0..<r]))
            transferred()
            return r
        }
        if isNonBlocking { throw .errno(.EAGAIN) }
        let serial = t.serial
        try suspend(t) { k, done in
            k.ring.read(fd: fd, into: chunk) { [weak t] r in
                // Not into memory of a call that is over (a signal, or the process's exit).
                guard let t, t.serial == serial && t.inCall else { return }
                guard r >= 0 else { return done(r) }
                do {
                    try t.memory.write(addr, from: UnsafeRawBufferPointer(rebasing: chunk[0..<Int(r)]))
                    done(r)
                } catch { done(-LinuxErrno.EFAULT.rawValue) }
            }
        }
    }

    /// Answers the thread's call when the io_uring operation `submit` starts completes,
    /// unless a signal interrupts it first (the operation is then cancelled). A late
    /// completion never answers a newer call.
    private func suspend(_ t: GuestThread,
                         _ submit: (Kernel, _ done: @escaping (Int32) -> Void) -> UInt64) throws(SyscallError) -> Never {
        let serial = t.serial
        let k = kernel
        // weak t: the operation may complete after the thread is gone (a signal ended the
        // process while it waited, and its parent reaped it).
        let token = submit(k) { [weak t, weak self] r in
            self?.transferred()
            guard let t, t.serial == serial && t.inCall else { return }
            t.interrupt = nil
            k.complete(t, r)
        }
        t.interrupt = { [unowned t] result in
            t.interrupt = nil
            k.ring.cancel(token)
            k.complete(t, result)
        }
        throw .suspended
    }

    public override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        try writev(t, [(addr, count)], at: position)
    }

    /// Writes the vectors, gathered up to the buffer's size at a time (so a writev that stdio
    /// uses for "buffered part + new data" stays one host write). A blocking write completes
    /// as on Linux: chunk after chunk, suspended on the Ring while the host is not ready, and
    /// a signal ends it with the count so far (EINTR only if nothing was written). O_NONBLOCK
    /// writes what the host takes now. pwrite goes to the host, which answers for its file.
    public override func writev(_ t: GuestThread, _ iov: [(base: UInt32, len: Int)], at position: Int64?) throws(SyscallError) -> Int {
        if !canWrite { throw .errno(.EBADF) }
        // A range outside guest memory is EFAULT as a whole (wasm memory has no holes).
        for v in iov { try t.memory.check(v.base, v.len) }
        let total = iov.reduce(0) { $0 + $1.len }
        if total == 0 { return 0 }
        if let position {
            if position < 0 { throw .errno(.EINVAL) }
            var done = 0
            while done < total {
                let n = try gather(t, iov, from: done)
                let r: Int
                do { r = try host.write(at: UInt64(position) + UInt64(done), from: UnsafeRawBufferPointer(rebasing: buffer[0..<n])) } catch {
                    if done > 0 { break }
                    throw .errno(error)
                }
                done += r
                if r < n { break }
            }
            return done
        }
        return try writeRest(t, iov, total: total, done: 0)
    }

    /// Copies guest bytes [from, from + buffer size) of the vectors into the buffer; returns
    /// how many.
    private func gather(_ t: GuestThread, _ iov: [(base: UInt32, len: Int)], from: Int) throws(SyscallError) -> Int {
        var skip = from, n = 0
        for v in iov where v.len > 0 && n < HostFile.bufferSize {
            if skip >= v.len { skip -= v.len; continue }
            let take = min(v.len - skip, HostFile.bufferSize - n)
            try t.memory.read(v.base + UInt32(skip), into: UnsafeMutableRawBufferPointer(rebasing: buffer[n..<n + take]))
            n += take
            skip = 0
        }
        return n
    }

    /// Writes bytes [done, total) of the vectors: at once while the host takes them, else one
    /// chunk through the Ring, whose completion goes on from there (and answers the call
    /// when everything is written or the host refuses).
    private func writeRest(_ t: GuestThread, _ iov: [(base: UInt32, len: Int)], total: Int, done already: Int) throws(SyscallError) -> Int {
        var done = already
        while done < total {
            let n = try gather(t, iov, from: done)
            if isNonBlocking || ready(Int16(POLLOUT)) {
                let r: Int
                defer { transferred() }   // readiness watchers see the host's state after it
                do { r = try host.write(from: UnsafeRawBufferPointer(rebasing: buffer[0..<n])) } catch {
                    if error == .EPIPE { kernel.send(Signal.SIGPIPE, to: t.process) }
                    if done > 0 { return done }
                    throw .errno(error)
                }
                done += r
                if isNonBlocking && r < n { return done }
                continue
            }
            let serial = t.serial
            let k = kernel
            let from = done
            let token = k.ring.write(fd: fd, from: UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { [weak self, weak t] r in
                self?.transferred()
                guard let self, let t, t.serial == serial && t.inCall else { return }   // the process may be gone
                t.interrupt = nil
                if r < 0 {
                    if r == -EPIPE { k.send(Signal.SIGPIPE, to: t.process) }
                    k.complete(t, from > 0 ? Int32(from) : r)
                    return
                }
                do throws(SyscallError) {
                    let all = try self.writeRest(t, iov, total: total, done: from + Int(r))
                    k.complete(t, Int32(truncatingIfNeeded: all))
                } catch .suspended {
                    // the next chunk is on its way; its completion answers
                } catch let .errno(e) {
                    k.complete(t, from + Int(r) > 0 ? Int32(from + Int(r)) : -e.rawValue)
                } catch {
                    k.complete(t, Int32(from + Int(r)))
                }
            }
            t.interrupt = { [unowned t] result in
                // A signal: the count so far, or its -EINTR if nothing was written.
                t.interrupt = nil
                k.ring.cancel(token)
                k.complete(t, from > 0 ? Int32(from) : result)
            }
            throw .suspended
        }
        return done
    }

    /// One vector at a time (a short read is always allowed), so an asynchronous read
    /// never runs beside data already copied.
    public override func readv(_ t: GuestThread, _ iov: [(base: UInt32, len: Int)], at position: Int64?) throws(SyscallError) -> Int {
        guard let v = iov.first(where: { $0.len > 0 }) else { return 0 }
        return try read(t, into: v.base, count: v.len, at: position)
    }

    public override func seek(_ t: GuestThread, offset: Int64, whence: Int32) throws(SyscallError) -> Int64 {
        do { return try host.seek(offset, whence) } catch { throw .errno(error) }
    }

    public override func stat(_ t: GuestThread) throws(SyscallError) -> KStat {
        let st: Glibc.stat
        do { st = try host.stat() } catch { throw .errno(error) }
        var k = KStat()
        k.dev = UInt64(st.st_dev)
        k.ino = UInt64(st.st_ino)
        k.mode = st.st_mode
        k.nlink = UInt32(st.st_nlink)
        k.uid = st.st_uid
        k.gid = st.st_gid
        k.rdev = UInt64(st.st_rdev)
        k.size = Int64(st.st_size)
        k.blksize = Int32(st.st_blksize)
        k.blocks = Int64(st.st_blocks)
        k.atime = (Int64(st.st_atim.tv_sec), UInt32(st.st_atim.tv_nsec))
        k.mtime = (Int64(st.st_mtim.tv_sec), UInt32(st.st_mtim.tv_nsec))
        k.ctime = (Int64(st.st_ctim.tv_sec), UInt32(st.st_ctim.tv_nsec))
        return k
    }

    public override func sync(_ t: GuestThread) throws(SyscallError) {
        // The host's answer as it is: EINVAL for a pipe or terminal, EROFS, EIO.
        if fsync(fd) != 0 { throw .errno(HostSystem.lastError("fsync")) }
    }

    public override func truncate(_ t: GuestThread, to size: Int64) throws(SyscallError) {
        do { try host.truncate(size) } catch { throw .errno(error) }
    }

    // MARK: readiness
    //
    // The host descriptor's readiness is the host's: asked with poll(2) at timeout 0, and
    // watched with one io_uring poll at a time for what the waiters want and is not ready
    // yet (so a level that stays ready never spins the loop). The poll is re-armed when
    // someone looks at the readiness, when a waiter registers, and after each completion.

    private let events = WaitQueue()
    /// The io_uring poll in flight: its token, mask and generation (a cancelled or stale
    /// completion is recognised by the generation).
    private var armed: (token: UInt64, mask: UInt32, generation: UInt64)?
    private var generation: UInt64 = 0

    private func hostReadiness() -> UInt32 {
        UInt32(UInt16(bitPattern: host.poll(Int16(truncatingIfNeeded: Events.all))))
    }

    public override func readiness(_ t: GuestThread) -> UInt32 {
        let r = hostReadiness()
        rearm(ready: r)
        return r
    }

    public override var readinessQueue: WaitQueue? { events }

    /// Whether the host file has a poll method, asked once of a host epoll set: /dev/null
    /// and regular files have none, and epoll_ctl refuses them with EPERM as on the host.
    private lazy var hostPollable: Bool = host.isPollable

    public override var isWatchable: Bool { hostPollable }

    public override func watch(_ w: Waiter, _ t: GuestThread) -> Bool {
        events.add(w)
        rearm(ready: hostReadiness())
        return true
    }

    public override func unwatch(_ w: Waiter) {
        events.remove(w)
        rearm(ready: hostReadiness())
    }

    /// Keeps one host poll in flight for the events waited for that are not ready now.
    private func rearm(ready: UInt32) {
        let want = events.wantedEvents & (Events.in | Events.pri | Events.out | Events.rdnorm | Events.wrnorm) & ~ready
        if let a = armed {
            if a.mask == want { return }
            armed = nil
            kernel.ring.cancel(a.token)
        }
        // An error or hangup is final: nothing more to wait for (a poll would spin).
        guard want != 0, ready & (Events.err | Events.hup) == 0 else { return }
        generation += 1
        let g = generation
        armed = (0, want, g)
        let token = kernel.ring.poll(fd: fd, events: want) { [weak self] r in
            guard let self, let a = self.armed, a.generation == g else { return }
            self.armed = nil
            if r > 0 { self.events.notify(UInt32(r)) }
            if r >= 0 || r == -ECANCELED { self.rearm(ready: self.hostReadiness()) }
        }
        if armed?.generation == g { armed!.token = token }
    }

    /// After a transfer readiness may have dropped: watch again for what is now missing.
    private func transferred() {
        if !events.isEmpty { rearm(ready: hostReadiness()) }
    }

    /// Terminal ioctls, passed to the host descriptor with the guest's bytes.
    public override func ioctl(_ t: GuestThread, request: UInt32, arg: UInt32) throws(SyscallError) -> Int32 {
        let size: Int
        var writesBack = false, readsArg = false
        switch request {
        case 0x5401: size = 36; writesBack = true                    // TCGETS
        case 0x5402, 0x5403, 0x5404: size = 36; readsArg = true      // TCSETS, TCSETSW, TCSETSF
        case 0x5413: size = 8; writesBack = true                     // TIOCGWINSZ
        case 0x5414: size = 8; readsArg = true                       // TIOCSWINSZ
        case 0x541B: size = 4; writesBack = true                     // FIONREAD
        case 0x540F, 0x5410, 0x5429:                                 // TIOCGPGRP, TIOCSPGRP, TIOCGSID
            // The host terminal is not the controlling terminal of any guest session (the
            // guests' sessions and process groups are the kernel's, which the host terminal
            // does not know), and Linux answers these for a terminal that is not the
            // caller's controlling terminal with ENOTTY: shells then run without job
            // control. A kernel pty (kandelo-launch -t) has real job control.
            throw .errno(.ENOTTY)
        case 0x540B, 0x540A, 0x5409: size = 0                        // TCFLSH, TCXONC, TCSBRK (int arg)
            let r = chost_ioctl_int(fd, UInt(request), Int(arg))
            if r < 0 { throw .errno(HostSystem.guestErrno(-r, "ioctl")) }
            return 0
        default:
            throw .errno(.ENOTTY)
        }
        var bytes = [UInt8](repeating: 0, count: 64)
        if readsArg { bytes.replaceSubrange(0..<size, with: try t.memory.read(arg, count: size)) }
        let r = bytes.withUnsafeMutableBytes { chost_ioctl_ptr(fd, UInt(request), $0.baseAddress!) }
        if r < 0 { throw .errno(HostSystem.guestErrno(-r, "ioctl")) }
        if writesBack { try t.memory.write(arg, Array(bytes[0..<size])) }
        return 0
    }
}
