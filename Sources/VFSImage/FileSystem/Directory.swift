// Directory.swift: directory records (kandelo-vfs-format.md §5.8, §7.3, §7.4).
//
//   u32 ino       0 = empty slot
//   u16 rec_len   total length, multiple of 4, ≥ 8, never crosses a 4096-byte block
//   u16 name_len  ≤ rec_len − 8
//   u8  name[name_len]
//
// A directory's content is a byte stream mapped like a file; `size` ends the last record.
// Readdir offsets are byte offsets of records in that stream, so a listing resumed from an
// offset continues where it stopped even while entries come and go elsewhere.
//
// DirectoryIndex caches name → record for lookups. Placement of new names follows Kandelo's
// rules so that builds reproduce its bytes: below 64 KiB, first fit in a linear scan (empty
// slots, then slack after live records), else append; from 64 KiB on, the free-slot list
// captured when the index was built, walked from its end, else append.

struct DirectoryIndex {
    var names: [[UInt8]: (ino: UInt32, offset: Int)] = [:]
    /// Kandelo's index mode (directories of 64 KiB or more) and its free-slot list.
    var indexed = false
    var freeSlots: [Int] = []
    /// The directory sequence and size this cache describes.
    var sequence: UInt32
    var size: UInt64
}

/// One record as found in a directory's byte stream.
struct DirectoryRecord {
    var offset: Int      // byte offset in the directory stream
    var address: Int     // byte offset in the image
    var ino: UInt32
    var recLen: Int
    var nameLen: Int
}

/// An entry as `readdir` returns it.
public struct DirectoryEntry: Equatable, Sendable {
    public var name: [UInt8]
    public var ino: InodeNumber
    public var type: FileType?
    /// Pass this to `readDirectory(_:from:)` to continue after this entry.
    public var nextOffset: UInt64
    public var nameString: String { String(decoding: name, as: UTF8.self) }
}

extension SharedFS {
    static let indexThreshold: UInt64 = 65_536

    @inline(__always) static func recordSize(_ nameLen: Int) -> Int { (8 + nameLen + 3) & ~3 }

    /// Writes "." and ".." into a fresh directory block.
    func writeDirectoryHeader(block: UInt32, ino: UInt32, parent: UInt32) {
        let a = Int(block) * blockSize
        mem.setU32(a, ino); mem.setU16(a + 4, 12); mem.setU16(a + 6, 1); mem.base.storeBytes(of: 0x2E, toByteOffset: a + 8, as: UInt8.self)
        mem.setU32(a + 12, parent); mem.setU16(a + 16, 12); mem.setU16(a + 18, 2)
        mem.base.storeBytes(of: 0x2E, toByteOffset: a + 20, as: UInt8.self)
        mem.base.storeBytes(of: 0x2E, toByteOffset: a + 21, as: UInt8.self)
    }

    /// Visits the records of the directory at `off` from stream offset `start` (which must be
    /// a record boundary or 0); stops when `body` returns false. Corrupt records → EIO.
    func forEachRecord(_ off: Int, from start: Int = 0, _ body: (DirectoryRecord) throws(LinuxErrno) -> Bool) throws(LinuxErrno) {
        let sz = Int(try checkedSize(off))
        var blockIndex = start / blockSize
        var pos = start % blockSize
        while blockIndex * blockSize < sz {
            let p = try mapBlock(off, blockIndex, allocate: false)
            guard p != 0 else { throw .EIO }  // directories have no holes
            let end = min(blockSize, sz - blockIndex * blockSize)
            let base = Int(p) * blockSize
            while pos < end {
                let a = base + pos
                guard pos + 8 <= end else { throw .EIO }
                let rec = DirectoryRecord(offset: blockIndex * blockSize + pos, address: a, ino: mem.u32(a),
                                          recLen: Int(mem.u16(a + 4)), nameLen: Int(mem.u16(a + 6)))
                guard rec.recLen >= 8, rec.recLen % 4 == 0, pos + rec.recLen <= end, rec.nameLen <= rec.recLen - 8 else {
                    throw .EIO
                }
                guard try body(rec) else { return }
                pos += rec.recLen
            }
            blockIndex += 1
            pos = 0
        }
    }

    func recordName(_ r: DirectoryRecord) -> [UInt8] { mem.bytes(at: r.address + 8, count: r.nameLen) }

