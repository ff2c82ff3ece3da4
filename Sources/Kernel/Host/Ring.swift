// Ring.swift: the kernel's io_uring. Every host operation the kernel waits for (the
// doorbell the runners ring, runner exits through pidfds, reads and writes on the
// caller's files, timers) is a submission here with a completion closure; the loop in
// Kernel.swift blocks only in `complete(block: true)`. One ring, one thread: no locks.
// liburing itself is reached through CHost's kring_* wrappers (see CHost.h for why).
//
// Two backends behind one API:
//   - io_uring (the default);
//   - plain syscalls, where io_uring cannot be had (io_uring_setup refused: seccomp
//     filters in containers, sysctl kernel.io_uring_disabled, old kernels), or when
//     KANDELO_IO_URING=0 asks for it. A readiness loop: the pending reads, writes and
//     polls of pollable descriptors are waited for together with ppoll(2) and performed
//     when ready (with RWF_NOWAIT where the file supports it, so a descriptor another
//     process drains first cannot stall the loop); regular files never wait for
//     readiness and are read or written at the next `complete`; timeouts are a list of
//     CLOCK_MONOTONIC deadlines that bounds the ppoll. The results follow io_uring's
//     conventions exactly (bytes or -errno, the revents mask for polls, -ETIME for a
//     timeout that fires, -ECANCELED for a cancelled operation), and, as with io_uring,
//     a completion never runs inside the call that submitted or cancelled its operation.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

public final class Ring {
    public enum Backend: String, Sendable, Equatable {
        case ioUring = "io_uring"
        case syscalls = "plain syscalls"
    }

    /// Which backend serves this ring.
    public let backend: Backend
    private let ring: OpaquePointer?
    private var completions: [UInt64: (Int32) -> Void] = [:]
    private var nextToken: UInt64 = 1

    /// Finished operations whose completions have not run yet (FIFO): the plain-syscall
    /// backend's results, and with either backend the operations refused at submission.
    private var ready: [(token: UInt64, result: Int32)] = []

    // The plain-syscall backend's state.
    private enum OpKind { case read, write, poll }
    private struct Op {
        var kind: OpKind
        var fd: Int32
        var buffer: UnsafeMutableRawPointer?
        var length: UInt32
        var offset: UInt64
        var events: UInt32
        /// A regular file: performed at the next `complete`, never waits for readiness.
        var immediate: Bool
        /// RWF_NOWAIT works on this descriptor (cleared on the first EOPNOTSUPP).
        var nowait: Bool
    }
    private var ops: [UInt64: Op] = [:]
    /// Pending timeouts, sorted by deadline then by submission.
    private var timers: [(deadline: UInt64, token: UInt64)] = []
    private var lastPoll: UInt64 = 0
    /// How often a non-blocking `complete` looks at descriptors (the loop calls it on every
    /// round while it spins; a ppoll per round would cost more than the work it finds).
    private static let pollInterval: UInt64 = 20_000

    /// `backend` nil: io_uring unless KANDELO_IO_URING=0, falling back to plain syscalls
    /// when io_uring cannot be set up. `.ioUring` fails instead of falling back. A ring that
    /// falls back says so, once, through `log` (the kernel's log: one line per kernel).
    public init(entries: UInt32 = 256, backend requested: Backend? = nil,
                log: ((String) -> Void)? = nil) throws(SyscallError) {
        var why: String
        if requested == .syscalls {
            ring = nil
            backend = .syscalls
            why = "as requested"
        } else if requested == nil, let v = getenv("KANDELO_IO_URING"), String(cString: v) == "0" {
            ring = nil
            backend = .syscalls
            why = "KANDELO_IO_URING=0"
        } else {
            var error: Int32 = 0
            if let r = kring_create(entries, &error) {
                ring = r
                backend = .ioUring
                return
            }
            if requested == .ioUring { throw .errno(LinuxErrno(rawValue: -error)) }
            ring = nil
            backend = .syscalls
            why = "io_uring_setup failed: " + String(cString: strerror(-error))
        }
        if let log {
            log("host I/O uses plain syscalls (poll loop), not io_uring (\(why))")
        }
    }

    deinit { if let ring { kring_destroy(ring) } }

    /// Number of operations submitted and not yet completed.
    public var inFlight: Int { completions.count }

    /// A submission failure to report instead of preparing the next operation (tests
    /// only: io_uring's queue cannot be made to refuse on demand).
    var refuseNextSubmission: Int32?

