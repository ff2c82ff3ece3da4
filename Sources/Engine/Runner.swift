// Runner.swift: the runner side of the channel. One runner process executes one guest
// process: it instantiates the module with WasmKit, gives it the `kandelo.syscall` import
// and a shared `env.memory`, and runs `_start`. Every syscall is posted to the kernel
// through this thread's slot of the channel (KandeloABI.h); the runner itself knows no
// syscall semantics, only the actions the kernel asks of it (return, grow memory, exit,
// fork, exec, start or end a thread).
//
// Threads. A guest thread is a host thread of this runner running its own instance of
// the module (own Store, globals, stack pointer) over the one SharedMemory; the kernel
// gives it a tid and a slot, this side starts it at __kandelo_thread_start(tid, block).
// Guest futexes never leave the runner: they are host private futexes on guest memory
// (kch_guest_futex), so a mutex hand-off costs what it costs natively. A thread that
// the kernel must interrupt (a signal for a handler) gets its signal word raised and a
// host SIGURG, which ends a futex wait with EINTR.
//
// The sandbox (Documentation/sandbox.md). Once the first module is loaded and
// instantiated, the runner closes every descriptor but stderr, its channel and its doorbell,
// and installs a seccomp allowlist (KandeloABI/sandbox.c) that it, its threads and its
// forks keep for life. So a runner never opens a path: a fork's channel and an exec's
// module are memfds the runner makes itself and the kernel takes a copy of (pidfd_getfd),
// and execve runs the new module in this same process (the old image's stack is unwound
// by throwing out of the guest, the new module is instantiated in its place).
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import WasmKit
import WasmParser

public struct RunnerConfiguration {
    public var channelFD: Int32 = 3
    public var doorbellFD: Int32 = 4
    public var moduleFD: Int32 = 5
    public var maxPages: Int = 16384
    /// How long to spin on the slot before sleeping on its futex (microseconds).
    public var spinMicroseconds: Int = 50
    /// WasmKit's interpreter stack, as Linux's default RLIMIT_STACK.
    public var interpreterStackBytes: Int = 8 << 20
    public init() {}
}

/// Why the guest stopped without exiting.
struct GuestExit: Error { let status: Int32 }
/// This guest thread is done (the process goes on).
struct ThreadExit: Error {}
/// execve succeeded: unwind the guest's stack, then run `module` in place of the image.
struct ExecRequest: Error { let module: [UInt8] }
/// This thread belongs to an image an execve replaced: it leaves without a word.
struct ImageReplaced: Error {}

/// One loaded module with its memory: what an execve replaces. Threads of one image
/// share it; each has its own Store and Instance (WasmKit stores are per thread).
final class Image: @unchecked Sendable {
    let engine: Engine
    let module: Module
    let shared: SharedMemory
    /// kch_generation() when this image started.
    let generation: UInt32
    /// Host address of guest address 0 (set by the first instantiation).
    var memoryBase: UInt64 = 0
    var heapBase: UInt32 = 0
    init(engine: Engine, module: Module, shared: SharedMemory, generation: UInt32) {
        self.engine = engine
        self.module = module
        self.shared = shared
        self.generation = generation
    }
}

/// One guest thread as the runner sees it: its slot, its signal word and its image.
final class ThreadContext: @unchecked Sendable {
    var slot: UnsafeMutablePointer<kch_slot>
    /// Guest address of the thread's signal-pending word (from kandelo_set_sigword).
    var sigword: UInt32 = 0
    var image: Image?
    init(slot: UnsafeMutablePointer<kch_slot>, image: Image?) {
        self.slot = slot
        self.image = image
    }

    /// Uses `slot` from now on, on the calling host thread: the kernel knocks (tgkill) the
    /// host thread named in the slot.
    func attach(to slot: UnsafeMutablePointer<kch_slot>) {
        self.slot = slot
        slot.pointee.host_tid = UInt32(bitPattern: kch_gettid())
    }
}

public final class Runner: @unchecked Sendable {
    let config: RunnerConfiguration
    var channel: UnsafeMutableRawPointer
    var header: UnsafeMutablePointer<kch_header>
    /// The thread that runs _start (after a fork, the one that forked; after an execve,
    /// the one that exec'ed).
    var main: ThreadContext

