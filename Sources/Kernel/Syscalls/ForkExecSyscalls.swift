// ForkExecSyscalls.swift: clone (fork, vfork, threads), execve, pipe2.
//
// fork: the kernel makes the child process (a copy of the parent's kernel state and a new
// channel, in the empty memfd the runner attached to the call) and answers the parent with
// KCH_ACT_FORK; the parent's runner host-forks, the child runner maps the new channel and
// says hello with its host pid, and only then does the child's guest see clone() return 0.
// Memory is copied by the host's fork (COW).
// execve: the kernel loads and checks the program, writes it into the runner's memfd,
// commits (closes O_CLOEXEC descriptors, resets handled signals, forgets the address
// space) and answers KCH_ACT_EXEC; the runner unwinds the guest and runs the new module in
// the same host process (a sandboxed runner cannot execve: Documentation/sandbox.md).
// Threads: the kernel gives the new thread a tid and a free slot of the process's channel
// and answers KCH_ACT_THREAD; the runner starts a host thread running a new instance of
// the module at __kandelo_thread_start(tid, start block) (sdk/ABI.md §7). A thread that
// leaves is answered KCH_ACT_THREAD_EXIT: the runner does the CLONE_CHILD_CLEARTID store
// and futex wake on guest memory, and frees the slot.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import KandeloABI
import VFSImage

extension Kernel {
    static let CLONE_VM: UInt32 = 0x100, CLONE_FS: UInt32 = 0x200, CLONE_FILES: UInt32 = 0x400
    static let CLONE_SIGHAND: UInt32 = 0x800, CLONE_VFORK: UInt32 = 0x4000, CLONE_PARENT: UInt32 = 0x8000
    static let CLONE_THREAD: UInt32 = 0x10000, CLONE_SETTLS: UInt32 = 0x80000
    static let CLONE_PARENT_SETTID: UInt32 = 0x100000, CLONE_CHILD_CLEARTID: UInt32 = 0x200000
    static let CLONE_CHILD_SETTID: UInt32 = 0x1000000, CLONE_PIDFD: UInt32 = 0x1000

    /// KCH_NR_HELLO: a forked runner is up and tells its host pid.
    static func sys_kch_hello(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let p = t.process
        guard let r = p.runner, r.hostPid == 0 else { throw .errno(.EINVAL) }
        if p.state == .zombie {
            // Killed before it started: the runner exits at once (its parent runner
            // reaps it), and the kernel lets go of its channel.
            k.threads.removeAll { $0 === t }
            k.complete(t, 0, action: KCH_ACT_EXIT.rawValue, actionArgs: [UInt64(128 + Signal.SIGKILL)])
            r.releaseChannel()
            p.runner = nil
            k.onRunnerExit?(p)
            k.reapedWithRunner[ObjectIdentifier(p)] = nil
            throw .suspended
        }
        let hostPid = t.arg(0)
        guard let pidfd = try? HostSystem.openPidfd(hostPid) else {
            k.exitProcess(p, waitStatus: Signal.SIGKILL)
            throw .suspended
        }
        r.hostPid = hostPid
        r.pidfd = pidfd.rawValue
        p.memory = GuestMemory(pid: hostPid, base: t.slot.pointee.memory_base, size: t.slot.pointee.memory_size)
        // CLONE_CHILD_SETTID: the child's tid in the child's memory before it runs (a bad
        // address is ignored, as Linux ignores a failed store there).
        if t.setChildTid != 0 {
            try? p.memory.store(t.setChildTid, t.tid)
            t.setChildTid = 0
        }
        k.watchRunner(p, r)
        return 0
    }

    /// KCH_NR_FORKFAIL: the runner's host fork failed; the child the kernel made goes.
    static func sys_kch_forkfail(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if let child = k.processes[t.arg(0)], child.ppid == t.process.pid, child.runner?.hostPid == 0 {
            k.discardUnbornChild(child)
        }
        return 0
    }

