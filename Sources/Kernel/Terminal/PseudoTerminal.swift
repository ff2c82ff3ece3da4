// PseudoTerminal.swift: a terminal implemented by the kernel, for guests run with a
// terminal (`kandelo-launch -t`). The line discipline (LineDiscipline.swift) lives here,
// in the kernel, exactly as Linux's pty: the client puts its own terminal in raw mode
// and only shuttles bytes, so what guests see (echo, ^C, canonical editing, tcsetattr,
// job control) is this code's behaviour and not the client's host terminal's.
//
// The slave side is what guests hold: `TerminalFile` descriptions (from `openSlave`, and
// from opening /dev/tty by a process whose controlling terminal this is).
//
// The master side is an API for the host bridge (the service, issue 6). Everything runs
// on the kernel's loop thread; the callbacks are called there.
//
//   let pty = PseudoTerminal(kernel: k, index: n, termios: clientTermios, size: clientSize)
//   var req = SpawnRequest(..., stdio: [pty.openSlave(), pty.openSlave(), pty.openSlave()])
//   let p = try k.spawn(req)
//   try pty.makeControllingTerminal(of: p)        // p is a session leader: its session's tty
//   pty.onOutput = { write pty.takeOutput() to the client (io_uring), until it is empty }
//   pty.onInputSpace = { feed the bytes input(_:) did not take }
//   client bytes arrive:   let taken = pty.input(bytes)      // keep bytes[taken...] for later
//   client window change:  pty.resize(WindowSize(rows: r, cols: c))   // SIGWINCH if changed
//   client gone:           pty.hangup()
//
// - `input(_:)` runs the bytes through the discipline: echo is queued as output, ISIG
//   characters signal the foreground process group, readers are woken. It returns how
//   many bytes it took; when the input buffer is full (a reader is not reading) the rest
//   must be offered again after `onInputSpace`.
// - `takeOutput(max:)` removes processed output (what guests wrote, and echo). While
//   output is stopped (^S with IXON, tcflow(TCOOFF)) it returns nothing. Writers block
//   while `pendingOutput` is at `outputLimit`, so a slow client slows its guests down.
// - `hangup()` is the master closing (Linux's pty master close): the session leader gets
//   SIGHUP and SIGCONT, the session loses its controlling terminal, and descriptions
//   open now are hung up: reads return 0 (end of file), writes and most ioctls EIO, poll
//   reports POLLHUP.
//
// Sessions: a session's controlling terminal hangs off its leader's Process
// (`controllingTerminal`), so processes find theirs through `processes[p.sid]`;
// `setsid` moving a process to a new session therefore leaves it without one. When a
// session leader exits, its terminal's foreground group gets SIGHUP, the terminal is
// hung up for the descriptions open then and forgets the session (JobControl.swift).
//
// Background process groups (Linux's rules): a read from the controlling terminal by a
// process outside the foreground group sends SIGTTIN to its group (EIO when SIGTTIN is
// ignored or blocked, or the group is orphaned); a write with TOSTOP, and tcsetattr,
// tcsetpgrp, tcflush and tcflow, send SIGTTOU unless the caller ignores or blocks it
// (EIO if the group is orphaned). The caller then waits in the kernel until it is
// continued or the foreground changes and tries again, or gets EINTR (ERESTART with
// SA_RESTART) when it has a handler for the signal.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

public final class PseudoTerminal {
    /// The pty number: the slave is /dev/pts/<index>.
    public let index: Int32
    unowned let kernel: Kernel
    public private(set) var discipline: LineDiscipline
    public private(set) var windowSize: WindowSize
    /// Owner of the slave (stat): the user the terminal was made for, group tty (5).
    public var ownerUID: UInt32

    private var output: [UInt8] = []
    private var outputHead = 0
    /// Writers wait while this much output is pending.
    public static let outputLimit = 65536

    /// Woken on anything a slave reader, writer or poller may wait for: input, output
    /// space, a foreground change, a hangup.
    let slaveEvents = WaitQueue()
    /// Master side: output became available (or restarted after ^S).
    public var onOutput: (() -> Void)?
    /// Master side: a reader made room in the input buffer.
    public var onInputSpace: (() -> Void)?

