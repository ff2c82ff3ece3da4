// Process.swift: a guest process and its threads as the kernel sees them. The process's
// code runs in a runner (a host process executing the wasm module); the kernel holds
// everything Linux keeps in task_struct: ids, credentials, the fd table, cwd and root,
// the address-space bookkeeping (brk, mmap areas), signal dispositions.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

public struct Credentials: Sendable, Equatable {
    public var uid: UInt32 = 0, euid: UInt32 = 0, suid: UInt32 = 0
    public var gid: UInt32 = 0, egid: UInt32 = 0, sgid: UInt32 = 0
    public var groups: [UInt32] = []
    public init() {}
    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid; euid = uid; suid = uid
        self.gid = gid; egid = gid; sgid = gid
    }
    public var isRoot: Bool { euid == 0 }
    public func inGroup(_ g: UInt32) -> Bool { egid == g || groups.contains(g) }
}

public final class Process {
    public enum State: Equatable { case running, zombie }

    public let pid: Int32
    public var ppid: Int32
    public var pgid: Int32
    public var sid: Int32
    public var cred: Credentials
    public var umask: UInt32 = 0o022
    public var state: State = .running
    /// Linux wait status (exit code << 8, or the signal number) once a zombie.
    public var waitStatus: Int32 = 0

    /// The fd table. Shared by CLONE_FILES threads (all threads of a process here).
    public var files: FileTable
    /// Working directory and root, as VFS locations.
    public var cwd: VNode
    public var root: VNode

    /// The executable's path as given to execve, argv and envp (for /proc).
    public var exePath: [UInt8] = []
    public var argv: [[UInt8]] = []
    public var envp: [[UInt8]] = []
    /// The start-up block for this execve (sdk/ABI.md §4), built lazily.
    public var startupBlock: [UInt8]? = nil
    /// The task name (prctl PR_SET_NAME, /proc/PID/comm); empty = argv[0]'s base name.
    public var comm: [UInt8] = []

    /// Linux names a task after the file given to execve (a script's own name, not its
    /// interpreter's), at most 15 bytes.
    static func taskName(_ path: [UInt8]) -> [UInt8] {
        Array((path.split(separator: 0x2f).last.map(Array.init) ?? path).prefix(15))
    }
    /// Resource limits set with setrlimit/prlimit64 (others have defaults; Core/Limits.swift
    /// says where each is enforced).
    public var limits: [Int32: (cur: UInt64, max: UInt64)] = [:]
    /// RLIMIT_CPU: a check is armed; the CPU second at which the next SIGXCPU is due.
    var cpuLimitWatched = false
    var nextXCPU: UInt64 = 0

    /// Guest memory, in the runner.
    public var memory: GuestMemory
    public var addressSpace = AddressSpace()
    public var signals = SignalState()
    /// Notified (POLLIN) whenever a signal becomes pending for the process or one of its
    /// threads: signalfds watch here (Linux's sighand->signalfd_wqh).
    public let signalEvents = WaitQueue()
    public var threads: [GuestThread] = []
    public var runner: RunnerLink?
    public let startTime: UInt64
    /// CPU time sampled when the process ended; reaped children's times (Core/CPUTimes.swift).
    var exitTimes: CPUTimes?
    var childTimes = CPUTimes()
    /// Children (pids) not yet reaped.
    public var children: [Int32] = []
    /// ITIMER_REAL (setitimer, alarm): the ring timeout, when it fires, and the interval
    /// it re-arms with (ns). Kept across execve, cleared in a fork child, as on Linux.
    var realTimer: (token: UInt64, deadline: UInt64, interval: UInt64)?
    var realTimerGeneration: UInt64 = 0
    /// Largest guest memory in 64 KiB pages (the launch's --memory; inherited by fork).
    public var maxMemoryPages: Int = 16384
    /// Who inherits this process's orphans: the process the launcher started (pid 1
    /// standalone; each launch's top process in the service), inherited across fork.
    public var reaper: Int32 = 1
    /// A `--read-only` launch: the image and host-directory mounts refuse every change
    /// (EROFS) to this process and its descendants, whatever other launches of the same
    /// service may do (Mount.isReadOnly(for:)). Inherited by fork, kept across execve.
    public var readOnlyStorage = false
    /// prctl: PR_SET_PDEATHSIG (cleared in a fork child, as on Linux), PR_SET_CHILD_SUBREAPER
    /// (kept across fork? no: Linux clears it in the child), PR_SET_NO_NEW_PRIVS (inherited,
    /// never cleared), PR_SET_DUMPABLE.
    public var parentDeathSignal: Int32 = 0
    /// The nice value (setpriority; inherited by fork, kept across execve).
    public var nice: Int32 = 0
    public var isSubreaper = false
    public var noNewPrivs = false
    public var dumpable = true
    /// membarrier(2) registrations (MEMBARRIER_CMD_REGISTER_* bits): kept across fork, cleared by exec.
    public var membarrierRegistered: Int32 = 0
    /// The signal the parent gets when this process ends (SIGCHLD for fork; clone's low byte).
    public var exitSignal: Int32 = 17
    /// Woken whenever a child changes state (wait4 sleeps here).
    public let childEvents = WaitQueue()
    /// Stopped or not, and the change wait4 has yet to report (Syscalls/JobControl.swift).
    public var job = JobState()
    /// Session leaders only: the session's controlling terminal (Terminal/PseudoTerminal.swift).
    public var controllingTerminal: PseudoTerminal?

