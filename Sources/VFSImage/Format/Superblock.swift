// Superblock.swift: block 0 of the SharedFS area (kandelo-vfs-format.md §5.2, §5.3).
//
//   block 0   bytes 0-255     superblock (u32 fields below, little-endian)
//             bytes 256-4095  FD table: runtime only, always zero in an image
//   block 1   inode bitmap           (ibBlocks)
//   ...       block bitmap           (bbBlocks, sized for the MAXIMUM capacity)
//   ...       inode table            (itBlocks, 32 inodes of 128 bytes per block)
//   dataStart data blocks ...  totalBlocks (grows by growChunk up to maxSizeBlocks)
//
//   off field                 off field
//    0  magic "SFFS"           40 dataStart
//    4  version (1)            44 inodeBitmapBlocks
//    8  blockSize (4096)       48 blockBitmapBlocks
//   12  totalBlocks            52 inodeTableBlocks
//   16  totalInodes            56 generation (global counter)
//   20  freeBlocks             60 global lock word (runtime, 0 in images)
//   24  freeInodes             64 namespace lock word (runtime, 0 in images)
//   28  inodeBitmapStart (1)   68 maxSizeBlocks (growth ceiling)
//   32  blockBitmapStart       72 growChunkBlocks (256)
//   36  inodeTableStart        76-255 reserved, zero

public struct Superblock: Equatable, Sendable {
    public static let magic: UInt32 = 0x5346_4653
    public static let version: UInt32 = 1
    public static let fdTableOffset = 256

    public var totalBlocks: UInt32
    public var totalInodes: UInt32
    public var freeBlocks: UInt32
    public var freeInodes: UInt32
    public var inodeBitmapStart: UInt32
    public var blockBitmapStart: UInt32
    public var inodeTableStart: UInt32
    public var dataStart: UInt32
    public var inodeBitmapBlocks: UInt32
    public var blockBitmapBlocks: UInt32
    public var inodeTableBlocks: UInt32
    public var generation: UInt32
    public var maxSizeBlocks: UInt32
    public var growChunkBlocks: UInt32

    /// Field offsets, in on-disk order.
    enum Offset {
        static let magic = 0, version = 4, blockSize = 8, totalBlocks = 12, totalInodes = 16
        static let freeBlocks = 20, freeInodes = 24, inodeBitmapStart = 28, blockBitmapStart = 32
        static let inodeTableStart = 36, dataStart = 40, inodeBitmapBlocks = 44
        static let blockBitmapBlocks = 48, inodeTableBlocks = 52, generation = 56
        static let globalLock = 60, namespaceLock = 64, maxSizeBlocks = 68, growChunkBlocks = 72
    }

    /// Geometry for a fresh filesystem (§5.2): `totalBlocks` blocks now, `maxBlocks` at most.
    public static func geometry(totalBlocks: UInt32, maxBlocks: UInt32) -> Superblock {
        let totalInodes = roundUp(max(maxBlocks / 4, 32), 32)
        let ib = (totalInodes + 32767) / 32768
        let bb = (maxBlocks + 32767) / 32768
        let it = (totalInodes * 128 + 4095) / 4096
        let dataStart = 1 + ib + bb + it
        return Superblock(totalBlocks: totalBlocks, totalInodes: totalInodes,
                          freeBlocks: 0, freeInodes: 0,
                          inodeBitmapStart: 1, blockBitmapStart: 1 + ib, inodeTableStart: 1 + ib + bb,
                          dataStart: dataStart, inodeBitmapBlocks: ib, blockBitmapBlocks: bb,
                          inodeTableBlocks: it, generation: 1, maxSizeBlocks: maxBlocks,
                          growChunkBlocks: 256)
    }

    static func roundUp(_ v: UInt32, _ m: UInt32) -> UInt32 { (v + m - 1) / m * m }

    /// Reads and validates the superblock of `mem` (§5.3 hard requirements + geometry).
    static func decode(_ mem: ImageMemory) throws(ImageError) -> Superblock {
        guard mem.length >= blockSize else {
            throw .truncated("the filesystem area is \(mem.length) bytes, less than one 4096-byte block")
        }
        guard mem.u32(Offset.magic) == magic else {
            throw .corrupt("superblock magic is \(hex32(mem.u32(Offset.magic))), expected \(hex32(magic)) (\"SFFS\")")
        }
        guard mem.u32(Offset.version) == version else {
            throw .unsupportedVersion("superblock version \(mem.u32(Offset.version)), this tool reads version 1")
        }
        guard mem.u32(Offset.blockSize) == UInt32(blockSize) else {
            throw .corrupt("superblock block size \(mem.u32(Offset.blockSize)), expected 4096")
        }
        let sb = Superblock(
            totalBlocks: mem.u32(Offset.totalBlocks), totalInodes: mem.u32(Offset.totalInodes),
            freeBlocks: mem.u32(Offset.freeBlocks), freeInodes: mem.u32(Offset.freeInodes),
            inodeBitmapStart: mem.u32(Offset.inodeBitmapStart), blockBitmapStart: mem.u32(Offset.blockBitmapStart),
            inodeTableStart: mem.u32(Offset.inodeTableStart), dataStart: mem.u32(Offset.dataStart),
            inodeBitmapBlocks: mem.u32(Offset.inodeBitmapBlocks), blockBitmapBlocks: mem.u32(Offset.blockBitmapBlocks),
            inodeTableBlocks: mem.u32(Offset.inodeTableBlocks), generation: mem.u32(Offset.generation),
            maxSizeBlocks: mem.u32(Offset.maxSizeBlocks), growChunkBlocks: mem.u32(Offset.growChunkBlocks))
        try sb.validate(sabLength: mem.length)
        return sb
    }

