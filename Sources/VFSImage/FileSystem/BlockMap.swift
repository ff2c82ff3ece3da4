// BlockMap.swift: which block holds logical block b of an inode, and file data I/O
// (kandelo-vfs-format.md §5.6, §7.1).
//
//   b < 10                direct[b]
//   10 ≤ b < 1034         single-indirect[b − 10]
//   1034 ≤ b < 1034+2^20  double-indirect[(b − 1034) / 1024] → level-1[(b − 1034) % 1024]
//
// A zero pointer is a hole and reads as zeros. Pointers read from the image are checked
// against the data area before use; a bad one makes the request fail with EIO.

extension SharedFS {
    static let maxLogicalBlocks = 10 + 1024 + 1024 * 1024
    /// Largest file the block map can address: 4,299,202,560 bytes.
    public static let maxFileSize = UInt64(maxLogicalBlocks) * UInt64(blockSize)

    @inline(__always) func checkedPointer(_ p: UInt32) throws(LinuxErrno) -> UInt32 {
        guard p == 0 || (p >= sb.dataStart && p < sb.totalBlocks) else { throw .EIO }
        return p
    }

    /// Reads the pointer at `slot` (a byte offset), allocating a block if asked: zeroed
    /// unless `zero` is false (see `allocateBlock(zero:)`).
    private func pointer(at slot: Int, allocate: Bool, zero: Bool = true) throws(LinuxErrno) -> UInt32 {
        let p = try checkedPointer(mem.u32(slot))
        if p != 0 || !allocate { return p }
        let b = try allocateBlock(zero: zero)
        mem.setU32(slot, b)
        return b
    }

    /// Physical block of logical block `b` of the inode at `off`; 0 for a hole when not
    /// allocating. Allocation order follows §7.1: indirect blocks before the data block.
    /// Pointer blocks are always zeroed when allocated; a new data block is zeroed unless
    /// `zeroData` is false, which only a caller about to overwrite the whole block may ask
    /// for (`writeContent`): a freed block keeps its old bytes until it is reused.
    func mapBlock(_ off: Int, _ b: Int, allocate: Bool, zeroData: Bool = true) throws(LinuxErrno) -> UInt32 {
        if b < 10 { return try pointer(at: off + InodeField.direct + 4 * b, allocate: allocate, zero: zeroData) }
        if b < 1034 {
            let ind = try pointer(at: off + InodeField.indirect, allocate: allocate)
            if ind == 0 { return 0 }
            return try pointer(at: Int(ind) * blockSize + 4 * (b - 10), allocate: allocate, zero: zeroData)
        }
        guard b < SharedFS.maxLogicalBlocks else { throw .EFBIG }
        let c = b - 1034
        let dbl = try pointer(at: off + InodeField.doubleIndirect, allocate: allocate)
        if dbl == 0 { return 0 }
        let l1 = try pointer(at: Int(dbl) * blockSize + 4 * (c / 1024), allocate: allocate)
        if l1 == 0 { return 0 }
        return try pointer(at: Int(l1) * blockSize + 4 * (c % 1024), allocate: allocate, zero: zeroData)
    }

    /// Frees every block from logical block `first` on, and the indirect blocks left empty.
    func freeBlocks(inode off: Int, fromLogical first: Int) {
        func valid(_ p: UInt32) -> Bool { p >= sb.dataStart && p < sb.totalBlocks }
        for i in min(max(first, 0), 10)..<10 {
            let slot = off + InodeField.direct + 4 * i
            let p = mem.u32(slot)
            if p != 0 { if valid(p) { freeBlock(p) }; mem.setU32(slot, 0) }
        }
        // Frees the leaves from index `from` on (in leaf units) below pointer block `blk`;
        // returns whether the block is now all zero (so the caller may free it).
        func freeTable(_ blk: UInt32, from: Int, level: Int) -> Bool {
            let base = Int(blk) * blockSize
            let perChild = level > 1 ? 1024 : 1
            let first = min(max(from, 0) / perChild, 1024)
            for i in first..<1024 {
                let p = mem.u32(base + 4 * i)
                guard p != 0 else { continue }
                if valid(p) {
                    if level > 1 {
                        if freeTable(p, from: max(from - i * perChild, 0), level: level - 1) {
                            freeBlock(p); mem.setU32(base + 4 * i, 0)
                        }
                        continue
                    }
                    freeBlock(p)
                }
                mem.setU32(base + 4 * i, 0)
            }
            return (0..<1024).allSatisfy { mem.u32(base + 4 * $0) == 0 }
        }
        let ind = mem.u32(off + InodeField.indirect)
        if ind != 0 {
            if !valid(ind) || freeTable(ind, from: first - 10, level: 1) {
                if valid(ind) { freeBlock(ind) }
                mem.setU32(off + InodeField.indirect, 0)
            }
        }
        let dbl = mem.u32(off + InodeField.doubleIndirect)
        if dbl != 0 {
            if !valid(dbl) || freeTable(dbl, from: first - 1034, level: 2) {
                if valid(dbl) { freeBlock(dbl) }
                mem.setU32(off + InodeField.doubleIndirect, 0)
            }
        }
        storeSuperblock()
    }