    private func track(_ done: @escaping (Int32) -> Void, _ prep: (UInt64) -> Int32) -> UInt64 {
        let token = nextToken
        nextToken += 1
        completions[token] = done
        var r: Int32
        if let refused = refuseNextSubmission {
            refuseNextSubmission = nil
            r = refused
        } else {
            r = prep(token)
        }
        if r < 0 {
            // No room even after the queue was flushed (kring's sqe() submits and retries
            // once): fail the operation rather than lose it, but from the next `complete`,
            // never inside the call that submitted it, as for every other completion.
            ready.append((token, r))
        }
        return token
    }

    /// Registers a fallback operation; a bad descriptor fails it at the next `complete`,
    /// as io_uring reports it in the completion.
    private func queue(_ kind: OpKind, fd: Int32, buffer: UnsafeMutableRawPointer?, length: Int, offset: UInt64,
                       events: UInt32, token: UInt64) -> Int32 {
        let k = kfb_file_kind(fd)
        if k < 0 {
            ready.append((token, k))
            return 0
        }
        ops[token] = Op(kind: kind, fd: fd, buffer: buffer, length: UInt32(clamping: length), offset: offset,
                        events: events, immediate: k == 1 && kind != .poll, nowait: true)
        return 0
    }

    /// read(2) into `buffer` (which must stay valid until completion).
    @discardableResult
    public func read(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64 = UInt64.max,
                     _ done: @escaping (Int32) -> Void) -> UInt64 {
        track(done) { token in
            guard let ring else {
                return queue(.read, fd: fd, buffer: buffer.baseAddress, length: buffer.count, offset: offset, events: 0, token: token)
            }
            return kring_read(ring, fd, buffer.baseAddress, UInt32(buffer.count), offset, token)
        }
    }

    @discardableResult
    public func write(fd: Int32, from buffer: UnsafeRawBufferPointer, offset: UInt64 = UInt64.max,
                      _ done: @escaping (Int32) -> Void) -> UInt64 {
        track(done) { token in
            guard let ring else {
                return queue(.write, fd: fd, buffer: UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                             length: buffer.count, offset: offset, events: 0, token: token)
            }
            return kring_write(ring, fd, buffer.baseAddress, UInt32(buffer.count), offset, token)
        }
    }

    /// One-shot poll for `events` (POLLIN ...); the result is the revents mask or -errno.
    @discardableResult
    public func poll(fd: Int32, events: UInt32, _ done: @escaping (Int32) -> Void) -> UInt64 {
        track(done) { token in
            guard let ring else { return queue(.poll, fd: fd, buffer: nil, length: 0, offset: 0, events: events, token: token) }
            return kring_poll(ring, fd, events, token)
        }
    }

    /// Fires after `nanoseconds` (result -ETIME), or -ECANCELED when cancelled.
    @discardableResult
    public func timeout(nanoseconds: UInt64, _ done: @escaping (Int32) -> Void) -> UInt64 {
        track(done) { token in
            guard let ring else {
                let deadline = Ring.monotonicNanos() &+ nanoseconds
                // After every timer with an earlier or equal deadline: ties keep submission order.
                var i = timers.count
                while i > 0 && timers[i - 1].deadline > deadline { i -= 1 }
                timers.insert((deadline, token), at: i)
                return 0
            }
            return kring_timeout(ring, nanoseconds, token)
        }
    }

    /// Cancels an operation by its token (its completion still runs, with -ECANCELED).
    /// An operation that has already finished delivers its own result instead.
    public func cancel(_ token: UInt64) {
        guard completions[token] != nil else { return }
        guard let ring else {
            if ops.removeValue(forKey: token) != nil {
                ready.append((token, -ECANCELED))
            } else if let i = timers.firstIndex(where: { $0.token == token }) {
                timers.remove(at: i)
                ready.append((token, -ECANCELED))
            }
            return
        }
        _ = kring_cancel(ring, token, 0)
        _ = kring_submit(ring)
    }

    public func submit() { if let ring { _ = kring_submit(ring) } }

