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

/// One guest thread as the runner sees it: its slot and its signal word.
final class ThreadContext: @unchecked Sendable {
    var slot: UnsafeMutablePointer<kch_slot>
    /// Guest address of the thread's signal-pending word (from kandelo_set_sigword).
    var sigword: UInt32 = 0
    init(slot: UnsafeMutablePointer<kch_slot>) { self.slot = slot }

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
    /// The thread that runs _start (and, after a fork, the one that forked).
    var main: ThreadContext
    var memoryBase: UInt64 = 0
    var heapBase: UInt32 = 0
    var shared: SharedMemory?
    /// What new threads instantiate.
    var engine: Engine?
    var module: Module?

    public init(config: RunnerConfiguration) {
        self.config = config
        guard let base = mmap(nil, Int(KCH_SIZE), PROT_READ | PROT_WRITE, MAP_SHARED, config.channelFD, 0),
              base != MAP_FAILED else {
            Runner.die("cannot map the kernel channel (fd \(config.channelFD)): \(String(cString: strerror(errno)))")
        }
        channel = base
        header = kch_header_of(base)
        main = ThreadContext(slot: kch_slot_of(base, 0))
        main.attach(to: main.slot)
        if header.pointee.magic != KCH_MAGIC { Runner.die("fd \(config.channelFD) is not a kernel channel") }
    }

    static func die(_ message: String) -> Never {
        let line = "kandelo-runner: \(message)\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        _exit(125)
    }

    // MARK: the channel

