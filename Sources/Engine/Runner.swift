// Runner.swift: the runner side of the channel. One runner process executes one guest
// process: it instantiates the module with WasmKit, gives it the `kandelo.syscall` import
// and a shared `env.memory`, and runs `_start`. Every syscall is posted to the kernel
// through this thread's slot of the channel (KandeloABI.h); the runner itself knows no
// syscall semantics, only the actions the kernel asks of it (return, grow memory, exit).
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

public final class Runner {
    let config: RunnerConfiguration
    var channel: UnsafeMutableRawPointer
    var slot: UnsafeMutablePointer<kch_slot>
    var header: UnsafeMutablePointer<kch_header>
    var memoryBase: UInt64 = 0
    var heapBase: UInt32 = 0
    var shared: SharedMemory?

    public init(config: RunnerConfiguration) {
        self.config = config
        guard let base = mmap(nil, Int(KCH_SIZE), PROT_READ | PROT_WRITE, MAP_SHARED, config.channelFD, 0),
              base != MAP_FAILED else {
            Runner.die("cannot map the kernel channel (fd \(config.channelFD)): \(String(cString: strerror(errno)))")
        }
        channel = base
        header = kch_header_of(base)
        slot = kch_slot_of(base, 0)
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
    func post(_ nr: Int32, _ a: (Int32, Int32, Int32, Int32, Int32, Int32)) {
        let s = slot
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
                kch_pause()
                continue
            }
            kch_store(&s.pointee.runner_sleeping, 1)
            if kch_load(state) != KCH_RESPONSE.rawValue {
                _ = kch_futex_wait(state, KCH_REQUEST.rawValue, -1)
            }
            kch_store(&s.pointee.runner_sleeping, 0)
        }
    }

    /// A syscall from the guest: post it, then do what the answer says.
    func syscall(_ nr: Int32, _ a: (Int32, Int32, Int32, Int32, Int32, Int32)) throws -> Int32 {
        while true {
            post(nr, a)
            let s = slot.pointee
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
                return fork(kernelPid: pid_t(s.action_arg.0), channelFD: Int32(s.action_arg.1), childPid: s.result)
            case KCH_ACT_EXEC.rawValue:
                exec(kernelPid: pid_t(s.action_arg.0), moduleFD: Int32(s.action_arg.1))
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
    func fork(kernelPid: pid_t, channelFD: Int32, childPid: Int32) -> Int32 {
        let fd = kernelFD(kernelPid, channelFD)
        let pid = fd < 0 ? -1 : Glibc.fork()
        if pid < 0 {
            let e = errno
            if fd >= 0 { close(fd) }
            _ = try? syscall(KCH_NR_FORKFAIL, (childPid, e, 0, 0, 0, 0))
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
        slot = kch_slot_of(base, 0)
        header.pointee.heap_base = heapBase
        _ = try? syscall(KCH_NR_HELLO, (getpid(), 0, 0, 0, 0, 0))
        return 0
    }

    /// execve: run a fresh runner in this same process (so the kernel keeps its pid and
    /// pidfd) on the new module; the channel and doorbell stay on their descriptors.
    func exec(kernelPid: pid_t, moduleFD: Int32) -> Never {
        let fd = kernelFD(kernelPid, moduleFD)
        if fd < 0 { report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "exec: cannot open the module: \(String(cString: strerror(errno)))") }
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
        report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "exec: cannot start the runner: \(String(cString: strerror(errno)))")
    }

    /// Tells the kernel why the guest cannot go on, then ends the runner.
    func report(_ nr: Int32, arg: Int32, message: String) -> Never {
        let bytes = Array(message.utf8.prefix(Int(KCH_DATA_MAX) - 1))
        withUnsafeMutableBytes(of: &slot.pointee.data) { raw in
            raw.copyBytes(from: bytes)
        }
        slot.pointee.data_len = UInt32(bytes.count)
        _ = try? syscall(nr, (arg, 0, 0, 0, 0, 0))
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
        let store = Store(engine: engine)
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
                       message: "not a Kandelo guest: it imports \(imp.module).\(imp.name) (build with kandelo-cc)")
            }
        }
        if minPages > UInt64(config.maxPages) {
            report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "the module needs \(minPages) pages of memory, more than the limit \(config.maxPages)")
        }
        let memory: WasmKit.Memory
        do {
            let s = try SharedMemory(engine: engine, type: MemoryType(min: minPages, max: UInt64(config.maxPages), shared: true),
                                     resourceLimiter: DefaultResourceLimiter())
            shared = s
            memory = WasmKit.Memory(store: store, sharedMemory: s)
        } catch {
            report(KCH_NR_FAILED, arg: Int32(KCH_FAIL_INVALID), message: "cannot create guest memory: \(error)")
        }
        memoryBase = UInt64(UInt(bitPattern: memory.withUnsafeMutableBufferPointer(offset: 0, count: 0) { $0.baseAddress }))
        let syscallImport = Function(store: store, parameters: Array(repeating: .i32, count: 7), results: [.i32], raw: {
            [unowned self] _, params, results in
            let r = try self.syscall(Int32(bitPattern: params[0].i32),
                                     (Int32(bitPattern: params[1].i32), Int32(bitPattern: params[2].i32),
                                      Int32(bitPattern: params[3].i32), Int32(bitPattern: params[4].i32),
                                      Int32(bitPattern: params[5].i32), Int32(bitPattern: params[6].i32)))
            results[0] = .i32(UInt32(bitPattern: r))
        })
        var imports = Imports()
        imports.define(module: "env", name: "memory", memory)
        imports.define(module: "kandelo", name: "syscall", syscallImport)
        let instance: Instance
        do { instance = try module.instantiate(store: store, imports: imports) } catch {
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
        do {
            _ = try start.invoke([])
            // _start never returns in a libc program; treat it as exit(0).
            _ = try syscall(__NR_exit_group, (0, 0, 0, 0, 0, 0))
            _exit(0)
        } catch let exit as GuestExit {
            _exit(exit.status)
        } catch {
            let text = "\(error)"
            let sig: Int32
            if text.contains("unreachable") { sig = SIGILL }
            else if text.contains("divide by zero") || text.contains("integer overflow") { sig = SIGFPE }
            else { sig = SIGSEGV }
            let firstLine = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
            report(KCH_NR_TRAPPED, arg: sig, message: "wasm trap: \(firstLine)")
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