    /// The session this is the controlling terminal of (0: none) and its foreground
    /// process group.
    public internal(set) var session: Int32 = 0
    public internal(set) var foreground: Int32 = 0
    /// Bumped by every hangup: descriptions opened before are hung up.
    private(set) var generation = 0
    /// The master side is gone.
    public private(set) var isHungUp = false
    /// Slave descriptions open.
    public private(set) var openSlaves = 0
    /// Monotonic time of the last input (the VTIME inter-byte timer).
    private(set) var lastInput: UInt64 = 0

    public init(kernel: Kernel, index: Int32 = 0, termios: Termios = Termios(),
                size: WindowSize = WindowSize(rows: 24, cols: 80), owner: UInt32 = 0) {
        self.kernel = kernel
        self.index = index
        self.discipline = LineDiscipline(termios: termios)
        self.windowSize = size
        self.ownerUID = owner
    }

    public var termios: Termios { discipline.termios }
    public var name: [UInt8] { Array("/dev/pts/\(index)".utf8) }

    // MARK: master side

    /// What the user typed. Returns how many bytes were taken.
    @discardableResult
    public func input(_ bytes: [UInt8]) -> Int {
        let wasStopped = discipline.outputStopped
        let fx = discipline.input(bytes)
        if fx.flushOutput { flushOutput() }
        if !fx.echo.isEmpty { queueOutput(fx.echo) }
        if wasStopped && !discipline.outputStopped && pendingOutput > 0 { onOutput?() }
        if fx.consumed > 0 {
            lastInput = kernel.monotonicNanos()
            slaveEvents.wakeAll()
        }
        for sig in fx.signals where foreground != 0 { kernel.signalGroup(foreground, sig) }
        return fx.consumed
    }

    /// Output not yet taken by the master.
    public var pendingOutput: Int { output.count - outputHead }

    /// Takes up to `max` bytes of output (none while output is stopped).
    public func takeOutput(max: Int = Int.max) -> [UInt8] {
        if discipline.outputStopped || pendingOutput == 0 { return [] }
        let n = min(max, pendingOutput)
        let out = Array(output[outputHead..<outputHead + n])
        outputHead += n
        if outputHead == output.count {
            output.removeAll(keepingCapacity: true)
            outputHead = 0
        }
        slaveEvents.wakeAll()
        return out
    }

    /// The client's window changed: TIOCGWINSZ reports it; SIGWINCH to the foreground
    /// process group if it differs.
    public func resize(_ size: WindowSize) {
        guard size != windowSize else { return }
        windowSize = size
        if foreground != 0 { kernel.signalGroup(foreground, Signal.SIGWINCH) }
    }

    /// The master side closed.
    public func hangup() {
        guard !isHungUp else { return }
        isHungUp = true
        generation += 1
        if session != 0, let leader = kernel.processes[session], leader.controllingTerminal === self {
            leader.controllingTerminal = nil
            kernel.send(Signal.SIGHUP, to: leader, code: Kernel.SI_KERNEL)
            kernel.send(Signal.SIGCONT, to: leader, code: Kernel.SI_KERNEL)
        }
        session = 0
        foreground = 0
        slaveEvents.wakeAll()
    }

    /// Makes this the controlling terminal of `leader`'s session, with `leader`'s group
    /// in the foreground (TIOCSCTTY without stealing). EPERM when `leader` does not lead
    /// its session, already has a terminal, or this one belongs to another session.
    public func makeControllingTerminal(of leader: Process) throws(SyscallError) {
        if kernel.controllingTerminal(of: leader) === self { return }
        guard leader.pid == leader.sid, leader.controllingTerminal == nil, !isHungUp else { throw .errno(.EPERM) }
        if session != 0 && kernel.controllingTerminal(of: session) === self { throw .errno(.EPERM) }
        attach(leader)
    }

    /// A new description of the slave side (fds 0-2 of a guest run on this terminal).
    public func openSlave(flags: Int32 = OpenFlags.O_RDWR) -> OpenFile {
        TerminalFile(self, flags: flags)
    }

    // MARK: kernel side

    func attach(_ leader: Process) {
        session = leader.sid
        foreground = leader.pgid
        leader.controllingTerminal = self
        slaveEvents.wakeAll()
    }

    /// The session forgets its terminal (TIOCNOTTY by the leader, the leader's exit).
    func detach(_ leader: Process) {
        if leader.controllingTerminal === self { leader.controllingTerminal = nil }
        session = 0
        foreground = 0
        slaveEvents.wakeAll()
    }

