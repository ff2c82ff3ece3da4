// Kernel.swift: the kernel's heart: the process table, the syscall dispatch and the loop
// that serves runner channels.
//
// A syscall's life: the runner writes it into its thread's slot of the shared channel
// (KandeloABI.h) and rings the doorbell; `serveRequests` finds the slot, copies the
// arguments into the GuestThread, and calls the handler registered for the number. The
// handler returns a value (answered at once), throws `.errno` (answered -errno), throws
// `.block(queue)` (the thread is parked and the handler re-run when the queue is woken),
// or throws `.suspended` (it answers later itself, e.g. after asynchronous host I/O).
//
// Handlers live in Syscalls/*.swift, one file per area; each area contributes a table.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import KandeloABI
import VFSImage

public final class Kernel {
    public typealias Handler = (Kernel, GuestThread) throws(SyscallError) -> Int32
    /// Gives a handler closure in a table its typed-throws type.
    @inline(__always) static func handler(_ body: @escaping Handler) -> Handler { body }

    public struct Options: Sendable {
        /// How long the loop keeps polling channels after its last piece of work before it
        /// sleeps (microseconds). Short spins turn a syscall round trip into two cache-line
        /// transfers instead of two futex wake-ups.
        public var spinMicroseconds: Int = 50
        /// Largest guest memory, in 64 KiB wasm pages (ENOMEM beyond).
        public var maxMemoryPages: Int = 16384   // 1 GiB
        /// Most processes at once (fork fails with EAGAIN beyond).
        public var maxProcesses: Int = 512
        /// Where the runner executable is.
        public var runnerPath: String = Kernel.defaultRunnerPath()
        /// Diagnostics (unknown syscalls once by name, runner failures) go here.
        public var log: @Sendable (String) -> Void = { msg in
            var line = "kandelo: " + msg + "\n"
            line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
        }
        public init() {}
    }

    public let vfs: VFS
    public var options: Options
    public let ring: Ring
    public let hostname: [UInt8]
    var handlers = [Handler?](repeating: nil, count: Int(KANDELO_NR_PRIVATE_LAST) + 1)
    var runnerHandlers: [Int32: Handler] = [:]
    public internal(set) var processes: [Int32: Process] = [:]
    var threads: [GuestThread] = []
    var nextPid: Int32 = 1
    var nextPipeID: UInt64 = 0
    /// eventfd-id of the next eventfd (fdinfo).
    var nextEventFDID = 0
    /// Reaped processes whose forked runner has not said hello yet (Spawn.swift `reap`).
    var unborn: [ObjectIdentifier: Process] = [:]
    /// Named pipes open now, by node (Fifo.swift).
    var fifos: [VNode: Fifo] = [:]
    let doorbell: Int32
    private var doorbellArmed = false
    private var doorbellBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
    private var retries: [GuestThread] = []
    private var unknownLogged = Set<Int32>()
    /// Called when a process becomes a zombie (after its files are closed).
    public var onExit: ((Process) -> Void)?
    /// Called when a process's runner has ended and been reaped.
    public var onRunnerExit: ((Process) -> Void)?
    /// Why a process could not run (bad module, trap), for the launcher to print.
    public internal(set) var failures: [Int32: String] = [:]
    /// Runners that have ended and been reaped (the launcher waits for its guest's).
    public internal(set) var reapedRunners = 0

    public init(vfs: VFS, options: Options = Options()) throws(SyscallError) {
        self.vfs = vfs
        self.options = options
        self.ring = try Ring(log: options.log)
        let fd = chost_eventfd()
        if fd < 0 { throw .errno(LinuxErrno(rawValue: -fd)) }
        self.doorbell = fd
        var uts = utsname()
        uname(&uts)
        self.hostname = withUnsafeBytes(of: &uts.nodename) { Array($0.prefix { $0 != 0 }) }
        for table in [Kernel.fileSyscalls(), Kernel.processSyscalls(), Kernel.memorySyscalls(),
                      Kernel.timeSyscalls(), Kernel.signalSyscalls(), Kernel.miscSyscalls(),
                      Kernel.forkExecSyscalls(), Kernel.pollSyscalls(), Kernel.eventSyscalls(),
                      Kernel.epollSyscalls()] {
            for (nr, h) in table where nr >= 0 && Int(nr) < handlers.count { handlers[Int(nr)] = h }
        }
        runnerHandlers = Kernel.runnerSyscalls().merging(Kernel.forkRunnerSyscalls()) { a, _ in a }
        // procfs (/proc/<pid>, /proc/self) reaches processes through the kernel's table.
        vfs.processLookup = { [unowned self] pid in self.processes[pid] }
        vfs.processList = { [unowned self] in Array(self.processes.values) }
        vfs.kernel = self
        vfs.openFifo = { [unowned self] (t: GuestThread, node: VNode, flags: Int32) throws(SyscallError) -> OpenFile in
            try self.openFifo(t, node, flags)
        }
    }

    deinit {
        close(doorbell)
        doorbellBuffer.deallocate()
    }

    public static func defaultRunnerPath() -> String {
        if let env = getenv("KANDELO_RUNNER") { return String(cString: env) }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 {
            let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = exe.lastIndex(of: "/") { return String(exe[..<slash]) + "/kandelo-runner" }
        }
        return "kandelo-runner"
    }

