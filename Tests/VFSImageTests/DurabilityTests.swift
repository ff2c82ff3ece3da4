// sync is durable, checkpoints are atomic, a crash at any point keeps every synced byte,
// and one image is never opened for writing twice.

import Foundation
import Testing
@testable import VFSImage

@Suite(.serialized) struct DurabilityTests {
    func newImage(_ tmp: TempDir, compressed: Bool = false) throws -> String {
        let path = tmp.file(compressed ? "img.vfs.zst" : "img.vfs")
        try ImageFile.save(try SharedFS(size: 1 << 20, maxSize: 16 << 20), to: path, compressed: compressed)
        return path
    }

    @Test func syncedDataSurvivesWithoutClose() throws {
        let tmp = TempDir()
        let path = try newImage(tmp)
        do {
            let img = try ImageFile.open(path)
            try img.fs.put("/a", "synced")
            try img.sync()
            try img.fs.put("/b", "not synced")
            // Dropped without close(): what a crash leaves (the lock goes with the fd).
        }
        let again = try ImageFile.open(path)
        #expect(again.replayedRecords == 1)
        #expect(try again.fs.text("/a") == "synced")
        #expect((try? again.fs.path("/b")) == nil)
        #expect(again.fs.check().isConsistent)
        try again.close()
        #expect(!FileManager.default.fileExists(atPath: path + ".journal"))
        #expect(try ImageFile.open(path, readOnly: true).fs.text("/a") == "synced")
    }

    @Test func syncCostsWhatChanged() throws {
        let tmp = TempDir()
        let path = try newImage(tmp)
        let img = try ImageFile.open(path)
        let f = try img.fs.put("/big", String(repeating: "x", count: 3 << 20))
        try img.sync()
        let before = try FileManager.default.attributesOfItem(atPath: path + ".journal")[.size] as! Int
        _ = try img.fs.write(f, at: 10, bytes("y"))
        try img.sync()
        let after = try FileManager.default.attributesOfItem(atPath: path + ".journal")[.size] as! Int
        #expect(after - before < 4 * 4096 + 256, "a one-byte change journals a few blocks, not the image")
        try img.close()
    }

    @Test func secondWriterIsRefused() throws {
        let tmp = TempDir()
        let path = try newImage(tmp)
        let img = try ImageFile.open(path)
        do { _ = try ImageFile.open(path); Issue.record("opened twice for writing") } catch {
            guard case .locked = error else { Issue.record("\(error)"); return }
        }
        // Readers are fine, and see synced changes.
        try img.fs.put("/x", "1"); try img.sync()
        #expect(try ImageFile.open(path, readOnly: true).fs.text("/x") == "1")
        let r = try run(builtExecutable("kandelo-image"), ["add", path, "/y", "--dir"])
        #expect(r.status == 1 && r.stderr.contains("open for writing by another process"))
        try img.close()
    }

    @Test func staleJournalIsSetAsideNotApplied() throws {
        let tmp = TempDir()
        let path = try newImage(tmp)
        do {
            let img = try ImageFile.open(path)
            try img.fs.put("/old", "journal data"); try img.sync()
        }
        let journal = try Data(contentsOf: URL(fileURLWithPath: path + ".journal"))
        // Replace the image behind the journal's back (as if a checkpoint finished but the
        // journal was not reset).
        try ImageFile.save(try SharedFS(size: 1 << 20), to: path, compressed: false)
        try journal.write(to: URL(fileURLWithPath: path + ".journal"))
        let img = try ImageFile.open(path)
        #expect((try? img.fs.path("/old")) == nil)
        #expect(FileManager.default.fileExists(atPath: path + ".journal.stale"))
        try img.close()
    }

