// Preallocate.swift: fallocate(2) on a SharedFS file: reserving blocks and punching holes.
//
// Mode 0 maps every hole of the range to a zeroed block and extends the size to its end;
// FALLOC_FL_KEEP_SIZE does the same without changing the size. The format allows no block
// mapped past a file's size (kandelo-vfs-format.md §5.6: fsck reports one as a fault, and
// Kandelo would read it as a corrupt image), so a KEEP_SIZE range reaching past the end
// cannot be represented: it is refused with EOPNOTSUPP, the answer of a filesystem that does
// not preallocate, rather than reserving only part of what was asked.
//
// Either everything asked for is reserved or nothing is: the blocks the range needs (data
// holes and the pointer blocks above them) are counted first and compared with the free
// blocks plus those growth can still add, so ENOSPC comes before anything is changed.

extension SharedFS {
    /// Blocks (data and pointer) that mapping every hole of logical blocks [lo, hi) would
    /// allocate.
    func blocksToMap(_ off: Int, from lo: Int, to hi: Int) throws(LinuxErrno) -> UInt64 {
        guard lo < hi else { return 0 }
        var need: UInt64 = 0
        if lo < 1034 && hi > 10 && mem.u32(off + InodeField.indirect) == 0 { need += 1 }
        if hi > 1034 {
            let dbl = try checkedPointer(mem.u32(off + InodeField.doubleIndirect))
            if dbl == 0 { need += 1 }
            let g0 = (max(lo, 1034) - 1034) / 1024, g1 = (hi - 1 - 1034) / 1024
            for g in g0...g1 where dbl == 0 || mem.u32(Int(dbl) * blockSize + 4 * g) == 0 { need += 1 }
        }
        for b in lo..<hi where try mapBlock(off, b, allocate: false) == 0 { need += 1 }
        return need
    }

    /// Linux `fallocate(fd, 0 or FALLOC_FL_KEEP_SIZE, offset, length)`: every byte of the
    /// range has a block once it returns, so later writes there cannot fail with ENOSPC.
    /// Errors: EFBIG past the block map; EOPNOTSUPP for KEEP_SIZE past the end (see above);
    /// ENOSPC when the filesystem cannot hold the blocks, with nothing allocated.
    public func allocate(_ ino: InodeNumber, offset: UInt64, length: UInt64, keepSize: Bool) throws(LinuxErrno) {
        try checkWritable()
        let off = try regularInode(ino)
        guard length > 0 else { throw .EINVAL }
        guard offset <= SharedFS.maxFileSize, length <= SharedFS.maxFileSize - offset else { throw .EFBIG }
        let size = try checkedSize(off)
        let end = offset + length
        if keepSize && end > size { throw .EOPNOTSUPP }
        let bs = UInt64(blockSize)
        let lo = Int(offset / bs), hi = Int((end + bs - 1) / bs)
        let need = try blocksToMap(off, from: lo, to: hi)
        if need > statistics().freeBlocks { throw .ENOSPC }
        let grows = !keepSize && end > size
        // The size first: truncateContent zeroes the old last block's tail, which the new
        // size exposes, exactly as a truncate up would.
        if grows { try truncateContent(off, to: end) }
        for b in lo..<hi { _ = try mapBlock(off, b, allocate: true) }   // new blocks are zeroed
        storeSuperblock()
        if grows {
            bumpDataSequence(off)
            sidecarDataChanged(ino.rawValue)
        }
        if grows || need > 0 {
            mem.setU32(off + InodeField.mode, mode(off) & ~SharedFS.setuidBits)   // as a write does
            touch(off)
        }
    }

    /// Linux `fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length)`:
    /// the range reads as zeros afterwards; blocks it covers entirely are freed, partial
    /// blocks at its edges are zeroed in place. The size never changes; past it nothing
    /// happens. Pointer blocks left empty stay allocated (they are freed with the file).
    public func punchHole(_ ino: InodeNumber, offset: UInt64, length: UInt64) throws(LinuxErrno) {
        try checkWritable()
        let off = try regularInode(ino)
        guard length > 0 else { throw .EINVAL }
        let size = try checkedSize(off)
        let end = min(offset.addingReportingOverflow(length).overflow ? UInt64.max : offset + length, size)
        guard offset < end else { return }
        let bs = UInt64(blockSize)
        var pos = offset
        while pos < end {
            let b = Int(pos / bs), within = Int(pos % bs)
            let chunk = Int(min(bs - UInt64(within), end - pos))
            if chunk == blockSize {
                if let slot = try pointerSlot(off, b) {
                    let p = mem.u32(slot)
                    if p != 0 { freeBlock(p); mem.setU32(slot, 0) }
                }
            } else {
                let p = try mapBlock(off, b, allocate: false)
                if p != 0 { mem.zero(at: Int(p) * blockSize + within, count: chunk) }
            }
            pos += UInt64(chunk)
        }
        storeSuperblock()
        bumpDataSequence(off)
        sidecarDataChanged(ino.rawValue)
        touch(off)
    }

    /// Byte offset of the slot holding logical block `b`'s pointer, or nil when a pointer
    /// block on the way is missing (the block is a hole).
    private func pointerSlot(_ off: Int, _ b: Int) throws(LinuxErrno) -> Int? {
        if b < 10 { return off + InodeField.direct + 4 * b }
        if b < 1034 {
            let ind = try checkedPointer(mem.u32(off + InodeField.indirect))
            return ind == 0 ? nil : Int(ind) * blockSize + 4 * (b - 10)
        }
        guard b < SharedFS.maxLogicalBlocks else { return nil }
        let c = b - 1034
        let dbl = try checkedPointer(mem.u32(off + InodeField.doubleIndirect))
        if dbl == 0 { return nil }
        let l1 = try checkedPointer(mem.u32(Int(dbl) * blockSize + 4 * (c / 1024)))
        return l1 == 0 ? nil : Int(l1) * blockSize + 4 * (c % 1024)
    }
}