    public func now() -> (sec: Int64, nsec: UInt32) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (Int64(ts.tv_sec), UInt32(ts.tv_nsec))
    }

    func allocatePid() -> Int32 {
        while processes[nextPid] != nil || threads.contains(where: { $0.tid == nextPid }) {
            nextPid = nextPid >= 4_194_303 ? 2 : nextPid + 1
        }
        let pid = nextPid
        nextPid += 1
        return pid
    }

    // MARK: answering

    /// Answers the thread's call with `value` and lets the runner go on.
    public func complete(_ t: GuestThread, _ value: Int32, action: UInt32 = KCH_ACT_RETURN.rawValue,
                         actionArgs: [UInt64] = []) {
        guard t.inCall else { return }
        t.inCall = false
        runCleanups(t)
        guard !t.runnerGone else { return }   // nobody to answer: the runner died
        let s = t.slot
        s.pointee.result = value
        s.pointee.action = action
        withUnsafeMutableBytes(of: &s.pointee.action_arg) { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in 0..<4 { words[i] = i < actionArgs.count ? actionArgs[i] : 0 }
        }
        let state = UnsafeMutableRawPointer(s).assumingMemoryBound(to: UInt32.self)
        kch_store(state, KCH_RESPONSE.rawValue)
        // Every waiter: after an execve from a thread other than the main one, the old
        // image's main thread may still sleep on slot 0 until it sees that it must leave.
        if kch_load(&s.pointee.runner_sleeping) != 0 { _ = kch_futex_wake(state, Int32.max) }
    }

    public func fail(_ t: GuestThread, _ e: LinuxErrno) { complete(t, -e.rawValue) }

    /// Undoes the waits registered by the thread's current call (poll registrations,
    /// timers) before it is answered or its handler runs again.
    func runCleanups(_ t: GuestThread) {
        guard !t.cleanups.isEmpty else { return }
        let undo = t.cleanups
        t.cleanups = []
        for u in undo { u() }
    }

    /// Answers only if the thread is still in the call numbered `serial` (for completions
    /// that may arrive after the call was interrupted).
    public func complete(_ t: GuestThread, serial: UInt64, _ value: Int32) {
        if t.serial == serial { complete(t, value) }
    }

    // MARK: dispatch

    func dispatch(_ t: GuestThread) {
        let nr = t.nr
        let handler: Handler?
        if nr >= 0 && Int(nr) < handlers.count {
            handler = handlers[Int(nr)]
        } else {
            handler = runnerHandlers[nr]
        }
        guard let handler else {
            if unknownLogged.insert(nr).inserted {
                options.log("unimplemented syscall \(SyscallNames.name(nr)) (\(nr)) from pid \(t.process.pid); returning ENOSYS")
            }
            fail(t, .ENOSYS)
            return
        }
        do {
            let v = try handler(self, t)
            complete(t, v)
        } catch {
            switch error {
            case .errno(let e): fail(t, e)
            case .block(let q):
                t.blockedOn = q
                q.add(t) { [unowned self, unowned t] in
                    t.blockedOn = nil
                    self.retries.append(t)
                }
            case .suspended: break
            }
        }
    }

    /// Finds posted requests in every live thread's slot and serves them. Returns the
    /// number served.
    func serveRequests() -> Int {
        var served = 0
        for t in threads where !t.inCall && !t.process.job.isStopped {   // stopped: JobControl.swift
            let state = UnsafeMutableRawPointer(t.slot).assumingMemoryBound(to: UInt32.self)
            guard kch_load_acquire(state) == KCH_REQUEST.rawValue else { continue }
            let s = t.slot.pointee
            t.nr = s.nr
            t.args = s.args
            let mem = t.process.memory
            mem.base = s.memory_base
            mem.size = s.memory_size
            t.inCall = true
            t.serial &+= 1
            served += 1
            dispatch(t)
        }
        if !retries.isEmpty {
            let again = retries
            retries = []
            for t in again where t.inCall && t.process.state == .running {
                served += 1
                runCleanups(t)
                dispatch(t)
            }
        }
        return served
    }

    private func setPolling(_ on: Bool) {
        var seen = Set<ObjectIdentifier>()
        for p in processes.values {
            guard let r = p.runner, seen.insert(ObjectIdentifier(r)).inserted else { continue }
            kch_store(&r.header.pointee.kernel_polling, on ? 1 : 0)
        }
    }

    private func armDoorbell() {
        guard !doorbellArmed else { return }
        doorbellArmed = true
        ring.read(fd: doorbell, into: doorbellBuffer) { [unowned self] _ in
            self.doorbellArmed = false
        }
    }

    /// Runs the loop until `done()` is true (checked after every round of work).
    public func run(until done: () -> Bool) {
        var lastWork = monotonicNanos()
        let spin = UInt64(options.spinMicroseconds) * 1000
        setPolling(true)
        while !done() {
            var work = serveRequests()
            work += ring.complete(block: false)
            if work > 0 {
                lastWork = monotonicNanos()
                continue
            }
            if monotonicNanos() - lastWork < spin {
                // Yield rather than pause: on a busy machine the runner we wait for may
                // need this CPU (scripts/bench-guest.sh: getpid with both on one CPU took
                // 60 µs with pause, 5-7 µs with yield; 0.7 vs 1.5 µs when idle).
                sched_yield()
                continue
            }
            // Going to sleep: say so, then look once more (a runner that posted before it
            // saw the flag drop has rung, or its request is visible now).
            setPolling(false)
            armDoorbell()
            if serveRequests() == 0 && retries.isEmpty && !done() {
                ring.complete(block: true)
            }
            setPolling(true)
            lastWork = monotonicNanos()
        }
    }

    public func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
