// Spawn.swift: making a guest process: find and check the executable, build its
// start-up block, start a runner for it; and ending one: exit, runner death, reaping.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import KandeloABI
import VFSImage

/// What the launcher asks for.
public struct SpawnRequest {
    public var path: [UInt8]
    public var argv: [[UInt8]]
    public var envp: [[UInt8]]
    public var cwd: [UInt8] = Array("/".utf8)
    public var cred = Credentials()
    /// The descriptions for fds 0, 1, 2 (usually HostFile wrappers of the caller's stdio).
    public var stdio: [OpenFile]
    /// Guest memory limit in 64 KiB pages (nil: Kernel.Options.maxMemoryPages).
    public var maxMemoryPages: Int? = nil
    /// `--read-only`: the image and host directories refuse this launch's changes (EROFS).
    public var readOnly = false
    public init(path: [UInt8], argv: [[UInt8]], envp: [[UInt8]], stdio: [OpenFile]) {
        self.path = path
        self.argv = argv
        self.envp = envp
        self.stdio = stdio
    }
}

/// A program that could not be started, with the status a shell would report.
public struct SpawnFailure: Error, CustomStringConvertible {
    public var errno: LinuxErrno
    public var message: String
    /// 127 when the program is not there, 126 when it is but cannot run.
    public var exitStatus: Int32 { errno == .ENOENT || errno == .ENOTDIR ? 127 : 126 }
    public var description: String { message }
}

/// A loaded executable: the module bytes and the argv after `#!` rewriting.
struct Executable {
    var bytes: [UInt8]
    var argv: [[UInt8]]
    var path: [UInt8]
}

