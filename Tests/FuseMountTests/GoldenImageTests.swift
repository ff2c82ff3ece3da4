// GoldenImageTests.swift: the images Kandelo itself wrote (../shared/reference-images)
// mount, read exactly as VFSImage reads them, and keep their lazy stubs and metadata when
// edited through the mount.

import Testing
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

@Suite("Kandelo's reference images")
struct GoldenImageTests {
    static let referenceDir = "/work/shared/reference-images"

    /// A private copy (the mount writes back into the file it serves).
    static func copy(_ name: String, into work: String) -> String {
        let dst = work + "/" + name
        #expect(sh("cp '\(referenceDir)/\(name)' '\(dst)'").ok)
        return dst
    }

    /// Every entry as lstat(2) sees it through the mount equals what SharedFS says.
    static func expectMountMatches(_ fs: SharedFS, at mnt: String) throws {
        var checked = 0
        try fs.walk { node in
            let path = mnt + node.path
            var st = stat()
            guard lstat(path, &st) == 0 else {
                Issue.record("lstat \(node.path): \(String(cString: strerror(errno)))"); return
            }
            let a = node.attributes
            #expect(st.st_mode == a.mode, "\(node.path) mode")
            #expect(st.st_uid == a.uid && st.st_gid == a.gid, "\(node.path) owner")
            #expect(UInt64(st.st_size) == a.size, "\(node.path) size")
            #expect(UInt32(st.st_nlink) == a.linkCount, "\(node.path) links")
            #expect(UInt64(st.st_ino) == UInt64(a.ino.rawValue), "\(node.path) inode number")
            if let target = node.target {
                var buf = [CChar](repeating: 0, count: 4097)
                let n = readlink(path, &buf, 4096)
                #expect(n >= 0 && String(decoding: buf[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self) == target,
                        "\(node.path) target")
            } else if a.type == .regular {
                if node.lazyURL != nil {
                    // The content lives at a URL; the mount cannot fetch it: EIO, size as declared.
                    let fd = open(path, O_RDONLY)
                    var b = [UInt8](repeating: 0, count: 16)
                    #expect(fd >= 0 && read(fd, &b, 16) == -1 && errno == EIO, "\(node.path): lazy read must be EIO")
                    close(fd)
                } else {
                    let expected = try fs.readAll(a.ino)
                    #expect(readBytes(path) == expected, "\(node.path) content")
                }
            }
            checked += 1
        }
        #expect(checked > 5)
    }

    @Test(arguments: ["rootfs-oracle.vfs.zst", "basic-oracle.vfs.zst"])
    func mountsAndReadsLikeVFSImage(_ name: String) throws {
        let work = Harness.workDir("golden")
        let image = Self.copy(name, into: work)
        let before = readBytes(image)
        let reference = try ImageFile.open(image, readOnly: true)
        let m = try Mounted(image, on: work + "/mnt")
        defer { m.cleanup() }
        try Self.expectMountMatches(reference.fs, at: m.dir)
        #expect(sh("ls -laR '\(m.dir)' > /dev/null && find '\(m.dir)' -ls > /dev/null").ok)
        try m.unmount()
        // Nothing was changed, so nothing was written: the file is Kandelo's, byte for byte.
        #expect(readBytes(image) == before, "a mount that changed nothing must not rewrite the image")
        #expect(!fileExists(image + ".journal"))
    }

    @Test func rootfsReadsTheKnownFacts() throws {
        let work = Harness.workDir("golden-facts")
        let image = Self.copy("rootfs-oracle.vfs.zst", into: work)
        let m = try Mounted(image, on: work + "/mnt")
        defer { m.cleanup() }
        let r = sh("""
            test "$(readlink bin/sh)" = /usr/bin/dash
            test "$(readlink etc/a-very-long-symlink-name)" = /usr/share/misc/this/target/is/longer/than/forty/bytes
            test "$(stat -c '%a %u %g' home/maker)" = '755 1000 1000' && test "$(stat -c %a tmp)" = 1777
            test "$(stat -c %a etc/shadow)" = 640 && test "$(stat -c %s etc/ssl/cert.pem)" = 226168
            test -f usr/bin/dash && test "$(stat -c %s usr/bin/dash)" -gt 0
            ! cat usr/bin/dash > /dev/null 2> "$WORK/err" && grep -q 'Input/output error' "$WORK/err"
            cmp etc/ssl/cert.pem etc/ssl/certs/ca-certificates.crt
            """, in: m.dir, env: ["WORK": work])
        #expect(r.ok, "\(r)")
        try m.unmount()
    }

    @Test func editingKeepsLazyStubsAndMetadata() throws {
        let work = Harness.workDir("golden-edit")
        let image = Self.copy("rootfs-oracle.vfs.zst", into: work)
        let original = try ImageFile.open(image, readOnly: true)
        let lazyBefore = original.fs.lazyFiles
        let metadataBefore = original.fs.metadata
        #expect(lazyBefore.count >= 2 && metadataBefore != nil)

        let m = try Mounted(image, on: work + "/mnt")
        defer { m.cleanup() }
        let r = sh("""
            echo 'edited through the mount' >> etc/motd && echo kandelo-host > etc/hostname
            mkdir -p home/maker/project && cp -a /usr/include/fuse3 home/maker/project/ && chown -R 1000:1000 home/maker/project
            ln usr/bin/bash usr/bin/bash-hardlink && mv usr/bin/dash usr/bin/dash.moved && ln -sf dash.moved usr/bin/dash
            rm etc/motd.autologin && sed -i 's/^root:/root:/' etc/passwd
            """, in: m.dir)
        #expect(r.ok, "\(r)")
        try m.unmount()
        expectClean(image)

        let after = try ImageFile.open(image, readOnly: true)
        let fs = after.fs
        #expect(fs.metadata == metadataBefore)
        #expect(fs.lazyFiles.count == lazyBefore.count)
        for old in lazyBefore {
            let now = fs.lazyFiles.first { $0.ino == old.ino }
            #expect(now?.url == old.url && now?.size == old.size, "lazy stub \(old.path) kept")
        }
        let bash = fs.lazyFiles.first { $0.path.hasSuffix("/bash") }
        #expect(Set(bash?.paths ?? []) == ["/usr/bin/bash", "/usr/bin/bash-hardlink"])
        #expect(fs.lazyFiles.contains { $0.paths == ["/usr/bin/dash.moved"] })
        #expect(String(decoding: try fs.readAll(try fs.resolve("/etc/hostname")), as: UTF8.self) == "kandelo-host\n")
        #expect(try fs.attributes(try fs.resolve("/home/maker/project/fuse3/fuse.h")).uid == 1000)
        #expect((try? fs.resolve("/etc/motd.autologin")) == nil)
        // Still zstd, as it came.
        #expect(readBytes(image)?.prefix(4) == [0x28, 0xB5, 0x2F, 0xFD])
    }
}
