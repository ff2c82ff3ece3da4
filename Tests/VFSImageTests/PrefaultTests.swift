// The background thread that faults in memory ahead of a growing image (ImageMemory.swift,
// Populator) does its work and changes no byte.

import Foundation
import Testing
@testable import VFSImage

@Suite struct PrefaultTests {
    /// Pages of [offset, offset + count) of the image memory that are resident.
    func residentPages(_ fs: SharedFS, at offset: Int, count: Int) -> Int {
        var vec = [UInt8](repeating: 0, count: count / 4096)
        let rc = vec.withUnsafeMutableBufferPointer { mincore(fs.mem.base + offset, count, $0.baseAddress) }
        #expect(rc == 0)
        return vec.filter { $0 & 1 != 0 }.count
    }

    @Test func memoryAheadOfGrowthIsFaultedInAndNothingChanges() throws {
        let a = try SharedFS(size: 1 << 20, maxSize: 128 << 20), b = try SharedFS(size: 1 << 20, maxSize: 128 << 20)
        a.clock = { 5 }; b.clock = { 5 }
        a.prefaultsAhead = true
        #expect(a.prefaultsAhead && !b.prefaultsAhead)
        var rng = SplitMix64(seed: 3)
        let fa = try a.create(.root, bytes("big"), mode: 0o644), fb = try b.create(.root, bytes("big"), mode: 0o644)
        var offset = 0
        for i in 0..<24 {
            let n = i % 3 == 0 ? 1 << 20 : Int.random(in: 1..<(1 << 20), using: &rng)
            let data = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(try a.write(fa, at: UInt64(offset), data) == n)
            #expect(try b.write(fb, at: UInt64(offset), data) == n)
            offset += n + (i % 4 == 0 ? 5000 : 0)
        }
        // The thread runs up to 32 MiB past the end of the grown image.
        let end = a.mem.length
        var resident = 0
        for _ in 0..<200 {
            resident = residentPages(a, at: end, count: 16 << 20)
            if resident == (16 << 20) / 4096 { break }
            usleep(20_000)
        }
        #expect(resident == (16 << 20) / 4096, "memory past the end was not faulted in")
        #expect(residentPages(b, at: b.mem.length, count: 16 << 20) == 0)
        a.prefaultsAhead = false  // stops and joins the thread
        #expect(a.encode() == b.encode())
        #expect(try a.readAll(fa) == b.readAll(fb))
        #expect(a.check().isConsistent)
    }

    @Test func aMountedImageStopsItsThreadWhenReleased() throws {
        let tmp = TempDir("kprefault")
        let path = tmp.file("img.vfs")
        try ImageFile.save(try SharedFS(size: 1 << 20, maxSize: 64 << 20), to: path, compressed: false)
        for _ in 0..<5 {
            let img = try ImageFile.open(path)
            img.fs.prefaultsAhead = true
            let f = try img.fs.create(.root, bytes("f\(UInt32.random(in: 0...UInt32.max))"), mode: 0o644)
            _ = try img.fs.write(f, at: 0, [UInt8](repeating: 7, count: 3 << 20))
            try img.sync()
            try img.close()
            // Dropping the image joins its thread before the memory is unmapped.
        }
        let img = try ImageFile.open(path, readOnly: true)
        #expect(try img.fs.entries(.root).count == 5)
        #expect(img.fs.check().isConsistent)
    }
}
