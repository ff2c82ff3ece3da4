// Journal.swift: the write-ahead log that makes `sync` durable without rewriting the image.
//
// `IMAGE.journal` sits beside the image while it is open for writing (it is also the lock:
// the writer holds flock on it). Layout, little-endian:
//
//   header (64 bytes)
//     0  u32 magic "KVJ1"        8  u64 image st_dev     24 u64 image st_size
//     4  u32 version (1)        16  u64 image st_ino     32 u64 image mtime s   40 u64 mtime ns
//   records, appended by each sync:
//     0  u32 magic "KVJR"   4 u32 blockCount   8 u64 sequence   16 u32 sabLen
//     20 u32 sidecarLength (0xFFFFFFFF: unchanged)   24 u32 header flags   28 u32 reserved
//     32 blockCount × u32 block numbers, then blockCount × 4096 bytes of block contents,
//     then sidecarLength bytes (the container's sections after the SAB),
//     then u32 CRC-32C of every byte of the record before it.
//
// A record counts only when complete and its checksum matches, so a crash mid-append loses
// only the sync that had not returned. Replay applies records in order onto the image as
// loaded. The header names the image file it extends (device, inode, size, mtime): after a
// checkpoint renames a new image into place, a leftover journal no longer matches and is
// set aside as `.journal.stale` rather than applied to the wrong bytes.

struct JournalIdentity: Equatable {
    var dev: UInt64, ino: UInt64, size: UInt64, mtimeSec: UInt64, mtimeNsec: UInt64

    init(_ st: stat) {
        dev = UInt64(st.st_dev); ino = UInt64(st.st_ino); size = UInt64(st.st_size)
        mtimeSec = UInt64(st.st_mtim.tv_sec); mtimeNsec = UInt64(st.st_mtim.tv_nsec)
    }
    init(dev: UInt64, ino: UInt64, size: UInt64, mtimeSec: UInt64, mtimeNsec: UInt64) {
        self.dev = dev; self.ino = ino; self.size = size; self.mtimeSec = mtimeSec; self.mtimeNsec = mtimeNsec
    }
}