extension Kernel {
    /// Resolves `path`, following `#!` interpreters (up to 4 levels, as Linux), and checks
    /// that the result is a wasm module.
    func loadProgram(_ t: GuestThread, path: [UInt8], argv: [[UInt8]]) throws(SyscallError) -> Executable {
        var path = path
        var argv = argv
        for _ in 0..<5 {
            let loaded = try vfs.loadExecutable(t, path: path)
            let b = loaded.bytes
            if b.count >= 4 && b[0] == 0 && b[1] == 0x61 && b[2] == 0x73 && b[3] == 0x6d {
                return Executable(bytes: b, argv: argv, path: path)
            }
            if b.count >= 2 && b[0] == 0x23 && b[1] == 0x21 {   // "#!"
                let end = b.firstIndex(of: 0x0a) ?? b.count
                let line = b[2..<min(end, 258)]
                let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }
                let trimmed = line.drop(while: isSpace)
                guard let interpEnd = trimmed.firstIndex(where: isSpace) ?? (trimmed.isEmpty ? nil : trimmed.endIndex)
                else { throw .errno(.ENOEXEC) }
                let interp = Array(trimmed[trimmed.startIndex..<interpEnd])
                var rest = Array(trimmed[interpEnd...].drop(while: isSpace))
                while let last = rest.last, isSpace(last) { rest.removeLast() }
                var newArgv = [interp]
                if !rest.isEmpty { newArgv.append(rest) }
                newArgv.append(path)
                newArgv.append(contentsOf: argv.dropFirst())
                argv = newArgv
                path = interp
                continue
            }
            throw .errno(.ENOEXEC)
        }
        throw .errno(.ELOOP)
    }

    /// Starts a new process (the launcher's first guest; later, service clients).
    public func spawn(_ req: SpawnRequest, parent: Process? = nil) throws(SpawnFailure) -> Process {
        let pid = allocatePid()
        let files = FileTable()
        for (fd, f) in req.stdio.enumerated() {
            do { try files.install(f, at: Int32(fd), cloexec: false) } catch {
                throw SpawnFailure(errno: .EBADF, message: "cannot install descriptor \(fd)")
            }
        }
        let root = vfs.rootNode
        let process = Process(pid: pid, ppid: parent?.pid ?? 0, cred: req.cred, files: files, cwd: root,
                              root: root, memory: GuestMemory(pid: 0, base: 0, size: 0),
                              startTime: monotonicNanos())
        watchCloses(process)   // Locks.swift
        let channel: (base: UnsafeMutableRawPointer, fd: Int32)
        do { channel = try makeChannel() } catch {
            files.closeAll()
            throw SpawnFailure(errno: .ENOMEM, message: "cannot create a channel: \(error)")
        }
        let thread = GuestThread(tid: pid, process: process, slot: kch_slot_of(channel.base, 0))
        func abandon(_ e: LinuxErrno, _ message: String) -> SpawnFailure {
            files.closeAll()
            HostFD(channel.fd).releaseChannel(mappedAt: channel.base)
            return SpawnFailure(errno: e, message: message)
        }
        let name = String(decoding: req.path, as: UTF8.self)
        do { process.cwd = try vfs.resolve(thread, dirfd: -100, path: req.cwd, followFinal: true) } catch {
            throw abandon(.ENOENT, "\(String(decoding: req.cwd, as: UTF8.self)): cannot use as working directory")
        }
        let exe: Executable
        do { exe = try loadProgram(thread, path: req.path, argv: req.argv) } catch {
            guard case .errno(let e) = error else { throw abandon(.EIO, "\(name): cannot load") }
            let what = e == .ENOEXEC ? "cannot execute binary file: Exec format error" : e.description
            throw abandon(e, "\(name): \(what)")
        }
        process.exePath = exe.path
        process.comm = Process.taskName(req.path)
        process.argv = exe.argv
        process.envp = req.envp
        process.maxMemoryPages = min(req.maxMemoryPages ?? options.maxMemoryPages, 65536)
        process.readOnlyStorage = req.readOnly
        let runner: RunnerLink
        do { runner = try startRunner(channel: channel, module: exe.bytes, maxPages: process.maxMemoryPages) } catch {
            throw abandon(.EAGAIN, "\(name): cannot start a runner: \(error)")
        }
        process.runner = runner
        process.reaper = parent?.reaper ?? pid
        process.memory = GuestMemory(pid: runner.hostPid, base: 0, size: 0)
        process.threads = [thread]
        processes[pid] = process
        threads.append(thread)
        if let parent { parent.children.append(pid) }
        watchRunner(process, runner)
        return process
    }

    /// A memfd holding a module's bytes: what a runner loads at spawn (fd 5).
    func moduleMemfd(_ bytes: [UInt8]) throws(SyscallError) -> Int32 {
        let fd: HostFD
        do { fd = try HostSystem.memfd("kandelo-module") } catch { throw .errno(error) }
        do { try fd.writeAll(bytes) } catch {
            fd.close()
            throw .errno(error)
        }
        return fd.rawValue
    }

    /// Writes `bytes` at the start of the (empty) file `fd`.
    func fill(_ fd: Int32, _ bytes: [UInt8]) throws(SyscallError) {
        do { try HostFD(fd).writeAll(bytes) } catch { throw .errno(error) }
    }

    /// The empty memfd a runner attached to a fork or execve (`runner_fd` of its slot:
    /// the child's channel, the place for the new module), copied into the kernel with
    /// pidfd_getfd. A sandboxed runner cannot open paths, so memory travels this way
    /// (Documentation/sandbox.md). Only a fresh, empty memfd will do: a confused or
    /// hostile runner could name its channel or its stderr.
    func takeRunnerMemfd(_ t: GuestThread) throws(SyscallError) -> Int32 {
        guard let r = t.process.runner, r.pidfd >= 0 else { throw .errno(.EAGAIN) }
        let target = t.slot.pointee.runner_fd
        guard target >= 0 else { throw .errno(.EINVAL) }
        let fd: HostFD
        do { fd = try HostSystem.takeDescriptor(from: HostFD(r.pidfd), target) } catch { throw .errno(error) }
        if !fd.isEmptyMemfd {
            fd.close()
            throw .errno(.EINVAL)
        }
        return fd.rawValue
    }

    func makeChannel() throws(SyscallError) -> (base: UnsafeMutableRawPointer, fd: Int32) {
        let fd: HostFD
        do { fd = try HostSystem.memfd("kandelo-channel") } catch { throw .errno(error) }
        return try mapChannel(fd.rawValue)
    }

    /// Sizes the memfd `fd` as a channel, maps it and writes its header; closes `fd` on failure.
    func mapChannel(_ fd: Int32) throws(SyscallError) -> (base: UnsafeMutableRawPointer, fd: Int32) {
        let base: UnsafeMutableRawPointer
        do { base = try HostFD(fd).mapShared(size: Int(KCH_SIZE)) } catch {
            HostFD(fd).close()
            throw .errno(error)
        }
        kch_header_of(base).pointee.magic = KCH_MAGIC
        kch_header_of(base).pointee.kernel_polling = 1
        kch_header_of(base).pointee.kernel_pid = UInt32(getpid())
        return (base, fd)
    }

    /// posix_spawn of kandelo-runner with the channel on fd 3, the doorbell on fd 4 and
    /// the module (a sealed memfd) on fd 5. stdin/stdout are /dev/null: guest I/O goes
    /// through the kernel; stderr stays ours for the runner's last words.
    func startRunner(channel: (base: UnsafeMutableRawPointer, fd: Int32), module: [UInt8], maxPages: Int) throws(SyscallError) -> RunnerLink {
        let moduleFD = HostFD(try moduleMemfd(module))
        defer { moduleFD.close() }
        let args = ["--channel", "3", "--doorbell", "4", "--module", "5", "--max-pages", String(maxPages)]
        let (pid, pidfd): (pid_t, HostFD)
        do {
            (pid, pidfd) = try HostSystem.spawnRunner(options.runnerPath, args, fds: [HostFD(channel.fd), HostFD(doorbell), moduleFD])
        } catch { throw .errno(error) }
        kch_header_of(channel.base).pointee.runner_pid = UInt32(pid)
        return RunnerLink(hostPid: pid, pidfd: pidfd.rawValue, channel: channel.base, channelFD: channel.fd)
    }

    /// Reaps the runner when it ends; if the process had not exited through exit_group,
    /// the runner's death is the process's (a trap, a host signal, a crash, the OOM
    /// killer): only that guest process ends, as if killed by the signal that ended its
    /// runner. Nothing of the dead runner is touched again: its threads are marked
    /// `runnerGone` before they are answered, so no answer is written into its slots.
    func watchRunner(_ p: Process, _ r: RunnerLink) {
        ring.poll(fd: r.pidfd, events: UInt32(Glibc.POLLIN)) { [unowned self] _ in
            guard let (status, usage) = HostSystem.reapRunner(r.hostPid, pidfd: HostFD(r.pidfd)) else {
                self.watchRunner(p, r)     // spurious: not yet gone
                return
            }
            HostFD(r.pidfd).close()
            if p.runner === r {
                for t in p.threads { t.runnerGone = true }
                p.runner = nil
            }
            if p.state == .running {
                // Died without exit_group: report as Linux would a crashed process.
                if let usage { self.sampleExitTimes(p, from: usage) }
                let sig = (status & 0x7f) != 0 ? status & 0x7f : Int32(SIGKILL)
                if (status & 0x7f) == 0 && self.failures[p.pid] == nil {
                    self.failures[p.pid] = "runner exited unexpectedly with status \((status >> 8) & 0xff)"
                }
                self.exitProcess(p, waitStatus: sig)
            }
            r.releaseChannel()
            if p.runner == nil { self.reapedWithRunner[ObjectIdentifier(p)] = nil }
            self.abandonUnbornChildren(of: r)
            self.reapedRunners += 1
            self.onRunnerExit?(p)
        }
    }

    /// A runner died: children it was told to fork and that have not said hello may never
    /// exist (it died before its host fork). Each gets a grace period to say hello (a child
    /// forked just before the death still does); after it, the child counts as killed
    /// before it started. A hello that comes later still is answered with exit (the hello
    /// handler sees a zombie), so no runner is left waiting.
    func abandonUnbornChildren(of r: RunnerLink) {
        guard r.hostPid > 0 else { return }
        // Reaped ones (killed before their hello, kept in `reapedWithRunner`) too: they count as
        // live runners until they say hello or are abandoned.
        let orphans = (Array(processes.values) + Array(reapedWithRunner.values))
            .filter { $0.runner?.hostPid == 0 && $0.runner?.forkParent == r.hostPid }
        for c in orphans {
            guard let link = c.runner else { continue }
            _ = ring.timeout(nanoseconds: 2_000_000_000) { [weak self, weak c] _ in
                guard let self, let c, c.runner === link, link.hostPid == 0, !link.abandoned else { return }
                link.abandoned = true
                if c.state == .running { self.exitProcess(c, waitStatus: Signal.SIGKILL) }
                self.onRunnerExit?(c)
            }
        }
    }

    /// Ends a process: closes its files, makes it a zombie, tells its runner to stop,
    /// re-parents its children to init and wakes its parent.
    public func exitProcess(_ p: Process, waitStatus: Int32) {
        guard p.state == .running else { return }
        let mayOrphan = jobControlBeforeExit(p)   // JobControl.swift
        sampleExitTimes(p)   // while the runner still waits for its answer (CPUTimes.swift)
        p.state = .zombie
        p.waitStatus = waitStatus
        armRealTimer(p, value: 0, interval: 0)   // disarm
        for t in p.threads {
            t.blockedOn?.remove(t)
            t.blockedOn = nil
            if t.inCall { complete(t, 0, action: KCH_ACT_EXIT.rawValue, actionArgs: [0]) }
        }
        // A forked child whose runner has not said hello keeps its thread: the hello is
        // answered with exit (ForkExecSyscalls.swift), so that runner does not wait forever.
        threads.removeAll { $0.process === p && !(p.runner.map { $0.hostPid == 0 } ?? false) }
        p.files.closeAll()
        // Orphans go to the nearest living ancestor that is a subreaper (prctl
        // PR_SET_CHILD_SUBREAPER), else to the launch's init, which reaps them; a zombie
        // orphan of a gone init is reaped at once. A child that asked for a parent-death
        // signal gets it.
        // (The launch's init shows as pid 1 to its processes, as a namespace's init would.)
        var subreaper = processes[p.ppid]
        var hops = 0   // (a reused pid can make a stale ppid chain loop)
        while let a = subreaper, !(a.isSubreaper && a.state == .running && a.reaper == p.reaper) {
            hops += 1
            subreaper = hops > 64 ? nil : processes[a.ppid]
        }
        let initProcess = subreaper ?? processes[p.reaper]
        for c in p.children {
            guard let child = processes[c] else { continue }
            if child.parentDeathSignal != 0 && child.state == .running { send(child.parentDeathSignal, to: child) }
            child.ppid = subreaper?.pid ?? 1
            if let initProcess, initProcess !== p, initProcess.state == .running {
                initProcess.children.append(c)
                if child.state == .zombie { initProcess.childEvents.wakeAll() }
            } else if child.state == .zombie {
                reap(child)
            }
        }
        p.children = []
        let parentWaits = processes[p.ppid].map { $0.state == .running && $0.children.contains(p.pid) } ?? false
        if parentWaits, let parent = processes[p.ppid] {
            parent.childEvents.wakeAll()
            if p.exitSignal > 0 { send(p.exitSignal, to: parent) }
        }
        jobControlAfterExit(p, mayOrphan)
        onExit?(p)
        // Nobody will wait for it (an orphan whose reaper had already exited): reaped now,
        // as init would, not left a zombie in the service (found by the syscall fuzzer).
        if !parentWaits && p.reaper != p.pid { reap(p) }
    }

    /// SIGKILLs every process still running (the launcher's guest has exited).
    public func killAll() {
        for p in processes.values where p.state == .running { send(Signal.SIGKILL, to: p) }
    }

    /// SIGKILLs what one launch left running: every process whose reaper is `top`.
    public func killLaunch(_ top: Int32) {
        for p in processes.values where p.state == .running && p.reaper == top { send(Signal.SIGKILL, to: p) }
    }

    /// Processes of one launch still holding a runner.
    public func liveRunners(ofLaunch top: Int32) -> Int {
        processes.values.filter { $0.reaper == top && $0.runner.map { !$0.abandoned } ?? false }.count
            + reapedWithRunner.values.filter { $0.reaper == top && $0.runner.map { !$0.abandoned } ?? false }.count
    }

    /// Runner processes not yet reaped (children abandoned by a dead parent runner excepted).
    /// A child killed before its hello counts until its runner has said hello and been told
    /// to exit: it is a host process until then, and a launcher that left before it would
    /// leave it running (ForkBombTests' SIGTERM case found this under load).
    public var liveRunners: Int {
        processes.values.filter { $0.runner.map { !$0.abandoned } ?? false }.count
            + reapedWithRunner.values.filter { $0.runner.map { !$0.abandoned } ?? false }.count
    }

    /// Removes a zombie from the table (wait4, or the launcher for its top process).
    public func reap(_ p: Process) {
        guard p.state == .zombie else { return }
        // Its runner has yet to end (a killed runner the host is still tearing down, or one
        // that has yet to say hello and be told to exit): keep the process alive for it
        // (its threads' process reference is unowned) and count it as a live runner.
        if p.runner != nil { reapedWithRunner[ObjectIdentifier(p)] = p }
        processes[p.pid] = nil
        if let parent = processes[p.ppid] { parent.children.removeAll { $0 == p.pid } }
    }
}
