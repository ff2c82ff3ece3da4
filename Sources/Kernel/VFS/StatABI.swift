// StatABI.swift: KStat (and statfs numbers) in the guest's struct layouts (sdk/ABI.md §3).
//
// struct stat64 (asm-generic, 32-bit; fstat64 / fstatat64), 104 bytes:
//     0 u64 dev      8 u64 ino     16 u32 mode    20 u32 nlink   24 u32 uid   28 u32 gid
//    32 u64 rdev    40 u64 pad    48 i64 size    56 i32 blksize  60 pad     64 i64 blocks
//    72 i32 atime  76 u32 atime_nsec  80 mtime 84 mtime_nsec  88 ctime 92 ctime_nsec  96 u32[2]
//
// struct statx (Linux), 256 bytes:
//     0 u32 mask   4 u32 blksize   8 u64 attributes  16 u32 nlink  20 u32 uid  24 u32 gid
//    28 u16 mode  30 pad  32 u64 ino  40 u64 size  48 u64 blocks  56 u64 attributes_mask
//    64 atime  80 btime  96 ctime  112 mtime   (struct statx_timestamp: i64 sec, u32 nsec, i32 pad)
//   128 u32 rdev_major 132 rdev_minor 136 dev_major 140 dev_minor  144 u64 mnt_id
//   152 u32 dio_mem_align 156 u32 dio_offset_align  160.. spare (zero)
//
// struct statfs64 (asm-generic, 32-bit words), 88 bytes (84 where the arch packs it):
//     0 u32 type  4 u32 bsize  8 u64 blocks  16 u64 bfree  24 u64 bavail  32 u64 files
//    40 u64 ffree  48 i32[2] fsid  56 u32 namelen  60 u32 frsize  64 u32 flags  68 u32[4] spare
import VFSImage

struct ByteLayout {
    var bytes: [UInt8]
    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }
    mutating func put<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        var x = v.littleEndian
        withUnsafeBytes(of: &x) { raw in
            for i in 0..<raw.count { bytes[offset + i] = raw[i] }
        }
    }
}

public enum StatABI {
    public static let stat64Size = 104
    public static let statxSize = 256
    public static let statfs64Size = 88

    // statx mask bits
    public static let STATX_TYPE: UInt32 = 0x1
    public static let STATX_MODE: UInt32 = 0x2
    public static let STATX_NLINK: UInt32 = 0x4
    public static let STATX_UID: UInt32 = 0x8
    public static let STATX_GID: UInt32 = 0x10
    public static let STATX_ATIME: UInt32 = 0x20
    public static let STATX_MTIME: UInt32 = 0x40
    public static let STATX_CTIME: UInt32 = 0x80
    public static let STATX_INO: UInt32 = 0x100
    public static let STATX_SIZE: UInt32 = 0x200
    public static let STATX_BLOCKS: UInt32 = 0x400
    public static let STATX_BASIC_STATS: UInt32 = 0x7ff
    public static let STATX_BTIME: UInt32 = 0x800
    public static let STATX_MNT_ID: UInt32 = 0x1000
    public static let STATX__RESERVED: UInt32 = 0x8000_0000

    public static func stat64(_ s: KStat) -> [UInt8] {
        var b = ByteLayout(size: stat64Size)
        b.put(s.dev, at: 0)
        b.put(s.ino, at: 8)
        b.put(s.mode, at: 16)
        b.put(s.nlink, at: 20)
        b.put(s.uid, at: 24)
        b.put(s.gid, at: 28)
        b.put(s.rdev, at: 32)
        b.put(s.size, at: 48)
        b.put(s.blksize, at: 56)
        b.put(s.blocks, at: 64)
        b.put(Int32(truncatingIfNeeded: s.atime.sec), at: 72)
        b.put(s.atime.nsec, at: 76)
        b.put(Int32(truncatingIfNeeded: s.mtime.sec), at: 80)
        b.put(s.mtime.nsec, at: 84)
        b.put(Int32(truncatingIfNeeded: s.ctime.sec), at: 88)
        b.put(s.ctime.nsec, at: 92)
        return b.bytes
    }

    public static func statx(_ s: KStat, mountID: Int) -> [UInt8] {
        var b = ByteLayout(size: statxSize)
        var mask = STATX_BASIC_STATS | STATX_MNT_ID
        if s.btime != nil { mask |= STATX_BTIME }
        b.put(mask, at: 0)
        b.put(UInt32(bitPattern: s.blksize), at: 4)
        b.put(s.nlink, at: 16)
        b.put(s.uid, at: 20)
        b.put(s.gid, at: 24)
        b.put(UInt16(truncatingIfNeeded: s.mode), at: 28)
        b.put(s.ino, at: 32)
        b.put(s.size, at: 40)
        b.put(s.blocks, at: 48)
        func time(_ t: (sec: Int64, nsec: UInt32), _ at: Int) {
            b.put(t.sec, at: at)
            b.put(t.nsec, at: at + 8)
        }
        time(s.atime, 64)
        if let bt = s.btime { time(bt, 80) }
        time(s.ctime, 96)
        time(s.mtime, 112)
        b.put(DeviceNumber.major(s.rdev), at: 128)
        b.put(DeviceNumber.minor(s.rdev), at: 132)
        b.put(DeviceNumber.major(s.dev), at: 136)
        b.put(DeviceNumber.minor(s.dev), at: 140)
        b.put(UInt64(mountID + 1), at: 144)
        return b.bytes
    }

    public struct StatFS: Equatable, Sendable {
        public var type: UInt32
        public var bsize: UInt32 = 4096
        public var blocks: UInt64 = 0
        public var bfree: UInt64 = 0
        public var bavail: UInt64 = 0
        public var files: UInt64 = 0
        public var ffree: UInt64 = 0
        public var fsid: UInt64 = 0
        public var namelen: UInt32 = 255
        public var frsize: UInt32 = 4096
        public var flags: UInt32 = 0x20   // ST_VALID
    }

    public static func statfs64(_ s: StatFS, size: Int = statfs64Size) -> [UInt8] {
        var b = ByteLayout(size: statfs64Size)
        b.put(s.type, at: 0)
        b.put(s.bsize, at: 4)
        b.put(s.blocks, at: 8)
        b.put(s.bfree, at: 16)
        b.put(s.bavail, at: 24)
        b.put(s.files, at: 32)
        b.put(s.ffree, at: 40)
        b.put(UInt32(truncatingIfNeeded: s.fsid), at: 48)
        b.put(UInt32(truncatingIfNeeded: s.fsid >> 32), at: 52)
        b.put(s.namelen, at: 56)
        b.put(s.frsize, at: 60)
        b.put(s.flags, at: 64)
        return Array(b.bytes.prefix(size))
    }
}