    public init(config: RunnerConfiguration) {
        self.config = config
        guard let base = mmap(nil, Int(KCH_SIZE), PROT_READ | PROT_WRITE, MAP_SHARED, config.channelFD, 0),
              base != MAP_FAILED else {
            Runner.die("cannot map the kernel channel (fd \(config.channelFD)): \(String(cString: strerror(errno)))")
        }
        channel = base
        header = kch_header_of(base)
        main = ThreadContext(slot: kch_slot_of(base, 0), image: nil)
        main.attach(to: main.slot)
        if header.pointee.magic != KCH_MAGIC { Runner.die("fd \(config.channelFD) is not a kernel channel") }
    }

    static func die(_ message: String) -> Never {
        let line = "kandelo-runner: \(message)\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        _exit(125)
    }

    // MARK: the channel

    /// Posts a request in the slot and waits for the kernel's answer. `fd` is a
    /// descriptor of ours the call hands the kernel (a memfd), or -1. Throws
    /// ImageReplaced when an execve by another thread replaced this thread's image.
    @inline(__always)
    func post(_ ctx: ThreadContext, _ nr: Int32, _ a: (Int32, Int32, Int32, Int32, Int32, Int32), fd: Int32 = -1) throws {
        let image = ctx.image
        let generation = image?.generation ?? kch_generation()
        let s = ctx.slot
        s.pointee.nr = nr
        s.pointee.args = a
        s.pointee.runner_fd = fd
        s.pointee.memory_base = image?.memoryBase ?? 0
        s.pointee.memory_size = UInt64(image?.shared.byteCount ?? 0)
        let state = UnsafeMutableRawPointer(s).assumingMemoryBound(to: UInt32.self)
        kch_store(state, KCH_REQUEST.rawValue)
        if kch_load(&header.pointee.kernel_polling) == 0 {
            var one: UInt64 = 1
            _ = Glibc.write(config.doorbellFD, &one, 8)
        }
        // Spin, then sleep on the state word.
        var spins = 0
        let spinLimit = config.spinMicroseconds * 20
        while kch_load_acquire(state) != KCH_RESPONSE.rawValue {
            if spins < spinLimit {
                spins += 1
                // Mostly pause; now and then yield, in case the kernel waits for this CPU
                // (and look whether an execve of another thread ended this image).
                if spins & 15 == 0 {
                    if kch_generation() != generation { throw ImageReplaced() }
                    sched_yield()
                } else { kch_pause() }
                continue
            }
            if kch_generation() != generation { throw ImageReplaced() }
            kch_store(&s.pointee.runner_sleeping, 1)
            if kch_load(state) != KCH_RESPONSE.rawValue {
                // Wake up every second to check the kernel is still there: a kernel that
                // was SIGKILLed answers nobody, and its runners must not wait forever.
                if kch_futex_wait(state, KCH_REQUEST.rawValue, 1_000_000_000) == -ETIMEDOUT {
                    let kernel = pid_t(header.pointee.kernel_pid)
                    if kernel > 0 && kill(kernel, 0) != 0 && errno == ESRCH { _exit(128 + SIGKILL) }
                }
            }
            // Not ours to touch any more if the image was replaced (slot 0 is the new one's).
            if kch_generation() != generation { throw ImageReplaced() }
            kch_store(&s.pointee.runner_sleeping, 0)
        }
        // The answer in the slot may be for the new image's thread on the same slot.
        if kch_generation() != generation { throw ImageReplaced() }
    }

