// StatTests.swift: statx, stat64 and statfs64 layouts, and the *at() flag rules.
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

@Suite struct StatTests {
    /// Byte offsets of Linux's struct statx (include/uapi/linux/stat.h).
    @Test func statxLayout() throws {
        let h = try Harness()
        let fd = h.open("/tmp/s", O_CREAT | O_WRONLY, 0o640)
        #expect(h.write(fd, String(repeating: "z", count: 5000)) == 5000)
        #expect(h.sys(__NR_fchownat, -100, Harness.a(h.str("/tmp/s")), 12, 34, 0) == 0)
        let ts = h.alloc(32)
        h.store(ts, Int64(1_600_000_000)); h.store(ts + 8, Int64(250_000_000) | (0x7777 << 32))
        h.store(ts + 16, Int64(1_500_000_000)); h.store(ts + 24, Int64(5_000_000))
        #expect(h.sys(__NR_utimensat_time64, -100, Harness.a(h.str("/tmp/s")), Harness.a(ts), 0) == 0)
        let (r, b) = h.statx("/tmp/s")
        #expect(r == 0)
        let st = try h.vfs.stat(h.t, try h.node("/tmp/s"))
        #expect(h.u32(b + 0) & 0x7ff == 0x7ff, "stx_mask has the basic stats")
        #expect(h.u32(b + 4) == 4096, "stx_blksize")
        #expect(h.u64(b + 8) == 0, "stx_attributes")
        #expect(h.u32(b + 16) == 1, "stx_nlink")
        #expect(h.u32(b + 20) == 12, "stx_uid")
        #expect(h.u32(b + 24) == 34, "stx_gid")
        #expect(h.u16(b + 28) == 0o100640, "stx_mode")
        #expect(h.u64(b + 32) == st.ino, "stx_ino")
        #expect(h.u64(b + 40) == 5000, "stx_size")
        #expect(h.u64(b + 48) == 16, "stx_blocks: two 4 KiB blocks")
        #expect(h.i64(b + 64) == 1_600_000_000, "stx_atime.tv_sec")
        #expect(h.u32(b + 72) == 250_000_000, "stx_atime.tv_nsec (upper half of the guest's nsec ignored)")
        #expect(h.i64(b + 112) == 1_500_000_000, "stx_mtime.tv_sec")
        #expect(h.u32(b + 120) == 5_000_000, "stx_mtime.tv_nsec")
        #expect(h.i64(b + 96) > 0, "stx_ctime")
        let dev = h.vfs.mounts[(try h.node("/tmp")).mountID].dev
        #expect(h.u32(b + 136) == DeviceNumber.major(dev) && h.u32(b + 140) == DeviceNumber.minor(dev), "stx_dev")
        #expect(h.u64(b + 144) == UInt64((try h.node("/tmp")).mountID + 1), "stx_mnt_id (mount ids start at 1)")
        #expect(h.read(b + 160, 96).allSatisfy { $0 == 0 }, "spare space zeroed")
        // Device numbers of a device node.
        let (_, d) = h.statx("/dev/zero")
        #expect(h.u32(d + 128) == 1 && h.u32(d + 132) == 5, "stx_rdev_major/minor")
        #expect(h.u16(d + 28) == 0o020666)
    }

