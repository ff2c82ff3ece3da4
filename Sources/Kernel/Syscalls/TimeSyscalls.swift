// TimeSyscalls.swift: clocks and sleeping. Sleeps are io_uring timeouts: the thread is
// suspended, the loop goes on, the completion answers it.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

extension Kernel {
    /// clock_gettime(2) (64-bit time): reads a clock.
    static func sys_clock_gettime(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let (sec, nsec) = try k.clockValue(t, t.arg(0))
        try k.storeTimespec(t, t.uarg(1), sec, Int64(nsec))
        return 0
    }

    /// clock_getres(2) (64-bit time): the resolution of a clock (1 ns).
    static func sys_clock_getres(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        _ = try k.clockValue(t, t.arg(0))
        if t.uarg(1) != 0 { try k.storeTimespec(t, t.uarg(1), 0, 1) }
        return 0
    }

    /// getitimer(2): what is left of ITIMER_REAL.
    static func sys_getitimer(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if t.arg(0) != 0 { throw .errno(t.arg(0) == 1 || t.arg(0) == 2 ? .ENOSYS : .EINVAL) }
        try k.storeItimer(t, t.uarg(1), k.realTimerNow(t.process))
        return 0
    }

    /// times(2): the process's CPU time in clock ticks.
    static func sys_times(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let cpu = k.cpuTime(t.process)
        let ticks = Int32(truncatingIfNeeded: cpu / 10_000_000)
        if t.uarg(0) != 0 {
            try t.memory.store(t.uarg(0), ticks)
            try t.memory.store(t.memory.field(t.uarg(0), 4), Int32(0))
            try t.memory.store(t.memory.field(t.uarg(0), 8), Int32(0))
            try t.memory.store(t.memory.field(t.uarg(0), 12), Int32(0))
        }
        return Int32(truncatingIfNeeded: k.monotonicNanos() / 10_000_000)
    }

    /// getrusage(2): user CPU time of the process; other fields zero.
    static func sys_getrusage(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        var b = [UInt8](repeating: 0, count: 72)
        if t.arg(0) == 0 || t.arg(0) == 1 {   // RUSAGE_SELF, RUSAGE_THREAD
            let cpu = k.cpuTime(t.process)
            let sec = UInt32(cpu / 1_000_000_000), usec = UInt32(cpu % 1_000_000_000 / 1000)
            for i in 0..<4 { b[i] = UInt8((sec >> (8 * UInt32(i))) & 0xff) }
            for i in 0..<4 { b[4 + i] = UInt8((usec >> (8 * UInt32(i))) & 0xff) }
        } else if t.arg(0) != -1 {            // RUSAGE_CHILDREN
            throw .errno(.EINVAL)
        }
        try t.memory.write(t.uarg(1), b)
        return 0
    }

    func storeTimespec(_ t: GuestThread, _ addr: UInt32, _ sec: Int64, _ nsec: Int64) throws(SyscallError) {
        var b = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 { b[i] = UInt8((UInt64(bitPattern: sec) >> (8 * UInt64(i))) & 0xff) }
        for i in 0..<8 { b[8 + i] = UInt8((UInt64(bitPattern: nsec) >> (8 * UInt64(i))) & 0xff) }
        try t.memory.write(addr, b)
    }

    /// Nanoseconds in a validated timespec, saturating: a timeout of 2^62 seconds is as good
    /// as forever (Linux clamps to KTIME_MAX), never an overflow trap in the kernel.
    static func saturatingNanos(_ sec: Int64, _ nsec: Int64) -> UInt64 {
        let (ns, o1) = UInt64(sec).multipliedReportingOverflow(by: 1_000_000_000)
        let (total, o2) = ns.addingReportingOverflow(UInt64(nsec))
        return o1 || o2 ? UInt64.max : total
    }

    /// A guest `struct __kernel_timespec`; the upper half of tv_nsec is ignored (ABI §3).
    func loadTimespec(_ t: GuestThread, _ addr: UInt32) throws(SyscallError) -> (sec: Int64, nsec: Int64) {
        let sec: Int64 = try t.memory.load(addr)
        let nsec = Int64(try t.memory.load(t.memory.field(addr, 8), as: UInt32.self))
        if sec < 0 || nsec >= 1_000_000_000 { throw .errno(.EINVAL) }
        return (sec, nsec)
    }

