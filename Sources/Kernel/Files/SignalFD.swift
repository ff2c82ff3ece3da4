// SignalFD.swift: signalfd(2) descriptions. Signals in the mask that are pending for the
// reader (its own thread's first, then its process's: Linux's dequeue_signal) are read
// as 128-byte `struct signalfd_siginfo` records instead of being delivered; a signal is
// consumed by the read. Only signals the reader blocks stay pending long enough to be
// read (an unblocked one is delivered to its handler or default action as usual), as on
// Linux. The description is shared across fork like any other, but each reader reads its
// own process's signals.
//
// struct signalfd_siginfo (128 bytes, the same on every architecture):
//   0 ssi_signo u32   4 ssi_errno i32   8 ssi_code i32   12 ssi_pid u32   16 ssi_uid u32
//  20 ssi_fd i32     24 ssi_tid u32    28 ssi_band u32  32 ssi_overrun u32
//  36 ssi_trapno u32 40 ssi_status i32 44 ssi_int i32   48 ssi_ptr u64   56 ssi_utime u64
//  64 ssi_stime u64  72 ssi_addr u64   80 ssi_addr_lsb u16, then padding to 128
import VFSImage

public final class SignalFD: OpenFile {
    static let recordSize = 128
    /// The signals this descriptor reads (never SIGKILL or SIGSTOP).
    var mask: UInt64
    unowned let kernel: Kernel

    init(kernel: Kernel, mask: UInt64, flags: Int32) {
        self.kernel = kernel
        self.mask = mask & ~Signal.unblockable
        super.init(flags: OpenFlags.O_RDWR | (flags & OpenFlags.O_NONBLOCK))
    }

    public override func procLinkName() -> [UInt8] { Array("anon_inode:[signalfd]".utf8) }

    /// The lowest signal of the mask pending for `t` alone, else for its process; 0 if none.
    func nextSignal(_ t: GuestThread) -> Int32 {
        let own = t.pending & mask
        if own != 0 { return Int32(own.trailingZeroBitCount + 1) }
        let shared = t.process.signals.pending & mask
        return shared != 0 ? Int32(shared.trailingZeroBitCount + 1) : 0
    }

    static func record(_ sig: Int32, _ s: SignalState.Sender) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: recordSize)
        func put32(_ off: Int, _ v: UInt32) { for i in 0..<4 { b[off + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) } }
        put32(0, UInt32(bitPattern: sig))
        put32(8, UInt32(bitPattern: s.code))
        put32(12, UInt32(bitPattern: s.pid))
        put32(16, s.uid)
        put32(44, UInt32(bitPattern: s.value))
        put32(48, UInt32(bitPattern: s.value))   // ssi_ptr: sigqueue's value as a pointer
        return b
    }

    /// Reads as many records as fit (at least one: EINVAL below 128 bytes); blocks only
    /// while none is pending.
    public override func read(_ t: GuestThread, into addr: UInt32, count n: Int, at position: Int64?) throws(SyscallError) -> Int {
        let fit = n / SignalFD.recordSize
        if fit == 0 { throw .errno(.EINVAL) }
        try t.memory.check(addr, SignalFD.recordSize)
        if nextSignal(t) == 0 {
            if isNonBlocking { throw .errno(.EAGAIN) }
            // Woken by a new pending signal; a deliverable one interrupts the wait (Kernel
            // checkSignals answers EINTR or ERESTART).
            throw .block(t.process.signalEvents)
        }
        var done = 0
        while done < fit {
            let sig = nextSignal(t)
            if sig == 0 { break }
            let at = addr + UInt32(done * SignalFD.recordSize)
            do { try t.memory.check(at, SignalFD.recordSize) } catch { break }
            let sender = kernel.takePending(t, sig)
            try t.memory.write(at, SignalFD.record(sig, sender))
            done += 1
        }
        return done * SignalFD.recordSize
    }

    public override func stat(_ t: GuestThread) throws(SyscallError) -> KStat { AnonymousInode.stat(t, mode: 0o600) }

    public override func readiness(_ t: GuestThread) -> UInt32 { nextSignal(t) != 0 ? Events.readable : 0 }

    public override var isWatchable: Bool { true }
    /// The queue of the watcher's process: signals are per process.
    public override func watch(_ w: Waiter, _ t: GuestThread) -> Bool {
        t.process.signalEvents.add(w)
        return true
    }

    public override func fdinfo() -> String {
        let hex = String(mask, radix: 16)
        return "sigmask:\t\(String(repeating: "0", count: 16 - hex.count))\(hex)\n"
    }
}