    /// Structural checks that every later bounds check relies on.
    func validate(sabLength: Int) throws(ImageError) {
        func bad(_ s: String) -> ImageError { .corrupt("superblock: \(s)") }
        let sabBlocks = sabLength / blockSize
        guard totalInodes >= 32, totalInodes % 32 == 0, totalInodes <= 1 << 26 else {
            throw bad("total_inodes \(totalInodes) is not a positive multiple of 32 in range")
        }
        guard inodeBitmapStart == 1 else { throw bad("inode_bitmap_start \(inodeBitmapStart), expected 1") }
        guard UInt64(inodeBitmapBlocks) * 32768 >= UInt64(totalInodes) else {
            throw bad("inode bitmap (\(inodeBitmapBlocks) blocks) cannot hold \(totalInodes) inodes")
        }
        guard blockBitmapStart == 1 + inodeBitmapBlocks else {
            throw bad("block_bitmap_start \(blockBitmapStart) does not follow the inode bitmap")
        }
        guard UInt64(inodeTableStart) == UInt64(blockBitmapStart) + UInt64(blockBitmapBlocks) else {
            throw bad("inode_table_start \(inodeTableStart) does not follow the block bitmap")
        }
        guard UInt64(inodeTableBlocks) * 32 >= UInt64(totalInodes) else {
            throw bad("inode table (\(inodeTableBlocks) blocks) cannot hold \(totalInodes) inodes")
        }
        guard UInt64(dataStart) == UInt64(inodeTableStart) + UInt64(inodeTableBlocks) else {
            throw bad("data_start \(dataStart) does not follow the inode table")
        }
        guard dataStart < totalBlocks else { throw bad("data_start \(dataStart) ≥ total_blocks \(totalBlocks)") }
        guard Int(totalBlocks) <= sabBlocks else {
            throw bad("total_blocks \(totalBlocks) exceeds the \(sabBlocks) blocks present (sabLen \(sabLength))")
        }
        guard maxSizeBlocks >= totalBlocks || maxSizeBlocks == 0 else {
            throw bad("max_size_blocks \(maxSizeBlocks) < total_blocks \(totalBlocks)")
        }
        guard UInt64(blockBitmapBlocks) * 32768 >= UInt64(max(maxSizeBlocks, totalBlocks)) else {
            throw bad("block bitmap (\(blockBitmapBlocks) blocks) cannot cover \(max(maxSizeBlocks, totalBlocks)) blocks")
        }
        guard freeBlocks <= totalBlocks - dataStart else { throw bad("free_blocks \(freeBlocks) exceeds the data area") }
        guard freeInodes <= totalInodes - 2 else { throw bad("free_inodes \(freeInodes) exceeds total_inodes - 2") }
    }

    func encode(into mem: ImageMemory) {
        mem.setU32(Offset.magic, Superblock.magic)
        mem.setU32(Offset.version, Superblock.version)
        mem.setU32(Offset.blockSize, UInt32(blockSize))
        mem.setU32(Offset.totalBlocks, totalBlocks)
        mem.setU32(Offset.totalInodes, totalInodes)
        mem.setU32(Offset.freeBlocks, freeBlocks)
        mem.setU32(Offset.freeInodes, freeInodes)
        mem.setU32(Offset.inodeBitmapStart, inodeBitmapStart)
        mem.setU32(Offset.blockBitmapStart, blockBitmapStart)
        mem.setU32(Offset.inodeTableStart, inodeTableStart)
        mem.setU32(Offset.dataStart, dataStart)
        mem.setU32(Offset.inodeBitmapBlocks, inodeBitmapBlocks)
        mem.setU32(Offset.blockBitmapBlocks, blockBitmapBlocks)
        mem.setU32(Offset.inodeTableBlocks, inodeTableBlocks)
        mem.setU32(Offset.generation, generation)
        mem.setU32(Offset.maxSizeBlocks, maxSizeBlocks)
        mem.setU32(Offset.growChunkBlocks, growChunkBlocks)
    }
}
