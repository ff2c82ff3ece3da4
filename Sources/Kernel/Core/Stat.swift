// Stat.swift: file attributes as the kernel passes them around; VFS/StatABI.swift writes
// them in the guest's layouts (statx, struct stat64).
public struct KStat: Equatable, Sendable {
    public var dev: UInt64 = 0
    public var ino: UInt64 = 0
    public var mode: UInt32 = 0
    public var nlink: UInt32 = 1
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var rdev: UInt64 = 0
    public var size: Int64 = 0
    public var blksize: Int32 = 4096
    public var blocks: Int64 = 0
    public var atime: (sec: Int64, nsec: UInt32) = (0, 0)
    public var mtime: (sec: Int64, nsec: UInt32) = (0, 0)
    public var ctime: (sec: Int64, nsec: UInt32) = (0, 0)
    public var btime: (sec: Int64, nsec: UInt32)? = nil
    public init() {}

    public static func == (a: KStat, b: KStat) -> Bool {
        a.dev == b.dev && a.ino == b.ino && a.mode == b.mode && a.nlink == b.nlink && a.uid == b.uid
            && a.gid == b.gid && a.rdev == b.rdev && a.size == b.size && a.blocks == b.blocks
            && a.atime == b.atime && a.mtime == b.mtime && a.ctime == b.ctime
    }
}
