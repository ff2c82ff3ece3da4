// TimerFD.swift: timerfd_create(2) timers. A timer on CLOCK_REALTIME, CLOCK_MONOTONIC or
// CLOCK_BOOTTIME whose expirations are counted and read as an 8-byte number:
//
//   settime  arms it (relative, or absolute with TFD_TIMER_ABSTIME; 0 disarms), zeroes the
//            count, returns the old setting
//   gettime  the time left to the next expiration and the interval
//   read     8 bytes or more (EINVAL below); blocks while the count is 0; returns it and
//            zeroes it
//   poll     POLLIN while the count is > 0
//
// The expiration is one io_uring timeout at a time (as setitimer does): when it fires,
// the count grows by every period that passed (a late wake-up loses none) and, for an
// interval timer, the next one is armed. A REALTIME deadline is turned into a delay when
// armed; a later change of the host's wall clock does not move it (TFD_TIMER_CANCEL_ON_SET,
// which would report such changes, is refused with EINVAL).
#if canImport(Glibc)
import Glibc
#endif
import VFSImage

public final class TimerFD: OpenFile {
    static let TFD_TIMER_ABSTIME: Int32 = 1, TFD_TIMER_CANCEL_ON_SET: Int32 = 2
    unowned let kernel: Kernel
    let clock: Int32
    /// The next expiration on `clock` (ns), 0 when disarmed; and the period (0: one-shot).
    private var next: UInt64 = 0
    private var interval: UInt64 = 0
    private(set) var ticks: UInt64 = 0
    /// The flags of the last settime (fdinfo's "settime flags").
    private var settimeFlags: Int32 = 0
    private var timer: UInt64?
    let queue = WaitQueue()

    init(kernel: Kernel, clock: Int32, flags: Int32) {
        self.kernel = kernel
        self.clock = clock
        super.init(flags: OpenFlags.O_RDWR | (flags & OpenFlags.O_NONBLOCK))
    }

    /// The clocks a timerfd may use (Linux also has the _ALARM ones, which need
    /// CAP_WAKE_ALARM and a wake-up device: EINVAL here).
    static func validClock(_ c: Int32) -> Bool { c == 0 || c == 1 || c == 7 }

    /// Now on the timer's clock, in nanoseconds.
    func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(clockid_t(clock), &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public override func procLinkName() -> [UInt8] { Array("anon_inode:[timerfd]".utf8) }

    /// (time left, interval), in nanoseconds.
    func current() -> (value: UInt64, interval: UInt64) {
        guard next != 0 else { return (0, interval) }
        let n = now()
        // An expired one-shot timer that was not re-armed reads as disarmed (value 0); an
        // expired interval timer has its next expiration already computed.
        return (next > n ? next - n : (interval == 0 ? 0 : 1), interval)
    }

    /// Arms (value > 0) or disarms the timer; `value` is absolute on the clock with ABSTIME.
    func set(value: UInt64, interval: UInt64, flags: Int32) {
        if let timer { kernel.ring.cancel(timer) }
        timer = nil
        ticks = 0
        settimeFlags = flags
        self.interval = interval
        guard value != 0 else {
            next = 0
            return
        }
        let n = now()
        if flags & TimerFD.TFD_TIMER_ABSTIME != 0 {
            next = value
        } else {
            let (sum, overflow) = n.addingReportingOverflow(value)
            next = overflow ? UInt64.max : sum
        }
        arm(now: n)
    }

    private func arm(now n: UInt64) {
        let delay = next > n ? next - n : 0
        if delay == 0 {
            expire()
            return
        }
        let token = kernel.ring.timeout(nanoseconds: delay) { [weak self] r in
            guard let self, r != -ECANCELED else { return }
            self.timer = nil
            self.expire()
        }
        timer = token
    }

    private func expire() {
        let n = now()
        guard next != 0 else { return }
        if n < next {   // (a timer that fired early by the clock's reading: wait the rest)
            arm(now: n)
            return
        }
        if interval > 0 {
            let periods = (n - next) / interval + 1
            ticks &+= periods
            next &+= periods &* interval
            arm(now: n)
        } else {
            ticks &+= 1
            next = 0
        }
        queue.notify(Events.readable)
    }

    public override func read(_ t: GuestThread, into addr: UInt32, count n: Int, at position: Int64?) throws(SyscallError) -> Int {
        if n < 8 { throw .errno(.EINVAL) }
        try t.memory.check(addr, 8)
        if ticks == 0 {
            if isNonBlocking { throw .errno(.EAGAIN) }
            throw .block(queue)
        }
        try t.memory.store(addr, ticks)
        ticks = 0
        return 8
    }

    public override func stat(_ t: GuestThread) throws(SyscallError) -> KStat { AnonymousInode.stat(t, mode: 0o600) }

    public override func readiness(_ t: GuestThread) -> UInt32 { ticks > 0 ? Events.readable : 0 }
    public override var readinessQueue: WaitQueue? { queue }

    public override func fdinfo() -> String {
        let (value, iv) = current()
        return "clockid: \(clock)\nticks: \(ticks)\nsettime flags: 0\(String(settimeFlags, radix: 8))\n"
            + "it_value: (\(value / 1_000_000_000), \(value % 1_000_000_000))\n"
            + "it_interval: (\(iv / 1_000_000_000), \(iv % 1_000_000_000))\n"
    }

    public override func release() {
        if let timer { kernel.ring.cancel(timer) }
        timer = nil
        next = 0
    }
}
