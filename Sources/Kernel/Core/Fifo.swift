// Fifo.swift: named pipes (mkfifo). A FIFO node of any filesystem (the image, tmpfs) gets
// one kernel Pipe while anyone has it open; opening it gives PipeEnds of that pipe, with
// Linux's open rules (fs/pipe.c fifo_open):
//
//   O_RDONLY             blocks until a writer has it open (returns at once with O_NONBLOCK)
//   O_WRONLY             blocks until a reader has it open; O_NONBLOCK without a reader: ENXIO
//   O_RDWR               never blocks (the opener is both)
//
// A blocked open's own end is counted at once (so the other side's open proceeds and its
// writes do not get EPIPE), and the open is finished by whoever opens the other side: the
// call is suspended, not re-run, so the end is made exactly once. A signal ends the wait
// with EINTR; the call's cleanup gives the end back if it was never installed.
#if canImport(Glibc)
import Glibc
#endif
import VFSImage

final class Fifo {
    let pipe: Pipe
    /// Opens waiting for the other side: (for a reader?, resume).
    var waiting: [(id: Int, reader: Bool, resume: () -> Void)] = []
    var nextID = 0
    init(kernel: Kernel) { pipe = Pipe(kernel: kernel) }
    var idle: Bool { pipe.readers == 0 && pipe.writers == 0 && waiting.isEmpty }
}

/// O_RDWR on a FIFO: a reader and a writer end in one description.
final class FifoDuplexEnd: OpenFile {
    let reader: PipeEnd, writer: PipeEnd
    init(pipe: Pipe, flags: Int32) {
        let nb = flags & OpenFlags.O_NONBLOCK
        reader = PipeEnd(pipe: pipe, flags: OpenFlags.O_RDONLY | nb)
        writer = PipeEnd(pipe: pipe, flags: OpenFlags.O_WRONLY | nb)
        super.init(flags: flags)
    }
    override var statusFlags: Int32 {
        didSet {
            // fcntl(F_SETFL, O_NONBLOCK) reaches both halves.
            let nb = statusFlags & OpenFlags.O_NONBLOCK
            reader.statusFlags = (reader.statusFlags & ~OpenFlags.O_NONBLOCK) | nb
            writer.statusFlags = (writer.statusFlags & ~OpenFlags.O_NONBLOCK) | nb
        }
    }
    override func procLinkName() -> [UInt8] { reader.procLinkName() }
    override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        try reader.read(t, into: addr, count: count, at: position)
    }
    override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        try writer.write(t, from: addr, count: count, at: position)
    }
    override func writev(_ t: GuestThread, _ iov: [(base: UInt32, len: Int)], at position: Int64?) throws(SyscallError) -> Int {
        try writer.writev(t, iov, at: position)   // (a blocking write's progress spans the vectors)
    }
    override func stat(_ t: GuestThread) throws(SyscallError) -> KStat { try reader.stat(t) }
    override func ioctl(_ t: GuestThread, request: UInt32, arg: UInt32) throws(SyscallError) -> Int32 {
        try reader.ioctl(t, request: request, arg: arg)
    }
    override func readiness(_ t: GuestThread) -> UInt32 { reader.readiness(t) | writer.readiness(t) }
    override func watch(_ w: Waiter, _ t: GuestThread) -> Bool {
        _ = reader.watch(w, t)
        return writer.watch(w, t)
    }
    override func release() {
        reader.release()
        writer.release()
    }
}

extension Kernel {
    /// VFS.openFifo: opens the FIFO at `node` (see the file comment).
    func openFifo(_ t: GuestThread, _ node: VNode, _ flags: Int32) throws(SyscallError) -> OpenFile {
        let fifo: Fifo
        if let f = fifos[node] { fifo = f } else {
            fifo = Fifo(kernel: self)
            fifo.pipe.fifoNode = node
            fifos[node] = fifo
            fifo.pipe.onLastClose = { [unowned self, unowned fifo] in self.dropIfIdle(node, fifo) }
        }
        let mode = flags & OpenFlags.O_ACCMODE
        let nonblocking = flags & OpenFlags.O_NONBLOCK != 0
        if mode == OpenFlags.O_RDWR {
            let end = FifoDuplexEnd(pipe: fifo.pipe, flags: flags)
            fifoOpened(fifo, reader: true)
            fifoOpened(fifo, reader: false)
            return end
        }
        let reading = mode == OpenFlags.O_RDONLY
        if !reading && nonblocking && fifo.pipe.readers == 0 {
            dropIfIdle(node, fifo)
            throw .errno(.ENXIO)
        }
        let end = PipeEnd(pipe: fifo.pipe, flags: flags)
        fifoOpened(fifo, reader: reading)
        let others = reading ? fifo.pipe.writers : fifo.pipe.readers
        if nonblocking || others > 0 { return end }

        // Wait for the other side; its open installs our descriptor and answers.
        let id = fifo.nextID
        fifo.nextID += 1
        let serial = t.serial
        let cloexec = flags & OpenFlags.O_CLOEXEC != 0
        var installed = false
        fifo.waiting.append((id, reading, { [unowned self, weak t] in
            guard let t, t.inCall, t.serial == serial else { return }
            t.interrupt = nil
            do throws(SyscallError) {
                let fd = try t.process.files.install(end, cloexec: cloexec)
                installed = true
                self.complete(t, fd)
            } catch {
                installed = true   // (a failed install has released `end` already)
                if case .errno(let e) = error { self.fail(t, e) } else { self.fail(t, .EMFILE) }
            }
        }))
        t.cleanups.append { [unowned self] in
            fifo.waiting.removeAll { $0.id == id }
            if !installed { end.release() }
            self.dropIfIdle(node, fifo)
        }
        t.interrupt = { [unowned self, weak t] result in
            guard let t else { return }
            self.complete(t, result)
        }
        throw .suspended
    }

    /// An end was opened: opens waiting for this side go on.
    private func fifoOpened(_ fifo: Fifo, reader: Bool) {
        let ready = fifo.waiting.filter { $0.reader != reader }
        fifo.waiting.removeAll { $0.reader != reader }
        for w in ready { w.resume() }
    }

    func dropIfIdle(_ node: VNode, _ fifo: Fifo) {
        if fifo.idle && fifos[node] === fifo { fifos[node] = nil }
    }
}
