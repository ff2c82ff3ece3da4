// PollSyscalls.swift: ppoll and pselect6 (musl's poll and select). Readiness comes from
// OpenFile.readiness; waiting uses one WaitQueue per call, woken by a masked Waiter on
// each polled file (OpenFile.watch: pipes, terminals and host descriptors alike) and by
// the timeout. Registrations are undone when the call ends.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

extension Kernel {
    static let POLLIN: Int16 = 1, POLLPRI: Int16 = 2, POLLOUT: Int16 = 4, POLLERR: Int16 = 8
    static let POLLHUP: Int16 = 16, POLLNVAL: Int16 = 32


    /// The deadline of the current call (set on its first run, kept across retries).
    func deadline(_ t: GuestThread, timeout: (sec: Int64, nsec: Int64)?) -> UInt64? {
        guard let timeout else { return nil }
        if t.callDeadline.serial != t.serial {
            let delay = Kernel.saturatingNanos(timeout.sec, timeout.nsec)
            let (at, overflow) = monotonicNanos().addingReportingOverflow(delay)
            t.callDeadline = (t.serial, overflow ? UInt64.max : at)
        }
        return t.callDeadline.deadline
    }

    /// Parks `t` until one of `files` may have some of its events (POLLERR and POLLHUP are
    /// always of interest), `extra` is notified, or `deadline` passes. Each file is watched
    /// through its readiness capability (pipes, terminals, host descriptors alike); the
    /// registrations are undone when the call ends.
    func waitForReadiness(_ t: GuestThread, _ files: [(OpenFile, UInt32)], deadline: UInt64?,
                          also extra: WaitQueue? = nil) throws(SyscallError) -> Never {
        let q = WaitQueue()
        var cleanups: [() -> Void] = []
        if let extra {
            extra.add(q) { [weak q] in q?.wakeAll() }
            cleanups.append { [weak q, weak extra] in if let q { extra?.remove(q) } }
        }
        for (f, events) in files {
            let w = Waiter(mask: events | Events.err | Events.hup) { [weak q] _ in q?.wakeAll() }
            if f.watch(w, t) { cleanups.append { [weak f] in f?.unwatch(w) } }
        }
        if let deadline {
            let now = monotonicNanos()
            let token = ring.timeout(nanoseconds: deadline > now ? deadline - now : 1) { [weak q] _ in q?.wakeAll() }
            cleanups.append { [unowned self] in self.ring.cancel(token) }
        }
        t.cleanups = cleanups
        throw .block(q)
    }

    /// Sets a temporary signal mask for ppoll/pselect6 (restored when the call ends
    /// normally; after a handler runs when a signal interrupts it).
    func applyTemporaryMask(_ t: GuestThread, _ addr: UInt32) throws(SyscallError) {
        guard addr != 0, t.savedSigmask == nil else { return }
        let m: UInt64 = try t.memory.load(addr)
        t.savedSigmask = t.sigmask
        t.sigmask = m & ~Signal.unblockable
        if deliverable(t) != 0 {
            try checkSignals(t)
            throw .errno(.EINTR)
        }
    }

    func restoreTemporaryMask(_ t: GuestThread) {
        if let saved = t.savedSigmask {
            t.sigmask = saved
            t.savedSigmask = nil
        }
    }