    public init(pid: Int32, ppid: Int32, cred: Credentials, files: FileTable, cwd: VNode, root: VNode,
                memory: GuestMemory, startTime: UInt64) {
        self.pid = pid
        self.ppid = ppid
        self.pgid = pid
        self.sid = pid
        self.cred = cred
        self.files = files
        self.cwd = cwd
        self.root = root
        self.memory = memory
        self.startTime = startTime
    }
}

/// One guest thread: its channel slot in the runner and the syscall it is making.
public final class GuestThread {
    public let tid: Int32
    public unowned let process: Process
    /// The slot in the shared channel mapping (kernel's view).
    let slot: UnsafeMutablePointer<kch_slot>
    /// Guest address of the thread's signal word (kandelo_set_sigword), 0 if none.
    public var sigword: UInt32 = 0
    /// set_tid_address / CLONE_CHILD_CLEARTID.
    public var clearChildTid: UInt32 = 0
    /// CLONE_CHILD_SETTID of a forked child: where its hello stores its tid.
    var setChildTid: UInt32 = 0
    /// Blocked signals (64-bit mask, bit n-1 = signal n).
    public var sigmask: UInt64 = 0
    /// Signals sent to this thread alone (tkill, tgkill), and who sent them; the
    /// process-wide pending set is in `process.signals`.
    public var pending: UInt64 = 0
    var senders: [Int32: SignalState.Sender] = [:]
    /// Which slot of the runner's channel is this thread's.
    let slotIndex: UInt32
    /// The call in progress.
    public var nr: Int32 = 0
    public var args: (Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0)
    /// Where the thread is parked while a handler blocks.
    var blockedOn: WaitQueue?
    /// For a suspended call (a sleep, asynchronous I/O): ends it early with the given
    /// result (-EINTR) when a signal handler must run.
    public var interrupt: ((Int32) -> Void)?
    /// rt_sigsuspend/ppoll/pselect6: the mask to restore once a handler has run.
    public var savedSigmask: UInt64?
    /// Handlers already set up by one kandelo_sigdequeue (Linux nests a frame per signal
    /// unblocked at once, so the last set up runs first): (signal, its siginfo sender,
    /// the mask its handler runs with, the mask its sigreturn restores).
    var signalChain: [(sig: Int32, sender: SignalState.Sender, action: SignalState.Action, mask: UInt64, restore: UInt64)] = []
    /// Woken when a signal becomes deliverable to this thread (rt_sigsuspend waits here).
    public let signalQueue = WaitQueue()
    /// ppoll/pselect6: the deadline of call `serial` (kept across the call's retries).
    var callDeadline: (serial: UInt64, deadline: UInt64) = (0, 0)
    /// Undo actions of the current call's waits (poll registrations, timers), run when the
    /// call is answered.
    var cleanups: [() -> Void] = []
    /// Counts calls, so that a late completion never answers a newer call.
    public var serial: UInt64 = 0
    /// Set when the call is finished by someone else (async I/O) and must not be answered twice.
    var inCall = false
    /// The runner is dead: its slot must never be written again (Kernel.complete).
    var runnerGone = false
    /// The call changed the image and its answer waits until observer `ticket` (the
    /// service: the host's FUSE caches were told) has caught up (Kernel.answerGate); 0: none.
    public var visibleAfter: UInt64 = 0
    /// A blocking write that already moved `done` bytes of call `serial` and waits for room
    /// for the rest (Pipe.swift); a signal then ends the call with `done`.
    var partial: (serial: UInt64, done: Int)?

