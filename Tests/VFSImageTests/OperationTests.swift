// POSIX semantics of the inode operations, one behaviour per test.

import Foundation
import Testing
@testable import VFSImage

@Suite struct OperationTests {
    func fresh(_ size: Int = 1 << 20, max: Int? = nil) throws -> SharedFS {
        let fs = try SharedFS(size: size, maxSize: max ?? 4 * size)
        fs.clock = { 1_700_000_000_000 }
        return fs
    }

    @Test func createLookupReadWrite() throws {
        let fs = try fresh()
        let f = try fs.put("/a.txt", "hello")
        #expect(try fs.lookup(.root, bytes("a.txt")) == f)
        #expect(try fs.text("/a.txt") == "hello")
        #expect(throws: LinuxErrno.EEXIST) { try fs.create(.root, bytes("a.txt"), mode: 0o644) }
        #expect(throws: LinuxErrno.ENOENT) { try fs.lookup(.root, bytes("missing")) }
        #expect(throws: LinuxErrno.ENOTDIR) { try fs.lookup(f, bytes("x")) }
        #expect(throws: LinuxErrno.ENAMETOOLONG) { try fs.create(.root, [UInt8](repeating: 0x61, count: 256), mode: 0o644) }
        _ = try fs.create(.root, [UInt8](repeating: 0x61, count: 255), mode: 0o644)
        #expect(throws: LinuxErrno.EEXIST) { try fs.create(.root, bytes(".."), mode: 0o644) }
        #expect(throws: LinuxErrno.EISDIR) { _ = try fs.write(.root, at: 0, bytes("x")) }
        #expect(fs.check().isConsistent)
    }

    @Test func holesAndWritesPastEndOfFile() throws {
        let fs = try fresh()
        let f = try fs.put("/sparse", "abc")
        _ = try fs.write(f, at: 100_000, bytes("end"))
        let all = try fs.readAll(f)
        #expect(all.count == 100_003)
        #expect(Array(all.prefix(3)) == bytes("abc"))
        #expect(all[3..<100_000].allSatisfy { $0 == 0 })
        #expect(try fs.attributes(f).blocks < 100_003 / 512, "the gap is a hole, not allocated")
        // Shrink then grow: the old tail must read as zeros.
        try fs.truncate(f, to: 2)
        try fs.truncate(f, to: 10)
        #expect(try fs.readAll(f) == bytes("ab") + [UInt8](repeating: 0, count: 8))
        // A file through the double-indirect range.
        let big = try fs.create(.root, bytes("big"), mode: 0o600)
        let chunk = [UInt8](repeating: 7, count: 4096)
        _ = try fs.write(big, at: 1034 * 4096, chunk)
        #expect(try fs.attributes(big).size == 1035 * 4096)
        var buf = [UInt8](repeating: 1, count: 4096)
        #expect(try buf.withUnsafeMutableBytes { try fs.read(big, at: 1034 * 4096, into: $0) } == 4096)
        #expect(buf == chunk)
        try fs.truncate(big, to: 0)
        #expect(try fs.attributes(big).blocks == 0, "truncate frees data and indirect blocks")
        #expect(fs.check().isConsistent)
    }

    @Test func directoriesAndLinkCounts() throws {
        let fs = try fresh()
        let d = try fs.dir("/d")
        try fs.dir("/d/e")
        #expect(try fs.attributes(d).linkCount == 3)
        #expect(try fs.attributes(.root).linkCount == 3)
        #expect(throws: LinuxErrno.ENOTEMPTY) { try fs.rmdir(.root, bytes("d")) }
        #expect(throws: LinuxErrno.ENOENT) { try fs.rmdir(.root, bytes("x")) }
        try fs.put("/d/f", "x")
        #expect(throws: LinuxErrno.ENOTDIR) { try fs.rmdir(d, bytes("f")) }
        #expect(throws: LinuxErrno.EISDIR) { try fs.unlink(d, bytes("e")) }
        try fs.rmdir(d, bytes("e"))
        #expect(try fs.attributes(d).linkCount == 2)
        try fs.link(try fs.path("/d/f"), .root, bytes("g"))
        #expect(try fs.attributes(fs.path("/g")).linkCount == 2)
        #expect(throws: LinuxErrno.EPERM) { try fs.link(d, .root, bytes("dirlink")) }
        try fs.unlink(d, bytes("f"))
        #expect(try fs.text("/g") == "x")
        #expect(try fs.attributes(fs.path("/g")).linkCount == 1)
        #expect(fs.check().isConsistent)
    }

