// Fsck.swift: consistency checking of a SharedFS.
//
// Checks, each fault reported with the inode, block or offset it concerns:
//   1. bitmaps: metadata blocks marked used, nothing marked past the end, inodes 0 and 1 used;
//   2. every allocated inode: a known type, block pointers inside the data area, no block
//      owned twice, no block mapped past the size, symlink size limits;
//   3. block bitmap against ownership (used but unowned = leaked; owned but free = corrupt);
//   4. free counts in the superblock;
//   5. the tree from the root: valid records, "." and "..", entries naming allocated inodes,
//      no directory reached twice (cycles, hard-linked directories);
//   6. link counts, and allocated inodes no directory names (orphans).

public struct FsckReport: Sendable {
    /// Violations of the format. An image with any is not consistent.
    public var faults: [String] = []
    /// Harmless findings (e.g. orphan inodes Kandelo frees when it loads the image).
    public var notes: [String] = []
    public var inodesChecked = 0
    public var blocksInUse = 0
    public var isConsistent: Bool { faults.isEmpty }
}

extension SharedFS {
    public func check() -> FsckReport {
        var r = FsckReport()
        func fault(_ s: String) { if r.faults.count < 10_000 { r.faults.append(s) } }
        let total = sb.totalBlocks, inodes = sb.totalInodes

        // 1. bitmaps
        for b in 0..<sb.dataStart where !bit(block: b) { fault("block bitmap: metadata block \(b) is marked free") }
        let bitmapBits = sb.blockBitmapBlocks * 32768
        var b = total
        while b < bitmapBits && b < total + 1_048_576 {
            if bit(block: b) { fault("block bitmap: block \(b) beyond total_blocks \(total) is marked used") }
            b += 1
        }
        if !bit(inode: 0) { fault("inode bitmap: reserved inode 0 is marked free") }
        if !bit(inode: 1) { fault("inode bitmap: root inode 1 is marked free"); return r }
        for i in inodes..<min(sb.inodeBitmapBlocks * 32768, inodes + 65536) where bit(inode: i) {
            fault("inode bitmap: inode \(i) beyond total_inodes \(inodes) is marked used")
        }

        // 2. inodes and their blocks
        var owner = [UInt32](repeating: 0, count: Int(total))
        var allocated: [UInt32] = []
        for ino in 1..<inodes where bit(inode: ino) {
            allocated.append(ino)
            r.inodesChecked += 1
            let off = inodeOffset(ino)
            guard let t = type(off) else {
                fault("inode \(ino): unknown file type in mode \(String(mode(off), radix: 8))"); continue
            }
            let sz = size(off)
            if t == .symlink && (sz == 0 || sz > 65_536) { fault("inode \(ino): symlink size \(sz) out of range") }
            let ownsBlocks = t == .regular || t == .directory || (t == .symlink && sz > UInt64(InodeField.inlineSymlinkMax))
            guard ownsBlocks else { continue }
            if sz > SharedFS.maxFileSize { fault("inode \(ino): size \(sz) exceeds the block map"); continue }
            let lastLogical = sz == 0 ? -1 : Int((sz - 1) / UInt64(blockSize))
            func claim(_ p: UInt32, _ what: String) -> Bool {
                guard p >= sb.dataStart && p < total else {
                    fault("inode \(ino): \(what) points to block \(p), outside the data area \(sb.dataStart)..<\(total)")
                    return false
                }
                if owner[Int(p)] != 0 {
                    fault("inode \(ino): \(what) block \(p) is also used by inode \(owner[Int(p)])")
                    return false
                }
                owner[Int(p)] = ino
                return true
            }
            func data(_ p: UInt32, _ logical: Int) {
                guard p != 0 else { return }
                if logical > lastLogical { fault("inode \(ino): logical block \(logical) is mapped past the size \(sz)") }
                _ = claim(p, "logical block \(logical)")
            }
            for i in 0..<10 { data(mem.u32(off + InodeField.direct + 4 * i), i) }
            let ind = mem.u32(off + InodeField.indirect)
            if ind != 0, claim(ind, "single-indirect") {
                for i in 0..<1024 { data(mem.u32(Int(ind) * blockSize + 4 * i), 10 + i) }
            }
            let dbl = mem.u32(off + InodeField.doubleIndirect)
            if dbl != 0, claim(dbl, "double-indirect") {
                for i in 0..<1024 {
                    let l1 = mem.u32(Int(dbl) * blockSize + 4 * i)
                    if l1 != 0, claim(l1, "level-1 indirect #\(i)") {
                        for j in 0..<1024 { data(mem.u32(Int(l1) * blockSize + 4 * j), 1034 + i * 1024 + j) }
                    }
                }
            }
            if t == .directory && sz < 24 { fault("directory inode \(ino): size \(sz) is below 24 (\".\" and \"..\")") }
        }

        // 3. block bitmap against ownership; 4. free counts
        var freeBlocks: UInt32 = 0
        for blk in sb.dataStart..<total {
            let used = bit(block: blk), owned = owner[Int(blk)] != 0
            if !used { freeBlocks += 1 }
            if owned { r.blocksInUse += 1 }
            if owned && !used { fault("block \(blk): used by inode \(owner[Int(blk)]) but marked free in the bitmap") }
            if used && !owned { fault("block \(blk): marked used but no inode owns it (leaked)") }
        }
        if freeBlocks != sb.freeBlocks { fault("superblock: free_blocks is \(sb.freeBlocks), the bitmap has \(freeBlocks)") }
        let freeInodes = sb.totalInodes - 1 - UInt32(allocated.count)  // inode 0 is always used
        if freeInodes != sb.freeInodes { fault("superblock: free_inodes is \(sb.freeInodes), the bitmap has \(freeInodes)") }

        // 5. the tree
        var refs: [UInt32: UInt32] = [:]
        var subdirs: [UInt32: UInt32] = [:]
        var visited: Set<UInt32> = [1]
        var queue: [(UInt32, UInt32)] = [(1, 1)]  // (directory, parent)
        while let (dir, parent) = queue.popLast() {
            let off = inodeOffset(dir)
            guard type(off) == .directory else { fault("inode \(dir): reached as a directory but is not one"); continue }
            var index = 0
            do {
                try forEachRecord(off) { rec throws(LinuxErrno) in
                    defer { index += 1 }
                    let name = recordName(rec)
                    if index == 0 {
                        if name != SharedFS.dot || rec.ino != dir { fault("directory inode \(dir): first record is not \".\" → itself") }
                        return true
                    }
                    if index == 1 {
                        if name != SharedFS.dotdot || rec.ino != parent {
                            fault("directory inode \(dir): second record is not \"..\" → \(parent) (found ino \(rec.ino))")
                        }
                        return true
                    }
                    guard rec.ino != 0 else { return true }
                    let label = "directory inode \(dir) entry \"\(String(decoding: name, as: UTF8.self))\" (offset \(rec.offset))"
                    if name.isEmpty || name.contains(0x2F) || name == SharedFS.dot || name == SharedFS.dotdot {
                        fault("\(label): invalid name")
                    }
                    guard rec.ino < inodes, bit(inode: rec.ino) else {
                        fault("\(label): names inode \(rec.ino), which is not allocated"); return true
                    }
                    refs[rec.ino, default: 0] += 1
                    if type(inodeOffset(rec.ino)) == .directory {
                        subdirs[dir, default: 0] += 1
                        if visited.insert(rec.ino).inserted { queue.append((rec.ino, dir)) }
                        else { fault("\(label): directory inode \(rec.ino) is reached twice (a cycle or a directory hard link)") }
                    }
                    return true
                }
            } catch {
                fault("directory inode \(dir): malformed records or a bad block pointer (record #\(index))")
            }
            if index < 2 { fault("directory inode \(dir): lacks \".\" and \"..\"") }
        }

        // 6. link counts and orphans
        for ino in allocated {
            let off = inodeOffset(ino)
            let n = links(off)
            if type(off) == .directory {
                if ino != 1 && !visited.contains(ino) {
                    fault("directory inode \(ino): not reachable from the root"); continue
                }
                let want = 2 + (subdirs[ino] ?? 0)
                if n != want { fault("directory inode \(ino): link count \(n), expected \(want)") }
            } else {
                let want = refs[ino] ?? 0
                if want == 0 && n == 0 { r.notes.append("inode \(ino): orphan (no links); freed when the image is opened for writing"); continue }
                if want == 0 { fault("inode \(ino): allocated with \(n) link(s) but no directory names it"); continue }
                if n != want { fault("inode \(ino): link count \(n), but \(want) name(s) refer to it") }
            }
        }
        return r
    }
}
