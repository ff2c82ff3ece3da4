// CRC32C: the journal's record checksum must keep its values (the journal format does not
// change): known vectors, and agreement with the plain byte-at-a-time definition on
// random buffers of every length, alignment and split.

import Foundation
import Testing
@testable import VFSImage

@Suite struct CRC32CTests {
    /// The byte-at-a-time table-driven CRC-32C the journal was first written with.
    static let referenceTable: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }
    static func reference(_ crc: UInt32, _ bytes: some Sequence<UInt8>) -> UInt32 {
        var c = ~crc
        for b in bytes { c = referenceTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }

    func crc(_ bytes: [UInt8], start: UInt32 = 0) -> UInt32 { bytes.withUnsafeBytes { CRC32C.update(start, $0) } }

    @Test func knownVectors() {
        #expect(crc(Array("123456789".utf8)) == 0xE306_9283)
        #expect(crc([]) == 0)
        // RFC 3720 (iSCSI), appendix B.4.
        #expect(crc([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(crc([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(crc((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(crc((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(crc(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x2262_0404)
        #expect(Self.reference(0, Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func matchesTheByteWiseDefinition() {
        var rng = SplitMix64(seed: 0xC3C3)
        let big = (0..<(1 << 20) + 77).map { _ in UInt8.random(in: 0...255, using: &rng) }
        // Every length up to 300, at every alignment of the start address.
        for start in 0..<8 {
            for n in 0..<300 {
                let slice = big[start..<start + n]
                let got = big.withUnsafeBytes { CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[start..<start + n])) }
                #expect(got == Self.reference(0, slice), "length \(n) at offset \(start)")
            }
        }
        // Long buffers, and a nonzero starting CRC.
        #expect(crc(big) == Self.reference(0, big))
        #expect(crc(Array(big[3..<70_003]), start: 0x1234_5678) == Self.reference(0x1234_5678, big[3..<70_003]))
    }

    @Test func incrementalUpdatesEqualOneUpdate() {
        var rng = SplitMix64(seed: 7)
        let data = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let whole = crc(data)
        for _ in 0..<20 {
            var c: UInt32 = 0
            var pos = 0
            while pos < data.count {
                let n = min(data.count - pos, Int.random(in: 0..<9000, using: &rng))
                c = data.withUnsafeBytes { CRC32C.update(c, UnsafeRawBufferPointer(rebasing: $0[pos..<pos + n])) }
                pos += n
            }
            #expect(c == whole)
        }
    }
}