    /// Number of blocks (data and pointer blocks) an inode holds: what stat's st_blocks
    /// counts, so it runs on every getattr. A 1 GiB file has 257 pointer blocks to scan;
    /// the leaf tables are counted 8 bytes at a time straight from memory.
    func allocatedBlockCount(_ off: Int) -> UInt64 {
        guard let t = type(off), t == .regular || t == .directory || (t == .symlink && size(off) > 40) else { return 0 }
        func valid(_ p: UInt32) -> Bool { p >= sb.dataStart && p < sb.totalBlocks }
        var n: UInt64 = 0
        for i in 0..<10 where mem.u32(off + InodeField.direct + 4 * i) != 0 { n += 1 }
        func table(_ blk: UInt32, level: Int) {
            guard valid(blk) else { return }
            n += 1
            precondition((Int(blk) + 1) * blockSize <= mem.length, "image read out of range")
            let base = UnsafeRawPointer(mem.base + Int(blk) * blockSize)
            if level > 1 {
                for i in 0..<1024 {
                    let p = UInt32(littleEndian: base.load(fromByteOffset: 4 * i, as: UInt32.self))
                    if p != 0 { table(p, level: level - 1) }
                }
            } else {
                var c = 0
                for i in 0..<512 {  // two pointers per load; only zero or not matters
                    let v = base.load(fromByteOffset: 8 * i, as: UInt64.self)
                    c &+= (v & 0xFFFF_FFFF != 0 ? 1 : 0) &+ (v >> 32 != 0 ? 1 : 0)
                }
                n += UInt64(c)
            }
        }
        let ind = mem.u32(off + InodeField.indirect); if ind != 0 { table(ind, level: 1) }
        let dbl = mem.u32(off + InodeField.doubleIndirect); if dbl != 0 { table(dbl, level: 2) }
        return n
    }

    // MARK: byte I/O on an inode's content (files, directories, long symlinks)

    /// Copies up to `count` bytes from `offset` into `dst`; stops at EOF.
    func readContent(_ off: Int, at offset: UInt64, into dst: UnsafeMutableRawPointer, count: Int) throws(LinuxErrno) -> Int {
        let sz = try checkedSize(off)
        guard offset < sz, count > 0 else { return 0 }
        let n = Int(min(UInt64(count), sz - offset))
        var done = 0
        while done < n {
            let pos = Int(offset) + done
            let b = pos / blockSize, within = pos % blockSize
            let chunk = min(blockSize - within, n - done)
            let p = try mapBlock(off, b, allocate: false)
            if p == 0 { (dst + done).initializeMemory(as: UInt8.self, repeating: 0, count: chunk) }
            else { mem.copyOut(at: Int(p) * blockSize + within, into: dst + done, count: chunk) }
            done += chunk
        }
        return n
    }

    /// Writes `src` at `offset`, allocating blocks; extends the size. On ENOSPC after some
    /// bytes were written, returns the short count (the size covers them); with none, throws.
    func writeContent(_ off: Int, at offset: UInt64, from src: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        guard src.count > 0 else { return 0 }
        guard offset <= SharedFS.maxFileSize, UInt64(src.count) <= SharedFS.maxFileSize - offset else { throw .EFBIG }
        let oldSize = try checkedSize(off)
        // Bytes between the old end and the write start must read as zeros.
        if offset > oldSize, oldSize % UInt64(blockSize) != 0 {
            let p = try mapBlock(off, Int(oldSize) / blockSize, allocate: false)
            if p != 0 {
                let from = Int(oldSize % UInt64(blockSize))
                let to = offset / UInt64(blockSize) == oldSize / UInt64(blockSize) ? Int(offset % UInt64(blockSize)) : blockSize
                mem.zero(at: Int(p) * blockSize + from, count: to - from)
            }
        }
        var done = 0
        while done < src.count {
            let pos = Int(offset) + done
            let b = pos / blockSize, within = pos % blockSize
            let chunk = min(blockSize - within, src.count - done)
            let p: UInt32
            // A chunk that covers the whole block overwrites every byte of a new block right
            // away, so it need not be zeroed first (the copy below is the only writer).
            let zero = chunk != blockSize || zeroBlocksUnderWholeBlockWrites
            do { p = try mapBlock(off, b, allocate: true, zeroData: zero) } catch {
                if done == 0 { throw error }
                break
            }
            mem.copyIn(UnsafeRawBufferPointer(rebasing: src[done..<done + chunk]), at: Int(p) * blockSize + within)
            done += chunk
        }
        let end = offset + UInt64(done)
        if end > oldSize { mem.setU64(off + InodeField.fileSize, end) }
        return done
    }

    /// Sets the content size; frees blocks past it and zeroes the tail of the last block.
    func truncateContent(_ off: Int, to newSize: UInt64) throws(LinuxErrno) {
        guard newSize <= SharedFS.maxFileSize else { throw .EFBIG }
        let old = try checkedSize(off)
        if newSize < old {
            let keep = Int((newSize + UInt64(blockSize) - 1) / UInt64(blockSize))
            freeBlocks(inode: off, fromLogical: keep)
            if newSize % UInt64(blockSize) != 0 {
                let p = try mapBlock(off, Int(newSize) / blockSize, allocate: false)
                if p != 0 {
                    let from = Int(newSize % UInt64(blockSize))
                    mem.zero(at: Int(p) * blockSize + from, count: blockSize - from)
                }
            }
        } else if newSize > old, old % UInt64(blockSize) != 0 {
            let p = try mapBlock(off, Int(old) / blockSize, allocate: false)
            if p != 0 {
                let from = Int(old % UInt64(blockSize))
                mem.zero(at: Int(p) * blockSize + from, count: blockSize - from)
            }
        }
        mem.setU64(off + InodeField.fileSize, newSize)
    }
}
