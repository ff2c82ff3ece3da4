// CPUTimes.swift: the CPU time of guest processes and threads, read from their runners.
//
// A guest process runs in one host process (its runner) and each guest thread in one host
// thread of it, so the host kernel's accounting is the guest's:
//   process  clock_getcpuclockid(runner) for the total, split into user and system in the
//            ratio of /proc/<runner>/stat's utime:stime (those count whole ticks only)
//   thread   /proc/<runner>/task/<host tid>/schedstat (nanoseconds on the CPU); Linux lets no
//            process read another's per-thread CPU clock
//   exited   sampled when the process ends (exitProcess, while its runner still waits for
//            the answer to exit_group), or from the host's wait4 rusage of a runner that died
//            without exit_group; a forked runner that died that way was reaped by the host,
//            which kept no figures: it counts as 0 (documented in kernel.md)
//   children a reaped child's own times and its children's are added to its parent's
//            (wait4/waitid, as Linux does at wait), for times() and RUSAGE_CHILDREN
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI

/// User and system CPU time in nanoseconds.
public struct CPUTimes: Equatable, Sendable {
    public var user: UInt64 = 0
    public var system: UInt64 = 0
    public var total: UInt64 { user &+ system }

    static func + (a: CPUTimes, b: CPUTimes) -> CPUTimes { CPUTimes(user: a.user &+ b.user, system: a.system &+ b.system) }

    /// From a host rusage (a runner reaped with wait4).
    init(_ ru: rusage) {
        user = UInt64(ru.ru_utime.tv_sec) * 1_000_000_000 + UInt64(ru.ru_utime.tv_usec) * 1000
        system = UInt64(ru.ru_stime.tv_sec) * 1_000_000_000 + UInt64(ru.ru_stime.tv_usec) * 1000
    }
    init(user: UInt64 = 0, system: UInt64 = 0) { self.user = user; self.system = system }

    /// Linux's 32-bit `struct rusage` (72 bytes): ru_utime and ru_stime as {long sec, long
    /// usec}; the other fields are counts the kernel does not keep and stay 0.
    var rusageBytes: [UInt8] {
        var b = [UInt8](repeating: 0, count: 72)
        for (i, ns) in [user, system].enumerated() {
            let sec = UInt32(truncatingIfNeeded: ns / 1_000_000_000), usec = UInt32(ns % 1_000_000_000 / 1000)
            withUnsafeBytes(of: sec.littleEndian) { b.replaceSubrange(i * 8..<i * 8 + 4, with: $0) }
            withUnsafeBytes(of: usec.littleEndian) { b.replaceSubrange(i * 8 + 4..<i * 8 + 8, with: $0) }
        }
        return b
    }
}

extension Kernel {
    /// The process's CPU time so far (its exit sample once it has ended).
    func cpuTimes(_ p: Process) -> CPUTimes {
        if let done = p.exitTimes { return done }
        guard let r = p.runner, r.hostPid > 0 else { return CPUTimes() }   // (pid 0 would be the kernel's own clock)
        let total = Kernel.hostProcessCPU(r.hostPid)
        guard let (ut, st) = Kernel.hostTicks("/proc/\(r.hostPid)/stat"), ut + st > 0 else {
            return CPUTimes(user: total, system: 0)
        }
        let user = UInt64(Double(total) * Double(ut) / Double(ut + st))
        return CPUTimes(user: user, system: total - min(user, total))
    }

    /// CPU time of the host thread that runs guest thread `t` (CLOCK_THREAD_CPUTIME_ID,
    /// RUSAGE_THREAD), split like the process's by the thread's own tick counts.
    func threadTimes(_ t: GuestThread) -> CPUTimes {
        guard t.process.state == .running, let r = t.process.runner, r.hostPid > 0 else { return CPUTimes() }
        let tid = Int32(bitPattern: t.slot.pointee.host_tid)
        let task = "/proc/\(r.hostPid)/task/\(tid)"
        guard tid > 0, let text = Kernel.readSmallFile(task + "/schedstat"),
              let first = text.split(separator: " ").first, let total = UInt64(first) else {
            return cpuTimes(t.process)   // a host without schedstat: the process's clock
        }
        guard let (ut, st) = Kernel.hostTicks(task + "/stat"), ut + st > 0 else { return CPUTimes(user: total) }
        let user = UInt64(Double(total) * Double(ut) / Double(ut + st))
        return CPUTimes(user: user, system: total - min(user, total))
    }

    /// The thread's CPU clock: Linux's per-thread clock id ((~tid << 3) | 6) where the host
    /// allows it (a thread of our own thread group: in-process tests), else schedstat.
    func threadCPUTime(_ t: GuestThread) -> UInt64 {
        let tid = Int32(bitPattern: t.slot.pointee.host_tid)
        var ts = timespec()
        if tid > 0, clock_gettime(clockid_t((~tid) << 3 | 6), &ts) == 0 {
            return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        }
        return threadTimes(t).total
    }

    /// Records the CPU time of a process that is ending; `rusage` when its runner is
    /// already gone and was reaped by us.
    func sampleExitTimes(_ p: Process, from ru: rusage? = nil) {
        guard p.exitTimes == nil else { return }
        if let ru { p.exitTimes = CPUTimes(ru); return }
        p.exitTimes = cpuTimes(p)
    }

    /// wait4/waitid reaping `child`: its times (and its own reaped children's) become its
    /// parent's children's times.
    func collectChildTimes(_ child: Process, into parent: Process) {
        parent.childTimes = parent.childTimes + cpuTimes(child) + child.childTimes
    }

    static func hostProcessCPU(_ pid: pid_t) -> UInt64 {
        var clk = clockid_t()
        guard clock_getcpuclockid(pid, &clk) == 0 else { return 0 }
        var ts = timespec()
        guard clock_gettime(clk, &ts) == 0 else { return 0 }
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// utime and stime (fields 14 and 15, in ticks) of a /proc stat file.
    static func hostTicks(_ path: String) -> (UInt64, UInt64)? {
        guard let text = readSmallFile(path), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3): utime is field 14, stime 15.
        guard fields.count > 12, let ut = UInt64(fields[11]), let st = UInt64(fields[12]) else { return nil }
        return (ut, st)
    }

    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1024)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self)
    }
}