    /// Its session leader exited: the foreground group gets SIGHUP, descriptions open now
    /// are hung up, the terminal is free for another session.
    func sessionLeaderExited(_ leader: Process) {
        let fg = foreground
        detach(leader)
        generation += 1
        if fg != 0 { kernel.signalGroup(fg, Signal.SIGHUP) }
    }

    func queueOutput(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        output += bytes
        if !discipline.outputStopped { onOutput?() }
    }

    func flushOutput() {
        output = []
        outputHead = 0
        slaveEvents.wakeAll()
    }

    /// Output processing, then the queue.
    func write(_ bytes: [UInt8]) {
        queueOutput(discipline.output(bytes))
    }

    func read(max: Int) -> [UInt8]? {
        let r = discipline.read(max: max)
        if r != nil { onInputSpace?() }
        return r
    }

    func setTermios(_ t: Termios, flush: Bool) {
        if flush { discipline.flushInput() }
        let wasStopped = discipline.outputStopped
        discipline.setTermios(t)
        discipline.outputStopped = wasStopped
        slaveEvents.wakeAll()
        if flush { onInputSpace?() }
    }

    func flushInput() {
        discipline.flushInput()
        onInputSpace?()
    }

    func setOutputStopped(_ stopped: Bool) {
        discipline.outputStopped = stopped
        if !stopped && pendingOutput > 0 { onOutput?() }
    }

    func setForeground(_ pgid: Int32) {
        foreground = pgid
        slaveEvents.wakeAll()
    }

    func setWindowSize(_ ws: WindowSize) { resize(ws) }

    /// TIOCSTI: as if typed.
    func simulateInput(_ byte: UInt8) { input([byte]) }

    fileprivate func slaveOpened() { openSlaves += 1 }
    fileprivate func slaveReleased() { openSlaves -= 1 }
}

/// One open description of a pty slave.
public final class TerminalFile: OpenFile {
    public let pty: PseudoTerminal
    /// The terminal's hangup count when this was opened: a later hangup hangs it up.
    private let generation: Int

    init(_ pty: PseudoTerminal, flags: Int32) {
        self.pty = pty
        self.generation = pty.generation
        super.init(flags: flags)
        pty.slaveOpened()
    }

    /// A hangup happened since this description was opened.
    public var isHungUp: Bool { generation != pty.generation }

    public override var isTerminal: Bool { true }
    public override func procLinkName() -> [UInt8] { pty.name }
    public override func release() { pty.slaveReleased() }
    public override var readinessQueue: WaitQueue? { pty.slaveEvents }

