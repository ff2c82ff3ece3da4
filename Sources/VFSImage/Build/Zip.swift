// Zip.swift: reading the ZIP files of mkrootfs `archive` directives (stored and deflate
// members, no ZIP64, no encryption), as kandelo-vfs-format.md §7.5 step 7 needs them.
//
//   end of central directory  "PK\5\6" … u16 entries @10, u32 cd size @12, u32 cd offset @16
//   central directory entry   "PK\1\2" u16 made-by @4 (high byte: creator OS, 3 = Unix),
//                             u16 flags @8, u16 method @10, u32 crc @16, u32 csize @20,
//                             u32 usize @24, u16 name @28, u16 extra @30, u16 comment @32,
//                             u32 external attributes @38 (Unix mode in the high 16 bits),
//                             u32 local header offset @42, name @46
//   local header              "PK\3\4" … u16 name @26, u16 extra @28, data @30+name+extra

import CZlib

public struct ZipMember: Sendable {
    public var name: String
    public var method: UInt16
    public var crc: UInt32
    public var compressedSize: Int
    public var size: Int
    public var creatorOS: UInt8
    public var unixMode: UInt32
    var localOffset: Int
    public var isDirectory: Bool { name.hasSuffix("/") }
    public var isSymlink: Bool { creatorOS == 3 && unixMode & 0o170000 == 0o120000 }
}

public struct ZipArchive {
    public let bytes: [UInt8]
    public let members: [ZipMember]

    public init(_ bytes: [UInt8], name: String) throws(BuildError) {
        self.bytes = bytes
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        guard bytes.count >= 22 else { throw BuildError("\(name): not a ZIP file (too short)") }
        var eocd = -1
        var o = bytes.count - 22
        while o >= max(0, bytes.count - 22 - 65_535) {
            if bytes[o] == 0x50, bytes[o + 1] == 0x4B, bytes[o + 2] == 5, bytes[o + 3] == 6 { eocd = o; break }
            o -= 1
        }
        guard eocd >= 0 else { throw BuildError("\(name): not a ZIP file (no end-of-central-directory record)") }
        let count = u16(eocd + 10), cdOffset = u32(eocd + 16)
        guard count != 0xFFFF, cdOffset != 0xFFFF_FFFF else { throw BuildError("\(name): ZIP64 archives are not supported") }
        var members: [ZipMember] = []
        var p = cdOffset
        for i in 0..<count {
            guard p + 46 <= bytes.count, u32(p) == 0x0201_4B50 else { throw BuildError("\(name): central directory entry \(i) is damaged") }
            let nameLen = u16(p + 28), extra = u16(p + 30), comment = u16(p + 32)
            guard p + 46 + nameLen <= bytes.count else { throw BuildError("\(name): central directory entry \(i) is truncated") }
            guard let n = String(validating: bytes[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self) else {
                throw BuildError("\(name): member \(i) has a name that is not UTF-8")
            }
            if u16(p + 8) & 1 != 0 { throw BuildError("\(name): \(n) is encrypted") }
            members.append(ZipMember(name: n, method: UInt16(u16(p + 10)), crc: UInt32(u32(p + 16)),
                                     compressedSize: u32(p + 20), size: u32(p + 24), creatorOS: bytes[p + 5],
                                     unixMode: UInt32(u32(p + 38)) >> 16, localOffset: u32(p + 42)))
            p += 46 + nameLen + extra + comment
        }
        self.members = members
    }

    /// The member's bytes, inflated and CRC-checked.
    public func content(_ m: ZipMember, archive name: String) throws(BuildError) -> [UInt8] {
        let o = m.localOffset
        guard o + 30 <= bytes.count, bytes[o] == 0x50, bytes[o + 1] == 0x4B, bytes[o + 2] == 3, bytes[o + 3] == 4 else {
            throw BuildError("\(name): \(m.name): bad local header")
        }
        let start = o + 30 + (Int(bytes[o + 26]) | Int(bytes[o + 27]) << 8) + (Int(bytes[o + 28]) | Int(bytes[o + 29]) << 8)
        guard start + m.compressedSize <= bytes.count else { throw BuildError("\(name): \(m.name): data runs past the end") }
        var out: [UInt8]
        switch m.method {
        case 0:
            out = Array(bytes[start..<(start + m.compressedSize)])
        case 8:
            out = [UInt8](repeating: 0, count: m.size)
            var stream = z_stream()
            guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw BuildError("\(name): \(m.name): cannot start inflate")
            }
            defer { inflateEnd(&stream) }
            let r: Int32 = bytes.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress! + start)
                    stream.avail_in = UInt32(m.compressedSize)
                    stream.next_out = dst.baseAddress
                    stream.avail_out = UInt32(m.size)
                    return inflate(&stream, Z_FINISH)
                }
            }
            guard r == Z_STREAM_END, Int(stream.total_out) == m.size else {
                throw BuildError("\(name): \(m.name): corrupt deflate data")
            }
        default:
            throw BuildError("\(name): \(m.name): compression method \(m.method) is not supported (stored and deflate are)")
        }
        let crc = out.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        guard crc == m.crc else { throw BuildError("\(name): \(m.name): CRC mismatch") }
        return out
    }
}
