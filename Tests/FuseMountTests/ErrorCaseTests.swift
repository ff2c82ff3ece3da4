// ErrorCaseTests.swift: every refusal exits non-zero with a message that says why, mounts
// nothing, and leaves the image file exactly as it was.

import Testing
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

@Suite("refusals")
struct ErrorCaseTests {
    struct Setup {
        let work: String, image: String, mnt: String
        init(_ name: String) throws {
            work = Harness.workDir(name)
            image = work + "/image.vfs"
            mnt = work + "/mnt"
            try Harness.makeImage(image)
            mkdir(mnt, 0o755)
        }
    }

    /// Runs kandelo-mount and expects a refusal mentioning `message`, with nothing mounted
    /// and the image (when there is one) unchanged.
    func expectRefusal(_ args: String, _ message: String, image: String?, mnt: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let before = image.flatMap(readBytes)
        let r = sh("'\(Harness.kandeloMount)' \(args)")
        #expect(r.status == 1 || r.status == 64, "exit status \(r)", sourceLocation: sourceLocation)
        #expect(r.err.contains(message), "stderr should say '\(message)': \(r)", sourceLocation: sourceLocation)
        #expect(!isMountPoint(mnt), sourceLocation: sourceLocation)
        if isMountPoint(mnt) { sh("fusermount3 -u -z '\(mnt)'") }
        if let image { #expect(readBytes(image) == before, "image changed", sourceLocation: sourceLocation) }
    }

    @Test func imageLockedByAnotherProcess() throws {
        let s = try Setup("locked")
        let holder = try ImageFile.open(s.image)  // holds the writer's lock, like a running mount
        expectRefusal("'\(s.image)' '\(s.mnt)'", "open for writing by another process", image: nil, mnt: s.mnt)
        try holder.close()
    }

    @Test func imageAlreadyServedByAnotherMount() throws {
        let s = try Setup("twice")
        let m = try Mounted(s.image, on: s.mnt)
        defer { m.cleanup() }
        let other = s.work + "/other"
        mkdir(other, 0o755)
        // The service answers on the image's control socket, so the refusal says where.
        expectRefusal("'\(s.image)' '\(other)'", "is already mounted and served by kandelo-mount", image: nil, mnt: other)
        try m.unmount()
    }

    @Test func mountPointMissing() throws {
        let s = try Setup("nodir")
        expectRefusal("'\(s.image)' '\(s.work)/absent'", "does not exist", image: s.image, mnt: s.work + "/absent")
        #expect(!fileExists(s.image + ".journal"))
    }

    @Test func mountPointNotADirectory() throws {
        let s = try Setup("notdir")
        writeText(s.work + "/file", "x")
        expectRefusal("'\(s.image)' '\(s.work)/file'", "is not a directory", image: s.image, mnt: s.work + "/file")
    }

    @Test func mountPointAlreadyMounted() throws {
        let s = try Setup("busy")
        let otherImage = s.work + "/other.vfs"
        try Harness.makeImage(otherImage)
        let m = try Mounted(otherImage, on: s.mnt)
        defer { m.cleanup() }
        let before = readBytes(s.image)
        let r = sh("'\(Harness.kandeloMount)' '\(s.image)' '\(s.mnt)'")
        #expect(r.status == 1 && r.err.contains("already a mount point"), "\(r)")
        #expect(readBytes(s.image) == before && !fileExists(s.image + ".journal"))
        try m.unmount()
    }

    @Test func imageMissing() throws {
        let s = try Setup("noimage")
        expectRefusal("'\(s.work)/absent.vfs' '\(s.mnt)'", "does not exist", image: nil, mnt: s.mnt)
        #expect(!fileExists(s.work + "/absent.vfs") && !fileExists(s.work + "/absent.vfs.journal"))
    }

    @Test func imageCorrupt() throws {
        let s = try Setup("corrupt")
        var garbage = [UInt8](repeating: 0, count: 100_000)
        for i in garbage.indices { garbage[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        writeText(s.image, String(decoding: garbage.map { $0 & 0x7F }, as: UTF8.self))
        expectRefusal("'\(s.image)' '\(s.mnt)'", "not a Kandelo VFS image", image: s.image, mnt: s.mnt)
    }

    @Test func imageTruncated() throws {
        let s = try Setup("truncated")
        #expect(truncate(s.image, 50_000) == 0)
        expectRefusal("'\(s.image)' '\(s.mnt)'", s.image, image: s.image, mnt: s.mnt)
    }

    @Test func noFuseDevice() throws {
        let s = try Setup("nofuse")
        // A private mount namespace whose /dev is an empty tmpfs.
        let before = readBytes(s.image)
        let r = sh("unshare -m --propagation private sh -c \"mount -t tmpfs none /dev && '\(Harness.kandeloMount)' '\(s.image)' '\(s.mnt)'\"")
        #expect(r.status == 1 && r.err.contains("/dev/fuse does not exist"), "\(r)")
        #expect(readBytes(s.image) == before && !fileExists(s.image + ".journal"))
    }

    @Test func unknownOptionIsRefusedByLibfuse() throws {
        let s = try Setup("badopt")
        expectRefusal("'\(s.image)' '\(s.mnt)' -o no_such_option", "no_such_option", image: s.image, mnt: s.mnt)
        #expect(!fileExists(s.image + ".journal"))
    }

    @Test func badOwnerMapping() throws {
        let s = try Setup("baduid")
        expectRefusal("'\(s.image)' '\(s.mnt)' -o uid=alice", "numeric id", image: s.image, mnt: s.mnt)
    }
}