    /// clone(2): fork, vfork or a new thread, by flags.
    static func sys_clone(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let flags = t.uarg(0)
        // CLONE_NEWNS/NEWCGROUP/NEWUTS/NEWIPC/NEWUSER/NEWPID/NEWNET: no namespaces here, and
        // a sandboxing tool must not believe it is isolated: EINVAL, as a Linux built
        // without namespace support answers. CLONE_PIDFD: there are no pidfds yet.
        if flags & 0x7E02_0000 != 0 || flags & CLONE_PIDFD != 0 { throw .errno(.EINVAL) }
        if flags & CLONE_THREAD != 0 { return try k.cloneThread(t, flags: flags) }
        // A new process is a host fork: it cannot share memory, descriptors, filesystem
        // context or handlers with its parent, nor start on another TLS block (libc's
        // __clone drops CLONE_VM for posix_spawn; sdk/ABI.md). Refused rather than copied.
        // CLONE_PTRACE, CLONE_UNTRACED, CLONE_SYSVSEM, CLONE_IO and CLONE_DETACHED change
        // nothing here (nothing is traced, there are no SysV semaphores or I/O contexts).
        if flags & (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SETTLS) != 0 { throw .errno(.EINVAL) }
        let p = t.process
        let live = k.processes.values.filter { $0.cred.uid == p.cred.uid && $0.state == .running }.count
        if live >= Int(k.rlimit(p, 6).cur) && !p.cred.isRoot { throw .errno(.EAGAIN) }
        if k.processes.count >= k.options.maxProcesses { throw .errno(.EAGAIN) }
        let channel = try k.mapChannel(k.takeRunnerMemfd(t))
        let pid = k.allocatePid()
        let child = Process(pid: pid, ppid: flags & CLONE_PARENT != 0 ? p.ppid : p.pid, cred: p.cred,
                            files: p.files.copy(), cwd: p.cwd, root: p.root,
                            memory: GuestMemory(pid: 0, base: p.memory.base, size: p.memory.size),
                            startTime: k.monotonicNanos())
        k.watchCloses(child)   // Locks.swift
        child.pgid = p.pgid
        child.sid = p.sid
        child.umask = p.umask
        child.exePath = p.exePath
        child.argv = p.argv
        child.envp = p.envp
        child.comm = p.comm
        child.limits = p.limits
        k.watchCPULimit(child)   // the child's CPU time starts at zero, its limit goes on
        child.reaper = p.reaper
        child.maxMemoryPages = p.maxMemoryPages
        child.readOnlyStorage = p.readOnlyStorage
        child.noNewPrivs = p.noNewPrivs
        child.membarrierRegistered = p.membarrierRegistered
        child.nice = p.nice
        child.addressSpace = p.addressSpace
        child.signals.actions = p.signals.actions
        child.signals.altstack = p.signals.altstack
        child.exitSignal = Int32(flags & 0xff)
        let thread = GuestThread(tid: pid, process: child, slot: kch_slot_of(channel.base, 0))
        thread.sigmask = t.sigmask
        thread.sigword = t.sigword
        if flags & CLONE_CHILD_CLEARTID != 0 { thread.clearChildTid = t.uarg(4) }
        // CLONE_CHILD_SETTID writes into the child's copy of memory, which exists once its
        // runner has forked: the child's hello (sys_kch_hello) stores it before the child runs.
        if flags & CLONE_CHILD_SETTID != 0 { thread.setChildTid = t.uarg(4) }
        child.threads = [thread]
        child.runner = RunnerLink(hostPid: 0, pidfd: -1, channel: channel.base, channelFD: channel.fd)
        child.runner?.forkParent = p.runner?.hostPid ?? 0
        k.processes[pid] = child
        k.threads.append(thread)
        let parent = k.processes[child.ppid] ?? p
        parent.children.append(pid)
        if flags & CLONE_PARENT_SETTID != 0 && t.uarg(2) != 0 { try? t.memory.store(t.uarg(2), pid) }
        k.complete(t, pid, action: KCH_ACT_FORK.rawValue, actionArgs: [])
        throw .suspended
    }

