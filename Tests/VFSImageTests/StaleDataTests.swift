// A whole-block write takes a fresh data block without zeroing it first (the write covers
// every byte). Freed blocks keep their old bytes, so any path that did not overwrite the
// whole block must still zero it: these tests fill the image with garbage, free it, and
// check that nothing of it ever shows through — in reads, in the raw image bytes past EOF,
// after save + reload and after a journal replay — and that the image bytes are exactly
// those of the zero-everything behaviour.

import Foundation
import Testing
@testable import VFSImage

@Suite struct StaleDataTests {
    static let garbageByte: UInt8 = 0xA5

    /// A small image whose every free data block is full of garbage: files of garbage
    /// (with indirect blocks) written, then unlinked, so the allocator hands those blocks
    /// out again.
    func dirtyImage(zeroEverything: Bool = false) throws -> SharedFS {
        let fs = try SharedFS(size: 2 << 20, maxSize: 2 << 20)
        fs.clock = { 1_000 }
        fs.zeroBlocksUnderWholeBlockWrites = zeroEverything
        let garbage = [UInt8](repeating: StaleDataTests.garbageByte, count: 64 * 4096)
        var n = 0
        while true {
            let f = try fs.create(.root, bytes("g\(n)"), mode: 0o644)
            let w = (try? fs.write(f, at: 0, garbage)) ?? 0
            n += 1
            if w < garbage.count { break }
        }
        for i in 0..<n { try fs.unlink(.root, bytes("g\(i)")) }
        #expect(fs.check().isConsistent)
        #expect(fs.superblock.freeBlocks > 200)
        return fs
    }

    /// Every data block of `ino` read raw: bytes at or past EOF must be zero.
    func expectZeroPastEOF(_ fs: SharedFS, _ ino: InodeNumber, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let off = try fs.liveInode(ino)
        let size = Int(fs.size(off))
        guard size % blockSize != 0 else { return }
        let p = try fs.mapBlock(off, size / blockSize, allocate: false)
        guard p != 0 else { return }
        let tail = fs.mem.bytes(at: Int(p) * blockSize + size % blockSize, count: blockSize - size % blockSize)
        #expect(tail.allSatisfy { $0 == 0 }, "stale bytes past EOF in the last block", sourceLocation: sourceLocation)
    }

    /// The content a model expects: zeros except where written.
    struct Model {
        var bytes: [UInt8] = []
        mutating func write(_ data: [UInt8], at offset: Int) {
            guard !data.isEmpty else { return }
            if bytes.count < offset + data.count { bytes += [UInt8](repeating: 0, count: offset + data.count - bytes.count) }
            bytes.replaceSubrange(offset..<offset + data.count, with: data)
        }
        mutating func truncate(_ size: Int) {
            if size < bytes.count { bytes.removeLast(bytes.count - size) }
            else { bytes += [UInt8](repeating: 0, count: size - bytes.count) }
        }
    }

    @Test func partialWritesHolesAndTruncateNeverShowFreedBytes() throws {
        let fs = try dirtyImage()
        var model = Model()
        let f = try fs.create(.root, bytes("f"), mode: 0o644)
        func write(_ data: [UInt8], at o: Int) throws {
            #expect(try fs.write(f, at: UInt64(o), data) == data.count)
            model.write(data, at: o)
            #expect(try fs.readAll(f) == model.bytes)
            try expectZeroPastEOF(fs, f)
        }
        // A partial block at a non-zero offset: the bytes before it are zero.
        try write([1, 2, 3], at: 100)
        // Crossing a block boundary: two partial chunks.
        try write([4, 5, 6, 7], at: 4094)
        // A whole block (not zeroed first) far past EOF: a hole in between.
        try write([UInt8](repeating: 8, count: 4096), at: 5 * 4096)
        // Unaligned, spanning whole blocks: partial head, whole middle, partial tail; it
        // reaches the indirect range, whose table block must be zeroed.
        try write([UInt8](repeating: 9, count: 14 * 4096), at: 9 * 4096 + 17)
        // Past EOF within the last block: the gap must read zero.
        try write([10], at: Int(model.bytes.count) + 50)
        // Truncate up: zeros, also in the part of the last block that was past EOF.
        try fs.truncate(f, to: UInt64(model.bytes.count + 3 * 4096 + 5)); model.truncate(model.bytes.count + 3 * 4096 + 5)
        #expect(try fs.readAll(f) == model.bytes)
        // Truncate down into a block, write past it, then truncate up again.
        try fs.truncate(f, to: 4096 + 10); model.truncate(4096 + 10)
        try expectZeroPastEOF(fs, f)
        try write([11, 12], at: 3 * 4096 + 4000)
        try fs.truncate(f, to: 40 * 4096 + 1); model.truncate(40 * 4096 + 1)
        #expect(try fs.readAll(f) == model.bytes)
        // Whole blocks in the double-indirect range, with a hole before them.
        try write([UInt8](repeating: 13, count: 2 * 4096), at: 1040 * 4096)
        try write([14], at: 1045 * 4096 + 3)
        #expect(fs.check().isConsistent)
        #expect(!model.bytes.contains(StaleDataTests.garbageByte))
    }

