// RingFallbackTests.swift: the kernel's Ring gives the same results with io_uring and with
// its plain-syscall fallback (poll loop): the same cases run against both backends —
// reads and writes on pipes and regular files, poll readiness and hang-up, timeouts in
// deadline order, cancellation, an eventfd doorbell rung from another thread, bad
// descriptors — plus the automatic fallback when io_uring cannot be set up.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import Foundation
import Testing
@testable import Kernel

@Suite struct RingFallbackTests {
    static let backends: [Ring.Backend] = [.ioUring, .syscalls]

    /// Runs completions until `done()` holds; a 5 s guard timer keeps a broken backend
    /// from hanging the test (it fails instead).
    func drain(_ ring: Ring, until done: () -> Bool) {
        var expired = false
        let guardToken = ring.timeout(nanoseconds: 5_000_000_000) { if $0 == -ETIME { expired = true } }
        while !done() && !expired { ring.complete(block: true) }
        ring.cancel(guardToken)
        while ring.inFlight > 0 && !expired && ring.complete(block: false) > 0 {}
        #expect(!expired, "timed out waiting for completions")
    }

    func pipePair() -> (r: Int32, w: Int32) {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    @Test(arguments: backends) func readAndWriteOnPipes(_ backend: Ring.Backend) throws {
        let ring = try Ring(backend: backend)
        #expect(ring.backend == backend)
        let p = pipePair()
        defer { close(p.r); close(p.w) }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buf.deallocate() }
        var readResult: Int32? = nil
        ring.read(fd: p.r, into: buf) { readResult = $0 }
        // Nothing to read yet: the read stays pending.
        for _ in 0..<3 { ring.complete(block: false); usleep(1000) }
        #expect(readResult == nil)
        var wrote: Int32? = nil
        let message = Array("through the ring".utf8)
        message.withUnsafeBytes { m in
            ring.write(fd: p.w, from: m) { wrote = $0 }
            drain(ring) { wrote != nil && readResult != nil }
        }
        #expect(wrote == Int32(message.count))
        #expect(readResult == Int32(message.count))
        #expect(Array(buf[0..<message.count]) == message)
        // End of file once the writer is gone: a read completes with 0.
        close(p.w)
        readResult = nil
        ring.read(fd: p.r, into: buf) { readResult = $0 }
        drain(ring) { readResult != nil }
        #expect(readResult == 0)
    }

    @Test(arguments: backends) func writeToAPipeWithoutReaderIsEPIPE(_ backend: Ring.Backend) throws {
        signal(SIGPIPE, SIG_IGN)
        let ring = try Ring(backend: backend)
        let p = pipePair()
        close(p.r)
        defer { close(p.w) }
        var result: Int32? = nil
        [UInt8](repeating: 1, count: 8).withUnsafeBytes { b in
            ring.write(fd: p.w, from: b) { result = $0 }
            drain(ring) { result != nil }
        }
        #expect(result == -EPIPE)
    }

