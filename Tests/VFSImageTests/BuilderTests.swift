// kandelo-image build: manifest archives (ZIP), --from-dir, and its error messages.

import Foundation
import Testing
@testable import VFSImage

@Suite struct BuilderTests {
    let k = builtExecutable("kandelo-image")

    @Test func archiveDirectivesAddZipMembers() throws {
        let tmp = TempDir()
        let zip = tmp.file("pkg.zip")
        try run("/usr/bin/python3", ["-c", """
            import zipfile, stat
            z = zipfile.ZipFile(r'\(zip)', 'w')
            d = zipfile.ZipInfo('share/'); d.external_attr = (stat.S_IFDIR | 0o755) << 16; d.create_system = 3; z.writestr(d, b'')
            f = zipfile.ZipInfo('share/readme.txt'); f.create_system = 3; f.external_attr = 0o644 << 16
            z.writestr(f, b'hello from zip\\n' * 100, compress_type=zipfile.ZIP_DEFLATED)
            x = zipfile.ZipInfo('bin/tool'); x.create_system = 3; x.external_attr = 0o755 << 16; z.writestr(x, b'#!/bin/sh\\n')
            o = zipfile.ZipInfo('etc/conf'); o.create_system = 3; z.writestr(o, b'from the archive')
            l = zipfile.ZipInfo('bin/alias'); l.create_system = 3; l.external_attr = (stat.S_IFLNK | 0o777) << 16; z.writestr(l, b'tool')
            z.close()
            """])
        try FileManager.default.createDirectory(atPath: tmp.file("tree/etc"), withIntermediateDirectories: true)
        try "from the manifest".write(toFile: tmp.file("tree/etc/conf"), atomically: true, encoding: .utf8)
        let manifest = """
            /etc d 0755
            /opt d 0755
            /etc/conf f 0644 0 0 src=tree/etc/conf
            archive url=pkg.zip base=/opt fmode=0644 fmode_policy=preserve-executable dmode=0750 uid=7 gid=8
            """
        try manifest.write(toFile: tmp.file("MANIFEST"), atomically: true, encoding: .utf8)
        let out = tmp.file("a.vfs")
        let r = try run(k, ["build", tmp.file("MANIFEST"), tmp.file("tree"), "-o", out, "--repo-root", tmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        let fs = try ImageFile.open(out, readOnly: true).fs
        #expect(try fs.text("/opt/share/readme.txt") == String(repeating: "hello from zip\n", count: 100))
        let tool = try fs.attributes(fs.path("/opt/bin/tool"))
        #expect(tool.permissions == 0o755 && tool.uid == 7 && tool.gid == 8, "exec bits kept by preserve-executable")
        #expect(try fs.attributes(fs.path("/opt/share")).permissions == 0o750)
        #expect(try fs.attributes(fs.path("/opt/bin")).permissions == 0o750, "implicit parents get dmode")
        #expect(try fs.readlink(fs.path("/opt/bin/alias")) == bytes("tool"))
        #expect(try fs.text("/opt/etc/conf") == "from the archive")
        #expect(fs.check().isConsistent)
    }

    @Test func fromDirectoryRoundTripsThroughExtract() throws {
        let tmp = TempDir()
        let src = tmp.file("src")
        let fm = FileManager.default
        try fm.createDirectory(atPath: src + "/a/b", withIntermediateDirectories: true)
        try "one".write(toFile: src + "/a/one.txt", atomically: true, encoding: .utf8)
        try Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0) }).write(to: URL(fileURLWithPath: src + "/a/b/big.bin"))
        try fm.createSymbolicLink(atPath: src + "/link", withDestinationPath: "a/one.txt")
        link(src + "/a/one.txt", src + "/hard")
        mkfifo(src + "/fifo", 0o640)
        chmod(src + "/a/b", 0o700)
        let img = tmp.file("d.vfs.zst")
        #expect(try run(k, ["build", "--from-dir", src, "-o", img, "--quiet"]).status == 0)
        let fs = try ImageFile.open(img, readOnly: true).fs
        #expect(try fs.attributes(fs.path("/hard")).linkCount == 2 && fs.path("/hard") == fs.path("/a/one.txt"))
        #expect(try fs.attributes(fs.path("/fifo")).type == .fifo)
        #expect(try fs.attributes(fs.path("/a/b")).permissions == 0o700)
        let out = tmp.file("out")
        #expect(try run(k, ["extract", "--quiet", img, out]).status == 0)
        var fifo = stat(); lstat(out + "/fifo", &fifo)
        #expect(fifo.st_mode & S_IFMT == S_IFIFO && fifo.st_mode & 0o7777 == 0o640)
        let diff = try run("/usr/bin/diff", ["-r", "--no-dereference", "-x", "fifo", src, out])
        #expect(diff.status == 0, "\(diff.stdout)\(diff.stderr)")
        var st = stat(); lstat(out + "/a/b/big.bin", &st)
        var so = stat(); lstat(src + "/a/b/big.bin", &so)
        #expect(st.st_mtim.tv_sec == so.st_mtim.tv_sec, "times survive")
    }

    @Test func clearErrorsAndExitCodes() throws {
        let tmp = TempDir()
        try "/x f 0644\n/y q 0644\n".write(toFile: tmp.file("M"), atomically: true, encoding: .utf8)
        let r1 = try run(k, ["build", tmp.file("M"), tmp.path, "-o", tmp.file("o.vfs")])
        #expect(r1.status == 1 && r1.stderr.contains("M:2: unknown type 'q'"))
        let r2 = try run(k, ["inspect", tmp.file("M")])
        #expect(r2.status == 1 && r2.stderr.contains("not a Kandelo VFS image"))
        let r3 = try run(k, ["fsck", tmp.file("missing.vfs")])
        #expect(r3.status == 2)
        let r4 = try run(k, ["cat", referenceImage("rootfs-oracle.vfs.zst"), "/usr/bin/bash"])
        #expect(r4.status == 1 && r4.stderr.contains("binaries/programs/wasm32/bash.wasm"))
        let r5 = try run(k, ["inspect", "--json", "--metadata", referenceImage("basic-oracle.vfs.zst")])
        #expect(r5.status == 0 && r5.stdout.contains("\"path\": \"/etc/passwd\""))
        // Full image: a clear ENOSPC message, the image unchanged.
        let small = tmp.file("small.vfs")
        try ImageFile.save(try SharedFS(size: 256 << 10, maxSize: 256 << 10), to: small, compressed: false)
        let before = try Data(contentsOf: URL(fileURLWithPath: small))
        try Data(count: 2 << 20).write(to: URL(fileURLWithPath: tmp.file("big")))
        let r6 = try run(k, ["add", small, "/big", "--file", tmp.file("big")])
        #expect(r6.status == 1 && r6.stderr.contains("No space left on device"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: small)) == before)
    }
}