    @Test func newDirectoriesAndLongSymlinksStartZeroed() throws {
        let fs = try dirtyImage()
        let d = try fs.mkdir(.root, bytes("dir"), mode: 0o755)
        for i in 0..<100 { _ = try fs.create(d, bytes("name-\(i)-" + String(repeating: "x", count: 60)), mode: 0o644) }
        #expect(try fs.entries(d).count == 100)
        let target = [UInt8](repeating: 0x61, count: 300)
        let l = try fs.symlink(.root, bytes("link"), target: target)
        #expect(try fs.readlink(l) == target)
        try expectZeroPastEOF(fs, l)
        #expect(fs.check().isConsistent)
    }

    @Test func unwrittenBytesStayZeroAfterSaveReloadAndReplay() throws {
        let tmp = TempDir("kstale")
        let path = tmp.file("img.vfs")
        try ImageFile.save(try dirtyImage(), to: path, compressed: false)
        var model = Model()
        do {
            let img = try ImageFile.open(path)
            let f = try img.fs.create(.root, bytes("f"), mode: 0o644)
            for (data, o) in [([UInt8](repeating: 1, count: 3 * 4096), 4096),   // whole blocks
                              ([2, 2], 20 * 4096 + 7),                           // hole, partial
                              ([UInt8](repeating: 3, count: 5000), 30 * 4096 + 100)] {
                _ = try img.fs.write(f, at: UInt64(o), data)
                model.write(data, at: o)
            }
            try img.fs.truncate(f, to: UInt64(model.bytes.count + 9000)); model.truncate(model.bytes.count + 9000)
            try img.sync()
            // Dropped without close: the journal is all that holds the changes.
        }
        do {
            let img = try ImageFile.open(path)
            #expect(img.replayedRecords == 1)
            let f = try img.fs.resolve("/f")
            #expect(try img.fs.readAll(f) == model.bytes)
            try expectZeroPastEOF(img.fs, f)
            try img.close()
        }
        let img = try ImageFile.open(path, readOnly: true)
        let f = try img.fs.resolve("/f")
        #expect(try img.fs.readAll(f) == model.bytes)
        try expectZeroPastEOF(img.fs, f)
        #expect(img.fs.check().isConsistent)
    }

    /// Random writes, truncates and unlinks on two images, one zeroing every new block and
    /// one skipping it under whole-block writes: the images must be identical byte for
    /// byte, and every file equal to its model.
    @Test(arguments: 1...6)
    func imageBytesMatchTheZeroEverythingBehaviour(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let a = try dirtyImage(), b = try dirtyImage(zeroEverything: true)
        #expect(a.encode() == b.encode())
        var models: [String: Model] = [:]
        let names = ["p", "q", "r"]
        for _ in 0..<120 {
            let name = names.randomElement(using: &rng)!
            let op = Int.random(in: 0..<10, using: &rng)
            for fs in [a, b] {
                if (try? fs.lookup(.root, bytes(name))) == nil { _ = try fs.create(.root, bytes(name), mode: 0o644) }
            }
            var model = models[name] ?? Model()
            switch op {
            case 0..<6:
                let aligned = Bool.random(using: &rng)
                let blocks = Int.random(in: 0..<1200, using: &rng)
                let o = aligned ? blocks * 4096 : blocks * 4096 + Int.random(in: 0..<4096, using: &rng)
                let count = aligned && Bool.random(using: &rng) ? Int.random(in: 1...4, using: &rng) * 4096
                                                                : Int.random(in: 1..<20_000, using: &rng)
                let data = (0..<count).map { _ in UInt8.random(in: 0...0x7F, using: &rng) }
                let wa = (try? a.write(try a.lookup(.root, bytes(name)), at: UInt64(o), data)) ?? 0
                let wb = (try? b.write(try b.lookup(.root, bytes(name)), at: UInt64(o), data)) ?? 0
                #expect(wa == wb)
                model.write(Array(data.prefix(wa)), at: o)
            case 6..<9:
                let size = Int.random(in: 0..<(1200 * 4096), using: &rng)
                for fs in [a, b] { try fs.truncate(try fs.lookup(.root, bytes(name)), to: UInt64(size)) }
                model.truncate(size)
            default:
                for fs in [a, b] { try fs.unlink(.root, bytes(name)) }
                models[name] = nil
                continue
            }
            models[name] = model
            let f = try a.lookup(.root, bytes(name))
            #expect(try a.readAll(f) == model.bytes)
            try expectZeroPastEOF(a, f)
        }
        #expect(a.check().isConsistent)
        #expect(a.encode() == b.encode(), "skipping the zeroing changed the image bytes")
    }
}
