// Allocation.swift: bitmaps, inode and block allocation, growth
// (kandelo-vfs-format.md §5.4, §5.10, §5.13, §7.1).
//
// Bit k of a bitmap is bit (k % 8) of byte k / 8 from the bitmap's first block; 1 = used.
// Both allocators are next-fit: scan up from a hint, wrap around once, take the first clear
// bit; Kandelo's allocation order is reproduced exactly, so builds can match it byte for
// byte. A block allocation that finds no free block grows the filesystem by one chunk
// (256 blocks) up to `max_size_blocks`, then fails with ENOSPC.

extension SharedFS {
    // MARK: bits

    @inline(__always) private func bitLocation(start: UInt32, _ k: UInt32) -> (Int, UInt8) {
        (Int(start) * blockSize + Int(k / 8), UInt8(1) << UInt8(k % 8))
    }

    func bit(inode k: UInt32) -> Bool {
        let (off, mask) = bitLocation(start: sb.inodeBitmapStart, k)
        return mem.base.load(fromByteOffset: off, as: UInt8.self) & mask != 0
    }

    func bit(block k: UInt32) -> Bool {
        let (off, mask) = bitLocation(start: sb.blockBitmapStart, k)
        return mem.base.load(fromByteOffset: off, as: UInt8.self) & mask != 0
    }

    private func setBit(start: UInt32, _ k: UInt32, _ on: Bool) {
        let (off, mask) = bitLocation(start: start, k)
        let old = mem.base.load(fromByteOffset: off, as: UInt8.self)
        mem.base.storeBytes(of: on ? old | mask : old & ~mask, toByteOffset: off, as: UInt8.self)
        mem.markDirty(block: off / blockSize)
    }

    func setBit(inode k: UInt32, _ on: Bool) { setBit(start: sb.inodeBitmapStart, k, on) }
    func setBit(block k: UInt32, _ on: Bool) { setBit(start: sb.blockBitmapStart, k, on) }

    /// First clear bit in [lo, hi) starting at `hint`, wrapping once; skips full bytes.
    private func findClear(start: UInt32, lo: UInt32, hi: UInt32, hint: UInt32) -> UInt32? {
        guard lo < hi else { return nil }
        let h = (hint >= lo && hint < hi) ? hint : lo
        func scan(_ from: UInt32, _ to: UInt32) -> UInt32? {
            var k = from
            let base = Int(start) * blockSize
            while k < to {
                if k % 8 == 0, k + 8 <= to, mem.base.load(fromByteOffset: base + Int(k / 8), as: UInt8.self) == 0xFF {
                    k += 8; continue
                }
                if mem.base.load(fromByteOffset: base + Int(k / 8), as: UInt8.self) & (1 << UInt8(k % 8)) == 0 { return k }
                k += 1
            }
            return nil
        }
        return scan(h, hi) ?? scan(lo, h)
    }

    // MARK: inodes

    /// Allocates an inode: zeroed record, generation from the global counter (§7.1).
    func allocateInode() throws(LinuxErrno) -> UInt32 {
        guard sb.freeInodes > 0,
              let ino = findClear(start: sb.inodeBitmapStart, lo: 2, hi: sb.totalInodes, hint: inodeHint)
        else { throw .ENOSPC }
        setBit(inode: ino, true)
        sb.freeInodes -= 1
        inodeHint = ino + 1 >= sb.totalInodes ? 2 : ino + 1
        let off = inodeOffset(ino)
        mem.zero(at: off, count: InodeField.size)
        sb.generation &+= 1
        mem.setU64(off + InodeField.generation, UInt64(sb.generation))
        storeSuperblock()
        return ino
    }

    /// Frees an inode's blocks and its number. The record keeps its stale bytes, as Kandelo's
    /// does; the bitmap is what says it is free.
    func releaseInodeStorage(_ ino: UInt32) {
        let off = inodeOffset(ino)
        if let t = type(off), t == .regular || t == .directory || (t == .symlink && size(off) > UInt64(InodeField.inlineSymlinkMax)) {
            freeBlocks(inode: off, fromLogical: 0)
        }
        mem.setU32(off + InodeField.links, 0)
        mem.setU64(off + InodeField.fileSize, 0)
        setBit(inode: ino, false)
        sb.freeInodes += 1
        if ino < inodeHint { inodeHint = ino }
        directoryIndexes[ino] = nil
        openCounts[ino] = nil
        sidecarInodeFreed(ino)
        storeSuperblock()
    }

    // MARK: blocks

    /// Allocates a data block, growing the filesystem when none is free. The block is zeroed
    /// unless `zero` is false, which only a caller that overwrites all 4096 bytes before
    /// anything can read them may ask for (a whole-block write: BlockMap.writeContent). A
    /// freed block keeps its old bytes, so every other caller must take the zeroed block.
    func allocateBlock(zero: Bool = true) throws(LinuxErrno) -> UInt32 {
        if sb.freeBlocks == 0 { try grow() }
        guard let b = findClear(start: sb.blockBitmapStart, lo: sb.dataStart, hi: sb.totalBlocks, hint: blockHint) else {
            throw .ENOSPC
        }
        setBit(block: b, true)
        sb.freeBlocks -= 1
        blockHint = b + 1 >= sb.totalBlocks ? sb.dataStart : b + 1
        if zero { mem.zero(at: Int(b) * blockSize, count: blockSize) }
        // Only the free count changed (grow() stores the whole superblock itself); this runs
        // once per block of every write, so it stores that one field.
        mem.setU32(Superblock.Offset.freeBlocks, sb.freeBlocks)
        return b
    }

    func freeBlock(_ b: UInt32) {
        guard b >= sb.dataStart, b < sb.totalBlocks, bit(block: b) else { return }  // never free twice
        setBit(block: b, false)
        sb.freeBlocks += 1
        if b < blockHint { blockHint = b }
    }

    /// Adds one chunk of blocks (§5.13); ENOSPC at the ceiling.
    func grow() throws(LinuxErrno) {
        let ceiling = min(sb.maxSizeBlocks, UInt32(mem.capacity / blockSize))
        guard sb.totalBlocks < ceiling else { throw .ENOSPC }
        let chunk = min(sb.growChunkBlocks == 0 ? 256 : sb.growChunkBlocks, ceiling - sb.totalBlocks)
        let old = sb.totalBlocks
        let newLength = Int(old + chunk) * blockSize
        if newLength > mem.length { mem.grow(to: newLength) }
        sb.totalBlocks += chunk
        sb.freeBlocks += chunk
        sb.generation &+= 1
        blockHint = old
        storeSuperblock()
    }
}
