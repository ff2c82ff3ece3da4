// MountHelperTests.swift: kandelo-mount as mount(8) runs it (`mount -t fuse.kandelo`, fstab),
// and the options that change what the mount shows.
//
// mount(8) looks for /sbin/mount.fuse.kandelo; the tests install that link inside a private
// mount namespace (an empty tmpfs over /usr/sbin), so the host is left alone.

import Testing
import FuseMount
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

@Suite("mount(8), fstab and options")
struct MountHelperTests {
    /// Runs `script` in a mount namespace where /sbin/mount.fuse.kandelo is our binary.
    func inHelperNamespace(_ script: String, env: [String: String] = [:]) -> ShellResult {
        let setup = "mount -t tmpfs none /usr/sbin && ln -s '\(Harness.kandeloMount)' /usr/sbin/mount.fuse.kandelo"
        let full = "\(setup) && \(script)"
        let quoted = full.replacingOccurrences("'", "'\\''")
        return sh("unshare -m --propagation private sh -c '\(quoted)'", env: env)
    }

    @Test func mountTypeFuseKandelo() throws {
        let s = try Scenario("helper")
        let r = inHelperNamespace("""
            mount -t fuse.kandelo -o allow_other,noatime '\(s.image)' '\(s.mnt)'
            grep -q ' \(s.mnt) fuse.kandelo ' /proc/self/mounts
            grep ' \(s.mnt) ' /proc/self/mounts | grep -q allow_other
            echo via-mount > '\(s.mnt)/f' && umount '\(s.mnt)'
            """)
        #expect(r.ok, "\(r)")
        #expect(waitForServerExit(s.image))
        let img = try ImageFile.open(s.image, readOnly: true)
        #expect(try img.fs.readAll(try img.fs.resolve("/f")) == Array("via-mount\n".utf8))
    }

    @Test func fstabLine() throws {
        let s = try Scenario("fstab")
        writeText(s.work + "/fstab", "\(s.image) \(s.mnt) fuse.kandelo defaults,noauto,nofail,x-systemd.automount,commit=5 0 0\n")
        let r = inHelperNamespace("""
            mount '\(s.mnt)' && echo via-fstab > '\(s.mnt)/f' && umount '\(s.mnt)'
            """, env: ["LIBMOUNT_FSTAB": s.work + "/fstab"])
        #expect(r.ok, "\(r)")
        #expect(waitForServerExit(s.image))
        let img = try ImageFile.open(s.image, readOnly: true)
        #expect(try img.fs.readAll(try img.fs.resolve("/f")) == Array("via-fstab\n".utf8))
    }

    @Test func readOnlyMountRefusesWritesAndLeavesTheImage() throws {
        let s = try Scenario("ro")
        let before = readBytes(s.image)
        let m = try Mounted(s.image, on: s.mnt, options: ["ro"])
        defer { m.cleanup() }
        let r = sh("! touch f 2> \"$WORK/err\" && grep -q 'Read-only file system' \"$WORK/err\" && ls -la . > /dev/null",
                   in: s.mnt, env: ["WORK": s.work])
        #expect(r.ok, "\(r)")
        // A read-only mount takes no lock: a writer may open the image meanwhile.
        let writer = try ImageFile.open(s.image)
        try writer.close()
        try m.unmount()
        #expect(readBytes(s.image) == before)
    }

    @Test func ownerMappingShowsImageRootAsTheUser() throws {
        let s = try Scenario("uidmap")
        let m = try Mounted(s.image, on: s.mnt, options: ["uid=1000,gid=1000", "fsname=my-rootfs"])
        defer { m.cleanup() }
        s.run("""
            test "$(stat -c '%u %g' .)" = '1000 1000'
            touch made-by-root && test "$(stat -c '%u %g' made-by-root)" = '1000 1000'
            touch as-user && chown 1000:1000 as-user
            touch other-owner && chown 42:43 other-owner && test "$(stat -c '%u %g' other-owner)" = '42 43'
            grep -q '^my-rootfs \(s.mnt) fuse.kandelo ' /proc/self/mounts
            """)
        try m.unmount()
        let img = try ImageFile.open(s.image, readOnly: true)
        let a = try img.fs.attributes(try img.fs.resolve("/made-by-root"))
        #expect(a.uid == 0 && a.gid == 0, "host uid 1000 is stored as image root")
        let u = try img.fs.attributes(try img.fs.resolve("/as-user"))
        #expect(u.uid == 0 && u.gid == 0, "a chown to the mapped user stores root")
        let b = try img.fs.attributes(try img.fs.resolve("/other-owner"))
        #expect(b.uid == 42 && b.gid == 43)
    }

    @Test func optionParsing() throws {
        let o = try MountOptions.parse(["ro,uid=1000,gid=100", "allow_other,fsname=a\\,b", "noauto,x-foo=1,nofail,commit=0,rw,spin=0"])
        #expect(!o.readOnly)
        #expect(o.uids.present(0) == 1000 && o.uids.store(1000) == 0 && o.uids.present(5) == 5 && o.uids.store(0) == 0)
        #expect(o.gids.hostRoot == 100)
        #expect(o.fsname == "a,b" && o.commitInterval == 0 && o.spinMicroseconds == 0)
        #expect(o.passThrough == ["allow_other"])
        #expect(throws: MountError.self) { try MountOptions.parse(["uid=x"]) }
        #expect(throws: MountError.self) { try MountOptions.parse(["subtype=other"]) }
        #expect(throws: MountError.self) { try MountOptions.parse(["commit=-1"]) }
        #expect(throws: MountError.self) { try MountOptions.parse(["spin=fast"]) }
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}