    @Test func readdirOffsetsResume() throws {
        let fs = try fresh(4 << 20)
        let d = try fs.dir("/d")
        for i in 0..<300 { try fs.put("/d/file-\(i)", "\(i)") }
        var names: [String] = []
        var offset: UInt64 = 0
        while true {
            var batch: [DirectoryEntry] = []
            try fs.readDirectory(d, from: offset) { e in batch.append(e); return batch.count < 7 }
            if batch.isEmpty { break }
            names += batch.map(\.nameString)
            offset = batch.last!.nextOffset
        }
        #expect(names.count == 302)
        #expect(Set(names) == Set(["."  , ".."] + (0..<300).map { "file-\($0)" }))
        // Removing entries does not disturb a listing resumed past them.
        try fs.unlink(d, bytes("file-0"))
        var after: [String] = []
        try fs.readDirectory(d, from: offset) { after.append($0.nameString); return true }
        #expect(after.isEmpty)
    }

    @Test func renameSemantics() throws {
        let fs = try fresh()
        try fs.dir("/a"); try fs.dir("/a/b"); try fs.dir("/c")
        try fs.put("/x", "x"); try fs.put("/y", "y")
        let a = try fs.path("/a"), c = try fs.path("/c")
        #expect(throws: LinuxErrno.EINVAL) { try fs.rename(.root, bytes("a"), try fs.path("/a/b"), bytes("a")) }
        #expect(throws: LinuxErrno.EEXIST) { try fs.rename(.root, bytes("x"), .root, bytes("y"), flags: .noReplace) }
        #expect(throws: LinuxErrno.EISDIR) { try fs.rename(.root, bytes("x"), .root, bytes("a")) }
        #expect(throws: LinuxErrno.ENOTDIR) { try fs.rename(.root, bytes("a"), .root, bytes("x")) }
        #expect(throws: LinuxErrno.ENOTEMPTY) { try fs.rename(.root, bytes("c"), .root, bytes("a")) }
        #expect(throws: LinuxErrno.ENOENT) { try fs.rename(.root, bytes("nope"), .root, bytes("z")) }
        try fs.rename(.root, bytes("x"), .root, bytes("y"))  // replace
        #expect(try fs.text("/y") == "x")
        #expect((try? fs.path("/x")) == nil)
        try fs.rename(.root, bytes("a"), c, bytes("a2"))  // directory move across parents
        #expect(try fs.lookup(try fs.path("/c/a2"), bytes("..")) == c)
        #expect(try fs.attributes(.root).linkCount == 3 && fs.attributes(c).linkCount == 3)
        try fs.put("/z", "z")
        try fs.rename(.root, bytes("z"), c, bytes("a2"), flags: .exchange)  // file ⇄ directory
        #expect(try fs.text("/c/a2") == "z")
        #expect(try fs.lookup(try fs.path("/z"), bytes("..")) == .root)
        #expect(try fs.attributes(.root).linkCount == 4 && fs.attributes(c).linkCount == 2)
        _ = a
        #expect(fs.check().isConsistent)
    }

    @Test func symlinksInlineAndLong() throws {
        let fs = try fresh()
        let short = try fs.symlink(.root, bytes("s"), target: bytes("target"))
        let long = String(repeating: "t", count: 300)
        let l = try fs.symlink(.root, bytes("l"), target: bytes(long))
        #expect(try fs.readlink(short) == bytes("target") && fs.attributes(short).blocks == 0)
        #expect(try fs.readlink(l) == bytes(long) && fs.attributes(l).blocks > 0)
        #expect(try fs.attributes(short).mode == 0o120777)
        try fs.dir("/real"); try fs.put("/real/f", "via link")
        try fs.symlink(.root, bytes("lnk"), target: bytes("real"))
        #expect(try fs.text("/lnk/f") == "via link")
        try fs.symlink(.root, bytes("loop"), target: bytes("loop"))
        #expect(throws: LinuxErrno.ELOOP) { try fs.resolve("/loop") }
        #expect(fs.check().isConsistent)
    }