    /// Runs the completions that are ready; with `block`, waits for at least one first.
    /// Returns how many ran.
    @discardableResult
    public func complete(block: Bool) -> Int {
        guard let ring else { return completeFallback(block: block) }
        // Operations refused at submission (track) are finished already: never wait then.
        if block && ready.isEmpty { _ = kring_wait(ring) } else { _ = kring_submit(ring) }
        var ran = runReady()
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

    // MARK: the plain-syscall backend

    private func completeFallback(block: Bool) -> Int {
        performImmediate()
        fireTimers()
        let waiting = ops.values.contains { !$0.immediate }
        if ready.isEmpty {
            let now = Ring.monotonicNanos()
            if block {
                // Wait for a descriptor or the first deadline (forever when neither exists,
                // as io_uring_wait_cqe would); a signal ends the wait with nothing run.
                while ready.isEmpty {
                    let t = Ring.monotonicNanos()
                    let timeout: Int64 = timers.first.map { $0.deadline > t ? Int64($0.deadline - t) : 0 } ?? -1
                    if pollDescriptors(timeout: timeout) < 0 { break }
                    fireTimers()
                }
            } else if waiting && now &- lastPoll >= Ring.pollInterval {
                _ = pollDescriptors(timeout: 0)
            }
        }
        return runReady()
    }

    private func runReady() -> Int {
        var ran = 0
        while !ready.isEmpty {
            // Completions may submit, cancel and finish operations: take a batch at a time.
            let batch = ready
            ready = []
            for (token, result) in batch {
                guard let done = completions.removeValue(forKey: token) else { continue }
                done(result)
                ran += 1
            }
        }
        return ran
    }

    private func fireTimers() {
        guard !timers.isEmpty else { return }
        let now = Ring.monotonicNanos()
        var n = 0
        while n < timers.count && timers[n].deadline <= now { n += 1 }
        for t in timers[0..<n] { ready.append((t.token, -ETIME)) }
        timers.removeFirst(n)
    }

    /// Regular files: read or write now, in submission order.
    private func performImmediate() {
        let due = ops.filter { $0.value.immediate }.keys.sorted()
        for token in due {
            guard var op = ops.removeValue(forKey: token) else { continue }
            op.nowait = false
            ready.append((token, perform(&op)))
        }
    }

    /// The read or write of `op` (`op.nowait` is cleared when the file refuses RWF_NOWAIT).
    private func perform(_ op: inout Op) -> Int32 {
        // A blocking descriptor without RWF_NOWAIT: after POLLOUT a pipe has room for at
        // least PIPE_BUF bytes, so a write of at most that many cannot block.
        let plainLength = op.immediate ? op.length : min(op.length, 4096)
        switch op.kind {
        case .read:
            if op.nowait {
                let r = kfb_read(op.fd, op.buffer, op.length, op.offset, 1)
                if r != -Int(EOPNOTSUPP) { return Int32(truncatingIfNeeded: r) }
                op.nowait = false
            }
            return Int32(truncatingIfNeeded: kfb_read(op.fd, op.buffer, op.length, op.offset, 0))
        case .write:
            if op.nowait {
                let r = kfb_write(op.fd, op.buffer, op.length, op.offset, 1)
                if r != -Int(EOPNOTSUPP) { return Int32(truncatingIfNeeded: r) }
                op.nowait = false
            }
            return Int32(truncatingIfNeeded: kfb_write(op.fd, op.buffer, plainLength, op.offset, 0))
        case .poll:
            return 0
        }
    }

    /// One ppoll over every operation waiting for readiness; performs those that are
    /// ready. Returns the ppoll result (negative: interrupted or failed).
    private func pollDescriptors(timeout: Int64) -> Int32 {
        let waiting = ops.filter { !$0.value.immediate }.sorted { $0.key < $1.key }
        var fds = waiting.map { entry -> pollfd in
            let op = entry.value
            let events: Int16
            switch op.kind {
            case .read: events = Int16(POLLIN)
            case .write: events = Int16(POLLOUT)
            case .poll: events = Int16(truncatingIfNeeded: op.events)
            }
            return pollfd(fd: op.fd, events: events, revents: 0)
        }
        let r = fds.withUnsafeMutableBytes { kfb_ppoll($0.baseAddress, UInt32($0.count / MemoryLayout<pollfd>.stride), timeout) }
        lastPoll = Ring.monotonicNanos()
        guard r > 0 else { return r }
        for (i, entry) in waiting.enumerated() {
            let revents = fds[i].revents
            guard revents != 0, var op = ops[entry.key] else { continue }
            let result: Int32
            if revents & Int16(POLLNVAL) != 0 {
                result = -EBADF
            } else if op.kind == .poll {
                result = Int32(UInt16(bitPattern: revents))
            } else {
                result = perform(&op)
                if result == -EAGAIN {
                    ops[entry.key] = op     // someone else took the data or the room: wait again
                    continue
                }
            }
            ops[entry.key] = nil
            ready.append((entry.key, result))
        }
        return r
    }

    static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
