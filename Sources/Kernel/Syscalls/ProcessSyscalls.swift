// ProcessSyscalls.swift: identity, start-up, exit and wait.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import KandeloABI
import VFSImage

extension Kernel {
    /// getpid(2): the caller's process id.
    static func sys_getpid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        t.process.pid
    }

    /// gettid(2): the caller's thread id.
    static func sys_gettid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        t.tid
    }

    /// getppid(2): the parent's process id.
    static func sys_getppid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        t.process.ppid
    }

    /// getuid(2): the real user id.
    static func sys_getuid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        Int32(bitPattern: t.process.cred.uid)
    }

    /// geteuid(2): the effective user id.
    static func sys_geteuid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        Int32(bitPattern: t.process.cred.euid)
    }

    /// getgid(2): the real group id.
    static func sys_getgid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        Int32(bitPattern: t.process.cred.gid)
    }

    /// getegid(2): the effective group id.
    static func sys_getegid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        Int32(bitPattern: t.process.cred.egid)
    }

    /// getresuid(2): real, effective and saved user ids.
    static func sys_getresuid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let c = t.process.cred
        try t.memory.store(t.uarg(0), c.uid)
        try t.memory.store(t.uarg(1), c.euid)
        try t.memory.store(t.uarg(2), c.suid)
        return 0
    }

    /// getresgid(2): real, effective and saved group ids.
    static func sys_getresgid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let c = t.process.cred
        try t.memory.store(t.uarg(0), c.gid)
        try t.memory.store(t.uarg(1), c.egid)
        try t.memory.store(t.uarg(2), c.sgid)
        return 0
    }

    /// getgroups(2): the supplementary group list.
    static func sys_getgroups(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let groups = t.process.cred.groups
        let size = Int(t.arg(0))
        if size < 0 { throw .errno(.EINVAL) }
        if size == 0 { return Int32(groups.count) }
        if size < groups.count { throw .errno(.EINVAL) }
        for (i, g) in groups.enumerated() { try t.memory.store(t.uarg(1) + UInt32(4 * i), g) }
        return Int32(groups.count)
    }

    /// setreuid(2): sets real and effective user ids.
    static func sys_setreuid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try Kernel.setIDs(t, real: t.uarg(0), effective: t.uarg(1), saved: UInt32.max, group: false)
    }

    /// setregid(2): sets real and effective group ids.
    static func sys_setregid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try Kernel.setIDs(t, real: t.uarg(0), effective: t.uarg(1), saved: UInt32.max, group: true)
    }

    /// getpgid(2): the process group of a process.
    static func sys_getpgid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let pid = t.arg(0)
        guard let p = pid == 0 ? t.process : k.processes[pid] else { throw .errno(.ESRCH) }
        return p.pgid
    }

    /// getsid(2): the session of a process.
    static func sys_getsid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let pid = t.arg(0)
        guard let p = pid == 0 ? t.process : k.processes[pid] else { throw .errno(.ESRCH) }
        return p.sid
    }

    /// setsid(2): starts a new session and process group.
    static func sys_setsid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let p = t.process
        if k.processes.values.contains(where: { $0.pgid == p.pid && $0 !== p }) || p.pgid == p.pid && p.sid == p.pid {
            throw .errno(.EPERM)
        }
        p.sid = p.pid
        p.pgid = p.pid
        return p.pid
    }

    /// set_tid_address(2): records the clear-child-tid address; returns the tid.
    static func sys_set_tid_address(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        t.clearChildTid = t.uarg(0)
        return t.tid
    }

    /// exit(2): ends the calling thread.
    static func sys_exit(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        k.exitThread(t, status: t.arg(0))
        throw .suspended
    }

    /// exit_group(2): ends every thread of the process.
    static func sys_exit_group(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        k.exitProcess(t.process, waitStatus: (t.arg(0) & 0xff) << 8)
        throw .suspended
    }

    /// kandelo_startup_size: the size of the start-up block (sdk/ABI.md §4).
    static func sys_kandelo_startup_size(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        Int32(k.startupBlock(t.process, base: 0).count)
    }

    /// kandelo_startup_copy: writes the start-up block at the guest's buffer.
    static func sys_kandelo_startup_copy(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let buf = t.uarg(0), len = Int(t.uarg(1))
        let block = k.startupBlock(t.process, base: buf)
        if len < block.count { throw .errno(.EINVAL) }
        try t.memory.write(buf, block)
        return Int32(block.count)
    }

    /// kandelo_set_sigword: records the thread's signal word (sdk/ABI.md §6).
    static func sys_kandelo_set_sigword(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        t.sigword = t.uarg(0)
        if t.sigword != 0 { try k.checkSignals(t) }
        return 0
    }

    /// Runner-only requests (KCH_NR_*): last words before a runner gives up.
    /// KCH_NR_FAILED: the module could not run; the process exits with status 126.
    static func sys_kch_failed(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let message = k.slotMessage(t)
        k.failures[t.process.pid] = message
        // ENOEXEC as the exec status: a shell prints "cannot execute" and uses 126.
        k.exitProcess(t.process, waitStatus: 126 << 8)
        throw .suspended
    }

    /// KCH_NR_TRAPPED: the guest trapped; the process ends by the reported signal.
    static func sys_kch_trapped(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let message = k.slotMessage(t)
        k.failures[t.process.pid] = message
        let sig = t.arg(0) > 0 && t.arg(0) < 65 ? t.arg(0) : Int32(SIGSEGV)
        k.exitProcess(t.process, waitStatus: sig)
        throw .suspended
    }

    func slotMessage(_ t: GuestThread) -> String {
        let n = min(Int(t.slot.pointee.data_len), Int(KCH_DATA_MAX))
        return withUnsafeBytes(of: &t.slot.pointee.data) { String(decoding: $0.prefix(n), as: UTF8.self) }
    }

    /// The start-up block of sdk/ABI.md §4 with pointers relocated to `base`.
    func startupBlock(_ p: Process, base: UInt32) -> [UInt8] {
        if p.startupBlock == nil {
            var random = [UInt8](repeating: 0, count: 16)
            _ = chost_getrandom(&random, 16)
            p.startupBlock = Kernel.buildStartupBlock(argv: p.argv, envp: p.envp, execfn: p.exePath,
                                                      cred: p.cred, random: random)
        }
        var block = p.startupBlock!
        // Relocate: pointer slots were built relative to 0; add base.
        if base != 0 {
            for off in Kernel.pointerSlots(argc: p.argv.count, envc: p.envp.count) {
                let v = UInt32(block[off]) | UInt32(block[off + 1]) << 8 | UInt32(block[off + 2]) << 16 | UInt32(block[off + 3]) << 24
                if v == 0 { continue }
                let r = v &+ base
                for i in 0..<4 { block[off + i] = UInt8((r >> (8 * UInt32(i))) & 0xff) }
            }
        }
        return block
    }

    static let auxvCount = 11   // entries before AT_NULL

    static func pointerSlots(argc: Int, envc: Int) -> [Int] {
        var slots: [Int] = []
        for i in 0..<argc { slots.append(4 + 4 * i) }
        for i in 0..<envc { slots.append(4 + 4 * (argc + 1) + 4 * i) }
        let auxv = 4 + 4 * (argc + 1) + 4 * (envc + 1)
        // AT_RANDOM, AT_EXECFN and AT_PLATFORM are the last three entries before AT_NULL.
        for i in (auxvCount - 3)..<auxvCount { slots.append(auxv + 8 * i + 4) }
        return slots
    }

    static func buildStartupBlock(argv: [[UInt8]], envp: [[UInt8]], execfn: [UInt8], cred: Credentials,
                                  random: [UInt8]) -> [UInt8] {
        let words = 1 + argv.count + 1 + envp.count + 1 + 2 * (auxvCount + 1)
        var dataOffset = (words * 4 + 15) & ~15
        let randomOffset = dataOffset
        dataOffset += 16
        var strings: [[UInt8]] = argv + envp + [execfn, Array("wasm32".utf8)]
        strings = strings.map { $0 + [0] }
        var offsets: [Int] = []
        for s in strings {
            offsets.append(dataOffset)
            dataOffset += s.count
        }
        let size = (dataOffset + 15) & ~15
        var b = [UInt8](repeating: 0, count: size)
        var w = 0
        func put(_ v: UInt32) {
            for i in 0..<4 { b[w + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) }
            w += 4
        }
        put(UInt32(argv.count))
        for i in argv.indices { put(UInt32(offsets[i])) }
        put(0)
        for i in envp.indices { put(UInt32(offsets[argv.count + i])) }
        put(0)
        let aux: [(UInt32, UInt32)] = [
            (6, 4096), (17, 100), (16, 0), (11, cred.uid), (12, cred.euid), (13, cred.gid), (14, cred.egid),
            (23, cred.uid != cred.euid || cred.gid != cred.egid ? 1 : 0),
            (25, UInt32(randomOffset)), (31, UInt32(offsets[strings.count - 2])), (15, UInt32(offsets[strings.count - 1])),
        ]
        precondition(aux.count == auxvCount)
        for (k, v) in aux { put(k); put(v) }
        put(0); put(0)
        b.replaceSubrange(randomOffset..<randomOffset + 16, with: random)
        for (i, s) in strings.enumerated() { b.replaceSubrange(offsets[i]..<offsets[i] + s.count, with: s) }
        return b
    }

    // MARK: credentials

    static func setIDs(_ t: GuestThread, real: UInt32, effective: UInt32, saved: UInt32, group: Bool) throws(SyscallError) -> Int32 {
        var c = t.process.cred
        let keep = UInt32.max
        let allowed: (UInt32) -> Bool = group
            ? { $0 == c.gid || $0 == c.egid || $0 == c.sgid }
            : { $0 == c.uid || $0 == c.euid || $0 == c.suid }
        for v in [real, effective, saved] where v != keep && !c.isRoot && !allowed(v) { throw .errno(.EPERM) }
        if group {
            if real != keep { c.gid = real }
            if effective != keep { c.egid = effective }
            if saved != keep { c.sgid = saved }
        } else {
            if real != keep { c.uid = real }
            if effective != keep { c.euid = effective }
            if saved != keep { c.suid = saved }
        }
        t.process.cred = c
        return 0
    }

    /// setuid(2): sets the user ids by Linux's privilege rules.
    static func sys_setuid(_ _: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let id = t.uarg(0)
        if t.process.cred.isRoot { return try setIDs(t, real: id, effective: id, saved: id, group: false) }
        return try setIDs(t, real: UInt32.max, effective: id, saved: UInt32.max, group: false)
    }
    /// setgid(2): sets the group ids by Linux's privilege rules.
    static func sys_setgid(_ _: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let id = t.uarg(0)
        if t.process.cred.isRoot { return try setIDs(t, real: id, effective: id, saved: id, group: true) }
        return try setIDs(t, real: UInt32.max, effective: id, saved: UInt32.max, group: true)
    }
    /// setresuid(2): sets real, effective and saved user ids.
    static func sys_setresuid(_ _: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try setIDs(t, real: t.uarg(0), effective: t.uarg(1), saved: t.uarg(2), group: false)
    }
    /// setresgid(2): sets real, effective and saved group ids.
    static func sys_setresgid(_ _: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try setIDs(t, real: t.uarg(0), effective: t.uarg(1), saved: t.uarg(2), group: true)
    }
    /// setgroups(2): replaces the supplementary group list (root only).
    static func sys_setgroups(_ _: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        guard t.process.cred.isRoot else { throw .errno(.EPERM) }
        let n = Int(t.arg(0))
        if n < 0 || n > 65536 { throw .errno(.EINVAL) }
        var groups: [UInt32] = []
        for i in 0..<n { groups.append(try t.memory.load(t.uarg(1) + UInt32(4 * i))) }
        t.process.cred.groups = groups
        return 0
    }

    /// setpgid(2): moves a process into a process group.
    static func sys_setpgid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let pid = t.arg(0) == 0 ? t.process.pid : t.arg(0)
        let pgid = t.arg(1) == 0 ? pid : t.arg(1)
        if pgid < 0 { throw .errno(.EINVAL) }
        guard let p = k.processes[pid], p === t.process || p.ppid == t.process.pid else { throw .errno(.ESRCH) }
        if p.sid != t.process.sid { throw .errno(.EPERM) }
        if p.sid == p.pid { throw .errno(.EPERM) }
        if pgid != pid && !k.processes.values.contains(where: { $0.pgid == pgid && $0.sid == p.sid }) {
            throw .errno(.EPERM)
        }
        p.pgid = pgid
        return 0
    }

    // MARK: wait

    /// waitid(idtype, id, siginfo *, options, rusage *): like wait4, reported in a siginfo;
    /// WEXITED/WSTOPPED/WCONTINUED choose the events, WNOWAIT leaves the child waitable.
    static func sys_waitid(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let idtype = t.arg(0), id = t.arg(1), info = t.uarg(2), options = t.arg(3), rusage = t.uarg(4)
        let WNOHANG: Int32 = 1, WSTOPPED: Int32 = 2, WEXITED: Int32 = 4, WCONTINUED: Int32 = 8
        let WNOWAIT: Int32 = 0x0100_0000
        let known = WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | 0x6000_0000 /* __WNOTHREAD|__WALL */
        if options & ~known != 0 || options & (WEXITED | WSTOPPED | WCONTINUED) == 0 { throw .errno(.EINVAL) }
        let p = t.process
        let candidates: [Process]
        switch idtype {
        case 0: candidates = p.children.compactMap { k.processes[$0] }                                   // P_ALL
        case 1: candidates = p.children.compactMap { k.processes[$0] }.filter { $0.pid == id }          // P_PID
        case 2:                                                                                          // P_PGID
            let g = id == 0 ? p.pgid : id
            candidates = p.children.compactMap { k.processes[$0] }.filter { $0.pgid == g }
        default: throw .errno(.EINVAL)
        }
        if candidates.isEmpty { throw .errno(.ECHILD) }
        /// Linux's siginfo for SIGCHLD: signo, errno, code, pid, uid, status.
        func report(_ c: Process, code: Int32, status: Int32) throws(SyscallError) {
            if rusage != 0 { try t.memory.write(rusage, [UInt8](repeating: 0, count: 72)) }
            guard info != 0 else { return }
            var si = [UInt8](repeating: 0, count: 128)
            for (off, v) in [(0, Signal.SIGCHLD), (8, code), (12, c.pid), (16, Int32(bitPattern: c.cred.uid)), (20, status)] {
                withUnsafeBytes(of: v.littleEndian) { si.replaceSubrange(off..<off + 4, with: $0) }
            }
            try t.memory.write(info, si)
        }
        if options & WEXITED != 0, let z = candidates.first(where: { $0.state == .zombie }) {
            let s = z.waitStatus
            let signal = s & 0x7f
            try report(z, code: signal == 0 ? 1 : (s & 0x80 != 0 ? 3 : 2), status: signal == 0 ? (s >> 8) & 0xff : signal)
            if options & WNOWAIT == 0 { k.reap(z) }
            return 0
        }
        if let (c, change) = k.pendingJobReport(candidates, options: options) {
            switch change {
            case .stopped(let sig): try report(c, code: Kernel.CLD_STOPPED, status: sig)
            case .continued: try report(c, code: Kernel.CLD_CONTINUED, status: Signal.SIGCONT)
            }
            if options & WNOWAIT == 0 { c.job.report = nil }
            return 0
        }
        if options & WNOHANG != 0 {
            // Nothing to report: Linux zeroes si_pid (and si_signo) so the caller can tell.
            if info != 0 { try t.memory.write(info, [UInt8](repeating: 0, count: 128)) }
            return 0
        }
        throw .block(p.childEvents)
    }

    /// wait4(2): waits for a child's state change (rusage zeroed).
    static func sys_wait4(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let target = t.arg(0), statusAddr = t.uarg(1), options = t.arg(2), rusage = t.uarg(3)
        let WNOHANG: Int32 = 1
        let p = t.process
        let candidates = p.children.compactMap { k.processes[$0] }.filter { c in
            if target > 0 { return c.pid == target }
            if target == 0 { return c.pgid == p.pgid }
            if target < -1 { return c.pgid == -target }
            return true
        }
        if candidates.isEmpty { throw .errno(.ECHILD) }
        if let z = candidates.first(where: { $0.state == .zombie }) {
            if statusAddr != 0 { try t.memory.store(statusAddr, z.waitStatus) }
            if rusage != 0 { try t.memory.write(rusage, [UInt8](repeating: 0, count: 72)) }
            k.reap(z)
            return z.pid
        }
        if let pid = try k.reportJobChange(t, candidates, options: options, status: statusAddr, rusage: rusage) { return pid }
        if options & WNOHANG != 0 { return 0 }
        throw .block(p.childEvents)
    }
}
