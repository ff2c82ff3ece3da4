// Golden data: images written by Kandelo's own code (../shared/reference-images).

import Foundation
import Testing
@testable import VFSImage

@Suite struct GoldenImageTests {
    @Test func basicOracleReadsExactly() throws {
        let img = try ImageFile.open(referenceImage("basic-oracle.vfs.zst"), readOnly: true)
        let fs = img.fs
        #expect(img.compressed)
        // §11: directories by depth in manifest order, then /etc/passwd, then the symlink.
        let expected: [(String, InodeNumber, FileType, UInt32, UInt32, UInt32)] = [
            ("/etc", InodeNumber(2), .directory, 0o755, 0, 0), ("/tmp", InodeNumber(3), .directory, 0o1777, 0, 0),
            ("/home", InodeNumber(4), .directory, 0o755, 0, 0), ("/usr", InodeNumber(5), .directory, 0o755, 0, 0),
            ("/home/alice", InodeNumber(6), .directory, 0o700, 1000, 1000), ("/usr/bin", InodeNumber(7), .directory, 0o755, 0, 0),
            ("/etc/passwd", InodeNumber(8), .regular, 0o644, 0, 0), ("/usr/bin/sh", InodeNumber(9), .symlink, 0o777, 0, 0),
        ]
        var seen: [String] = []
        try fs.walk { seen.append($0.path) }
        #expect(Set(seen) == Set(expected.map(\.0)))
        for (p, ino, type, perm, uid, gid) in expected {
            let a = try fs.attributes(try fs.path(p))
            #expect(a.ino == ino, "\(p)")
            #expect(a.type == type && a.permissions == perm && a.uid == uid && a.gid == gid, "\(p)")
            #expect(a.mtimeMs == 0 && a.ctimeMs == 0 && a.atimeMs == 0, "\(p): SOURCE_DATE_EPOCH unset means 0")
        }
        #expect(try fs.attributes(fs.path("/etc/passwd")).dataSequence == 2)
        #expect(try fs.attributes(fs.path("/etc/passwd")).size == 137)
        #expect(try fs.text("/etc/passwd").hasPrefix("root:x:0:0:root:/root:/bin/sh\n"))
        #expect(try fs.readlink(fs.path("/usr/bin/sh")) == bytes("/bin/dash"))
        #expect(fs.superblock.generation == 9)
        #expect(fs.superblock.dataStart == 131 && fs.superblock.totalInodes == 4096)
        #expect(fs.lazyFiles.isEmpty && fs.metadata == nil)
        #expect(try fs.attributes(.root).linkCount == 6, "2 + four subdirectories")
    }

    @Test func rootfsOracleReadsExactly() throws {
        let fs = try ImageFile.open(referenceImage("rootfs-oracle.vfs.zst"), readOnly: true).fs
        // §11 header dump.
        let sb = fs.superblock
        #expect(sb.totalBlocks == 4096 && sb.totalInodes == 16384 && sb.freeBlocks == 3433 && sb.freeInodes == 16342)
        #expect(sb.blockBitmapStart == 2 && sb.inodeTableStart == 4 && sb.dataStart == 516 && sb.generation == 41)
        #expect(sb.maxSizeBlocks == 65536 && sb.growChunkBlocks == 256)
        let root = try fs.attributes(.root)
        #expect(root.mode == 0o040755 && root.linkCount == 10 && root.size == 120 && root.generation == 1 && root.directorySequence == 8)
        #expect(fs.metadata == .object([("version", .number("1")), ("kernelAbi", .number("43")), ("createdBy", .string("mkrootfs build"))]))
        // The stand-in package fragment.
        let lazy = Dictionary(uniqueKeysWithValues: fs.lazyFiles.map { ($0.path, $0) })
        #expect(lazy.count == 2)
        #expect(lazy["/usr/bin/dash"]?.url == "binaries/programs/wasm32/dash.wasm" && lazy["/usr/bin/dash"]?.size == 123456)
        #expect(lazy["/usr/bin/bash"]?.url == "binaries/programs/wasm32/bash.wasm" && lazy["/usr/bin/bash"]?.size == 2345678)
        let dash = try fs.path("/usr/bin/dash")
        #expect(try fs.attributes(dash).size == 123456, "a lazy stub reports its declared size")
        #expect(try fs.attributes(dash).permissions == 0o755)
        #expect(fs.lazyURL(of: dash) == "binaries/programs/wasm32/dash.wasm")
        #expect(throws: LinuxErrno.EIO) { _ = try fs.readAll(dash) }
        for (link, target) in [("/bin/dash", "/usr/bin/dash"), ("/bin/sh", "/usr/bin/dash"), ("/usr/bin/sh", "/usr/bin/dash"),
                               ("/bin/bash", "/usr/bin/bash"),
                               ("/etc/a-very-long-symlink-name", "/usr/share/misc/this/target/is/longer/than/forty/bytes")] {
            #expect(try fs.readlink(fs.path(link)) == bytes(target), "\(link)")
        }
        #expect(try fs.resolve("/bin/sh") == dash, "symlinks resolve to the stub")
        #expect((try? fs.path("/dev/null-ish")) == nil, "c lines are dropped as mkrootfs does")
        #expect(try fs.attributes(fs.path("/home/maker")).uid == 1000)
        #expect(try fs.attributes(fs.path("/etc/shadow")).permissions == 0o640)
        #expect(try fs.attributes(fs.path("/etc/ssl/cert.pem")).size == 226168, "a file with indirect blocks")
        #expect(try fs.readAll(fs.path("/etc/ssl/cert.pem")) == fs.readAll(fs.path("/etc/ssl/certs/ca-certificates.crt")))
        #expect(fs.check().isConsistent)
    }

    /// Every byte read back: extracting with --manifest and rebuilding gives the oracle's
    /// SHA-256, so paths, modes, owners, contents, targets and lazy stubs were all read right.
    @Test(arguments: [
        ("basic-oracle.vfs.zst", "1f4448e727c9080f3e58af54024f01281b8b830cb2630bbfb247af44eb766431", [String]()),
        ("rootfs-oracle.vfs.zst", "e27fb8eaf0252cf0845fa19d40312c41dcaa92275536ab4f0e0f5fc3bacbf8f5",
         ["--sab-size", "16777216", "--max-size", "268435456", "--kernel-abi", "43", "--created-by", "mkrootfs build"]),
    ])
    func extractAndRebuildReproducesKandelosBytes(image: String, sha: String, flags: [String]) throws {
        let tmp = TempDir()
        let k = builtExecutable("kandelo-image")
        let tree = tmp.file("tree")
        #expect(try run(k, ["extract", "--manifest", "--quiet", referenceImage(image), tree]).status == 0)
        let out = tmp.file("out.vfs")
        let r = try run(k, ["build", tree + "/MANIFEST", tree, "-o", out, "--repo-root", tree, "--quiet"] + flags)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try sha256(out) == sha)
    }
}