    /// A syscall from the guest: post it, then do what the answer says.
    func syscall(_ ctx: ThreadContext, _ nr: Int32, _ a: (Int32, Int32, Int32, Int32, Int32, Int32)) throws -> Int32 {
        guard let image = ctx.image, image.generation == kch_generation() else { throw ImageReplaced() }
        if nr == __NR_futex_time64 {
            // Served here: a host futex on our own copy of guest memory.
            let sigword = ctx.sigword == 0 ? nil : UnsafePointer<UInt32>(bitPattern: UInt(image.memoryBase) + UInt(ctx.sigword))
            return kch_guest_futex(UnsafeMutablePointer<UInt8>(bitPattern: UInt(image.memoryBase)), UInt64(image.shared.byteCount),
                                   sigword, image.generation,
                                   UInt32(bitPattern: a.0), a.1, UInt32(bitPattern: a.2), UInt32(bitPattern: a.3),
                                   UInt32(bitPattern: a.4), UInt32(bitPattern: a.5))
        }
        if nr == __NR_kandelo_set_sigword { ctx.sigword = UInt32(bitPattern: a.0) }
        // A fork needs a channel for the child and an execve a place for the new module:
        // both travel as an empty memfd of ours that the kernel copies (pidfd_getfd) and
        // fills, never as a path (Documentation/sandbox.md). clone without CLONE_THREAD is
        // a fork.
        var fd: Int32 = -1
        if nr == __NR_execve || nr == __NR_execveat || (nr == __NR_clone && UInt32(bitPattern: a.0) & 0x10000 == 0) {
            fd = kch_memfd("kandelo")
            if fd < 0 { return -12 }   // ENOMEM
        }
        defer { if fd >= 0 { close(fd) } }
        while true {
            try post(ctx, nr, a, fd: fd)
            let s = ctx.slot.pointee
            switch s.action {
            case KCH_ACT_RETURN.rawValue:
                return s.result
            case KCH_ACT_GROW.rawValue:
                // Grow to action_arg[0] bytes, then post the same call again.
                let want = Int(s.action_arg.0)
                let pages = (want - image.shared.byteCount + 65535) / 65536
                if pages > 0 {
                    let r = (try? image.shared.grow(by: pages)) ?? -1
                    if r < 0 { return -12 }   // ENOMEM
                }
                continue
            case KCH_ACT_EXIT.rawValue:
                throw GuestExit(status: Int32(truncatingIfNeeded: s.action_arg.0))
            case KCH_ACT_FORK.rawValue:
                let channelFD = fd
                fd = -1
                return fork(ctx, image, channelFD: channelFD, childPid: s.result)
            case KCH_ACT_EXEC.rawValue:
                // Past the point of no return: the kernel wrote the module into our memfd.
                // The old image ends now: its other threads must not post again (slot 0
                // is the new image's from the kernel's answer on).
                _ = kch_generation_bump()
                let bytes = readModule(fd: fd, size: Int(s.action_arg.0), ctx: ctx)
                fd = -1   // readModule closed it
                throw ExecRequest(module: bytes)
            case KCH_ACT_THREAD.rawValue:
                startThread(image, tid: Int32(truncatingIfNeeded: s.action_arg.0), block: UInt32(truncatingIfNeeded: s.action_arg.1),
                            slot: UInt32(truncatingIfNeeded: s.action_arg.2))
                return s.result
            case KCH_ACT_THREAD_EXIT.rawValue:
                let clear = UInt32(truncatingIfNeeded: s.action_arg.0)
                if clear != 0 {
                    _ = kch_guest_clear_tid(UnsafeMutablePointer<UInt8>(bitPattern: UInt(image.memoryBase)), UInt64(image.shared.byteCount), clear)
                }
                // The slot is free for the kernel to give to a new thread.
                kch_store(UnsafeMutableRawPointer(ctx.slot).assumingMemoryBound(to: UInt32.self), KCH_IDLE.rawValue)
                throw ThreadExit()
            default:
                Runner.die("unknown action \(s.action) from the kernel")
            }
        }
    }