    /// clone(CLONE_VM|CLONE_THREAD|...): a new thread of the caller's process. Arguments in
    /// asm-generic order: flags, start block (the runner's stack argument), parent_tid,
    /// tls, child_tid.
    func cloneThread(_ t: GuestThread, flags: UInt32) throws(SyscallError) -> Int32 {
        // Linux: CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM. Here the descriptor
        // table and filesystem context belong to the process too: a thread without
        // CLONE_FILES or CLONE_FS would need its own, so it is refused, not shared.
        if flags & Kernel.CLONE_SIGHAND == 0 || flags & Kernel.CLONE_VM == 0 { throw .errno(.EINVAL) }
        if flags & (Kernel.CLONE_FILES | Kernel.CLONE_FS) != Kernel.CLONE_FILES | Kernel.CLONE_FS { throw .errno(.EINVAL) }
        let p = t.process
        guard let runner = p.runner, runner.hostPid > 0 else { throw .errno(.EAGAIN) }
        if threads.count >= options.maxProcesses * 4 { throw .errno(.EAGAIN) }
        // A free slot: no live thread on it, and its last owner has let it go (IDLE).
        let used = Set(p.threads.map(\.slotIndex))
        var index: UInt32? = nil
        for i in UInt32(0)..<UInt32(KCH_MAX_THREADS) where !used.contains(i) {
            let state = UnsafeMutableRawPointer(runner.slot(i)).assumingMemoryBound(to: UInt32.self)
            if kch_load(state) == KCH_IDLE.rawValue { index = i; break }
        }
        guard let index else { throw .errno(.EAGAIN) }
        let block = t.uarg(1)
        try t.memory.check(block, Int(KANDELO_THREAD_START_SIZE))
        let tid = allocatePid()
        let thread = GuestThread(tid: tid, process: p, slot: runner.slot(index), slotIndex: index)
        thread.sigmask = t.sigmask
        if flags & Kernel.CLONE_CHILD_CLEARTID != 0 { thread.clearChildTid = t.uarg(4) }
        // Memory is shared: the parent's store is the child's.
        if flags & (Kernel.CLONE_PARENT_SETTID | Kernel.CLONE_CHILD_SETTID) != 0 {
            if flags & Kernel.CLONE_PARENT_SETTID != 0 && t.uarg(2) != 0 { try t.memory.store(t.uarg(2), tid) }
            if flags & Kernel.CLONE_CHILD_SETTID != 0 && t.uarg(4) != 0 { try t.memory.store(t.uarg(4), tid) }
        }
        p.threads.append(thread)
        threads.append(thread)
        complete(t, tid, action: KCH_ACT_THREAD.rawValue, actionArgs: [UInt64(tid), UInt64(block), UInt64(index)])
        throw .suspended
    }

    /// exit(2) of one thread. The last thread leaving ends the process.
    func exitThread(_ t: GuestThread, status: Int32) {
        let p = t.process
        guard p.threads.count > 1 else {
            exitProcess(p, waitStatus: (status & 0xff) << 8)
            return
        }
        p.threads.removeAll { $0 === t }
        threads.removeAll { $0 === t }
        // Signals pending for this thread alone die with it; the process's go to another.
        t.pending = 0
        for other in p.threads { try? checkSignals(other) }
        complete(t, 0, action: KCH_ACT_THREAD_EXIT.rawValue, actionArgs: [UInt64(t.clearChildTid)])
    }

    /// The runner could not fork: forget the child the kernel had made.
    func discardUnbornChild(_ c: Process) {
        c.state = .zombie
        threads.removeAll { $0.process === c }
        c.files.closeAll()
        c.runner?.releaseChannel()
        c.runner = nil
        processes[c.pid] = nil
        if let parent = processes[c.ppid] { parent.children.removeAll { $0 == c.pid } }
    }

    /// execve(2): replaces the process image with a program from the VFS.
    static func sys_execve(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let path = try t.memory.cString(t.uarg(0))
        return try k.execve(t, path: path, argvAddr: t.uarg(1), envpAddr: t.uarg(2))
    }

    /// execveat(dirfd, path, argv, envp, flags): path relative to dirfd; AT_EMPTY_PATH runs the file dirfd refers to (fexecve), AT_SYMLINK_NOFOLLOW refuses a final symlink (ELOOP).
    static func sys_execveat(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let dirfd = t.arg(0), flags = t.arg(4)
        if flags & ~(AtFlags.EMPTY_PATH | AtFlags.SYMLINK_NOFOLLOW) != 0 { throw .errno(.EINVAL) }
        let path = try t.memory.cString(t.uarg(1))
        var target: [UInt8]
        if path.isEmpty {
            guard flags & AtFlags.EMPTY_PATH != 0 else { throw .errno(.ENOENT) }
            let f = try t.process.files.get(dirfd)
            // Only a file in a filesystem can run (a pipe or socket: EACCES, as Linux). The
            // magic link reaches it even when unlinked; a named one keeps its name for /proc.
            guard let node = f.node else { throw .errno(.EACCES) }
            if flags & AtFlags.SYMLINK_NOFOLLOW != 0, try k.vfs.stat(t, node).isSymlink { throw .errno(.ELOOP) }
            let name = (f as? VFSFile)?.procLinkName() ?? []
            if name.first == 0x2f && !String(decoding: name, as: UTF8.self).hasSuffix(" (deleted)") && (try? k.vfs.resolve(t, dirfd: AtFlags.FDCWD, path: name, followFinal: true)) == node {
                target = name
            } else {
                target = Array("/proc/self/fd/\(dirfd)".utf8)
            }
        } else {
            if flags & AtFlags.SYMLINK_NOFOLLOW != 0 {
                let n = try k.vfs.resolve(t, dirfd: dirfd, path: path, followFinal: false)
                if try k.vfs.stat(t, n).isSymlink { throw .errno(.ELOOP) }
            }
            target = path
            if path.first != 0x2f && dirfd != AtFlags.FDCWD {
                let dir = try t.process.files.get(dirfd)
                guard let dn = dir.node else { throw .errno(.ENOTDIR) }
                if !(try k.vfs.stat(t, dn).isDirectory) { throw .errno(.ENOTDIR) }
                let base = k.vfs.path(of: dn, root: t.process.root) ?? Array("/proc/self/fd/\(dirfd)".utf8)
                target = (base == [0x2f] ? base : base + [0x2f]) + path
            }
        }
        return try k.execve(t, path: target, argvAddr: t.uarg(2), envpAddr: t.uarg(3))
    }