    /// A checkpoint on a full disk fails with ENOSPC and loses nothing: the image and its
    /// journal keep their exact bytes, no temporary file is left, a reader (or a crash)
    /// still finds every synced change, the writer keeps its unsynced ones in memory, and
    /// once there is room again the next checkpoint writes them all. The disk is a 4 MiB
    /// tmpfs mounted for the test (the suite runs as root; FUSE tests need it anyway).
    @Test func fullDiskDuringCheckpointLosesNothing() throws {
        let tmp = TempDir()
        let disk = tmp.file("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: false)
        guard mount("kandelo-test", disk, "tmpfs", 0, "size=4m,mode=0755") == 0 else {
            Issue.record("cannot mount a tmpfs on \(disk) (errno \(errno)): this test needs root")
            return
        }
        defer { umount2(disk, Int32(MNT_DETACH)); _ = tmp }
        let path = disk + "/img.vfs"
        try ImageFile.save(try SharedFS(size: 1 << 20, maxSize: 16 << 20), to: path, compressed: false)
        let img = try ImageFile.open(path)
        try img.fs.put("/keep", "synced before the disk filled")
        try img.sync()
        // Fill the disk to the last byte.
        let filler = disk + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        let chunk = [UInt8](repeating: 0x5A, count: 64 << 10)
        var size = chunk.count
        while size > 0 {
            if chunk.withUnsafeBytes({ write(fd, $0.baseAddress, size) }) < 0 { size /= 2 }
        }
        close(fd)
        let imageBefore = try Data(contentsOf: URL(fileURLWithPath: path))
        let journalBefore = try Data(contentsOf: URL(fileURLWithPath: path + ".journal"))
        try img.fs.put("/later", "changed after the disk filled, never synced")

        do {
            try img.checkpoint()
            Issue.record("a checkpoint on a full disk reported success")
        } catch {
            guard case .io(_, let e) = error, e == ENOSPC else { Issue.record("not ENOSPC: \(error)"); return }
            #expect(error.description.contains("No space left on device"), "\(error)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == imageBefore, "the image changed")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path + ".journal")) == journalBefore, "the journal changed")
        let left = try FileManager.default.contentsOfDirectory(atPath: disk).sorted()
        #expect(left == ["filler", "img.vfs", "img.vfs.journal"], "a temporary file was left: \(left)")
        // What a crash now would leave: the synced change, found through the journal.
        let reader = try ImageFile.open(path, readOnly: true)
        #expect(try reader.fs.text("/keep") == "synced before the disk filled")
        #expect((try? reader.fs.path("/later")) == nil)
        // The writer still has everything; with room again the checkpoint writes it all.
        #expect(try img.fs.text("/later") == "changed after the disk filled, never synced")
        #expect(unlink(filler) == 0)
        try img.checkpoint()
        try img.close()
        let again = try ImageFile.open(path, readOnly: true)
        #expect(try again.fs.text("/keep") == "synced before the disk filled")
        #expect(try again.fs.text("/later") == "changed after the disk filled, never synced")
        #expect(again.fs.check().isConsistent)
    }

    /// SIGKILL a writer at random points; the reopened image must be exactly the state of a
    /// sync that completed (the last one reported, or a later one that finished unreported)
    /// and pass fsck.
    @Test(arguments: [(UInt64(1), false), (2, true), (3, false), (4, true), (5, false), (6, false)])
    func killDashNineKeepsEverySyncedByte(seed: UInt64, compressed: Bool) throws {
        let tmp = TempDir()
        let path = try newImage(tmp, compressed: compressed)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: builtExecutable("kandelo-image"))
        p.arguments = ["stress", path, "--seed", "\(seed)", "--steps", "100000", "--sync-every", "3", "--checkpoint-every", "21"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        // Let it run until a number of syncs went by, then kill it mid-flight.
        let target = 3 + Int(seed % 5) * 4
        var text = ""
        let fh = out.fileHandleForReading
        while text.components(separatedBy: "synced ").count - 1 < target {
            let d = fh.availableData
            if d.isEmpty { break }
            text += String(decoding: d, as: UTF8.self)
        }
        usleep(UInt32(seed * 7_000))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        text += String(decoding: fh.readDataToEndOfFile(), as: UTF8.self)
        // Candidate states: the digest of the last completed sync and of any begun after it.
        var candidates: [String] = []
        var pending: String? = nil
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.first == "syncing", parts.count == 3 { pending = String(parts[2]); candidates.append(pending!) }
            if parts.first == "synced", let d = pending { candidates = [d] }
        }
        #expect(!candidates.isEmpty)
        let img = try ImageFile.open(path, readOnly: true, verify: false)
        #expect(img.fs.check().isConsistent, "\(img.fs.check().faults)")
        let digest = try img.fs.treeDigest()
        #expect(candidates.contains(digest), "reopened digest \(digest) is none of the synced states \(candidates)")
    }
}
