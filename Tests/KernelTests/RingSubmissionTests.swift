// RingSubmissionTests.swift: an operation the Ring cannot submit (no room in the
// submission queue even after flushing it) still completes, with the error, and — like
// every completion — never inside the call that submitted it: a caller that registers
// itself after submitting (a waiter queue, a thread about to suspend) must not be woken
// before it is there. Both backends.
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Kernel

@Suite struct RingSubmissionTests {
    @Test(arguments: RingFallbackTests.backends) func aRefusedSubmissionCompletesLater(_ backend: Ring.Backend) throws {
        let ring = try Ring(backend: backend)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { buf.deallocate() }
        var result: Int32? = nil
        var registeredAfterSubmit = false
        var sawRegistration = false
        ring.refuseNextSubmission = -EBUSY
        ring.read(fd: fds[0], into: buf) { r in
            result = r
            sawRegistration = registeredAfterSubmit
        }
        registeredAfterSubmit = true
        // (Checked before anything blocks: a completion that already ran leaves nothing in
        // flight, and a blocking complete would then wait forever.)
        guard result == nil else {
            Issue.record("completed inside the submitting call")
            return
        }
        #expect(ring.inFlight == 1)
        // A blocking complete must not wait for the ring: the result is ready already.
        #expect(ring.complete(block: true) == 1)
        #expect(result == -EBUSY)
        #expect(sawRegistration)
        #expect(ring.inFlight == 0)
        // The ring goes on working: the next read is submitted and completes normally.
        result = nil
        ring.read(fd: fds[0], into: buf) { result = $0 }
        #expect(write(fds[1], "x", 1) == 1)
        while result == nil { ring.complete(block: true) }
        #expect(result == 1)
    }
}