    @Test func deviceNodesAndFifos() throws {
        let fs = try fresh()
        let c = try fs.mknod(.root, bytes("null"), mode: FileType.characterDevice.rawValue | 0o666, rdev: Builder.linuxDeviceNumber(major: 1, minor: 3))
        let p = try fs.mknod(.root, bytes("fifo"), mode: FileType.fifo.rawValue | 0o600)
        #expect(try fs.attributes(c).type == .characterDevice && fs.attributes(c).rdev == (1 << 8 | 3))
        #expect(try fs.attributes(p).type == .fifo && fs.attributes(p).permissions == 0o600)
        #expect(fs.check().isConsistent)
        let again = try SharedFS.decode(fs.encode())
        #expect(try again.attributes(again.path("/null")).rdev == 259)
    }

    @Test func attributesChmodChownUtimens() throws {
        let fs = try fresh()
        let f = try fs.put("/f", "data", mode: 0o4755)
        try fs.chmod(f, 0o4755)
        try fs.chown(f, uid: 5, gid: 0xFFFF_FFFF)
        let a = try fs.attributes(f)
        #expect(a.uid == 5 && a.gid == 0 && a.permissions == 0o755, "chown clears setuid; -1 keeps the gid")
        try fs.setAttributes(f, SetAttributes(atime: Timestamp(seconds: 12, nanoseconds: 345_678_901), mtime: Timestamp(seconds: 99, nanoseconds: 999_999_999)))
        let b = try fs.attributes(f)
        #expect(b.atimeMs == 12_345 && b.mtimeMs == 99_999, "nanoseconds are stored at millisecond precision")
        #expect(throws: LinuxErrno.EISDIR) { try fs.truncate(.root, to: 0) }
    }

    @Test func fillingTheImageStopsWithENOSPCAndStaysConsistent() throws {
        let fs = try fresh(1 << 20, max: 2 << 20)
        let keep = try fs.put("/keep", "precious")
        var written = 0
        let f = try fs.create(.root, bytes("fill"), mode: 0o644)
        let chunk = [UInt8](repeating: 0xAB, count: 64 * 1024)
        while true {
            do {
                let n = try fs.write(f, at: UInt64(written), chunk)
                written += n
                if n < chunk.count { break }
            } catch { #expect(error == .ENOSPC); break }
        }
        #expect(written > 1 << 20, "the filesystem grew past its initial size")
        #expect(throws: LinuxErrno.ENOSPC) { _ = try fs.write(f, at: UInt64(written), chunk) }
        #expect(throws: LinuxErrno.ENOSPC) { try fs.dir("/more") }
        #expect(try fs.text("/keep") == "precious")
        #expect(try fs.attributes(f).size == UInt64(written))
        #expect(fs.check().isConsistent)
        try fs.unlink(.root, bytes("fill"))
        try fs.dir("/more")
        #expect(fs.statistics().freeBlocks > 200)
        _ = keep
        #expect(fs.check().isConsistent)
    }

    @Test func openButUnlinkedFilesStayReadable() throws {
        let fs = try fresh()
        let f = try fs.put("/tmpfile", "still here")
        fs.retain(f)
        try fs.unlink(.root, bytes("tmpfile"))
        #expect(try fs.readAll(f) == bytes("still here"))
        #expect(try fs.attributes(f).linkCount == 0)
        let free = fs.statistics().freeInodes
        fs.release(f)
        #expect(fs.statistics().freeInodes == free + 1)
        #expect(throws: LinuxErrno.ENOENT) { try fs.attributes(f) }
        #expect(fs.check().isConsistent)
    }

    @Test func statfsReportsTheCeiling() throws {
        let fs = try fresh(1 << 20, max: 8 << 20)
        let s = fs.statistics()
        #expect(s.blockSize == 4096 && s.totalBlocks == 2048 && s.maxNameLength == 255)
        #expect(s.freeBlocks < s.totalBlocks && s.freeBlocks > 1500)
    }

    @Test func bigDirectoryLookupAndPlacement() throws {
        let fs = try fresh(8 << 20, max: 128 << 20)
        let d = try fs.dir("/many")
        for i in 0..<6000 { _ = try fs.create(d, bytes("entry-number-\(i)"), mode: 0o644) }
        #expect(try fs.attributes(d).size > 65_536, "the directory is in Kandelo's index mode")
        for i in stride(from: 0, to: 6000, by: 2) { try fs.unlink(d, bytes("entry-number-\(i)")) }
        for i in 0..<100 { _ = try fs.create(d, bytes("again-\(i)"), mode: 0o644) }
        #expect(try fs.entries(d).count == 3100)
        #expect(fs.check().isConsistent)
        let again = try SharedFS.decode(fs.encode())
        #expect(try again.entries(again.path("/many")).count == 3100)
    }
}