    /// Posts a request in the slot and waits for the kernel's answer.
    @inline(__always)
    func post(_ ctx: ThreadContext, _ nr: Int32, _ a: (Int32, Int32, Int32, Int32, Int32, Int32)) {
        let s = ctx.slot
        s.pointee.nr = nr
        s.pointee.args = a
        s.pointee.memory_base = memoryBase
        s.pointee.memory_size = UInt64(shared?.byteCount ?? 0)
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
                // Mostly pause; now and then yield, in case the kernel waits for this CPU.
                if spins & 15 == 0 { sched_yield() } else { kch_pause() }
                continue
            }
            kch_store(&s.pointee.runner_sleeping, 1)
            if kch_load(state) != KCH_RESPONSE.rawValue {
                // Wake up every second to check the kernel is still there: a kernel that
                // was SIGKILLed answers nobody, and its runners must not wait forever.
                if kch_futex_wait(state, KCH_REQUEST.rawValue, 1_000_000_000) == -ETIMEDOUT {
                    let kernel = pid_t(header.pointee.kernel_pid)
                    if kernel > 0 && kill(kernel, 0) != 0 && errno == ESRCH { _exit(128 + SIGKILL) }
                }
            }
            kch_store(&s.pointee.runner_sleeping, 0)
        }
    }

    /// A syscall from the guest: post it, then do what the answer says.
    func syscall(_ ctx: ThreadContext, _ nr: Int32, _ a: (Int32, Int32, Int32, Int32, Int32, Int32)) throws -> Int32 {
        if nr == __NR_futex_time64, let shared {
            // Served here: a host futex on our own copy of guest memory.
            let sigword = ctx.sigword == 0 ? nil : UnsafePointer<UInt32>(bitPattern: UInt(memoryBase) + UInt(ctx.sigword))
            return kch_guest_futex(UnsafeMutablePointer<UInt8>(bitPattern: UInt(memoryBase)), UInt64(shared.byteCount), sigword,
                                   UInt32(bitPattern: a.0), a.1, UInt32(bitPattern: a.2), UInt32(bitPattern: a.3),
                                   UInt32(bitPattern: a.4), UInt32(bitPattern: a.5))
        }
        if nr == __NR_kandelo_set_sigword { ctx.sigword = UInt32(bitPattern: a.0) }
        while true {
            post(ctx, nr, a)
            let s = ctx.slot.pointee
            switch s.action {
            case KCH_ACT_RETURN.rawValue:
                return s.result
            case KCH_ACT_GROW.rawValue:
                // Grow to action_arg[0] bytes, then post the same call again.
                let want = Int(s.action_arg.0)
                guard let shared else { return -12 }
                let pages = (want - shared.byteCount + 65535) / 65536
                if pages > 0 {
                    let r = (try? shared.grow(by: pages)) ?? -1
                    if r < 0 { return -12 }   // ENOMEM
                }
                continue
            case KCH_ACT_EXIT.rawValue:
                throw GuestExit(status: Int32(truncatingIfNeeded: s.action_arg.0))
            case KCH_ACT_FORK.rawValue:
                return fork(ctx, kernelPid: pid_t(s.action_arg.0), channelFD: Int32(s.action_arg.1), childPid: s.result)
            case KCH_ACT_EXEC.rawValue:
                exec(ctx, kernelPid: pid_t(s.action_arg.0), moduleFD: Int32(s.action_arg.1))
            case KCH_ACT_THREAD.rawValue:
                startThread(tid: Int32(truncatingIfNeeded: s.action_arg.0), block: UInt32(truncatingIfNeeded: s.action_arg.1),
                            slot: UInt32(truncatingIfNeeded: s.action_arg.2))
                return s.result
            case KCH_ACT_THREAD_EXIT.rawValue:
                let clear = UInt32(truncatingIfNeeded: s.action_arg.0)
                if clear != 0, let shared {
                    _ = kch_guest_clear_tid(UnsafeMutablePointer<UInt8>(bitPattern: UInt(memoryBase)), UInt64(shared.byteCount), clear)
                }
                // The slot is free for the kernel to give to a new thread.
                kch_store(UnsafeMutableRawPointer(ctx.slot).assumingMemoryBound(to: UInt32.self), KCH_IDLE.rawValue)
                throw ThreadExit()
            default:
                Runner.die("unknown action \(s.action) from the kernel")
            }
        }
    }

    /// Opens a descriptor of the kernel process (its memfds: a child's channel, a module).
    func kernelFD(_ pid: pid_t, _ fd: Int32) -> Int32 {
        open("/proc/\(pid)/fd/\(fd)", O_RDWR | O_CLOEXEC)
    }

    /// The guest forked: the kernel made the child process and its channel; fork the host
    /// process, and in the child switch to the new channel and say hello (pid) before the
    /// guest sees 0. The parent returns the child's pid.
    func fork(_ ctx: ThreadContext, kernelPid: pid_t, channelFD: Int32, childPid: Int32) -> Int32 {
        let fd = kernelFD(kernelPid, channelFD)
        let pid = fd < 0 ? -1 : Glibc.fork()
        if pid < 0 {
            let e = errno
            if fd >= 0 { close(fd) }
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
        header.pointee.heap_base = heapBase
        _ = try? syscall(ctx, KCH_NR_HELLO, (getpid(), 0, 0, 0, 0, 0))
        return 0
    }

    /// execve: run a fresh runner in this same process (so the kernel keeps its pid and
    /// pidfd) on the new module; the channel and doorbell stay on their descriptors.
    func exec(_ ctx: ThreadContext, kernelPid: pid_t, moduleFD: Int32) -> Never {
        let fd = kernelFD(kernelPid, moduleFD)
        if fd < 0 { report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "exec: cannot open the module: \(String(cString: strerror(errno)))") }
        if fd != config.moduleFD {
            dup2(fd, config.moduleFD)
            close(fd)
        }
        for f in [config.channelFD, config.doorbellFD, config.moduleFD] { _ = fcntl(f, F_SETFD, 0) }
        var exe = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &exe, exe.count - 1)
        let path = n > 0 ? String(decoding: exe[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let args = [path, "--channel", "\(config.channelFD)", "--doorbell", "\(config.doorbellFD)",
                    "--module", "\(config.moduleFD)", "--max-pages", "\(config.maxPages)",
                    "--spin-us", "\(config.spinMicroseconds)"]
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        execv(path, &cargs)
        report(ctx, KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "exec: cannot start the runner: \(String(cString: strerror(errno)))")
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
        _ = try? syscall(ctx, nr, (arg, 0, 0, 0, 0, 0))
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
        // The runners of forked guest processes are host children of this runner, but the
        // kernel, not this process, tracks their lives (pidfds): let the host reap them.
        signal(SIGCHLD, SIG_IGN)
        let bytes = readModule()
        trace("module read (\(bytes.count) bytes)")
        let features: WasmFeatureSet = [.referenceTypes, .exceptionHandling, .threads]
        // The interpreter's own stack (frames and locals of wasm calls) is WasmKit's 512 KiB
        // by default; deeply recursive guests (ash parsing a 400-line function) exhaust it
        // where Linux's 8 MiB stack does not. Untouched pages cost nothing.
        let engine = Engine(configuration: EngineConfiguration(stackSize: config.interpreterStackBytes, features: features))
        let module: Module
        do { module = try parseWasm(bytes: bytes, features: features) } catch {
            report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "invalid wasm module: \(error)")
        }
        trace("parsed")
        var minPages: UInt64 = 1
        for imp in module.imports {
            switch (imp.module, imp.name, imp.descriptor) {
            case ("env", "memory", .memory(let type)):
                guard type.shared else {
                    report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "env.memory must be a shared memory (build with kandelo-cc)")
                }
                minPages = type.min
            case ("kandelo", "syscall", .function):
                break
            default:
                report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID),
                       message: ForeignABI.describe(module.imports.map { ($0.module, $0.name) }))
            }
        }
        if minPages > UInt64(config.maxPages) {
            report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "the module needs \(minPages) pages of memory, more than the limit \(config.maxPages)")
        }
        do {
            shared = try SharedMemory(engine: engine, type: MemoryType(min: minPages, max: UInt64(config.maxPages), shared: true),
                                      resourceLimiter: DefaultResourceLimiter())
        } catch {
            report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "cannot create guest memory: \(error)")
        }
        self.engine = engine
        self.module = module
        let instance: Instance
        do { instance = try instantiate(main) } catch {
            if let exit = error as? GuestExit { _exit(exit.status) }
            report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "cannot instantiate: \(error)")
        }
        if case .global(let g) = instance.export("__heap_base") {
            heapBase = g.value.i32
            header.pointee.heap_base = heapBase
        }
        trace("instantiated")
        guard case .function(let start) = instance.export("_start") else {
            report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "the module exports no _start function")
        }
        // The kernel's knock (see the file's header): a handler, so that it interrupts a
        // futex wait, and no SA_RESTART, so that the wait returns EINTR.
        var knock = sigaction()
        knock.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&knock.sa_mask)
        knock.sa_flags = 0
        sigaction(SIGURG, &knock, nil)
        runGuest(main) {
            _ = try start.invoke([])
            // _start never returns in a libc program; treat it as exit(0).
            _ = try self.syscall(self.main, __NR_exit_group, (0, 0, 0, 0, 0, 0))
        }
        // The main thread left with pthread_exit while others run: the process goes on
        // until the last thread leaves (the kernel then says exit).
        pthread_exit(nil)
    }

    /// A new instance of the module over the shared memory, with a `kandelo.syscall`
    /// bound to `ctx`. Each thread has its own (own Store: WasmKit stores are not shared
    /// between threads).
    func instantiate(_ ctx: ThreadContext) throws -> Instance {
        guard let engine, let module, let shared else { throw GuestExit(status: 125) }
        let store = Store(engine: engine)
        let memory = WasmKit.Memory(store: store, sharedMemory: shared)
        if memoryBase == 0 {
            memoryBase = UInt64(UInt(bitPattern: memory.withUnsafeMutableBufferPointer(offset: 0, count: 0) { $0.baseAddress }))
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
        return try module.instantiate(store: store, imports: imports)
    }

    /// Runs guest code on the thread of `ctx` and handles how it ends: the process's exit
    /// (exits the host process), the thread's exit (returns), or a trap (reported to the
    /// kernel, which ends the process with the matching signal).
    func runGuest(_ ctx: ThreadContext, _ body: () throws -> Void) {
        do {
            try body()
        } catch let exit as GuestExit {
            _exit(exit.status)
        } catch is ThreadExit {
            return
        } catch {
            let text = "\(error)"
            let sig: Int32
            if text.contains("unreachable") { sig = SIGILL }
            else if text.contains("divide by zero") || text.contains("integer overflow") { sig = SIGFPE }
            else { sig = SIGSEGV }
            let firstLine = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
            report(ctx, KCH_NR_TRAPPED, arg: sig, message: "wasm trap: \(firstLine)")
        }
    }

    /// clone(CLONE_THREAD) answered: a host thread runs a new instance of the module from
    /// __kandelo_thread_start(tid, block) on the slot the kernel chose.
    func startThread(tid: Int32, block: UInt32, slot: UInt32) {
        let ctx = ThreadContext(slot: kch_slot_of(channel, slot))
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
            ctx.attach(to: ctx.slot)
            runner.runGuest(ctx) {
                let instance = try runner.instantiate(ctx)
                guard case .function(let entry) = instance.export(KANDELO_EXPORT_THREAD_START) else {
                    runner.report(ctx, KCH_NR_TRAPPED, arg: SIGKILL, message: "the module exports no __kandelo_thread_start")
                }
                _ = try entry.invoke([.i32(UInt32(bitPattern: tid)), .i32(block)])
                // __kandelo_thread_main never returns; if it does, the thread exits.
                _ = try runner.syscall(ctx, __NR_exit, (0, 0, 0, 0, 0, 0))
            }
        }
    }

    func readModule() -> [UInt8] {
        var st = stat()
        if fstat(config.moduleFD, &st) != 0 { Runner.die("cannot stat the module (fd \(config.moduleFD))") }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(config.moduleFD, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            if n <= 0 { Runner.die("cannot read the module: \(String(cString: strerror(errno)))") }
            done += n
        }
        close(config.moduleFD)
        return bytes
    }
}
