// st_blocks counts data and pointer blocks exactly (Attributes.swift, allocatedBlockCount,
// which scans pointer tables 8 bytes at a time).

import Testing
@testable import VFSImage

@Suite struct BlockCountTests {
    @Test func stBlocksCountsDataAndPointerBlocks() throws {
        let fs = try SharedFS(size: 8 << 20, maxSize: 32 << 20)
        let f = try fs.create(.root, bytes("f"), mode: 0o644)
        func blocks() throws -> UInt64 { try fs.attributes(f).blocks / 8 }
        let page = [UInt8](repeating: 1, count: 4096)
        #expect(try blocks() == 0)
        _ = try fs.write(f, at: 3 * 4096, page)                     // one direct block
        #expect(try blocks() == 1)
        _ = try fs.write(f, at: 10 * 4096, page)                    // + indirect table + data
        #expect(try blocks() == 3)
        for b in [11, 12, 500, 1033] { _ = try fs.write(f, at: UInt64(b) * 4096, page) }
        #expect(try blocks() == 7)
        _ = try fs.write(f, at: 1034 * 4096 + 5, [2])               // + double, level-1, data
        #expect(try blocks() == 10)
        _ = try fs.write(f, at: (1034 + 1024 * 3 + 7) * 4096, page) // + another level-1, data
        #expect(try blocks() == 12)
        // Odd and even slots of a table (the scan reads two pointers per load).
        for b in stride(from: 1034 + 1, to: 1034 + 1024, by: 3) { _ = try fs.write(f, at: UInt64(b) * 4096, [3]) }
        #expect(try blocks() == 12 + UInt64((1024 - 1 + 2) / 3))
        try fs.truncate(f, to: 1034 * 4096)
        #expect(try blocks() == 7, "the double-indirect tree is freed")
        try fs.truncate(f, to: 0)
        #expect(try blocks() == 0)
        #expect(fs.check().isConsistent)
    }
}
