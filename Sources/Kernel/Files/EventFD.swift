// EventFD.swift: eventfd(2) objects. A 64-bit counter with Linux's rules (fs/eventfd.c):
//
//   read   8 bytes or more (EINVAL below); blocks while the counter is 0; returns the
//          counter and zeroes it, or with EFD_SEMAPHORE returns 1 and decrements it
//   write  exactly 8 bytes (EINVAL otherwise, as since Linux 6.10); 0xffffffffffffffff is
//          EINVAL; blocks while adding would pass 0xfffffffffffffffe; adds
//   poll   POLLIN while the counter is > 0; POLLOUT while 1 can still be added (Linux's
//          POLLERR needs a counter of all ones, which no write can make)
//
// Reads notify writers (POLLOUT) and writes notify readers (POLLIN) on one queue; blocked
// calls wait on the same queue and re-run.
import VFSImage

public final class EventFD: OpenFile {
    static let EFD_SEMAPHORE: Int32 = 1
    static let maximum: UInt64 = 0xffff_ffff_ffff_fffe
    private(set) var count: UInt64
    let semaphore: Bool
    /// Linux numbers eventfds for fdinfo's eventfd-id; so do we, per kernel.
    let id: Int
    let queue = WaitQueue()

    init(initial: UInt32, flags: Int32, id: Int) {
        count = UInt64(initial)
        semaphore = flags & EventFD.EFD_SEMAPHORE != 0
        self.id = id
        super.init(flags: OpenFlags.O_RDWR | (flags & OpenFlags.O_NONBLOCK))
    }

    public override func procLinkName() -> [UInt8] { Array("anon_inode:[eventfd]".utf8) }

    public override func read(_ t: GuestThread, into addr: UInt32, count n: Int, at position: Int64?) throws(SyscallError) -> Int {
        if n < 8 { throw .errno(.EINVAL) }
        try t.memory.check(addr, 8)
        if count == 0 {
            if isNonBlocking { throw .errno(.EAGAIN) }
            throw .block(queue)
        }
        let value = semaphore ? 1 : count
        try t.memory.store(addr, value)
        count -= value
        queue.notify(Events.writable)
        return 8
    }

    public override func write(_ t: GuestThread, from addr: UInt32, count n: Int, at position: Int64?) throws(SyscallError) -> Int {
        if n != 8 { throw .errno(.EINVAL) }
        let value: UInt64 = try t.memory.load(addr)
        if value == UInt64.max { throw .errno(.EINVAL) }
        if EventFD.maximum - count < value {
            if isNonBlocking { throw .errno(.EAGAIN) }
            throw .block(queue)
        }
        count += value
        if value > 0 { queue.notify(Events.readable) }
        return 8
    }

    public override func stat(_ t: GuestThread) throws(SyscallError) -> KStat {
        AnonymousInode.stat(t, mode: 0o600)
    }

    public override func readiness(_ t: GuestThread) -> UInt32 {
        var r: UInt32 = 0
        if count > 0 { r |= Events.readable }
        if count < EventFD.maximum { r |= Events.writable }
        return r
    }

    public override var readinessQueue: WaitQueue? { queue }

    public override func fdinfo() -> String {
        let hex = String(count, radix: 16)
        return "eventfd-count: \(String(repeating: " ", count: max(0, 16 - hex.count)))\(hex)\neventfd-id: \(id)\n"
            + "eventfd-semaphore: \(semaphore ? 1 : 0)\n"
    }
}
