// FileCapabilityTests.swift: the handlers ask the description what it can do (OpenFile's
// capabilities) instead of which class it is, and each default is Linux's errno: pread on
// a stream is ESPIPE, fallocate on a stream ESPIPE and on a device ENODEV, copies between
// files that have no contents EINVAL (a directory source: EISDIR), sync_file_range on a
// directory succeeds (as on Linux), FIONREAD comes from the kind of file.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

@Suite struct FileCapabilityTests {
    func err(_ e: LinuxErrno) -> Int32 { -e.rawValue }

    @Test func defaultsAnswerLinuxErrnos() throws {
        let h = try Harness()
        let buf = h.alloc(64)
        // fd 1 is a stream with no node (FakeStream): no positions, no fallocate.
        #expect(h.sys(__NR_pread64, 0, Harness.a(buf), 4, 0, 0) == err(.ESPIPE))
        let null = h.open("/dev/null", O_RDWR)
        #expect(h.sys(__NR_fallocate, 1, 0, 0, 0, 0, 10) == err(.ESPIPE))
        #expect(h.sys(__NR_fallocate, null, 0, 0, 0, 0, 10) == err(.ENODEV))
        #expect(h.sys(__NR_pread64, null, Harness.a(buf), 4, 0, 0) == 0, "devices have positions")
        // Copies: a directory source is EISDIR for copy_file_range; a device has no contents.
        let dir = h.open("/etc", O_RDONLY | O_DIRECTORY)
        let out = h.open("/tmp/out", O_CREAT | O_WRONLY, 0o644)
        #expect(h.sys(__NR_copy_file_range, dir, 0, out, 0, 10, 0) == err(.EISDIR))
        #expect(h.sys(__NR_copy_file_range, null, 0, out, 0, 10, 0) == err(.EINVAL))
        #expect(h.sys(__NR_sendfile64, out, dir, 0, 10) == err(.EINVAL))
        // sync_file_range: a directory is fine, a stream is ESPIPE.
        #expect(h.sys(__NR_sync_file_range, dir, 0, 0, 0, 0, 2) == 0)
        #expect(h.sys(__NR_sync_file_range, 1, 0, 0, 0, 0, 2) == err(.ESPIPE))
        // FIONREAD: a regular file's bytes left; a directory's is ENOTTY.
        let motd = h.open("/etc/motd", O_RDONLY)
        _ = h.sys(__NR_read, motd, Harness.a(buf), 5)
        let n = h.alloc(4)
        #expect(h.sys(__NR_ioctl, motd, 0x541B, Harness.a(n)) == 0)
        #expect(h.i32(n) == 13 - 5)
        #expect(h.sys(__NR_ioctl, dir, 0x541B, Harness.a(n)) == err(.ENOTTY))
        // fallocate on a regular file extends it.
        let f = h.open("/tmp/grow", O_CREAT | O_RDWR, 0o644)
        #expect(h.sys(__NR_fallocate, f, 0, 0, 0, 100, 0) == 0)
        #expect(h.content("/tmp/grow")?.utf8.count == 100)
    }
}
