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

    @Test func fullDiskDuringCheckpointLosesNothing() throws {
        // A checkpoint into a directory where the temporary file cannot be created fails
        // with a clear error and leaves the image and journal as they were.
        let tmp = TempDir()
        let path = try newImage(tmp)
        let img = try ImageFile.open(path)
        try img.fs.put("/keep", "k"); try img.sync()
        chmod(tmp.path, 0o500)
        defer { chmod(tmp.path, 0o755) }
        if getuid() == 0 { try img.close(); return }  // root ignores directory permissions
        #expect(throws: ImageError.self) { try img.checkpoint() }
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
