// MiscSyscalls.swift: uname, getrandom, resource limits, sysinfo, scheduling, prctl.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import KandeloABI
import VFSImage

extension Kernel {
    static let RLIM_INFINITY64 = UInt64.max

    /// uname(2): system name, host name, release, machine wasm32.
    static func sys_uname(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        var b = [UInt8](repeating: 0, count: 6 * 65)
        let fields: [[UInt8]] = [Array("Linux".utf8), k.hostname, Array("6.1.0-kandelo".utf8),
                                 Array("#1 SMP Kandelo".utf8), Array("wasm32".utf8), Array("(none)".utf8)]
        for (i, f) in fields.enumerated() {
            let bytes = f.prefix(64)
            b.replaceSubrange(i * 65..<i * 65 + bytes.count, with: bytes)
        }
        try t.memory.write(t.uarg(0), b)
        return 0
    }

    /// getrandom(2): bytes from the host's random source.
    static func sys_getrandom(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let addr = t.uarg(0), count = Int(min(t.uarg(1), 1 << 20)), flags = t.uarg(2)
        // GRND_NONBLOCK 1, GRND_RANDOM 2, GRND_INSECURE 4 (not with GRND_RANDOM).
        if flags & ~UInt32(7) != 0 || flags & 6 == 6 { throw .errno(.EINVAL) }
        try t.memory.check(addr, count)
        var buf = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = buf.withUnsafeMutableBytes { chost_getrandom($0.baseAddress! + got, count - got) }
            if n <= 0 { break }
            got += n
        }
        try t.memory.write(addr, Array(buf[0..<got]))
        return Int32(got)
    }

    /// prlimit64(2): reads or sets a resource limit of a process.
    static func sys_prlimit64(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let pid = t.arg(0)
        guard let p = pid == 0 ? t.process : k.processes[pid], p.state == .running else { throw .errno(.ESRCH) }
        let res = t.arg(1), new = t.uarg(2), old = t.uarg(3)
        if res < 0 || res >= 16 { throw .errno(.EINVAL) }
        if !k.mayChangeLimits(of: p, by: t.process) { throw .errno(.EPERM) }
        var limit: (cur: UInt64, max: UInt64)? = nil
        if new != 0 {
            let cur: UInt64 = try t.memory.load(new), max: UInt64 = try t.memory.load(t.memory.field(new, 8))
            limit = (cur, max)
        }
        if old != 0 {
            let l = k.rlimit(p, res)
            try t.memory.store(old, l.cur)
            try t.memory.store(t.memory.field(old, 8), l.max)
        }
        if let limit { try k.setRlimit(p, res, limit, by: t.process) }
        return 0
    }

    /// getrlimit(2): a resource limit as 32-bit values.
    static func sys_getrlimit(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let res = t.arg(0)
        if res < 0 || res >= 16 { throw .errno(.EINVAL) }
        let l = k.rlimit(t.process, res)
        try t.memory.store(t.uarg(1), UInt32(truncatingIfNeeded: min(l.cur, 0xffff_ffff)))
        try t.memory.store(t.memory.field(t.uarg(1), 4), UInt32(truncatingIfNeeded: min(l.max, 0xffff_ffff)))
        return 0
    }

    /// setrlimit(2): sets a resource limit from 32-bit values.
    static func sys_setrlimit(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let res = t.arg(0)
        if res < 0 || res >= 16 { throw .errno(.EINVAL) }
        let widen: (UInt32) -> UInt64 = { $0 == 0xffff_ffff ? UInt64.max : UInt64($0) }
        let cur: UInt32 = try t.memory.load(t.uarg(1)), max: UInt32 = try t.memory.load(t.memory.field(t.uarg(1), 4))
        try k.setRlimit(t.process, res, (widen(cur), widen(max)), by: t.process)
        return 0
    }

    /// sysinfo(2): uptime, host memory, process count.
    static func sys_sysinfo(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        var b = [UInt8](repeating: 0, count: 64)
        func put(_ off: Int, _ v: UInt32) { for i in 0..<4 { b[off + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) } }
        let page = HostSystem.pageSize
        let kib = { (pages: Int) -> UInt32 in UInt32(min(UInt64(max(pages, 0)) * page / 1024, 0xffff_ffff)) }
        put(0, UInt32(k.monotonicNanos() / 1_000_000_000))
        put(16, kib(HostSystem.physicalPages))
        put(20, kib(HostSystem.availablePages))
        b[40] = UInt8(k.processes.count & 0xff); b[41] = UInt8((k.processes.count >> 8) & 0xff)
        put(52, 1024)   // mem_unit: the sizes above are in KiB
        try t.memory.write(t.uarg(0), b)
        return 0
    }

    /// sched_yield(2): gives up the CPU (the runner thread's answer already did).
    static func sys_sched_yield(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        0
    }

    /// sched_getscheduler(2): SCHED_OTHER.
    static func sys_sched_getscheduler(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        0
    }

    /// sched_getparam(2): priority 0 (SCHED_OTHER).
    static func sys_sched_getparam(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try t.memory.store(t.uarg(1), Int32(0)); return 0
    }

    /// sched_get_priority_max(2): 0 for SCHED_OTHER, 99 for the real-time policies.
    static func sys_sched_get_priority_max(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        t.arg(0) == 0 ? 0 : 99
    }

    /// sched_get_priority_min(2): 0 for SCHED_OTHER, 1 for the real-time policies.
    static func sys_sched_get_priority_min(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        t.arg(0) == 0 ? 0 : 1
    }

    /// getcpu(2): CPU 0, node 0.
    static func sys_getcpu(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if t.uarg(0) != 0 { try t.memory.store(t.uarg(0), UInt32(0)) }
        if t.uarg(1) != 0 { try t.memory.store(t.uarg(1), UInt32(0)) }
        return 0
    }

    /// prctl(2): process name, parent-death signal, dumpable, subreaper, no_new_privs.
    static func sys_prctl(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        switch t.arg(0) {
        case 15:   // PR_SET_NAME
            t.process.comm = Array(try t.memory.cString(t.uarg(1), limit: 16).prefix(15))
            return 0
        case 16:   // PR_GET_NAME
            let comm = ProcFS.comm(t.process)
            let name = comm + [UInt8](repeating: 0, count: 16 - comm.count)
            try t.memory.write(t.uarg(1), name)
            return 0
        case 1:    // PR_SET_PDEATHSIG: the signal this process gets when its parent ends
            let sig = t.arg(1)
            if sig < 0 || sig > 64 { throw .errno(.EINVAL) }
            t.process.parentDeathSignal = sig
            return 0
        case 2:    // PR_GET_PDEATHSIG
            try t.memory.store(t.uarg(1), t.process.parentDeathSignal)
            return 0
        case 3:    // PR_GET_DUMPABLE
            return t.process.dumpable ? 1 : 0
        case 4:    // PR_SET_DUMPABLE
            if t.arg(1) != 0 && t.arg(1) != 1 { throw .errno(.EINVAL) }
            t.process.dumpable = t.arg(1) == 1
            return 0
        case 36:   // PR_SET_CHILD_SUBREAPER: orphaned descendants come to this process
            t.process.isSubreaper = t.arg(1) != 0
            return 0
        case 37:   // PR_GET_CHILD_SUBREAPER
            try t.memory.store(t.uarg(1), Int32(t.process.isSubreaper ? 1 : 0))
            return 0
        case 38:   // PR_SET_NO_NEW_PRIVS (only ever set; nothing here grants privileges)
            if t.arg(1) != 1 || t.arg(2) != 0 || t.arg(3) != 0 || t.arg(4) != 0 { throw .errno(.EINVAL) }
            t.process.noNewPrivs = true
            return 0
        case 39:   // PR_GET_NO_NEW_PRIVS
            if t.arg(1) != 0 || t.arg(2) != 0 || t.arg(3) != 0 || t.arg(4) != 0 { throw .errno(.EINVAL) }
            return t.process.noNewPrivs ? 1 : 0
        default:
            throw .errno(.EINVAL)
        }
    }

    /// personality(2): PER_LINUX (0) is the only persona: 0xffffffff queries it, setting it is allowed.
    static func sys_personality(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let PER_LINUX: UInt32 = 0, QUERY: UInt32 = 0xffff_ffff
        let persona = t.uarg(0)
        if persona != QUERY && persona != PER_LINUX { throw .errno(.EINVAL) }
        return Int32(bitPattern: PER_LINUX)
    }

    static let MEMBARRIER_CMD_GLOBAL: Int32 = 1, MEMBARRIER_CMD_GLOBAL_EXPEDITED: Int32 = 2
    static let MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED: Int32 = 4, MEMBARRIER_CMD_PRIVATE_EXPEDITED: Int32 = 8
    static let MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: Int32 = 16

    /// membarrier(2): every barrier is the host's MEMBARRIER_CMD_GLOBAL, which reaches the
    /// runner's threads (they are host threads); the SYNC_CORE and RSEQ commands are EINVAL.
    static func sys_membarrier(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let cmd = t.arg(0), flags = t.arg(1)
        if flags != 0 { throw .errno(.EINVAL) }
        // The expedited commands are stronger barriers (a global one) than Linux needs for
        // them, never weaker; they keep Linux's registration rule.
        let provided = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
            | MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
        let host = chost_membarrier(0)
        let supported = host > 0 && host & MEMBARRIER_CMD_GLOBAL != 0 ? provided : 0
        if cmd == 0 { return supported }
        if cmd & supported == 0 || cmd.nonzeroBitCount != 1 { throw .errno(.EINVAL) }
        let p = t.process
        switch cmd {
        case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
            p.membarrierRegistered |= cmd
            return 0
        case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
            if p.membarrierRegistered & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED == 0 { throw .errno(.EPERM) }
        default:   // GLOBAL; GLOBAL_EXPEDITED (reaches every process, registered or not)
            break
        }
        let r = chost_membarrier(MEMBARRIER_CMD_GLOBAL)
        if r < 0 { throw .errno(LinuxErrno(rawValue: -r)) }
        return 0
    }

    // MARK: scheduling: nice values and CPU affinity act on the runners, the host processes
    // that run the guests (a guest thread is a host thread of its runner).

    /// The processes setpriority/getpriority name: PRIO_PROCESS 0, PRIO_PGRP 1, PRIO_USER 2.
    func priorityTargets(_ t: GuestThread, which: Int32, who: Int32) throws(SyscallError) -> [Process] {
        let me = t.process
        let live = processes.values.filter { $0.state == .running }
        switch which {
        case 0: return live.filter { $0.pid == (who == 0 ? me.pid : who) }
        case 1: return live.filter { $0.pgid == (who == 0 ? me.pgid : who) }
        case 2: return live.filter { $0.cred.uid == (who == 0 ? me.cred.uid : UInt32(bitPattern: who)) }
        default: throw .errno(.EINVAL)
        }
    }

    /// getpriority(2): the kernel's 20 - nice of the highest-priority target (libc turns it
    /// back into a nice value).
    static func sys_getpriority(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let targets = try k.priorityTargets(t, which: t.arg(0), who: t.arg(1))
        guard let best = targets.map(\.nice).min() else { throw .errno(.ESRCH) }
        return 20 - best
    }

    /// setpriority(2): Linux's rules (the caller's euid must own the target unless root; only
    /// root lowers a nice value), then the runner's host nice value follows. A nice value
    /// below the service's own needs the service to run as root: otherwise the host keeps
    /// the runner where it can, and the guest still reads back what it set.
    static func sys_setpriority(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let targets = try k.priorityTargets(t, which: t.arg(0), who: t.arg(1))
        if targets.isEmpty { throw .errno(.ESRCH) }
        let nice = min(max(t.arg(2), -20), 19)
        let c = t.process.cred
        for p in targets {
            if !c.isRoot && c.euid != p.cred.uid && c.euid != p.cred.euid { throw .errno(.EPERM) }
            if nice < p.nice && !c.isRoot { throw .errno(.EACCES) }
        }
        for p in targets {
            p.nice = nice
            if let r = p.runner, r.hostPid > 0 { HostSystem.setRunnerPriority(r.hostPid, nice) }
        }
        return 0
    }

    /// The host thread behind guest `pid` (0: the caller's own thread).
    func hostThread(_ t: GuestThread, _ pid: Int32) throws(SyscallError) -> pid_t {
        if pid == 0 || pid == t.tid {
            let tid = pid_t(bitPattern: t.slot.pointee.host_tid)
            if tid > 0 { return tid }
        }
        guard let th = threads.first(where: { $0.tid == (pid == 0 ? t.tid : pid) }), th.process.state == .running,
              let r = th.process.runner, r.hostPid > 0 else { throw .errno(.ESRCH) }
        let tid = pid_t(bitPattern: th.slot.pointee.host_tid)
        return tid > 0 ? tid : r.hostPid
    }

    /// sched_setaffinity(2): the mask (guest bytes, CPU n = bit n) becomes the host thread's.
    static func sys_sched_setaffinity(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let len = Int(t.uarg(1))
        if len == 0 { throw .errno(.EINVAL) }
        let bytes = try t.memory.read(t.uarg(2), count: min(len, 128))
        let host = try k.hostThread(t, t.arg(0))
        if t.arg(0) != 0, let target = k.threads.first(where: { $0.tid == t.arg(0) }) {
            let c = t.process.cred, tc = target.process.cred
            if !c.isRoot && c.euid != tc.uid && c.euid != tc.euid { throw .errno(.EPERM) }
        }
        let r = bytes.withUnsafeBytes { chost_set_affinity(host, $0.baseAddress, $0.count) }
        if r < 0 { throw .errno(LinuxErrno(rawValue: -r)) }
        return 0
    }

    /// sched_getaffinity(2): the host thread's mask; returns the bytes written.
    static func sys_sched_getaffinity(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let size = Int(t.uarg(1))
        if size < 4 || size % 4 != 0 { throw .errno(.EINVAL) }
        let host = try k.hostThread(t, t.arg(0))
        let n = min(size, 128)   // sizeof(cpu_set_t) on the host
        var bytes = [UInt8](repeating: 0, count: n)
        let r = bytes.withUnsafeMutableBytes { chost_get_affinity(host, $0.baseAddress, $0.count) }
        if r < 0 { throw .errno(LinuxErrno(rawValue: -r)) }
        try t.memory.write(t.uarg(2), bytes)
        return Int32(n)
    }
}
