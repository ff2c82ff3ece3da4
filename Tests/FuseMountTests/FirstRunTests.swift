// FirstRunTests.swift: what a new user meets on the first mount — the announcement of
// where the image is served and how to run guests, and one clear line for each mistake a
// newcomer makes (the missing FUSE device is ErrorCaseTests.noFuseDevice): allow_other
// as an ordinary user without user_allow_other, a mount point that would hide the image,
// a mount point inside the image's own mount, an image made for a newer guest ABI.

import Testing
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

@Suite("first run: announcements and newcomers' mistakes")
struct FirstRunTests {
    @Test func mountSaysWhereAndHowToRunGuests() throws {
        let s = try Scenario("announce")
        let r = sh("'\(Harness.kandeloMount)' '\(s.image)' '\(s.mnt)'")
        defer { if isMountPoint(s.mnt) { sh("fusermount3 -u '\(s.mnt)'") }; waitForServerExit(s.image) }
        #expect(r.ok, "\(r)")
        #expect(r.out.contains("kandelo-mount: serving \(s.image) on \(s.mnt)"), "\(r)")
        #expect(r.out.contains("kandelo-launch --mount \(s.mnt)\n"), "the shell line, as typed: \(r)")
        #expect(r.out.contains("fusermount3 -u \(s.mnt)"), "\(r)")
        // The advertised unmount line works as printed.
        let line = r.out.split(separator: "\n").first { $0.contains("fusermount3 -u") }!
        let cmd = String(line[line.range(of: "fusermount3")!.lowerBound...])
        #expect(sh(cmd).ok)
        #expect(waitForServerExit(s.image))
        // As mount(8)'s helper, or asked to be quiet: nothing on stdout.
        let q = sh("'\(Harness.kandeloMount)' -q '\(s.image)' '\(s.mnt)' && fusermount3 -u '\(s.mnt)'")
        #expect(q.ok && q.out.isEmpty, "\(q)")
        #expect(waitForServerExit(s.image))
    }

    @Test func allowOtherAsAnOrdinaryUserWithoutUserAllowOther() throws {
        let enabled = sh("grep -qE '^[[:space:]]*user_allow_other[[:space:]]*(#|$)' /etc/fuse.conf").ok
        try #require(!enabled, "this host's /etc/fuse.conf allows user_allow_other; the refusal cannot happen here")
        let s = try Scenario("allowother")
        // nobody (65534) must be able to reach the image and own the mount point.
        #expect(chmod(s.work, 0o755) == 0 && chmod(s.image, 0o666) == 0 && chown(s.mnt, 65534, 65534) == 0)
        let before = readBytes(s.image)
        let r = sh("setpriv --reuid=65534 --regid=65534 --clear-groups '\(Harness.kandeloMount)' -o allow_other '\(s.image)' '\(s.mnt)'")
        #expect(r.status == 1, "\(r)")
        #expect(r.err.split(separator: "\n").count == 1, "one line: \(r)")
        #expect(r.err.contains("-o allow_other needs 'user_allow_other' in /etc/fuse.conf when not run as root"), "\(r)")
        #expect(!isMountPoint(s.mnt) && readBytes(s.image) == before && !fileExists(s.image + ".journal"))
        // Root may: the same mount as root works.
        let m = try Mounted(s.image, on: s.mnt, options: ["allow_other"])
        try m.unmount()
    }

    @Test func mountPointThatWouldHideTheImage() throws {
        let s = try Scenario("hide")
        let before = readBytes(s.image)
        let r = sh("'\(Harness.kandeloMount)' '\(s.image)' '\(s.work)'")
        #expect(r.status == 1 && r.err.contains("is inside \(s.work): mounting there would hide the image it serves"), "\(r)")
        #expect(r.err.split(separator: "\n").count == 1, "\(r)")
        #expect(!isMountPoint(s.work) && readBytes(s.image) == before)
    }

    @Test func mountPointInsideTheImagesOwnMount() throws {
        let s = try Scenario("inside")
        let m = try Mounted(s.image, on: s.mnt)
        defer { m.cleanup() }
        #expect(mkdir(s.mnt + "/sub", 0o755) == 0)
        let r = sh("'\(Harness.kandeloMount)' '\(s.image)' '\(s.mnt)/sub'")
        #expect(r.status == 1, "\(r)")
        #expect(r.err.contains("\(s.mnt)/sub is inside \(s.mnt), the mount of \(s.image) itself"), "\(r)")
        #expect(r.err.split(separator: "\n").count == 1, "\(r)")
        #expect(!isMountPoint(s.mnt + "/sub"))
        try m.unmount()
    }

    @Test func imageForANewerGuestABI() throws {
        let s = try Scenario("abi")
        let tree = s.work + "/tree"
        #expect(mkdir(tree, 0o755) == 0 && mkdir(tree + "/etc", 0o755) == 0)
        let newer = s.work + "/newer.vfs"
        let b = sh("'\(Harness.kandeloImage)' build --from-dir '\(tree)' -o '\(newer)' --linux-abi 99 --quiet")
        #expect(b.ok, "\(b)")
        let before = readBytes(newer)
        let r = sh("'\(Harness.kandeloMount)' '\(newer)' '\(s.mnt)'")
        #expect(r.status == 1, "\(r)")
        #expect(r.err.contains("was built for Kandelo for Linux guest ABI 99, newer than ABI 1"), "\(r)")
        #expect(r.err.split(separator: "\n").count == 1, "\(r)")
        #expect(!isMountPoint(s.mnt) && readBytes(newer) == before && !fileExists(newer + ".journal"))
        // The current ABI mounts.
        let current = s.work + "/current.vfs"
        #expect(sh("'\(Harness.kandeloImage)' build --from-dir '\(tree)' -o '\(current)' --linux-abi 1 --quiet").ok)
        let m = try Mounted(current, on: s.mnt)
        try m.unmount()
    }
}
