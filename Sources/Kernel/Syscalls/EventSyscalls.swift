// EventSyscalls.swift: the descriptors that turn events into reads: eventfd2,
// timerfd_create/settime/gettime and signalfd4 (their files are in Files/).
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

extension Kernel {
    /// eventfd2(initval, flags): a new eventfd (EFD_SEMAPHORE, EFD_NONBLOCK, EFD_CLOEXEC).
    static func sys_eventfd2(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let initial = t.uarg(0), flags = t.arg(1)
        if flags & ~(EventFD.EFD_SEMAPHORE | OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC) != 0 { throw .errno(.EINVAL) }
        let f = EventFD(initial: initial, flags: flags, id: k.nextEventFDID)
        k.nextEventFDID += 1
        return try t.process.files.install(f, cloexec: flags & OpenFlags.O_CLOEXEC != 0)
    }

    /// timerfd_create(clockid, flags): a disarmed timer on REALTIME, MONOTONIC or BOOTTIME.
    static func sys_timerfd_create(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let clock = t.arg(0), flags = t.arg(1)
        if flags & ~(OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC) != 0 { throw .errno(.EINVAL) }
        guard TimerFD.validClock(clock) else { throw .errno(.EINVAL) }
        let f = TimerFD(kernel: k, clock: clock, flags: flags)
        return try t.process.files.install(f, cloexec: flags & OpenFlags.O_CLOEXEC != 0)
    }

    private func timerFD(_ t: GuestThread, _ fd: Int32) throws(SyscallError) -> TimerFD {
        guard let f = try t.process.files.get(fd) as? TimerFD else { throw .errno(.EINVAL) }
        return f
    }

    /// Writes a 32-byte `struct itimerspec` (time64: interval, then value).
    private func storeItimerspec(_ t: GuestThread, _ addr: UInt32, value: UInt64, interval: UInt64) throws(SyscallError) {
        try storeTimespec(t, addr, Int64(interval / 1_000_000_000), Int64(interval % 1_000_000_000))
        try storeTimespec(t, addr + 16, Int64(value / 1_000_000_000), Int64(value % 1_000_000_000))
    }

    /// timerfd_settime(fd, flags, new, old): arms or disarms; TFD_TIMER_ABSTIME takes the
    /// value as a time on the timer's clock. TFD_TIMER_CANCEL_ON_SET is refused (EINVAL):
    /// changes of the host's wall clock are not reported.
    static func sys_timerfd_settime(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let fd = t.arg(0), flags = t.arg(1), newAddr = t.uarg(2), oldAddr = t.uarg(3)
        if flags & ~TimerFD.TFD_TIMER_ABSTIME != 0 { throw .errno(.EINVAL) }
        let interval = try k.loadTimespec(t, newAddr)
        let value = try k.loadTimespec(t, newAddr + 16)
        let f = try k.timerFD(t, fd)
        if oldAddr != 0 {
            let (v, i) = f.current()
            try k.storeItimerspec(t, oldAddr, value: v, interval: i)
        }
        f.set(value: Kernel.saturatingNanos(value.sec, value.nsec),
              interval: Kernel.saturatingNanos(interval.sec, interval.nsec), flags: flags)
        return 0
    }

    /// timerfd_gettime(fd, cur): the time left and the interval.
    static func sys_timerfd_gettime(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try k.timerFD(t, t.arg(0))
        let (v, i) = f.current()
        try k.storeItimerspec(t, t.uarg(1), value: v, interval: i)
        return 0
    }

    /// signalfd4(fd, mask, sizemask, flags): a new signalfd (fd -1) or a new mask for one.
    static func sys_signalfd4(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let fd = t.arg(0), maskAddr = t.uarg(1), size = t.arg(2), flags = t.arg(3)
        if flags & ~(OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC) != 0 || size != 8 { throw .errno(.EINVAL) }
        let mask: UInt64 = try t.memory.load(maskAddr)
        if fd == -1 {
            let f = SignalFD(kernel: k, mask: mask, flags: flags)
            return try t.process.files.install(f, cloexec: flags & OpenFlags.O_CLOEXEC != 0)
        }
        guard let f = try t.process.files.get(fd) as? SignalFD else { throw .errno(.EINVAL) }
        f.mask = mask & ~Signal.unblockable
        // Signals now in the mask may be pending already: watchers look again.
        t.process.signalEvents.notify(Events.readable)
        return fd
    }
}