    init(tid: Int32, process: Process, slot: UnsafeMutablePointer<kch_slot>, slotIndex: UInt32 = 0) {
        self.tid = tid
        self.process = process
        self.slot = slot
        self.slotIndex = slotIndex
        slot.pointee.tid = UInt32(bitPattern: tid)
    }

    public var memory: GuestMemory { process.memory }

    /// Argument i as the guest passed it (i32), and convenient views of it.
    @inline(__always) public func arg(_ i: Int) -> Int32 {
        switch i {
        case 0: args.0
        case 1: args.1
        case 2: args.2
        case 3: args.3
        case 4: args.4
        default: args.5
        }
    }
    @inline(__always) public func uarg(_ i: Int) -> UInt32 { UInt32(bitPattern: arg(i)) }
    /// A 64-bit argument in two slots, low word first (sdk/ABI.md §3).
    @inline(__always) public func arg64(_ lo: Int) -> Int64 {
        Int64(bitPattern: UInt64(uarg(lo)) | (UInt64(uarg(lo + 1)) << 32))
    }
}

/// The process's address-space bookkeeping: the break and the mmap areas, in 4 KiB guest
/// pages. Wasm memory only grows; freed ranges are reused.
public struct AddressSpace {
    /// `__heap_base` rounded up to a page: brk may not go below it.
    public var brkStart: UInt32 = 0
    public var brk: UInt32 = 0
    /// Where the mmap area starts (above the break area reservation).
    public var mmapBase: UInt32 = 0
    /// Everything at or above this address has never been handed out: still zero.
    public var highWater: UInt32 = 0
    /// Mapped ranges [start, end) sorted by start.
    public var mappings: [(start: UInt32, end: UInt32)] = []
    public init() {}
}

/// Per-process signal dispositions and pending set (threads keep their own masks).
public struct SignalState {
    public struct Action: Equatable {
        public var handler: UInt32 = 0     // SIG_DFL 0, SIG_IGN 1, else a table index
        public var flags: UInt32 = 0
        public var restorer: UInt32 = 0
        public var mask: UInt64 = 0
        public init() {}
    }
    /// What a pending signal's siginfo reports: si_code (SI_USER 0 for kill, SI_TKILL -6
    /// for tkill/tgkill) and the sender's pid and real uid. Standard signals do not queue:
    /// the first sender of a pending signal is the one reported, as on Linux.
    public struct Sender: Equatable {
        public var code: Int32 = 0
        public var pid: Int32 = 0
        public var uid: UInt32 = 0
        /// si_value (sigqueue).
        public var value: Int32 = 0
        public init(code: Int32 = 0, pid: Int32 = 0, uid: UInt32 = 0, value: Int32 = 0) {
            self.code = code; self.pid = pid; self.uid = uid; self.value = value
        }
    }
    /// Real-time signals (32 and up) queue: every send is delivered, in order.
    public var queued: [Int32: [Sender]] = [:]
    public var actions = [Action](repeating: Action(), count: 65)
    public var pending: UInt64 = 0
    public var senders = [Sender](repeating: Sender(), count: 65)
    public var altstack: (sp: UInt32, flags: UInt32, size: UInt32) = (0, 2, 0) // SS_DISABLE
    public init() {}
}

/// The kernel's side of one runner process.
public final class RunnerLink {
    /// 0 until a forked runner says hello.
    public internal(set) var hostPid: pid_t
    public internal(set) var pidfd: Int32
    /// The channel mapping (KCH_SIZE bytes) and its memfd.
    let channel: UnsafeMutableRawPointer
    let channelFD: Int32
    /// A forked child's link before its hello: the host pid of the runner told to fork it.
    var forkParent: pid_t = 0
    /// The forking runner died and this child never said hello in the grace period: it
    /// counts as killed before it started (Spawn.swift abandonUnbornChildren).
    var abandoned = false
    /// The channel is unmapped and its memfd closed (once: a second close would be a host
    /// EBADF on a descriptor number that may be reused by then).
    private var channelReleased = false

    init(hostPid: pid_t, pidfd: Int32, channel: UnsafeMutableRawPointer, channelFD: Int32) {
        self.hostPid = hostPid
        self.pidfd = pidfd
        self.channel = channel
        self.channelFD = channelFD
    }

    var header: UnsafeMutablePointer<kch_header> { kch_header_of(channel) }

    /// The runner is gone: unmap its channel and close what the kernel kept open for it.
    func releaseChannel() {
        guard !channelReleased else { return }
        channelReleased = true
        HostFD(channelFD).releaseChannel(mappedAt: channel)
    }
    func slot(_ i: UInt32) -> UnsafeMutablePointer<kch_slot> { kch_slot_of(channel, i) }
}