    /// The guest forked: the kernel made the child process and set up its channel in our
    /// memfd `channelFD`; fork the host process, and in the child switch to the new
    /// channel and say hello (pid) before the guest sees 0. The parent returns the child's pid.
    func fork(_ ctx: ThreadContext, _ image: Image, channelFD fd: Int32, childPid: Int32) -> Int32 {
        let pid = Glibc.fork()
        if pid < 0 {
            let e = errno
            close(fd)
            _ = try? syscall(ctx, KCH_NR_FORKFAIL, (childPid, e, 0, 0, 0, 0))
            return -11   // EAGAIN
        }
        if pid > 0 {
            close(fd)
            return childPid
        }
        // Child: the channel moves to the same descriptor number as before.
        if fd != config.channelFD {
            dup2(fd, config.channelFD)
            close(fd)
        }
        munmap(channel, Int(KCH_SIZE))
        guard let base = mmap(nil, Int(KCH_SIZE), PROT_READ | PROT_WRITE, MAP_SHARED, config.channelFD, 0),
              base != MAP_FAILED else { _exit(125) }
        channel = base
        header = kch_header_of(base)
        // Only the forking thread lives on in the child (POSIX); it becomes the main
        // thread, on slot 0 of the child's channel.
        ctx.attach(to: kch_slot_of(base, 0))
        main = ctx
        header.pointee.heap_base = image.heapBase
        _ = try? syscall(ctx, KCH_NR_HELLO, (getpid(), 0, 0, 0, 0, 0))
        if let forkProbe { Runner.probeOpenat(forkProbe) }
        return 0
    }

    /// execve, after the guest's stack is unwound: the calling thread becomes the
    /// process's only thread, on slot 0 (the kernel did the same on its side), and the
    /// new module replaces the image. Threads of the old image leave at their next call
    /// or wait (they see the generation change); sleeping ones are woken for that.
    func replaceImage(_ ctx: ThreadContext, _ bytes: [UInt8]) -> Function {
        let slot0 = kch_slot_of(channel, 0)!
        if ctx.slot != slot0 {
            kch_store(UnsafeMutableRawPointer(ctx.slot).assumingMemoryBound(to: UInt32.self), KCH_IDLE.rawValue)
            ctx.attach(to: slot0)
        }
        // Old threads asleep on their slots (at worst one that falls asleep just now waits
        // out its one-second timeout before it leaves).
        for i in 0..<UInt32(KCH_MAX_THREADS) {
            let slot = kch_slot_of(channel, i)!
            if kch_load(&slot.pointee.runner_sleeping) != 0 {
                _ = kch_futex_wake(UnsafeMutableRawPointer(slot).assumingMemoryBound(to: UInt32.self), Int32.max)
            }
        }
        main = ctx
        ctx.sigword = 0
        ctx.image = nil
        trace("exec (\(bytes.count) bytes)")
        return prepare(ctx, load(ctx, bytes))
    }

    /// Tells the kernel why the guest cannot go on, then ends the runner.
    func report(_ nr: Int32, arg: Int32, message: String) -> Never {
        report(main, nr, arg: arg, message: message)
    }

    func report(_ ctx: ThreadContext, _ nr: Int32, arg: Int32, message: String) -> Never {
        let bytes = Array(message.utf8.prefix(Int(KCH_DATA_MAX) - 1))
        withUnsafeMutableBytes(of: &ctx.slot.pointee.data) { raw in
            raw.copyBytes(from: bytes)
        }
        ctx.slot.pointee.data_len = UInt32(bytes.count)
        if let image = ctx.image, image.generation != kch_generation() { ctx.image = nil }   // an exec's failure
        try? post(ctx, nr, (arg, 0, 0, 0, 0, 0))
        _exit(0)
    }

    // MARK: running the module