struct JournalRecord {
    var sequence: UInt64
    var sabLen: Int
    var blocks: [UInt32]
    var data: [UInt8]          // blocks.count × 4096
    var sidecars: [UInt8]?     // encoded sections, with flags
    var flags: UInt32
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class Journal {
    static let magic: UInt32 = 0x314A_564B     // "KVJ1"
    static let recordMagic: UInt32 = 0x524A_564B  // "KVJR"
    static let headerSize = 64
    static let recordHeaderSize = 32

    let file: HostFile
    private(set) var end: Int
    private(set) var sequence: UInt64 = 0

    static func path(for image: String) -> String { image + ".journal" }

    init(file: HostFile, end: Int) { self.file = file; self.end = end }

    static func le(_ v: UInt32) -> [UInt8] { Container.le32(v) }
    static func le(_ v: UInt64) -> [UInt8] { le(UInt32(v & 0xFFFF_FFFF)) + le(UInt32(v >> 32)) }

    static func header(_ id: JournalIdentity) -> [UInt8] {
        var h = le(magic) + le(UInt32(1)) + le(id.dev) + le(id.ino) + le(id.size) + le(id.mtimeSec) + le(id.mtimeNsec)
        h += [UInt8](repeating: 0, count: headerSize - h.count)
        return h
    }

    /// Starts the journal over for the image identified by `id` (after open or checkpoint).
    func reset(_ id: JournalIdentity) throws(ImageError) {
        try file.truncate(0)
        try Journal.header(id).withBytes { (b) throws(ImageError) in try file.write(b, at: 0) }
        try file.sync()
        end = Journal.headerSize
    }

    /// Reads the records of the journal at `file`. Returns nil identity for an empty file.
    /// Stops at the first incomplete or damaged record; `validEnd` is where it starts.
    static func read(_ file: HostFile) throws(ImageError) -> (identity: JournalIdentity?, records: [JournalRecord], validEnd: Int) {
        let bytes = try file.readAll()
        guard bytes.count >= headerSize else { return (nil, [], 0) }
        func u32(_ o: Int) -> UInt32 { UInt32(bytes[o]) | UInt32(bytes[o+1]) << 8 | UInt32(bytes[o+2]) << 16 | UInt32(bytes[o+3]) << 24 }
        func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) | UInt64(u32(o + 4)) << 32 }
        guard u32(0) == magic else { throw .journal("\(file.path) is not a Kandelo image journal (bad magic)") }
        guard u32(4) == 1 else { throw .journal("\(file.path) has unsupported version \(u32(4))") }
        let id = JournalIdentity(dev: u64(8), ino: u64(16), size: u64(24), mtimeSec: u64(32), mtimeNsec: u64(40))
        var records: [JournalRecord] = []
        var pos = headerSize
        while pos + recordHeaderSize + 4 <= bytes.count, u32(pos) == recordMagic {
            let count = Int(u32(pos + 4))
            let sideLen = u32(pos + 20)
            let side = sideLen == 0xFFFF_FFFF ? 0 : Int(sideLen)
            let bodyEnd = pos + recordHeaderSize + count * 4 + count * blockSize + side
            guard count <= (bytes.count / blockSize) + 1, bodyEnd + 4 <= bytes.count else { break }
            let crc = bytes[pos..<bodyEnd].withUnsafeBytes { CRC32C.update(0, $0) }
            guard crc == u32(bodyEnd) else { break }
            let blocksStart = pos + recordHeaderSize
            let dataStart = blocksStart + count * 4
            records.append(JournalRecord(
                sequence: u64(pos + 8), sabLen: Int(u32(pos + 16)),
                blocks: (0..<count).map { u32(blocksStart + 4 * $0) },
                data: Array(bytes[dataStart..<dataStart + count * blockSize]),
                sidecars: sideLen == 0xFFFF_FFFF ? nil : Array(bytes[bodyEnd - side..<bodyEnd]),
                flags: u32(pos + 24)))
            pos = bodyEnd + 4
        }
        return (id, records, pos)
    }

    /// Appends one record and makes it durable.
    func append(mem: ImageMemory, blocks: [Int], sidecars: Sidecars?) throws(ImageError) {
        sequence += 1
        let side = sidecars?.encoded()
        var head = Journal.le(Journal.recordMagic) + Journal.le(UInt32(blocks.count)) + Journal.le(sequence)
        head += Journal.le(UInt32(mem.length)) + Journal.le(side.map { UInt32($0.count) } ?? 0xFFFF_FFFF)
        head += Journal.le(sidecars?.flags ?? 0) + Journal.le(UInt32(0))
        for b in blocks { head += Journal.le(UInt32(b)) }
        var crc: UInt32 = 0
        var pos = end
        try head.withBytes { (b) throws(ImageError) in
            crc = CRC32C.update(crc, b); try file.write(b, at: pos); pos += b.count
        }
        // Block contents, in runs of contiguous blocks to keep the writes few.
        var i = 0
        while i < blocks.count {
            var j = i + 1
            while j < blocks.count, blocks[j] == blocks[j - 1] + 1, j - i < 256 { j += 1 }
            let b = UnsafeRawBufferPointer(start: mem.base + blocks[i] * blockSize, count: (j - i) * blockSize)
            crc = CRC32C.update(crc, b)
            try file.write(b, at: pos)
            pos += b.count
            i = j
        }
        if let side {
            try side.withBytes { (b) throws(ImageError) in
                crc = CRC32C.update(crc, b); try file.write(b, at: pos); pos += b.count
            }
        }
        try Journal.le(crc).withBytes { (b) throws(ImageError) in try file.write(b, at: pos) }
        pos += 4
        try file.sync(dataOnly: true)
        end = pos
    }

    func noteReplayed(upTo sequence: UInt64, end: Int) {
        self.sequence = sequence
        self.end = end
    }
}