    func cpuTime(_ p: Process) -> UInt64 {
        guard let r = p.runner, r.hostPid > 0 else { return 0 }   // (pid 0 would be the kernel's own clock)
        var clk = clockid_t()
        guard clock_getcpuclockid(r.hostPid, &clk) == 0 else { return 0 }
        var ts = timespec()
        guard clock_gettime(clk, &ts) == 0 else { return 0 }
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    func clockValue(_ t: GuestThread, _ id: Int32) throws(SyscallError) -> (Int64, UInt32) {
        switch id {
        case 0, 5, 8, 11:           // REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI
            return now()
        case 1, 4, 6, 7, 9:         // MONOTONIC, _RAW, _COARSE, BOOTTIME, BOOTTIME_ALARM
            let n = monotonicNanos()
            return (Int64(n / 1_000_000_000), UInt32(n % 1_000_000_000))
        case 2, 3:                  // PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID
            let n = cpuTime(t.process)
            return (Int64(n / 1_000_000_000), UInt32(n % 1_000_000_000))
        default:
            throw .errno(.EINVAL)
        }
    }

    // MARK: interval timers (alarm(3) is setitimer(ITIMER_REAL) in musl)

    /// The 32-bit `struct itimerval`: interval {i32 sec, i32 usec}, then value.
    func storeItimer(_ t: GuestThread, _ addr: UInt32, _ v: (interval: UInt64, value: UInt64)) throws(SyscallError) {
        guard addr != 0 else { return }
        for (i, ns) in [v.interval, v.value].enumerated() {
            try t.memory.store(addr + UInt32(i * 8), Int32(truncatingIfNeeded: ns / 1_000_000_000))
            try t.memory.store(addr + UInt32(i * 8 + 4), Int32(truncatingIfNeeded: (ns % 1_000_000_000) / 1000))
        }
    }

    /// What is left of the process's ITIMER_REAL and its interval (nanoseconds).
    func realTimerNow(_ p: Process) -> (interval: UInt64, value: UInt64) {
        guard let timer = p.realTimer else { return (0, 0) }
        let now = monotonicNanos()
        // A timer that is due but not yet delivered reads as 1 µs, as Linux rounds up.
        return (timer.interval, timer.deadline > now ? timer.deadline - now : 1000)
    }

    /// setitimer(2): arms ITIMER_REAL (SIGALRM); the CPU-time timers are ENOSYS.
    static func sys_setitimer(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let which = t.arg(0), new = t.uarg(1), old = t.uarg(2)
        // ITIMER_VIRTUAL and ITIMER_PROF: not implemented (the kernel reads runners' CPU
        // clocks for RLIMIT_CPU but arms no timer on them), so ENOSYS rather than a timer that never fires.
        if which != 0 { throw .errno(which == 1 || which == 2 ? .ENOSYS : .EINVAL) }
        var ns: [UInt64] = [0, 0]
        if new != 0 {
            for i in 0..<2 {
                let sec: Int32 = try t.memory.load(new + UInt32(i * 8))
                let usec: Int32 = try t.memory.load(new + UInt32(i * 8 + 4))
                if sec < 0 || usec < 0 || usec >= 1_000_000 { throw .errno(.EINVAL) }
                ns[i] = UInt64(sec) * 1_000_000_000 + UInt64(usec) * 1000
            }
        }
        let p = t.process
        try k.storeItimer(t, old, k.realTimerNow(p))
        if new != 0 { k.armRealTimer(p, value: ns[1], interval: ns[0]) }
        return 0
    }

    /// (Re)arms ITIMER_REAL: SIGALRM after `value` ns, then every `interval` ns (0: once).
    /// value 0 disarms.
    func armRealTimer(_ p: Process, value: UInt64, interval: UInt64) {
        if let old = p.realTimer { p.realTimer = nil; ring.cancel(old.token) }
        guard value > 0, p.state == .running else { return }
        let generation = (p.realTimerGeneration &+= 1, p.realTimerGeneration).1
        let token = ring.timeout(nanoseconds: value) { [unowned self, weak p] r in
            guard let p, r != -ECANCELED, p.realTimerGeneration == generation, let timer = p.realTimer else { return }
            p.realTimer = nil
            if p.state != .running { return }
            if timer.interval > 0 { self.armRealTimer(p, value: timer.interval, interval: timer.interval) }
            self.send(Signal.SIGALRM, to: p, code: Kernel.SI_KERNEL)
        }
        p.realTimer = (token, monotonicNanos() + value, interval)
    }

    /// clock_nanosleep(2) (64-bit time): sleeps relative or until an absolute time.
    static func sys_clock_nanosleep(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let clock = t.arg(0), flags = t.arg(1), req = t.uarg(2), rem = t.uarg(3)
        let TIMER_ABSTIME: Int32 = 1
        let (sec, nsec) = try k.loadTimespec(t, req)
        var delay = Kernel.saturatingNanos(sec, nsec)
        let (nowSec, nowNsec) = try k.clockValue(t, clock)
        if clock == 2 || clock == 3 { throw .errno(.EINVAL) }
        if flags & TIMER_ABSTIME != 0 {
            let current = UInt64(nowSec) * 1_000_000_000 + UInt64(nowNsec)
            delay = delay > current ? delay - current : 0
        }
        if delay == 0 { return 0 }
        delay = min(delay, UInt64(Int64.max) / 2)  // ~146 years: forever, and no sum overflows
        let deadline = k.monotonicNanos() + delay
        let serial = t.serial
        // weak t: the timer may fire (or report its cancellation) after the thread is gone,
        // e.g. when a signal ended the sleeping process and its parent reaped it.
        let token = k.ring.timeout(nanoseconds: delay) { [unowned k, weak t] _ in
            guard let t, t.serial == serial && t.inCall else { return }
            t.interrupt = nil
            k.complete(t, 0)
        }
        t.interrupt = { [unowned k, unowned t] (result: Int32) in
            // A signal handler is about to run: report the time left and -EINTR.
            t.interrupt = nil
            k.ring.cancel(token)
            let nowN = k.monotonicNanos()
            if rem != 0 && flags & TIMER_ABSTIME == 0 {
                let left = deadline > nowN ? deadline - nowN : 0
                try? k.storeTimespec(t, rem, Int64(left / 1_000_000_000), Int64(left % 1_000_000_000))
            }
            k.complete(t, result)
        }
        throw .suspended
    }
}