    /// KANDELO_TRACE_STARTUP=1: phase times on stderr.
    let traceStart: UInt64 = Runner.monotonic()
    static func monotonic() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    lazy var tracing = getenv("KANDELO_TRACE_STARTUP") != nil
    func trace(_ what: String) {
        guard tracing else { return }
        let line = "kandelo-runner: trace: \(what) at +\((Runner.monotonic() - traceStart) / 1000) us\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }

    public func run() -> Never {
        trace("start")
        _ = tracing
        // The runners of forked guest processes are host children of this runner, but the
        // kernel, not this process, tracks their lives (pidfds): let the host reap them.
        signal(SIGCHLD, SIG_IGN)
        // The kernel's knock (see the file's header): a handler, so that it interrupts a
        // futex wait, and no SA_RESTART, so that the wait returns EINTR.
        var knock = sigaction()
        knock.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&knock.sa_mask)
        knock.sa_flags = 0
        sigaction(SIGURG, &knock, nil)
        // Read before the sandbox is in: whether to install it, and the test hook.
        let sandboxed = getenv("KANDELO_SANDBOX").map { String(cString: $0) } != "0"
        let probe = getenv("KANDELO_SANDBOX_TEST_OPENAT").map { String(cString: $0) }
        forkProbe = getenv("KANDELO_SANDBOX_TEST_OPENAT_FORKED").map { String(cString: $0) }
        let bytes = readModule(fd: config.moduleFD, size: nil, ctx: main)
        trace("module read (\(bytes.count) bytes)")
        let start = prepare(main, load(main, bytes))
        // The engine and module are loaded: from here on the runner holds only stderr,
        // its channel and its doorbell, and may make only the calls of the allowlist.
        if kch_close_other_fds(min(config.channelFD, config.doorbellFD), max(config.channelFD, config.doorbellFD)) != 0 {
            report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "cannot close inherited descriptors: \(String(cString: strerror(errno)))")
        }
        if sandboxed {
            let r = kch_sandbox_install()
            if r != 0 {
                report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID),
                       message: "cannot install the runner sandbox: \(String(cString: strerror(-r))) (KANDELO_SANDBOX=0 runs without it)")
            }
            trace("sandboxed")
        }
        if let probe { Runner.probeOpenat(probe) }
        loop(main, start)
    }

    /// Test hooks (Documentation/sandbox.md), read before the filter is in: an openat of a
    /// host path right after it is in (KANDELO_SANDBOX_TEST_OPENAT), or in each forked
    /// runner once it said hello (KANDELO_SANDBOX_TEST_OPENAT_FORKED).
    var forkProbe: String?
    static func probeOpenat(_ path: String) {
        // Under the sandbox this never returns: the runner dies of SIGSYS.
        let fd = kch_sandbox_probe_openat(path)
        let line = "kandelo-runner: sandbox test hook: openat(\(path)) returned \(fd)\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        if fd >= 0 { close(fd) }
    }

    /// Runs the guest on the thread of `ctx` from `start`, and each module an execve
    /// brings after it, until the process exits or this thread leaves.
    func loop(_ ctx: ThreadContext, _ start: Function) -> Never {
        var start = start
        while true {
            let outcome = runGuest(ctx) {
                _ = try start.invoke([])
                // _start never returns in a libc program; treat it as exit(0).
                _ = try self.syscall(ctx, __NR_exit_group, (0, 0, 0, 0, 0, 0))
            }
            switch outcome {
            case .threadDone:
                // The main thread left with pthread_exit while others run (or its image was
                // replaced): the process goes on until the last thread leaves.
                Runner.endHostThread()
            case .exec(let bytes):
                start = replaceImage(ctx, bytes)
            }
        }
    }

    /// Ends the calling host thread while the process goes on. The process's first thread
    /// only parks: its pthread_exit would run libdispatch's main-queue cleanup, which
    /// makes an eventfd, a call the sandbox does not allow (and has no use for).
    static func endHostThread() -> Never {
        if getpid() == kch_gettid() {
            var word: UInt32 = 0
            while true { _ = kch_futex_wait_private(&word, 0, -1) }
        }
        pthread_exit(nil)
    }

    /// Parses and checks a module and makes its memory (maximum = the kernel's limit).
    func load(_ ctx: ThreadContext, _ bytes: [UInt8]) -> Image {
        let features: WasmFeatureSet = [.referenceTypes, .exceptionHandling, .threads]
        // The interpreter's own stack (frames and locals of wasm calls) is WasmKit's 512 KiB
        // by default; deeply recursive guests (ash parsing a 400-line function) exhaust it
        // where Linux's 8 MiB stack does not. Untouched pages cost nothing.
        let engine = Engine(configuration: EngineConfiguration(stackSize: config.interpreterStackBytes, features: features))
        let module: Module
        do { module = try parseWasm(bytes: bytes, features: features) } catch {
            report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "invalid wasm module: \(error)")
        }
        trace("parsed")
        var minPages: UInt64 = 1
        for imp in module.imports {
            switch (imp.module, imp.name, imp.descriptor) {
            case ("env", "memory", .memory(let type)):
                guard type.shared else {
                    report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "env.memory must be a shared memory (build with kandelo-cc)")
                }
                minPages = type.min
            case ("kandelo", "syscall", .function):
                break
            default:
                report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID),
                       message: ForeignABI.describe(module.imports.map { ($0.module, $0.name) }))
            }
        }
        if minPages > UInt64(config.maxPages) {
            report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "the module needs \(minPages) pages of memory, more than the limit \(config.maxPages)")
        }
        let shared: SharedMemory
        do {
            shared = try SharedMemory(engine: engine, type: MemoryType(min: minPages, max: UInt64(config.maxPages), shared: true),
                                      resourceLimiter: DefaultResourceLimiter())
        } catch {
            report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "cannot create guest memory: \(error)")
        }
        return Image(engine: engine, module: module, shared: shared, generation: kch_generation())
    }

    /// The main instance of `image` on `ctx`: publishes __heap_base and returns _start.
    func prepare(_ ctx: ThreadContext, _ image: Image) -> Function {
        ctx.image = image
        let instance: Instance
        do { instance = try instantiate(ctx) } catch {
            if let exit = error as? GuestExit { _exit(exit.status) }
            report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "cannot instantiate: \(error)")
        }
        if case .global(let g) = instance.export("__heap_base") {
            image.heapBase = g.value.i32
            header.pointee.heap_base = image.heapBase
        }
        trace("instantiated")
        guard case .function(let start) = instance.export("_start") else {
            report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "the module exports no _start function")
        }
        return start
    }

    /// A new instance of the thread's image over its shared memory, with a
    /// `kandelo.syscall` bound to `ctx`. Each thread has its own (own Store: WasmKit
    /// stores are not shared between threads).
    func instantiate(_ ctx: ThreadContext) throws -> Instance {
        guard let image = ctx.image else { throw ImageReplaced() }
        let store = Store(engine: image.engine)
        let memory = WasmKit.Memory(store: store, sharedMemory: image.shared)
        if image.memoryBase == 0 {
            image.memoryBase = UInt64(UInt(bitPattern: memory.withUnsafeMutableBufferPointer(offset: 0, count: 0) { $0.baseAddress }))
        }
        let syscallImport = Function(store: store, parameters: Array(repeating: .i32, count: 7), results: [.i32], raw: {
            [unowned self] _, params, results in
            let r = try self.syscall(ctx, Int32(bitPattern: params[0].i32),
                                     (Int32(bitPattern: params[1].i32), Int32(bitPattern: params[2].i32),
                                      Int32(bitPattern: params[3].i32), Int32(bitPattern: params[4].i32),
                                      Int32(bitPattern: params[5].i32), Int32(bitPattern: params[6].i32)))
            results[0] = .i32(UInt32(bitPattern: r))
        })
        var imports = Imports()
        imports.define(module: "env", name: "memory", memory)
        imports.define(module: "kandelo", name: "syscall", syscallImport)
        return try image.module.instantiate(store: store, imports: imports)
    }

    /// How guest code on a thread ended, when the thread goes on.
    enum Outcome {
        /// This thread is done (it exited, or its image was replaced).
        case threadDone
        /// It called a successful execve: run this module next.
        case exec([UInt8])
    }

    /// Runs guest code on the thread of `ctx` and handles how it ends: the process's exit
    /// (exits the host process), the thread's exit or leaving a replaced image (returns),
    /// an execve (returns the module), or a trap (reported to the kernel, which ends the
    /// process with the matching signal).
    func runGuest(_ ctx: ThreadContext, _ body: () throws -> Void) -> Outcome {
        do {
            try body()
            return .threadDone
        } catch let exit as GuestExit {
            _exit(exit.status)
        } catch is ThreadExit {
            return .threadDone
        } catch let exec as ExecRequest {
            return .exec(exec.module)
        } catch is ImageReplaced {
            leaveReplacedImage(ctx)
            return .threadDone
        } catch {
            if let image = ctx.image, image.generation != kch_generation() {
                // A trap in an image being replaced is nobody's concern.
                leaveReplacedImage(ctx)
                return .threadDone
            }
            let text = "\(error)"
            let sig: Int32
            if text.contains("unreachable") { sig = SIGILL }
            else if text.contains("divide by zero") || text.contains("integer overflow") { sig = SIGFPE }
            else { sig = SIGSEGV }
            let firstLine = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
            report(ctx, KCH_NR_TRAPPED, arg: sig, message: "wasm trap: \(firstLine)")
        }
    }

    /// A thread of a replaced image leaves: it frees its slot unless the slot is already
    /// someone else's (slot 0 belongs to the thread that exec'ed; a slot the kernel gave
    /// a new thread names that thread's host tid).
    func leaveReplacedImage(_ ctx: ThreadContext) {
        guard ctx.slot != kch_slot_of(channel, 0), ctx.slot.pointee.host_tid == UInt32(bitPattern: kch_gettid()) else { return }
        kch_store(UnsafeMutableRawPointer(ctx.slot).assumingMemoryBound(to: UInt32.self), KCH_IDLE.rawValue)
    }

    /// clone(CLONE_THREAD) answered: a host thread runs a new instance of the module from
    /// __kandelo_thread_start(tid, block) on the slot the kernel chose.
    func startThread(_ image: Image, tid: Int32, block: UInt32, slot: UInt32) {
        let ctx = ThreadContext(slot: kch_slot_of(channel, slot), image: image)
        let job = ThreadJob(runner: self, ctx: ctx, tid: tid, block: block)
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setstacksize(&attr, 8 << 20)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attr, { arg in
            let job = Unmanaged<ThreadJob>.fromOpaque(arg!).takeRetainedValue()
            job.run()
            return nil
        }, Unmanaged.passRetained(job).toOpaque())
        pthread_attr_destroy(&attr)
        if rc != 0 {
            // The kernel already counts the thread: have it leave at once.
            Unmanaged.passUnretained(job).release()
            report(ctx, KCH_NR_TRAPPED, arg: SIGKILL, message: "cannot start a host thread: \(String(cString: strerror(rc)))")
        }
    }

    final class ThreadJob: @unchecked Sendable {
        let runner: Runner, ctx: ThreadContext, tid: Int32, block: UInt32
        init(runner: Runner, ctx: ThreadContext, tid: Int32, block: UInt32) {
            self.runner = runner; self.ctx = ctx; self.tid = tid; self.block = block
        }
        func run() {
            // An execve that came first took the process (and maybe this slot) away.
            guard ctx.image?.generation == kch_generation() else { return }
            ctx.attach(to: ctx.slot)
            let outcome = runner.runGuest(ctx) {
                let instance = try runner.instantiate(ctx)
                guard case .function(let entry) = instance.export(KANDELO_EXPORT_THREAD_START) else {
                    runner.report(ctx, KCH_NR_TRAPPED, arg: SIGKILL, message: "the module exports no __kandelo_thread_start")
                }
                _ = try entry.invoke([.i32(UInt32(bitPattern: tid)), .i32(block)])
                // __kandelo_thread_main never returns; if it does, the thread exits.
                _ = try runner.syscall(ctx, __NR_exit, (0, 0, 0, 0, 0, 0))
            }
            if case .exec(let bytes) = outcome {
                // This thread exec'ed: it is the process now.
                runner.loop(ctx, runner.replaceImage(ctx, bytes))
            }
        }
    }

    /// Reads a module from a memfd: the first from fd 5 (its size from fstat, before the
    /// sandbox), an execve's from our memfd the kernel filled (`size` bytes). Closes it.
    func readModule(fd: Int32, size: Int?, ctx: ThreadContext) -> [UInt8] {
        var count = size ?? 0
        if size == nil {
            var st = stat()
            if fstat(fd, &st) != 0 { Runner.die("cannot stat the module (fd \(fd))") }
            count = Int(st.st_size)
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            if n <= 0 {
                report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "cannot read the module: \(n < 0 ? String(cString: strerror(errno)) : "short file")")
            }
            done += n
        }
        close(fd)
        return bytes
    }
}