    /// The cache for directory `ino` (record offset `off`), rebuilt when stale.
    func directoryIndex(_ ino: UInt32, _ off: Int) throws(LinuxErrno) -> DirectoryIndex {
        let seq = mem.u32(off + InodeField.dirSequence), sz = size(off)
        if let idx = directoryIndexes[ino], idx.sequence == seq, idx.size == sz {
            if idx.indexed || sz < SharedFS.indexThreshold { return idx }
        }
        var idx = DirectoryIndex(sequence: seq, size: sz)
        idx.indexed = sz >= SharedFS.indexThreshold
        try forEachRecord(off) { r throws(LinuxErrno) in
            if r.ino != 0 {
                guard r.ino < sb.totalInodes else { throw .EIO }
                idx.names[recordName(r)] = (r.ino, r.offset)
            } else if idx.indexed {
                idx.freeSlots.append(r.offset)
            }
            return true
        }
        directoryIndexes[ino] = idx
        return idx
    }

    /// Keeps a cache in step with a mutation we made ourselves.
    func updateIndex(_ ino: UInt32, _ off: Int, _ change: (inout DirectoryIndex) -> Void) {
        guard var idx = directoryIndexes[ino] else { return }
        change(&idx)
        idx.sequence = mem.u32(off + InodeField.dirSequence)
        idx.size = size(off)
        directoryIndexes[ino] = idx
    }

    /// Looks `name` up in the directory at `off`; returns (inode, record stream offset).
    func findEntry(_ dir: UInt32, _ off: Int, _ name: [UInt8]) throws(LinuxErrno) -> (ino: UInt32, offset: Int)? {
        try directoryIndex(dir, off).names[name]
    }

    /// The image address of the record at stream offset `o`.
    func recordAddress(_ off: Int, _ o: Int) throws(LinuxErrno) -> Int {
        let p = try mapBlock(off, o / blockSize, allocate: false)
        guard p != 0 else { throw .EIO }
        return Int(p) * blockSize + o % blockSize
    }

    private func writeRecord(at a: Int, ino: UInt32, recLen: Int, name: [UInt8]) {
        mem.setU32(a, ino)
        mem.setU16(a + 4, UInt16(recLen))
        mem.setU16(a + 6, UInt16(name.count))
        name.withUnsafeBytes { mem.copyIn($0, at: a + 8) }
    }

    /// Adds `name → ino` to the directory `dir` (§7.3 placement). The caller checked that
    /// the name is absent. May allocate a block (ENOSPC leaves the directory unchanged).
    func insertEntry(_ dir: UInt32, _ off: Int, _ name: [UInt8], _ ino: UInt32) throws(LinuxErrno) {
        let need = SharedFS.recordSize(name.count)
        var idx = try directoryIndex(dir, off)
        var placed: Int? = nil
        if idx.indexed {
            // Walk the free list from its end; drop slots that are no longer free.
            var i = idx.freeSlots.count - 1
            while i >= 0 {
                let o = idx.freeSlots[i]
                let a = try recordAddress(off, o)
                let recLen = Int(mem.u16(a + 4))
                if mem.u32(a) != 0 { idx.freeSlots.remove(at: i); i -= 1; continue }
                if recLen >= need {
                    idx.freeSlots.remove(at: i)
                    writeRecord(at: a, ino: ino, recLen: recLen, name: name)
                    placed = o
                    break
                }
                i -= 1
            }
        } else {
            try forEachRecord(off) { r throws(LinuxErrno) in
                if r.ino == 0 && r.recLen >= need {
                    writeRecord(at: r.address, ino: ino, recLen: r.recLen, name: name)
                    placed = r.offset
                    return false
                }
                let used = SharedFS.recordSize(r.nameLen)
                if r.ino != 0 && r.recLen - used >= need {
                    mem.setU16(r.address + 4, UInt16(used))
                    writeRecord(at: r.address + used, ino: ino, recLen: r.recLen - used, name: name)
                    placed = r.offset + used
                    return false
                }
                return true
            }
        }
        if placed == nil { placed = try appendRecord(off, name, ino, need) }
        mem.setU32(off + InodeField.dirSequence, mem.u32(off + InodeField.dirSequence) &+ 1)
        let at = placed!
        idx.names[name] = (ino, at)
        idx.sequence = mem.u32(off + InodeField.dirSequence)
        idx.size = size(off)
        directoryIndexes[dir] = idx
    }