    @Test(arguments: backends) func regularFilesAtOffsets(_ backend: Ring.Backend) throws {
        let ring = try Ring(backend: backend)
        let path = "/tmp/kring-test-\(getpid())-\(backend == .ioUring ? "u" : "s")"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        var results: [Int32] = []
        let data = Array("0123456789".utf8)
        data.withUnsafeBytes { b in
            ring.write(fd: fd, from: b, offset: 100) { results.append($0) }
            drain(ring) { results.count == 1 }
        }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)
        defer { buf.deallocate() }
        ring.read(fd: fd, into: UnsafeMutableRawBufferPointer(rebasing: buf[0..<4]), offset: 103) { results.append($0) }
        drain(ring) { results.count == 2 }
        #expect(results == [10, 4])
        #expect(Array(buf[0..<4]) == Array("3456".utf8))
        // Past the end: 0 bytes.
        ring.read(fd: fd, into: buf, offset: 500) { results.append($0) }
        drain(ring) { results.count == 3 }
        #expect(results.last == 0)
        var st = stat()
        fstat(fd, &st)
        #expect(st.st_size == 110)
    }

    @Test(arguments: backends) func pollReadinessAndHangup(_ backend: Ring.Backend) throws {
        let ring = try Ring(backend: backend)
        let p = pipePair()
        defer { close(p.r) }
        var revents: Int32? = nil
        ring.poll(fd: p.r, events: UInt32(POLLIN)) { revents = $0 }
        for _ in 0..<3 { ring.complete(block: false); usleep(1000) }
        #expect(revents == nil)
        _ = write(p.w, "x", 1)
        drain(ring) { revents != nil }
        #expect(revents.map { $0 & Int32(POLLIN) != 0 } == true)
        // Writable at once.
        var out: Int32? = nil
        ring.poll(fd: p.w, events: UInt32(POLLOUT)) { out = $0 }
        drain(ring) { out != nil }
        #expect(out.map { $0 & Int32(POLLOUT) != 0 } == true)
        // A hang-up is reported even when only POLLIN was asked for... once the data is gone.
        var b: UInt8 = 0
        _ = read(p.r, &b, 1)
        close(p.w)
        revents = nil
        ring.poll(fd: p.r, events: UInt32(POLLIN)) { revents = $0 }
        drain(ring) { revents != nil }
        #expect(revents.map { $0 & Int32(POLLHUP) != 0 } == true)
    }

    @Test(arguments: backends) func timeoutsFireInDeadlineOrder(_ backend: Ring.Backend) throws {
        let ring = try Ring(backend: backend)
        var fired: [(Int, Int32)] = []
        let start = Ring.monotonicNanos()
        for ms in [30, 10, 20, 10] {
            ring.timeout(nanoseconds: UInt64(ms) * 1_000_000) { fired.append((ms, $0)) }
        }
        drain(ring) { fired.count == 4 }
        let elapsed = Ring.monotonicNanos() - start
        #expect(fired.map { $0.0 } == [10, 10, 20, 30])
        #expect(fired.allSatisfy { $0.1 == -ETIME })
        #expect(elapsed >= 30_000_000)
        #expect(elapsed < 2_000_000_000)
    }

    @Test(arguments: backends) func cancelGivesECANCELED(_ backend: Ring.Backend) throws {
        let ring = try Ring(backend: backend)
        let p = pipePair()
        defer { close(p.r); close(p.w) }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
        defer { buf.deallocate() }
        var readResult: Int32? = nil, timerResult: Int32? = nil, pollResult: Int32? = nil
        let r = ring.read(fd: p.r, into: buf) { readResult = $0 }
        let t = ring.timeout(nanoseconds: 10_000_000_000) { timerResult = $0 }
        let q = ring.poll(fd: p.r, events: UInt32(POLLIN)) { pollResult = $0 }
        ring.cancel(r)
        ring.cancel(t)
        ring.cancel(q)
        // As with io_uring, the completions come later, not inside cancel.
        #expect(readResult == nil && timerResult == nil && pollResult == nil)
        drain(ring) { readResult != nil && timerResult != nil && pollResult != nil }
        #expect(readResult == -ECANCELED)
        #expect(timerResult == -ECANCELED)
        #expect(pollResult == -ECANCELED)
        #expect(ring.inFlight == 0)
        // The pipe was not consumed by the cancelled read.
        _ = write(p.w, "z", 1)
        var b: UInt8 = 0
        #expect(read(p.r, &b, 1) == 1 && b == UInt8(ascii: "z"))
        // Cancelling a finished operation changes nothing.
        var late: Int32? = nil
        let done = ring.timeout(nanoseconds: 1_000_000) { late = $0 }
        drain(ring) { late != nil }
        ring.cancel(done)
        ring.complete(block: false)
        #expect(late == -ETIME)
    }

    /// The kernel's doorbell: a non-blocking eventfd read, armed before sleeping, completed
    /// when another thread (a runner, here) writes it.
    @Test(arguments: backends) func eventfdDoorbellFromAnotherThread(_ backend: Ring.Backend) throws {
        let ring = try Ring(backend: backend)
        let efd = chost_eventfd()
        #expect(efd >= 0)
        defer { close(efd) }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { buf.deallocate() }
        var result: Int32? = nil
        ring.read(fd: efd, into: buf) { result = $0 }
        let rung = Thread {
            usleep(20_000)
            var one: UInt64 = 3
            _ = write(efd, &one, 8)
        }
        let start = Ring.monotonicNanos()
        rung.start()
        drain(ring) { result != nil }
        #expect(result == 8)
        #expect(buf.load(as: UInt64.self) == 3)
        #expect(Ring.monotonicNanos() - start >= 15_000_000)
    }

    @Test(arguments: backends) func badDescriptorsFailInTheCompletion(_ backend: Ring.Backend) throws {
        let ring = try Ring(backend: backend)
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { buf.deallocate() }
        var results: [Int32] = []
        ring.read(fd: 987_654, into: buf) { results.append($0) }
        #expect(results.isEmpty)
        drain(ring) { results.count == 1 }
        #expect(results == [-EBADF])
    }

    @Test func aRingThatCannotBeSetUpFallsBack() throws {
        // io_uring_setup refuses 0 entries (EINVAL): the ring falls back and says so, once.
        var said: [String] = []
        let ring = try Ring(entries: 0, log: { said.append($0) })
        #expect(ring.backend == .syscalls)
        #expect(said.count == 1)
        #expect(said.first?.contains("plain syscalls") == true && said.first?.contains("io_uring_setup failed") == true)
        var fired = false
        ring.timeout(nanoseconds: 1_000_000) { _ in fired = true }
        drain(ring) { fired }
        // Asking for io_uring explicitly gives the error instead.
        #expect(throws: SyscallError.self) { _ = try Ring(entries: 0, backend: .ioUring) }
    }
}
