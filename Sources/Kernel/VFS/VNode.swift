// VNode.swift: a location in the VFS: which mount, and which inode inside it. A value (no
// reference counting): Process.cwd and Process.root hold VNodes, open files hold their
// VNode plus, for image and tmpfs inodes, an open reference on the inode (SharedFS.retain).
//
// Inode numbers are the backend's own: SharedFS inode numbers for image, tmpfs and devfs
// mounts; ProcFS's encoded numbers (ProcFS.swift) for /proc.

public struct VNode: Hashable, Sendable, CustomStringConvertible {
    public var mountID: Int
    public var ino: UInt64
    public init(mountID: Int, ino: UInt64) { self.mountID = mountID; self.ino = ino }
    public var description: String { "vnode \(mountID):\(ino)" }
}

/// *at() flags (asm-generic fcntl.h).
public enum AtFlags {
    public static let FDCWD: Int32 = -100
    public static let SYMLINK_NOFOLLOW: Int32 = 0x100
    /// unlinkat
    public static let REMOVEDIR: Int32 = 0x200
    /// faccessat2
    public static let EACCESS: Int32 = 0x200
    public static let SYMLINK_FOLLOW: Int32 = 0x400
    public static let NO_AUTOMOUNT: Int32 = 0x800
    public static let EMPTY_PATH: Int32 = 0x1000
    public static let STATX_SYNC_TYPE: Int32 = 0x6000
}

/// Mode bits (Linux values).
enum Mode {
    static let S_IFMT: UInt32 = 0o170000
    static let S_IFSOCK: UInt32 = 0o140000
    static let S_IFLNK: UInt32 = 0o120000
    static let S_IFREG: UInt32 = 0o100000
    static let S_IFBLK: UInt32 = 0o060000
    static let S_IFDIR: UInt32 = 0o040000
    static let S_IFCHR: UInt32 = 0o020000
    static let S_IFIFO: UInt32 = 0o010000
    static let S_ISUID: UInt32 = 0o4000
    static let S_ISGID: UInt32 = 0o2000
    static let S_ISVTX: UInt32 = 0o1000
}

/// Access-check masks (MAY_EXEC, MAY_WRITE, MAY_READ).
public enum Access {
    public static let X: UInt32 = 1
    public static let W: UInt32 = 2
    public static let R: UInt32 = 4
}

extension KStat {
    var type: UInt32 { mode & Mode.S_IFMT }
    var isDirectory: Bool { type == Mode.S_IFDIR }
    var isSymlink: Bool { type == Mode.S_IFLNK }
    var isRegular: Bool { type == Mode.S_IFREG }
}

/// Device numbers in the userspace (glibc/musl) dev_t encoding, which for 32-bit values is
/// also Linux's new_encode_dev form that mknod passes and images store.
enum DeviceNumber {
    static func make(_ major: UInt32, _ minor: UInt32) -> UInt64 {
        let ma = UInt64(major), mi = UInt64(minor)
        return ((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff)
    }
    static func major(_ d: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ((d >> 32) & 0xffff_f000) | ((d >> 8) & 0xfff)) }
    static func minor(_ d: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ((d >> 12) & 0xffff_ff00) | (d & 0xff)) }
}