    /// Byte offsets of asm-generic struct stat64 for 32-bit (sdk/ABI.md §3).
    @Test func stat64Layout() throws {
        let h = try Harness()
        let fd = h.open("/etc/motd", O_RDONLY)
        let b = h.alloc(104)
        #expect(h.sys(__NR_fstat64, fd, Harness.a(b)) == 0)
        let st = try h.vfs.stat(h.t, try h.node("/etc/motd"))
        #expect(h.u64(b + 0) == h.vfs.rootMount.dev)
        #expect(h.u64(b + 8) == st.ino)
        #expect(h.u32(b + 16) == 0o100644)
        #expect(h.u32(b + 20) == 1)
        #expect(h.u32(b + 24) == 0 && h.u32(b + 28) == 0)
        #expect(h.u64(b + 32) == 0, "st_rdev")
        #expect(h.i64(b + 48) == 13, "st_size")
        #expect(h.i32(b + 56) == 4096, "st_blksize")
        #expect(h.i64(b + 64) == 8, "st_blocks")
        #expect(h.i32(b + 72) == 1_700_000_000 && h.u32(b + 76) == 123_000_000, "st_atime (the image clock)")
        #expect(h.i32(b + 80) == 1_700_000_000 && h.u32(b + 84) == 123_000_000, "st_mtime")
        #expect(h.i32(b + 88) == 1_700_000_000, "st_ctime")
        #expect(h.read(b + 96, 8).allSatisfy { $0 == 0 })
        // fstatat64 with and without AT_SYMLINK_NOFOLLOW.
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("/etc/motd")), -100, Harness.a(h.str("/tmp/l"))) == 0)
        #expect(h.sys(__NR_fstatat64, -100, Harness.a(h.str("/tmp/l")), Harness.a(b), 0) == 0)
        #expect(h.u32(b + 16) == 0o100644)
        #expect(h.sys(__NR_fstatat64, -100, Harness.a(h.str("/tmp/l")), Harness.a(b), AtFlags.SYMLINK_NOFOLLOW) == 0)
        #expect(h.u32(b + 16) == 0o120777)
        #expect(h.i64(b + 48) == 9, "a symlink's size is its target's length")
        #expect(h.sys(__NR_fstatat64, -100, Harness.a(h.str("/tmp/l")), Harness.a(b), 0x4) == err(.EINVAL))
    }

    @Test func emptyPathAndFlags() throws {
        let h = try Harness()
        let fd = h.open("/etc/motd", O_RDONLY)
        let (r, b) = h.statx("", flags: AtFlags.EMPTY_PATH, dirfd: fd)
        #expect(r == 0 && h.u16(b + 28) == 0o100644)
        #expect(h.statx("", dirfd: fd).0 == err(.ENOENT))
        #expect(h.statx("/etc/motd", flags: 0x6000).0 == err(.EINVAL))
        #expect(h.statx("/etc/motd", flags: 0x2).0 == err(.EINVAL))
        // NULL path with AT_EMPTY_PATH.
        let buf = h.alloc(256)
        #expect(h.sys(__NR_statx, fd, 0, AtFlags.EMPTY_PATH, 0x7ff, Harness.a(buf)) == 0)
        // AT_EMPTY_PATH on a descriptor without a node: the file's own attributes.
        let (r1, b1) = h.statx("", flags: AtFlags.EMPTY_PATH, dirfd: 1)
        #expect(r1 == 0 && h.u16(b1 + 28) == 0o010600 && h.u64(b1 + 32) == 42)
        // fstat of an O_PATH descriptor works.
        let p = h.open("/etc", O_PATH)
        #expect(h.sys(__NR_fstat64, p, Harness.a(buf)) == 0)
        #expect(h.u32(buf + 16) & 0o170000 == 0o040000)
    }

    /// asm-generic struct statfs64 for 32-bit (88 bytes).
    @Test func statfs64Layout() throws {
        let h = try Harness()
        let b = h.alloc(88)
        #expect(h.sys(__NR_statfs64, Harness.a(h.str("/")), 88, Harness.a(b)) == 0)
        let stats = h.image.statistics()
        #expect(h.u32(b + 0) == 0xEF53)
        #expect(h.u32(b + 4) == 4096)
        #expect(h.u64(b + 8) == stats.totalBlocks)
        #expect(h.u64(b + 16) == stats.freeBlocks)
        #expect(h.u64(b + 24) == stats.freeBlocks)
        #expect(h.u64(b + 32) == stats.totalInodes)
        #expect(h.u64(b + 40) == stats.freeInodes)
        #expect(h.u32(b + 56) == 255)
        #expect(h.u32(b + 60) == 4096)
        #expect(h.u32(b + 64) & 0x20 != 0, "ST_VALID")
        #expect(h.sys(__NR_statfs64, Harness.a(h.str("/proc")), 88, Harness.a(b)) == 0)
        #expect(h.u32(b + 0) == 0x9FA0)
        #expect(h.sys(__NR_statfs64, Harness.a(h.str("/tmp")), 88, Harness.a(b)) == 0)
        #expect(h.u32(b + 0) == 0x0102_1994)
        #expect(h.sys(__NR_statfs64, Harness.a(h.str("/tmp")), 64, Harness.a(b)) == err(.EINVAL))
        let fd = h.open("/etc/motd", O_RDONLY)
        #expect(h.sys(__NR_fstatfs64, fd, 88, Harness.a(b)) == 0)
        #expect(h.u32(b + 0) == 0xEF53)
        #expect(h.sys(__NR_fstatfs64, 1, 88, Harness.a(b)) == 0)
        #expect(h.u32(b + 0) == 0x5049_5045, "pipefs for a stream")
    }

    @Test func utimensatForms() throws {
        let h = try Harness()
        let fd = h.open("/tmp/t", O_CREAT | O_WRONLY)
        let ts = h.alloc(32)
        h.store(ts, Int64(100)); h.store(ts + 8, Int64((1 << 30) - 2))       // atime: UTIME_OMIT
        h.store(ts + 16, Int64(200)); h.store(ts + 24, Int64(0))             // mtime: 200
        let before = h.i64(h.statx("/tmp/t").1 + 64)
        #expect(h.sys(__NR_utimensat_time64, fd, 0, Harness.a(ts), 0) == 0, "futimens")
        var b = h.statx("/tmp/t").1
        #expect(h.i64(b + 112) == 200)
        #expect(h.i64(b + 64) == before, "atime omitted")
        h.store(ts + 24, Int64((1 << 30) - 1))                               // mtime: UTIME_NOW
        #expect(h.sys(__NR_utimensat_time64, -100, Harness.a(h.str("/tmp/t")), Harness.a(ts), 0) == 0)
        b = h.statx("/tmp/t").1
        #expect(h.i64(b + 112) > 1_000_000_000)
        h.store(ts + 24, Int64(1_000_000_000))
        #expect(h.sys(__NR_utimensat_time64, -100, Harness.a(h.str("/tmp/t")), Harness.a(ts), 0) == err(.EINVAL))
        #expect(h.sys(__NR_utimensat_time64, -100, Harness.a(h.str("/tmp/t")), 0, 0) == 0, "NULL: now")
        #expect(h.sys(__NR_utimensat_time64, -100, 0, 0, 0) == err(.EFAULT))
        #expect(h.sys(__NR_utimensat_time64, -100, Harness.a(h.str("/tmp/t")), 0, 1) == err(.EINVAL))
    }
}
