// Misc.swift (syscalls): uname, getrandom, resource limits, sysinfo, scheduling, prctl.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import KandeloABI
import VFSImage

extension Kernel {
    static let RLIM_INFINITY64 = UInt64.max

    static func miscSyscalls() -> [(Int32, Handler)] {
        [
            (__NR_uname, { (k: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in
                var b = [UInt8](repeating: 0, count: 6 * 65)
                let fields: [[UInt8]] = [Array("Linux".utf8), k.hostname, Array("6.1.0-kandelo".utf8),
                                         Array("#1 SMP Kandelo".utf8), Array("wasm32".utf8), Array("(none)".utf8)]
                for (i, f) in fields.enumerated() {
                    let bytes = f.prefix(64)
                    b.replaceSubrange(i * 65..<i * 65 + bytes.count, with: bytes)
                }
                try t.memory.write(t.uarg(0), b)
                return 0
            }),
            (__NR_getrandom, { (_: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in
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
            }),
            (__NR_prlimit64, { (k: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in
                let pid = t.arg(0)
                guard let p = pid == 0 ? t.process : k.processes[pid] else { throw .errno(.ESRCH) }
                let res = t.arg(1), new = t.uarg(2), old = t.uarg(3)
                if res < 0 || res >= 16 { throw .errno(.EINVAL) }
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
                if let limit { try k.setRlimit(p, res, limit) }
                return 0
            }),
            (__NR_getrlimit, { (k: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in
                let res = t.arg(0)
                if res < 0 || res >= 16 { throw .errno(.EINVAL) }
                let l = k.rlimit(t.process, res)
                try t.memory.store(t.uarg(1), UInt32(truncatingIfNeeded: min(l.cur, 0xffff_ffff)))
                try t.memory.store(t.memory.field(t.uarg(1), 4), UInt32(truncatingIfNeeded: min(l.max, 0xffff_ffff)))
                return 0
            }),
            (__NR_setrlimit, { (k: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in
                let res = t.arg(0)
                if res < 0 || res >= 16 { throw .errno(.EINVAL) }
                let widen: (UInt32) -> UInt64 = { $0 == 0xffff_ffff ? UInt64.max : UInt64($0) }
                let cur: UInt32 = try t.memory.load(t.uarg(1)), max: UInt32 = try t.memory.load(t.memory.field(t.uarg(1), 4))
                try k.setRlimit(t.process, res, (widen(cur), widen(max)))
                return 0
            }),
            (__NR_sysinfo, { (k: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in
                var b = [UInt8](repeating: 0, count: 64)
                func put(_ off: Int, _ v: UInt32) { for i in 0..<4 { b[off + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) } }
                let page = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1))
                let kib = { (pages: Int) -> UInt32 in UInt32(min(UInt64(max(pages, 0)) * page / 1024, 0xffff_ffff)) }
                put(0, UInt32(k.monotonicNanos() / 1_000_000_000))
                put(16, kib(sysconf(Int32(_SC_PHYS_PAGES))))
                put(20, kib(sysconf(Int32(_SC_AVPHYS_PAGES))))
                b[40] = UInt8(k.processes.count & 0xff); b[41] = UInt8((k.processes.count >> 8) & 0xff)
                put(52, 1024)   // mem_unit: the sizes above are in KiB
                try t.memory.write(t.uarg(0), b)
                return 0
            }),
            (__NR_sched_yield, { (_: Kernel, _: GuestThread) throws(SyscallError) -> Int32 in 0 }),
            (__NR_sched_getaffinity, { (_: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in
                let size = Int(t.uarg(1))
                if size < 4 || size % 4 != 0 { throw .errno(.EINVAL) }
                let cpus = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 32))
                let mask: UInt32 = cpus >= 32 ? UInt32.max : (1 << UInt32(cpus)) - 1
                try t.memory.store(t.uarg(2), mask)
                return 4
            }),
            (__NR_sched_setaffinity, { (_: Kernel, _: GuestThread) throws(SyscallError) -> Int32 in 0 }),
            (__NR_sched_getscheduler, { (_: Kernel, _: GuestThread) throws(SyscallError) -> Int32 in 0 }),
            (__NR_sched_getparam, { (_: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in try t.memory.store(t.uarg(1), Int32(0)); return 0 }),
            (__NR_sched_get_priority_max, { (_: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in t.arg(0) == 0 ? 0 : 99 }),
            (__NR_sched_get_priority_min, { (_: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in t.arg(0) == 0 ? 0 : 1 }),
            (__NR_getpriority, { (_: Kernel, _: GuestThread) throws(SyscallError) -> Int32 in 20 }),
            (__NR_setpriority, { (_: Kernel, _: GuestThread) throws(SyscallError) -> Int32 in 0 }),
            (__NR_getcpu, { (_: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in
                if t.uarg(0) != 0 { try t.memory.store(t.uarg(0), UInt32(0)) }
                if t.uarg(1) != 0 { try t.memory.store(t.uarg(1), UInt32(0)) }
                return 0
            }),
            (__NR_prctl, { (_: Kernel, t: GuestThread) throws(SyscallError) -> Int32 in
                switch t.arg(0) {
                case 15:   // PR_SET_NAME
                    t.process.comm = Array(try t.memory.cString(t.uarg(1), limit: 16).prefix(15))
                    return 0
                case 16:   // PR_GET_NAME
                    let comm = ProcFS.comm(t.process)
                    let name = comm + [UInt8](repeating: 0, count: 16 - comm.count)
                    try t.memory.write(t.uarg(1), name)
                    return 0
                case 1, 2, 36, 37, 38, 39:   // PDEATHSIG, DUMPABLE, CHILD_SUBREAPER, NO_NEW_PRIVS
                    return 0
                default:
                    throw .errno(.EINVAL)
                }
            }),
            (__NR_personality, { (_: Kernel, _: GuestThread) throws(SyscallError) -> Int32 in 0 }),
            (__NR_membarrier, { (_: Kernel, _: GuestThread) throws(SyscallError) -> Int32 in 0 }),
        ]
    }

    func rlimit(_ p: Process, _ res: Int32) -> (cur: UInt64, max: UInt64) {
        if let l = p.limits[res] { return l }
        switch res {
        case 7: return (UInt64(p.files.limit), 4096)                 // RLIMIT_NOFILE
        case 3: return (8 << 20, Kernel.RLIM_INFINITY64)            // RLIMIT_STACK (advisory)
        case 2, 9: let m = UInt64(p.maxMemoryPages) * 65536          // RLIMIT_DATA, RLIMIT_AS
            return (m, m)
        case 4: return (0, Kernel.RLIM_INFINITY64)                  // RLIMIT_CORE
        case 6: return (4096, 4096)                                  // RLIMIT_NPROC
        default: return (Kernel.RLIM_INFINITY64, Kernel.RLIM_INFINITY64)
        }
    }

    func setRlimit(_ p: Process, _ res: Int32, _ l: (cur: UInt64, max: UInt64)) throws(SyscallError) {
        if l.cur > l.max { throw .errno(.EINVAL) }
        let old = rlimit(p, res)
        if l.max > old.max && !p.cred.isRoot { throw .errno(.EPERM) }
        if res == 7 {
            if l.cur > 4096 && !p.cred.isRoot { throw .errno(.EPERM) }
            p.files.limit = Int32(min(l.cur, 1 << 20))
        }
        p.limits[res] = l
    }
}