    func execve(_ t: GuestThread, path: [UInt8], argvAddr: UInt32, envpAddr: UInt32) throws(SyscallError) -> Int32 {
        if path.isEmpty { throw .errno(.ENOENT) }
        let argv = try t.memory.cStringArray(argvAddr)
        let envp = try t.memory.cStringArray(envpAddr)
        let exe = try loadProgram(t, path: path, argv: argv)
        let p = t.process
        guard let runner = p.runner else { throw .errno(.ESRCH) }
        // The module travels in the memfd the runner attached to the call.
        let fd = try takeRunnerMemfd(t)
        defer { close(fd) }
        do { try fill(fd, exe.bytes) } catch { throw .errno(.ENOMEM) }
        // Point of no return. The other threads end (the runner's threads of the old image
        // leave at their next call or wait); the caller carries on as the process's only thread, on slot 0 with
        // the process's pid as its tid, as Linux's de_thread does.
        if p.threads.count > 1 || t.slotIndex != 0 {
            for other in p.threads where other !== t {
                other.blockedOn?.remove(other)
                other.blockedOn = nil
                runCleanups(other)
            }
            let leader = GuestThread(tid: p.pid, process: p, slot: runner.slot(0), slotIndex: 0)
            leader.sigmask = t.sigmask
            leader.pending = t.pending
            leader.senders = t.senders
            threads.removeAll { $0.process === p }
            p.threads = [leader]
            threads.append(leader)
            // The new runner's first request must not meet a stale answer in slot 0.
            kch_store(UnsafeMutableRawPointer(runner.slot(0)).assumingMemoryBound(to: UInt32.self), KCH_IDLE.rawValue)
        }
        p.files.closeOnExec()
        for sig in 1...64 where p.signals.actions[sig].handler > 1 { p.signals.actions[sig] = SignalState.Action() }
        p.signals.altstack = (0, 2, 0)
        p.exePath = exe.path
        p.argv = exe.argv
        p.envp = envp
        p.comm = Process.taskName(path)
        p.startupBlock = nil
        p.addressSpace = AddressSpace()
        p.memory.size = 0   // the new image's first call reports its size (serveRequests keeps the maximum)
        p.membarrierRegistered = 0
        t.sigword = 0
        t.clearChildTid = 0
        complete(t, 0, action: KCH_ACT_EXEC.rawValue, actionArgs: [UInt64(exe.bytes.count)])
        throw .suspended
    }

    /// pipe2(2): a pipe, with O_CLOEXEC / O_NONBLOCK.
    static func sys_pipe2(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let fds = t.uarg(0), flags = t.arg(1)
        // O_DIRECT (packet mode) is refused as Linux before 3.4 did: our pipes are byte streams.
        if flags & ~(OpenFlags.O_CLOEXEC | OpenFlags.O_NONBLOCK) != 0 { throw .errno(.EINVAL) }
        try t.memory.check(fds, 8)
        let pipe = Pipe(kernel: k)
        pipe.uid = t.process.cred.euid
        pipe.gid = t.process.cred.egid
        let nb = flags & OpenFlags.O_NONBLOCK
        let reader = PipeEnd(pipe: pipe, flags: OpenFlags.O_RDONLY | nb)
        let writer = PipeEnd(pipe: pipe, flags: OpenFlags.O_WRONLY | nb)
        let cloexec = flags & OpenFlags.O_CLOEXEC != 0
        let r: Int32
        do { r = try t.process.files.install(reader, cloexec: cloexec) } catch {
            writer.release()   // (the table released the reader)
            throw error
        }
        let w: Int32
        do { w = try t.process.files.install(writer, cloexec: cloexec) } catch {
            try? t.process.files.close(r)
            throw error
        }
        try t.memory.store(fds, r)
        try t.memory.store(t.memory.field(fds, 4), w)
        return 0
    }
}
