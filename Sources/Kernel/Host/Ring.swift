// Ring.swift: the kernel's io_uring. Every host operation the kernel waits for (the
// doorbell the runners ring, runner exits through pidfds, reads and writes on the
// caller's files, timers) is a submission here with a completion closure; the loop in
// Kernel.swift blocks only in `wait`. One ring, one thread: no locks.
#if canImport(Glibc)
import Glibc
#endif
import CURing
import VFSImage

public final class Ring {
    private var ring = io_uring()
    private var completions: [UInt64: (Int32) -> Void] = [:]
    private var nextToken: UInt64 = 1
    private var unsubmitted = 0

    public init(entries: UInt32 = 256) throws(SyscallError) {
        var params = io_uring_params()
        params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN
        var r = io_uring_queue_init_params(entries, &ring, &params)
        if r < 0 {
            // Older kernels refuse the flags; try plain.
            params = io_uring_params()
            r = io_uring_queue_init_params(entries, &ring, &params)
        }
        if r < 0 { throw .errno(LinuxErrno(rawValue: -r)) }
    }

    deinit { io_uring_queue_exit(&ring) }

    /// Number of operations submitted and not yet completed.
    public var inFlight: Int { completions.count }

    private func sqe() -> UnsafeMutablePointer<io_uring_sqe> {
        if let s = io_uring_get_sqe(&ring) { return s }
        _ = io_uring_submit(&ring)
        unsubmitted = 0
        return io_uring_get_sqe(&ring)!
    }

    @discardableResult
    private func enqueue(_ prep: (UnsafeMutablePointer<io_uring_sqe>) -> Void,
                         _ done: @escaping (Int32) -> Void) -> UInt64 {
        let s = sqe()
        prep(s)
        let token = nextToken
        nextToken += 1
        io_uring_sqe_set_data64(s, token)
        completions[token] = done
        unsubmitted += 1
        return token
    }

    /// read(2) into `buffer` (which must stay valid until completion).
    @discardableResult
    public func read(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64 = UInt64.max,
                     _ done: @escaping (Int32) -> Void) -> UInt64 {
        enqueue({ io_uring_prep_read($0, fd, buffer.baseAddress, UInt32(buffer.count), offset) }, done)
    }

    @discardableResult
    public func write(fd: Int32, from buffer: UnsafeRawBufferPointer, offset: UInt64 = UInt64.max,
                      _ done: @escaping (Int32) -> Void) -> UInt64 {
        enqueue({ io_uring_prep_write($0, fd, buffer.baseAddress, UInt32(buffer.count), offset) }, done)
    }

    /// One-shot poll for `events` (POLLIN ...); the result is the revents mask or -errno.
    @discardableResult
    public func poll(fd: Int32, events: UInt32, _ done: @escaping (Int32) -> Void) -> UInt64 {
        enqueue({ io_uring_prep_poll_add($0, fd, events) }, done)
    }

    /// Fires after `nanoseconds` (result -ETIME), or -ECANCELED when cancelled.
    @discardableResult
    public func timeout(nanoseconds: UInt64, _ done: @escaping (Int32) -> Void) -> UInt64 {
        // The timespec must live until the kernel reads it at submission; the submit
        // happens before this function's caller regains control only if we submit now.
        let ts = UnsafeMutablePointer<__kernel_timespec>.allocate(capacity: 1)
        ts.pointee = __kernel_timespec(tv_sec: Int64(nanoseconds / 1_000_000_000),
                                       tv_nsec: Int64(nanoseconds % 1_000_000_000))
        let token = enqueue({ io_uring_prep_timeout($0, ts, 0, 0) }) { r in
            ts.deallocate()
            done(r)
        }
        submit()
        return token
    }

    /// Cancels an operation by its token (its completion still runs, with -ECANCELED).
    public func cancel(_ token: UInt64) {
        guard completions[token] != nil else { return }
        let s = sqe()
        io_uring_prep_cancel64(s, token, 0)
        io_uring_sqe_set_data64(s, 0)
        unsubmitted += 1
        submit()
    }

    public func submit() {
        if unsubmitted > 0 {
            _ = io_uring_submit(&ring)
            unsubmitted = 0
        }
    }

    /// Runs the completions that are ready; with `block`, waits for at least one first.
    /// Returns how many ran.
    @discardableResult
    public func complete(block: Bool) -> Int {
        var cqe: UnsafeMutablePointer<io_uring_cqe>? = nil
        if block {
            let r: Int32
            if unsubmitted > 0 {
                unsubmitted = 0
                r = io_uring_submit_and_wait(&ring, 1)
            } else {
                r = io_uring_wait_cqe(&ring, &cqe)
            }
            if r < 0 && r != -EINTR && r != -ETIME { return 0 }
        } else {
            submit()
        }
        var ran = 0
        while io_uring_peek_cqe(&ring, &cqe) == 0, let c = cqe {
            let token = c.pointee.user_data
            let res = c.pointee.res
            let more = c.pointee.flags & IORING_CQE_F_MORE != 0
            io_uring_cqe_seen(&ring, c)
            if token == 0 { continue }
            let done = more ? completions[token] : completions.removeValue(forKey: token)
            done?(res)
            ran += 1
        }
        return ran
    }
}
