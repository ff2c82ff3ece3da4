// SharedFS.swift: the block filesystem inside an image, as an object you can edit.
//
// Kandelo calls the ext2-like layout inside a `.vfs` "SharedFS" (kandelo-vfs-format.md §5);
// this class owns one, in host memory (ImageMemory), and offers the POSIX inode operations
// that the FUSE mount and the guest kernel are built on. The operations live in files by noun:
//
//   SharedFS.swift     this file: state, mkfs, loading, inode record access, statfs
//   Allocation.swift   inode and block bitmaps, allocation, growth (§5.4, §5.13, §7.1)
//   BlockMap.swift     file block mapping and the block-level read/write/truncate (§5.6)
//   Preallocate.swift  fallocate: reserving blocks, punching holes
//   Directory.swift    directory records, lookup, readdir, insertion, removal (§5.8, §7.3)
//   Namespace.swift    create, mkdir, symlink, mknod, link, unlink, rmdir, rename, paths
//   Attributes.swift   stat and setattr (chmod, chown, truncate, utimens), and the public
//                      byte I/O on an inode: read, readAll, write
//   Lazy.swift         lazy files, lazy archives and metadata sidecars (§6)
//   Fsck.swift         consistency checking
//
// Concurrency: not thread-safe. One owner serializes every call (the service's loop, or a
// lock held by the caller). Errors: a request POSIX refuses throws `LinuxErrno`; a
// structure found corrupt while serving a request also throws `LinuxErrno.EIO` (run fsck
// for the details); a broken invariant of our own is a precondition failure.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class SharedFS: @unchecked Sendable {
    let mem: ImageMemory
    /// In-memory copy of the superblock; `storeSuperblock()` writes it back.
    var sb: Superblock
    /// Next-fit hints of the allocators (§7.1).
    var inodeHint: UInt32 = 2
    var blockHint: UInt32
    /// Milliseconds since the epoch for timestamps. Tests and reproducible builds replace it.
    public var clock: () -> UInt64 = SharedFS.wallClockMilliseconds
    /// Inodes held open by callers (`retain`); an unlinked inode stays until released.
    var openCounts: [UInt32: Int] = [:]
    /// Name → record caches of directories (Directory.swift).
    var directoryIndexes: [UInt32: DirectoryIndex] = [:]
    /// Sidecar state (Lazy.swift).
    var sidecarState = SidecarState()
    /// Refuse every mutation with EROFS.
    public var readOnly = false
    /// Tests only: zero new data blocks even under whole-block writes (the behaviour before
    /// writeContent skipped it), so that both ways can be compared byte for byte.
    var zeroBlocksUnderWholeBlockWrites = false

    // MARK: creation

    /// Makes an empty filesystem (mkfs, §5.2): `size` bytes now, growing up to `maxSize`.
    public init(size: Int, maxSize: Int? = nil) throws(ImageError) {
        let total = UInt32(size / blockSize)
        let maxBlocks = UInt32((maxSize ?? size * 4) / blockSize)
        guard total >= 16 else { throw .corrupt("a filesystem needs at least 16 blocks (64 KiB), asked for \(size) bytes") }
        guard maxBlocks >= total else { throw .corrupt("the maximum size \(maxSize ?? 0) is below the size \(size)") }
        var sb = Superblock.geometry(totalBlocks: total, maxBlocks: maxBlocks)
        if sb.dataStart >= sb.totalBlocks { sb.totalBlocks = sb.dataStart + 1 }
        guard sb.totalBlocks <= maxBlocks || maxSize == nil else {
            throw .corrupt("the maximum size is too small for the metadata of a \(maxBlocks)-block filesystem")
        }
        if sb.maxSizeBlocks < sb.totalBlocks { sb.maxSizeBlocks = sb.totalBlocks }
        mem = try ImageMemory(length: Int(sb.totalBlocks) * blockSize,
                              capacity: SharedFS.capacity(for: sb, sabLength: Int(sb.totalBlocks) * blockSize))
        sb.freeBlocks = sb.totalBlocks - sb.dataStart
        sb.freeInodes = sb.totalInodes - 2
        self.sb = sb
        blockHint = sb.dataStart
        sb.encode(into: mem)
        for b in 0..<sb.dataStart { setBit(block: b, true) }
        setBit(inode: 0, true)
        setBit(inode: 1, true)
        // Root: mode 040755, two links, generation 1, all times 0, first data block.
        let root = inodeOffset(1)
        mem.setU32(root + InodeField.mode, FileType.directory.rawValue | 0o755)
        mem.setU32(root + InodeField.links, 2)
        mem.setU64(root + InodeField.generation, 1)
        guard let block = try? allocateBlock() else { throw .corrupt("no data block for the root directory") }
        mem.setU32(root + InodeField.direct, block)
        writeDirectoryHeader(block: block, ino: 1, parent: 1)
        mem.setU64(root + InodeField.fileSize, 24)
        storeSuperblock()
    }

    /// Adopts loaded SharedFS bytes; validates the superblock and resets runtime fields (§5.12).
    init(memory: ImageMemory, sidecars: Sidecars) throws(ImageError) {
        mem = memory
        sb = try Superblock.decode(memory)
        blockHint = sb.dataStart
        resetRuntimeState()
        try loadSidecars(sidecars)
    }

    /// The most bytes a SAB may reach: the recorded ceiling, bounded by what Kandelo loads.
    static func capacity(for sb: Superblock, sabLength: Int) -> Int {
        let ceiling = min(Int(max(sb.maxSizeBlocks, sb.totalBlocks)) * blockSize, Container.maxImageBytes)
        return max(ceiling, sabLength)
    }

    public static func wallClockMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }

    // MARK: superblock and runtime state

    func storeSuperblock() { sb.encode(into: mem) }

    /// Zeroes the lock words, the FD table and every inode's lock word and open count.
    func resetRuntimeState() {
        if mem.u32(Superblock.Offset.globalLock) != 0 { mem.setU32(Superblock.Offset.globalLock, 0) }
        if mem.u32(Superblock.Offset.namespaceLock) != 0 { mem.setU32(Superblock.Offset.namespaceLock, 0) }
        if !mem.isZero(at: Superblock.fdTableOffset, count: blockSize - Superblock.fdTableOffset) {
            mem.zero(at: Superblock.fdTableOffset, count: blockSize - Superblock.fdTableOffset)
        }
        for ino in 0..<sb.totalInodes {
            let off = inodeOffset(ino)
            if mem.u32(off + InodeField.lock) != 0 { mem.setU32(off + InodeField.lock, 0) }
            if mem.u32(off + InodeField.openCount) != 0 { mem.setU32(off + InodeField.openCount, 0) }
        }
    }

    /// Frees allocated inodes with no links (orphans left by a process that died holding them
    /// open), as Kandelo's restore does. Returns how many were freed.
    @discardableResult
    func freeOrphans() -> Int {
        var n = 0
        for ino in 2..<sb.totalInodes where bit(inode: ino) {
            if mem.u32(inodeOffset(ino) + InodeField.links) == 0 {
                releaseInodeStorage(ino)
                n += 1
            }
        }
        return n
    }

    // MARK: inode records

    /// Byte offset of inode `ino`'s record. `ino` must be < totalInodes.
    @inline(__always) func inodeOffset(_ ino: UInt32) -> Int {
        precondition(ino < sb.totalInodes)
        return (Int(sb.inodeTableStart) + Int(ino / 32)) * blockSize + Int(ino % 32) * InodeField.size
    }

    /// The record of an allocated inode, or ENOENT for a number that names none.
    /// `liveInode` of a file whose content is read or written: EISDIR for a directory,
    /// EINVAL for anything else that is not a regular file (read, write, fallocate).
    func regularInode(_ ino: InodeNumber) throws(LinuxErrno) -> Int {
        let off = try liveInode(ino)
        switch type(off) {
        case .regular: return off
        case .directory: throw .EISDIR
        default: throw .EINVAL
        }
    }

    func liveInode(_ ino: InodeNumber) throws(LinuxErrno) -> Int {
        let n = ino.rawValue
        guard n >= 1, n < sb.totalInodes, bit(inode: n) else { throw .ENOENT }
        return inodeOffset(n)
    }

    func mode(_ off: Int) -> UInt32 { mem.u32(off + InodeField.mode) }
    func type(_ off: Int) -> FileType? { FileType(mode: mode(off)) }
    func size(_ off: Int) -> UInt64 { mem.u64(off + InodeField.fileSize) }
    /// The size, refused with EIO when a corrupt record claims more than the block map holds.
    func checkedSize(_ off: Int) throws(LinuxErrno) -> UInt64 {
        let s = size(off)
        guard s <= SharedFS.maxFileSize else { throw .EIO }
        return s
    }
    func links(_ off: Int) -> UInt32 { mem.u32(off + InodeField.links) }

    func touch(_ off: Int, modified: Bool = true, changed: Bool = true) {
        let now = clock()
        if modified { mem.setU64(off + InodeField.mtime, now) }
        if changed { mem.setU64(off + InodeField.ctime, now) }
    }

    func bumpDataSequence(_ off: Int) {
        mem.setU32(off + InodeField.dataSequence, mem.u32(off + InodeField.dataSequence) &+ 1)
    }

    func checkWritable() throws(LinuxErrno) { if readOnly { throw .EROFS } }

    // MARK: open references (open-but-unlinked files)

    /// Notes that a caller holds `ino` open; an unlinked inode lives until the last release.
    public func retain(_ ino: InodeNumber) { openCounts[ino.rawValue, default: 0] += 1 }

    /// Drops one `retain`; frees the inode if it has no links left and no other holder.
    public func release(_ ino: InodeNumber) {
        guard let c = openCounts[ino.rawValue] else { return }
        if c > 1 { openCounts[ino.rawValue] = c - 1; return }
        openCounts[ino.rawValue] = nil
        let n = ino.rawValue
        if n >= 2, n < sb.totalInodes, bit(inode: n), links(inodeOffset(n)) == 0, !readOnly {
            releaseInodeStorage(n)
        }
    }

    public func isOpen(_ ino: InodeNumber) -> Bool { openCounts[ino.rawValue] != nil }

    // MARK: statfs

    public struct Statistics: Equatable, Sendable {
        public var blockSize: Int
        /// Blocks the filesystem may reach (its ceiling), as Kandelo's statfs reports.
        public var totalBlocks: UInt64
        /// Free blocks now plus those growth can still add.
        public var freeBlocks: UInt64
        public var totalInodes: UInt64
        public var freeInodes: UInt64
        public var maxNameLength: Int
        /// Blocks in the current SAB (before growth).
        public var currentBlocks: UInt64
    }

    public func statistics() -> Statistics {
        let ceiling = UInt64(max(sb.totalBlocks, min(sb.maxSizeBlocks, UInt32(mem.capacity / blockSize))))
        let growable = ceiling - UInt64(sb.totalBlocks)
        return Statistics(blockSize: blockSize, totalBlocks: ceiling,
                          freeBlocks: UInt64(sb.freeBlocks) + growable,
                          totalInodes: UInt64(sb.totalInodes), freeInodes: UInt64(sb.freeInodes),
                          maxNameLength: 255, currentBlocks: UInt64(sb.totalBlocks))
    }

    /// Whether memory past the end of the image is faulted in ahead of its growth by a
    /// background thread, so that writing a big new file does not take a page fault per
    /// block (ImageMemory.swift, Populator). For long-lived writers such as the FUSE
    /// mount; it never changes content. Default off.
    public var prefaultsAhead: Bool {
        get { mem.prefaultsAhead }
        set { mem.prefaultsAhead = newValue }
    }

    public var superblock: Superblock { sb }
    /// Current SAB length in bytes (the container's sabLen).
    public var sabLength: Int { mem.length }
}