    /// Appends a record at the end of the stream (§7.3), padding to a block boundary first
    /// when the record would cross one. Returns its stream offset.
    private func appendRecord(_ off: Int, _ name: [UInt8], _ ino: UInt32, _ need: Int) throws(LinuxErrno) -> Int {
        var pos = Int(size(off))
        if pos % blockSize != 0 && pos % blockSize + need > blockSize {
            let gap = blockSize - pos % blockSize
            _ = try mapBlock(off, pos / blockSize + 1, allocate: true)
            let lastBlock = try recordAddress(off, pos - 1) / blockSize * blockSize
            if gap >= 8 {
                let a = lastBlock + pos % blockSize
                mem.setU32(a, 0); mem.setU16(a + 4, UInt16(gap)); mem.setU16(a + 6, 0)
            } else {
                // Extend the last record of that block over the gap.
                var last: DirectoryRecord? = nil
                try forEachRecord(off, from: (pos / blockSize) * blockSize) { r throws(LinuxErrno) in
                    guard r.offset < (pos / blockSize + 1) * blockSize else { return false }
                    last = r; return true
                }
                guard let last else { throw .EIO }
                mem.setU16(last.address + 4, UInt16(last.recLen + gap))
            }
            pos += gap
        }
        let p = try mapBlock(off, pos / blockSize, allocate: true)
        writeRecord(at: Int(p) * blockSize + pos % blockSize, ino: ino, recLen: need, name: name)
        mem.setU64(off + InodeField.fileSize, UInt64(pos + need))
        return pos
    }

    /// Empties the record of `name` (its space stays for later names).
    func removeEntry(_ dir: UInt32, _ off: Int, _ name: [UInt8]) throws(LinuxErrno) {
        guard let (_, o) = try findEntry(dir, off, name) else { throw .ENOENT }
        let a = try recordAddress(off, o)
        mem.setU32(a, 0)
        mem.setU32(off + InodeField.dirSequence, mem.u32(off + InodeField.dirSequence) &+ 1)
        updateIndex(dir, off) { idx in
            idx.names[name] = nil
            if idx.indexed { idx.freeSlots.append(o) }
        }
    }

    /// Points the record of `name` at another inode (rename over an existing name).
    func replaceEntry(_ dir: UInt32, _ off: Int, _ name: [UInt8], with ino: UInt32) throws(LinuxErrno) {
        guard let (_, o) = try findEntry(dir, off, name) else { throw .ENOENT }
        mem.setU32(try recordAddress(off, o), ino)
        mem.setU32(off + InodeField.dirSequence, mem.u32(off + InodeField.dirSequence) &+ 1)
        updateIndex(dir, off) { $0.names[name] = (ino, o) }
    }

    /// Sets the ".." record of directory `dir` (record at `off`) to `parent`.
    func setDotDot(_ dir: UInt32, _ off: Int, _ parent: UInt32) throws(LinuxErrno) {
        guard let (_, o) = try findEntry(dir, off, SharedFS.dotdot) else { throw .EIO }
        mem.setU32(try recordAddress(off, o), parent)
        updateIndex(dir, off) { $0.names[SharedFS.dotdot] = (parent, o) }
    }

    /// True when the directory holds nothing but "." and "..".
    func isEmptyDirectory(_ dir: UInt32, _ off: Int) throws(LinuxErrno) -> Bool {
        let idx = try directoryIndex(dir, off)
        return idx.names.keys.allSatisfy { $0 == [0x2E] || $0 == [0x2E, 0x2E] }
    }

    // MARK: public API

    /// Lists directory `dir` from stream offset `offset` (0 = start), including "." and "..".
    /// `body` returns false to stop (e.g. when a reply buffer is full); the entry it refused
    /// is listed again when resuming from the previous entry's `nextOffset`.
    public func readDirectory(_ dir: InodeNumber, from offset: UInt64 = 0,
                              _ body: (DirectoryEntry) -> Bool) throws(LinuxErrno) {
        let off = try liveInode(dir)
        guard type(off) == .directory else { throw .ENOTDIR }
        guard offset < size(off) else { return }
        // Walk from the start of the offset's block and skip what lies before it, so an
        // offset that stopped being a record boundary (a record grew over it) still resumes.
        let start = Int(offset) / blockSize * blockSize
        try forEachRecord(off, from: start) { r throws(LinuxErrno) in
            guard r.ino != 0, r.offset >= Int(offset) else { return true }
            guard r.ino < sb.totalInodes, bit(inode: r.ino) else { throw .EIO }
            let t = type(inodeOffset(r.ino))
            return body(DirectoryEntry(name: recordName(r), ino: InodeNumber(r.ino), type: t,
                                       nextOffset: UInt64(r.offset + r.recLen)))
        }
    }

    /// Every entry of `dir` except "." and "..", in on-disk order.
    public func entries(_ dir: InodeNumber) throws(LinuxErrno) -> [DirectoryEntry] {
        var out: [DirectoryEntry] = []
        try readDirectory(dir) { e in
            if e.name != [0x2E] && e.name != [0x2E, 0x2E] { out.append(e) }
            return true
        }
        return out
    }
}