    public override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        if !canRead { throw .errno(.EBADF) }
        if position != nil { throw .errno(.ESPIPE) }
        if isHungUp { return 0 }
        try jobControlCheck(t, Signal.SIGTTIN)
        if count == 0 { return 0 }
        try t.memory.check(addr, count)
        let d = pty.discipline
        let k = pty.kernel
        if d.termios.canonical {
            if d.hasLine { return try take(t, addr, count) }
            if isNonBlocking { throw .errno(.EAGAIN) }
            throw .block(pty.slaveEvents)
        }
        // Non-canonical: VMIN and VTIME.
        let vmin = d.termios.vmin, vtime = d.termios.vtimeNanos
        let available = d.available
        if vmin == 0 && vtime == 0 { return available > 0 ? try take(t, addr, count) : 0 }
        if isNonBlocking {
            if available > 0 { return try take(t, addr, count) }
            throw .errno(.EAGAIN)
        }
        if vmin > 0 && available >= min(vmin, count) { return try take(t, addr, count) }
        if vmin == 0 {
            // A timer from the start of the call: whatever came, or 0 when it ran out.
            if available > 0 { return try take(t, addr, count) }
            let deadline = k.deadline(t, timeout: (0, Int64(vtime)))!
            if k.monotonicNanos() >= deadline { return 0 }
            try k.waitForReadiness(t, [(self, Events.all)], deadline: deadline)
        }
        if available == 0 || vtime == 0 { throw .block(pty.slaveEvents) }
        // VMIN and VTIME: an inter-byte timer, started by the first byte.
        let deadline = pty.lastInput + vtime
        if k.monotonicNanos() >= deadline { return try take(t, addr, count) }
        try k.waitForReadiness(t, [(self, Events.all)], deadline: deadline)
    }

    private func take(_ t: GuestThread, _ addr: UInt32, _ count: Int) throws(SyscallError) -> Int {
        guard let bytes = pty.read(max: count) else { return 0 }
        try t.memory.write(addr, bytes)
        return bytes.count
    }

    public override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        if !canWrite { throw .errno(.EBADF) }
        if position != nil { throw .errno(.ESPIPE) }
        if isHungUp || pty.isHungUp { throw .errno(.EIO) }
        if pty.termios.has(l: Termios.TOSTOP) { try jobControlCheck(t, Signal.SIGTTOU) }
        if count == 0 { return 0 }
        try t.memory.check(addr, count)
        let space = PseudoTerminal.outputLimit - pty.pendingOutput
        if space <= 0 {
            if isNonBlocking { throw .errno(.EAGAIN) }
            throw .block(pty.slaveEvents)
        }
        let n = min(count, space)
        pty.write(try t.memory.read(addr, count: n))
        return n
    }

    public override func stat(_ t: GuestThread) throws(SyscallError) -> KStat {
        var s = KStat()
        s.mode = 0o020620   // S_IFCHR, crw--w----
        s.dev = 0x16        // devpts
        s.ino = UInt64(pty.index) + 3
        s.rdev = DeviceNumber.make(136, UInt32(bitPattern: pty.index))
        s.uid = pty.ownerUID
        s.gid = 5
        s.blksize = 1024
        let n = pty.kernel.now()
        s.atime = n; s.mtime = n; s.ctime = n
        return s
    }

    /// Linux's tty_poll/n_tty_poll: readable with input (a line, in canonical mode), writable
    /// while output has room; a hung-up description is everything at once.
    public override func readiness(_ t: GuestThread) -> UInt32 {
        if isHungUp { return Events.readable | Events.writable | Events.hup | Events.err }
        var r: UInt32 = 0
        if pty.discipline.readable { r |= Events.readable }
        if pty.pendingOutput < PseudoTerminal.outputLimit { r |= Events.writable }
        if pty.isHungUp { r |= Events.hup }
        return r
    }

    /// The background checks of Linux's terminal driver, for a read (SIGTTIN) or a
    /// write with TOSTOP / a settings change (SIGTTOU) by a process whose controlling
    /// terminal this is but whose group is not in the foreground.
    func jobControlCheck(_ t: GuestThread, _ sig: Int32) throws(SyscallError) {
        let k = pty.kernel, p = t.process
        guard pty.foreground != 0, p.pgid != pty.foreground, k.controllingTerminal(of: p) === pty else { return }
        let refused = p.signals.actions[Int(sig)].handler == 1 || t.sigmask & Signal.bit(sig) != 0
        if refused {
            if sig == Signal.SIGTTIN { throw .errno(.EIO) }
            return
        }
        if k.isOrphanedGroup(p.pgid) { throw .errno(.EIO) }
        k.signalGroup(p.pgid, sig)
        if p.state != .running { throw .suspended }
        if k.deliverable(t) != 0 {
            // A handler runs first; then the call is restarted (SA_RESTART) or fails.
            let restart = p.signals.actions[Int(sig)].flags & Kernel.SA_RESTART != 0
            throw .errno(restart ? .ERESTART : .EINTR)
        }
        // Stopped: try again once continued (or brought to the foreground).
        try k.waitForReadiness(t, [(self, Events.all)], deadline: nil, also: t.signalQueue)
    }

    /// For ioctls that change the terminal.
    private func checkChange(_ t: GuestThread) throws(SyscallError) {
        try jobControlCheck(t, Signal.SIGTTOU)
    }

    public override func ioctl(_ t: GuestThread, request: UInt32, arg: UInt32) throws(SyscallError) -> Int32 {
        typealias I = TerminalIoctl
        let k = pty.kernel, p = t.process
        if isHungUp {
            // A hung-up terminal answers only what does not need it.
            throw .errno(.EIO)
        }
        switch request {
        case I.TCGETS, I.TCGETS2:
            try t.memory.write(arg, pty.termios.encode(version2: request == I.TCGETS2))
            return 0
        case I.TCSETS, I.TCSETSW, I.TCSETSF, I.TCSETS2, I.TCSETSW2, I.TCSETSF2:
            let v2 = request == I.TCSETS2 || request == I.TCSETSW2 || request == I.TCSETSF2
            let bytes = try t.memory.read(arg, count: v2 ? Termios.size2 : Termios.size)
            try checkChange(t)
            guard var new = Termios(decoding: bytes, version2: v2) else { throw .errno(.EINVAL) }
            // A pty has no line speed to change: it keeps 38400.
            new.cflag = (new.cflag & ~Termios.CBAUD) | (pty.termios.cflag & Termios.CBAUD)
            new.ispeed = pty.termios.ispeed
            new.ospeed = pty.termios.ospeed
            pty.setTermios(new, flush: request == I.TCSETSF || request == I.TCSETSF2)
            return 0
        case I.TIOCGWINSZ:
            try t.memory.write(arg, pty.windowSize.encode())
            return 0
        case I.TIOCSWINSZ:
            guard let ws = WindowSize(decoding: try t.memory.read(arg, count: 8)) else { throw .errno(.EFAULT) }
            pty.setWindowSize(ws)
            return 0
        case I.FIONREAD:
            try t.memory.store(arg, Int32(pty.discipline.available))
            return 0
        case I.TIOCOUTQ:
            try t.memory.store(arg, Int32(pty.pendingOutput))
            return 0
        case I.TCFLSH:
            try checkChange(t)
            switch arg {
            case 0: pty.flushInput()
            case 1: pty.flushOutput()
            case 2: pty.flushInput(); pty.flushOutput()
            default: throw .errno(.EINVAL)
            }
            return 0
        case I.TCXONC:
            try checkChange(t)
            switch arg {
            case 0: pty.setOutputStopped(true)     // TCOOFF
            case 1: pty.setOutputStopped(false)    // TCOON
            case 2, 3: break                       // TCIOFF, TCION: no flow control toward a pty master
            default: throw .errno(.EINVAL)
            }
            return 0
        case I.TCSBRK, I.TCSBRKP:
            // tcdrain and breaks: output counts as sent once queued for the master.
            return 0
        case I.TIOCEXCL, I.TIOCNXCL:
            return 0
        case I.TIOCGETD:
            try t.memory.store(arg, Int32(0))   // N_TTY
            return 0
        case I.TIOCSETD:
            let ldisc: Int32 = try t.memory.load(arg)
            if ldisc != 0 { throw .errno(.EINVAL) }
            return 0
        case I.TIOCSTI:
            let c: UInt8 = try t.memory.load(arg)
            guard k.controllingTerminal(of: p) === pty || p.cred.isRoot else { throw .errno(.EPERM) }
            pty.simulateInput(c)
            return 0
        case I.TIOCGPGRP:
            guard k.controllingTerminal(of: p) === pty else { throw .errno(.ENOTTY) }
            try t.memory.store(arg, pty.foreground)
            return 0
        case I.TIOCSPGRP:
            guard k.controllingTerminal(of: p) === pty, pty.session == p.sid else { throw .errno(.ENOTTY) }
            let pgid: Int32 = try t.memory.load(arg)
            try checkChange(t)
            if pgid < 0 { throw .errno(.EINVAL) }
            let members = k.processes.values.filter { $0.pgid == pgid && $0.state == .running }
            if members.isEmpty { throw .errno(.ESRCH) }
            if members.contains(where: { $0.sid != p.sid }) { throw .errno(.EPERM) }
            pty.setForeground(pgid)
            return 0
        case I.TIOCGSID:
            guard k.controllingTerminal(of: p) === pty, pty.session != 0 else { throw .errno(.ENOTTY) }
            try t.memory.store(arg, pty.session)
            return 0
        case I.TIOCSCTTY:
            if k.controllingTerminal(of: p) === pty { return 0 }
            guard p.pid == p.sid, p.controllingTerminal == nil else { throw .errno(.EPERM) }
            if !canRead && !p.cred.isRoot { throw .errno(.EPERM) }
            if pty.session != 0, let holder = k.processes[pty.session], holder.controllingTerminal === pty {
                // Another session's terminal: only root may take it, with arg 1.
                guard arg == 1 && p.cred.isRoot else { throw .errno(.EPERM) }
                pty.detach(holder)
            }
            if pty.isHungUp { throw .errno(.EIO) }
            pty.attach(p)
            return 0
        case I.TIOCNOTTY:
            guard k.controllingTerminal(of: p) === pty else { throw .errno(.ENOTTY) }
            if p.pid == p.sid {
                // The leader gives it up for the whole session: its foreground group is
                // told, as Linux does.
                let fg = pty.foreground
                pty.detach(p)
                if fg != 0 {
                    k.signalGroup(fg, Signal.SIGHUP)
                    k.signalGroup(fg, Signal.SIGCONT)
                }
            }
            return 0
        default:
            throw .errno(.ENOTTY)
        }
    }
}