    /// ppoll(2) (64-bit time): waits for readiness on descriptors, with a signal mask.
    static func sys_ppoll(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let fdsAddr = t.uarg(0), nfds = Int(t.uarg(1)), tmo = t.uarg(2), mask = t.uarg(3)
        if nfds > Int(t.process.files.limit) { throw .errno(.EINVAL) }
        let timeout = tmo == 0 ? nil : try k.loadTimespec(t, tmo)
        try t.memory.check(fdsAddr, nfds * 8)
        try k.applyTemporaryMask(t, mask)
        var ready: Int32 = 0
        var waitOn: [(OpenFile, UInt32)] = []
        for i in 0..<nfds {
            let a = fdsAddr + UInt32(8 * i)
            let fd: Int32 = try t.memory.load(a)
            let events: Int16 = try t.memory.load(t.memory.field(a, 4))
            var revents: Int16 = 0
            if fd >= 0 {
                if let f = t.process.files.entry(fd)?.file {
                    let wanted = UInt32(UInt16(bitPattern: events)) | Events.err | Events.hup
                    revents = Int16(truncatingIfNeeded: f.readiness(t) & wanted)
                    if revents == 0 { waitOn.append((f, wanted)) }
                } else {
                    revents = Kernel.POLLNVAL
                }
            }
            try t.memory.store(t.memory.field(a, 6), revents)
            if revents != 0 { ready += 1 }
        }
        let deadline = k.deadline(t, timeout: timeout)
        if ready > 0 || (deadline != nil && k.monotonicNanos() >= deadline!) {
            k.restoreTemporaryMask(t)
            return ready
        }
        try k.waitForReadiness(t, waitOn, deadline: deadline)
    }

    /// pselect6(2) (64-bit time): select(2) with a signal mask.
    static func sys_pselect6(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let nfds = Int(t.arg(0)), sets = [t.uarg(1), t.uarg(2), t.uarg(3)], tmo = t.uarg(4), maskArg = t.uarg(5)
        if nfds < 0 || nfds > Int(t.process.files.limit) { throw .errno(.EINVAL) }
        let timeout = tmo == 0 ? nil : try k.loadTimespec(t, tmo)
        let words = (nfds + 31) / 32
        var bits: [[UInt32]] = []
        for s in sets {
            var w: [UInt32] = []
            if s != 0 { for i in 0..<words { w.append(try t.memory.load(s + UInt32(4 * i))) } }
            bits.append(w)
        }
        if maskArg != 0 {
            let maskPtr: UInt32 = try t.memory.load(maskArg)
            try k.applyTemporaryMask(t, maskPtr)
        }
        var out = bits.map { $0.map { _ in UInt32(0) } }
        var ready: Int32 = 0
        var waitOn: [(OpenFile, UInt32)] = []
        for fd in 0..<nfds {
            let w = fd / 32, b = UInt32(1) << UInt32(fd % 32)
            let wantRead = !bits[0].isEmpty && bits[0][w] & b != 0
            let wantWrite = !bits[1].isEmpty && bits[1][w] & b != 0
            let wantExcept = !bits[2].isEmpty && bits[2][w] & b != 0
            guard wantRead || wantWrite || wantExcept else { continue }
            guard let f = t.process.files.entry(Int32(fd))?.file else {
                k.restoreTemporaryMask(t)
                throw .errno(.EBADF)
            }
            // Linux's POLLIN_SET, POLLOUT_SET and POLLEX_SET.
            let readSet = Events.readable | Events.rdband | Events.hup | Events.err
            let writeSet = Events.writable | Events.wrband | Events.err
            var events: UInt32 = 0
            if wantRead { events |= readSet }
            if wantWrite { events |= writeSet }
            if wantExcept { events |= Events.pri }
            let r = f.readiness(t)
            var any = false
            if wantRead && r & readSet != 0 { out[0][w] |= b; ready += 1; any = true }
            if wantWrite && r & writeSet != 0 { out[1][w] |= b; ready += 1; any = true }
            if wantExcept && r & Events.pri != 0 { out[2][w] |= b; ready += 1; any = true }
            if !any { waitOn.append((f, events)) }
        }
        let deadline = k.deadline(t, timeout: timeout)
        if ready > 0 || (deadline != nil && k.monotonicNanos() >= deadline!) {
            for (i, s) in sets.enumerated() where s != 0 {
                for j in 0..<words { try t.memory.store(s + UInt32(4 * j), out[i][j]) }
            }
            k.restoreTemporaryMask(t)
            return ready
        }
        try k.waitForReadiness(t, waitOn, deadline: deadline)
    }
}
