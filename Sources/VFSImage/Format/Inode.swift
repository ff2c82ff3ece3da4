// Inode.swift: the 128-byte inode record (kandelo-vfs-format.md §5.5–§5.7).
//
//   off type    field                off type    field
//     0 u32     lock word (runtime)   88 u32     single-indirect block
//     4 u32     unused                92 u32     double-indirect block
//     8 u32     mode (S_IFMT|perms)   96 u32     uid
//    12 u32     link count           100 u32     gid
//    16 u64     size (bytes)         104 u64     generation
//    24 u64     mtime (ms)           112 u32     open count (runtime)
//    32 u64     ctime (ms)           116 u32     directory mutation sequence
//    40 u64     atime (ms)           120 u32     data sequence
//    48 u32×10  direct blocks        124 u32     reserved
//               (or ≤ 40 bytes of inline symlink target)
//
// Record of inode `n`: (inode_table_start + n/32) × 4096 + (n % 32) × 128.
// Device nodes, FIFOs and sockets are our extension (SharedFS never makes them): their mode
// carries S_IFCHR/S_IFBLK/S_IFIFO/S_IFSOCK and, for devices, `direct[0]` holds the Linux
// rdev encoding (as ext2 keeps it in i_block[0]); they own no blocks.

public struct InodeNumber: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ v: UInt32) { rawValue = v }
    /// The root directory. Inode 0 is reserved and means "empty slot" in directories.
    public static let root = InodeNumber(1)
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "inode \(rawValue)" }
}

/// File type bits of a mode (`S_IFMT`), Linux values.
public enum FileType: UInt32, Sendable, CaseIterable {
    case fifo = 0o010000, characterDevice = 0o020000, directory = 0o040000
    case blockDevice = 0o060000, regular = 0o100000, symlink = 0o120000, socket = 0o140000

    public static let mask: UInt32 = 0o170000
    public init?(mode: UInt32) { self.init(rawValue: mode & FileType.mask) }

    /// The `d_type` value of getdents64 / readdir.
    public var direntType: UInt8 {
        switch self {
        case .fifo: 1; case .characterDevice: 2; case .directory: 4; case .blockDevice: 6
        case .regular: 8; case .symlink: 10; case .socket: 12
        }
    }
    /// One letter, as `ls -l` and the mkrootfs manifest spell it.
    public var letter: Character {
        switch self {
        case .fifo: "p"; case .characterDevice: "c"; case .directory: "d"; case .blockDevice: "b"
        case .regular: "f"; case .symlink: "l"; case .socket: "s"
        }
    }
}

enum InodeField {
    static let size = 128
    static let lock = 0, mode = 8, links = 12, fileSize = 16
    static let mtime = 24, ctime = 32, atime = 40
    static let direct = 48, indirect = 88, doubleIndirect = 92
    static let uid = 96, gid = 100, generation = 104, openCount = 112
    static let dirSequence = 116, dataSequence = 120
    static let directCount = 10
    static let inlineSymlinkMax = 40
    static let pointersPerBlock = 1024
}

/// A snapshot of an inode's attributes, as `stat` reports them.
public struct InodeAttributes: Equatable, Sendable {
    public var ino: InodeNumber
    public var mode: UInt32
    public var linkCount: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Logical size. For a lazy stub, the declared size of its content.
    public var size: UInt64
    /// Times in milliseconds since the epoch (the format's precision).
    public var atimeMs: UInt64
    public var mtimeMs: UInt64
    public var ctimeMs: UInt64
    /// Device number (Linux encoding) for character and block devices, else 0.
    public var rdev: UInt32
    /// 512-byte units allocated, like `st_blocks` (data plus indirect blocks).
    public var blocks: UInt64
    public var generation: UInt64
    public var dataSequence: UInt32
    public var directorySequence: UInt32

    public var type: FileType? { FileType(mode: mode) }
    public var permissions: UInt32 { mode & 0o7777 }
}

/// Nanosecond time as callers give it (utimensat, FUSE setattr); stored as milliseconds.
public struct Timestamp: Equatable, Sendable {
    public var seconds: Int64
    public var nanoseconds: Int64
    public init(seconds: Int64, nanoseconds: Int64) { self.seconds = seconds; self.nanoseconds = nanoseconds }
    public init(milliseconds: UInt64) {
        seconds = Int64(milliseconds / 1000); nanoseconds = Int64(milliseconds % 1000) * 1_000_000
    }
    /// Milliseconds, truncated toward the past; times before 1970 clamp to 0 (u64 field).
    public var milliseconds: UInt64 {
        let ms = seconds * 1000 + nanoseconds / 1_000_000
        return ms < 0 ? 0 : UInt64(ms)
    }
}
