// Ring.swift: the kernel's io_uring. Every host operation the kernel waits for (the
// doorbell the runners ring, runner exits through pidfds, reads and writes on the
// caller's files, timers) is a submission here with a completion closure; the loop in
// Kernel.swift blocks only in `complete(block: true)`. One ring, one thread: no locks.
// liburing itself is reached through CHost's kring_* wrappers (see CHost.h for why).
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

public final class Ring {
    private let ring: OpaquePointer
    private var completions: [UInt64: (Int32) -> Void] = [:]
    private var nextToken: UInt64 = 1

    public init(entries: UInt32 = 256) throws(SyscallError) {
        var error: Int32 = 0
        guard let r = kring_create(entries, &error) else { throw .errno(LinuxErrno(rawValue: -error)) }
        ring = r
    }

    deinit { kring_destroy(ring) }

    /// Number of operations submitted and not yet completed.
    public var inFlight: Int { completions.count }

    private func track(_ done: @escaping (Int32) -> Void, _ prep: (UInt64) -> Int32) -> UInt64 {
        let token = nextToken
        nextToken += 1
        let r = prep(token)
        if r < 0 {
            done(r)     // the queue is full: fail the operation rather than lose it
            return 0
        }
        completions[token] = done
        return token
    }

    /// read(2) into `buffer` (which must stay valid until completion).
    @discardableResult
    public func read(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64 = UInt64.max,
                     _ done: @escaping (Int32) -> Void) -> UInt64 {
        track(done) { kring_read(ring, fd, buffer.baseAddress, UInt32(buffer.count), offset, $0) }
    }

    @discardableResult
    public func write(fd: Int32, from buffer: UnsafeRawBufferPointer, offset: UInt64 = UInt64.max,
                      _ done: @escaping (Int32) -> Void) -> UInt64 {
        track(done) { kring_write(ring, fd, buffer.baseAddress, UInt32(buffer.count), offset, $0) }
    }

    /// One-shot poll for `events` (POLLIN ...); the result is the revents mask or -errno.
    @discardableResult
    public func poll(fd: Int32, events: UInt32, _ done: @escaping (Int32) -> Void) -> UInt64 {
        track(done) { kring_poll(ring, fd, events, $0) }
    }

    /// Fires after `nanoseconds` (result -ETIME), or -ECANCELED when cancelled.
    @discardableResult
    public func timeout(nanoseconds: UInt64, _ done: @escaping (Int32) -> Void) -> UInt64 {
        track(done) { kring_timeout(ring, nanoseconds, $0) }
    }

    /// Cancels an operation by its token (its completion still runs, with -ECANCELED).
    public func cancel(_ token: UInt64) {
        guard completions[token] != nil else { return }
        _ = kring_cancel(ring, token, 0)
        _ = kring_submit(ring)
    }

    public func submit() { _ = kring_submit(ring) }

    /// Runs the completions that are ready; with `block`, waits for at least one first.
    /// Returns how many ran.
    @discardableResult
    public func complete(block: Bool) -> Int {
        if block { _ = kring_wait(ring) } else { _ = kring_submit(ring) }
        var ran = 0
        var cqe = kring_cqe()
        while kring_peek(ring, &cqe) == 1 {
            if cqe.user_data == 0 { continue }
            let more = cqe.flags & UInt32(KRING_CQE_F_MORE) != 0
            let done = more ? completions[cqe.user_data] : completions.removeValue(forKey: cqe.user_data)
            done?(cqe.res)
            ran += 1
        }
        return ran
    }
}
