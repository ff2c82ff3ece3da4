// NamespaceTests.swift: getdents64, mkdir, unlink/rmdir, rename, link, symlink, readlink,
// mknod, and the change notifications for FUSE.
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

@Suite struct NamespaceTests {
    func mkdir(_ h: Harness, _ p: String, _ mode: UInt32 = 0o755) -> Int32 {
        h.sys(__NR_mkdirat, -100, Harness.a(h.str(p)), Int32(mode))
    }
    func unlink(_ h: Harness, _ p: String, dir: Bool = false) -> Int32 {
        h.sys(__NR_unlinkat, -100, Harness.a(h.str(p)), dir ? AtFlags.REMOVEDIR : 0)
    }
    func rename(_ h: Harness, _ a: String, _ b: String, flags: Int32 = 0) -> Int32 {
        h.sys(__NR_renameat2, -100, Harness.a(h.str(a)), -100, Harness.a(h.str(b)), flags)
    }
    func link(_ h: Harness, _ a: String, _ b: String, flags: Int32 = 0) -> Int32 {
        h.sys(__NR_linkat, -100, Harness.a(h.str(a)), -100, Harness.a(h.str(b)), flags)
    }
    func touch(_ h: Harness, _ p: String, _ content: String = "") {
        let fd = h.open(p, O_CREAT | O_WRONLY | O_TRUNC)
        if !content.isEmpty { _ = h.write(fd, content) }
        h.sys(__NR_close, fd)
    }

    @Test func getdentsAcrossManyCallsWithASmallBuffer() throws {
        let h = try Harness()
        #expect(mkdir(h, "/tmp/d") == 0)
        var expected: Set<String> = [".", ".."]
        for i in 0..<150 {
            let name = "entry-\(i)-" + String(repeating: "n", count: i % 37)
            touch(h, "/tmp/d/" + name)
            expected.insert(name)
        }
        let fd = h.open("/tmp/d", O_RDONLY | O_DIRECTORY)
        let names = h.listing(fd, bufSize: 200)
        #expect(names != nil)
        #expect(names!.count == expected.count, "each entry exactly once")
        #expect(Set(names!) == expected)
        // Rewind and list again.
        #expect(h.lseek(fd, 0, 0).1 == 0)
        #expect(h.listing(fd, bufSize: 4096)?.count == expected.count)
        // Records: 8-aligned lengths, d_off is the cookie of the next record, types right.
        #expect(h.lseek(fd, 0, 0).1 == 0)
        let buf = h.alloc(1024)
        let n = h.sys(__NR_getdents64, fd, Harness.a(buf), 1024)
        #expect(n > 0)
        var off: UInt32 = 0
        var lastOff: Int64 = 0
        while off < UInt32(n) {
            let reclen = h.u16(buf + off + 16)
            #expect(reclen % 8 == 0 && reclen >= 24)
            let name = String(decoding: h.read(buf + off + 19, Int(reclen) - 19).prefix { $0 != 0 }, as: UTF8.self)
            let type = h.read(buf + off + 18, 1)[0]
            #expect(type == (name == "." || name == ".." ? 4 : 8))
            #expect(h.u64(buf + off) != 0)
            lastOff = h.i64(buf + off + 8)
            off += UInt32(reclen)
        }
        // Seeking to a reported d_off continues after that record.
        #expect(h.lseek(fd, lastOff, 0).1 == lastOff)
        // A buffer too small for one record.
        #expect(h.sys(__NR_getdents64, fd, Harness.a(buf), 10) == err(.EINVAL))
        let file = h.open("/etc/motd", O_RDONLY)
        #expect(h.sys(__NR_getdents64, file, Harness.a(buf), 1024) == err(.ENOTDIR))
        #expect(h.sys(__NR_getdents64, fd, Int32(Harness.memorySize - 8), 1024) == err(.EFAULT))
    }

    @Test func getdentsResumesWhileEntriesChange() throws {
        let h = try Harness()
        #expect(mkdir(h, "/tmp/d") == 0)
        for i in 0..<40 { touch(h, "/tmp/d/f\(i)") }
        let fd = h.open("/tmp/d", O_RDONLY | O_DIRECTORY)
        let buf = h.alloc(256)
        var seen: [String] = []
        func batch() -> Bool {
            let n = h.sys(__NR_getdents64, fd, Harness.a(buf), 256)
            if n <= 0 { return false }
            var off: UInt32 = 0
            while off < UInt32(n) {
                let reclen = h.u16(buf + off + 16)
                seen.append(String(decoding: h.read(buf + off + 19, Int(reclen) - 19).prefix { $0 != 0 }, as: UTF8.self))
                off += UInt32(reclen)
            }
            return true
        }
        #expect(batch())
        // Remove everything not yet seen except f39, add new names; resume.
        for i in 0..<39 where !seen.contains("f\(i)") { #expect(unlink(h, "/tmp/d/f\(i)") == 0) }
        while batch() {}
        #expect(Set(seen).count == seen.count, "nothing listed twice")
        #expect(seen.contains("f39"), "an entry that stayed is still listed")
    }

    @Test func rootListingShowsMounts() throws {
        let h = try Harness()
        let names = h.ls("/")
        #expect(names == ["bin", "dev", "etc", "home", "proc", "secret", "tmp"])
        #expect(h.ls("/dev") == ["console", "fd", "full", "null", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"])
        #expect(h.ls("/tmp") == [])
    }

    @Test func mkdirAndRmdir() throws {
        let h = try Harness()
        h.process.umask = 0o022
        #expect(mkdir(h, "/tmp/a", 0o777) == 0)
        #expect(h.mode("/tmp/a") == 0o40755)
        #expect(mkdir(h, "/tmp/a") == err(.EEXIST))
        #expect(mkdir(h, "/tmp/a/") == err(.EEXIST))
        #expect(mkdir(h, "/tmp/b/") == 0, "a trailing slash is fine for mkdir")
        #expect(mkdir(h, "/") == err(.EEXIST))
        #expect(mkdir(h, "/tmp/.") == err(.EEXIST))
        #expect(mkdir(h, "/tmp/none/x") == err(.ENOENT))
        #expect(mkdir(h, "/etc/motd/x") == err(.ENOTDIR))
        touch(h, "/tmp/a/f")
        #expect(unlink(h, "/tmp/a", dir: true) == err(.ENOTEMPTY))
        #expect(unlink(h, "/tmp/a/f", dir: true) == err(.ENOTDIR))
        #expect(unlink(h, "/tmp/a/.", dir: true) == err(.EINVAL))
        #expect(unlink(h, "/tmp/a/..", dir: true) == err(.ENOTEMPTY))
        #expect(unlink(h, "/tmp", dir: true) == err(.EBUSY), "a mount point")
        #expect(unlink(h, "/", dir: true) == err(.EBUSY))
        #expect(unlink(h, "/tmp/a") == err(.EISDIR))
        #expect(unlink(h, "/tmp/a/f/") == err(.ENOTDIR))
        #expect(unlink(h, "/tmp/a/f") == 0)
        #expect(unlink(h, "/tmp/a/f") == err(.ENOENT))
        #expect(unlink(h, "/tmp/a", dir: true) == 0)
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/tmp/b")), 0x1) == err(.EINVAL))
        // setgid directories pass their group on.
        #expect(mkdir(h, "/tmp/g", 0o2775) == 0)
        #expect(h.mode("/tmp/g") == 0o40755, "mkdir never sets S_ISGID from its mode (Linux)")
        #expect(h.sys(__NR_fchmodat, -100, Harness.a(h.str("/tmp/g")), 0o2775) == 0)
        #expect(h.sys(__NR_fchownat, -100, Harness.a(h.str("/tmp/g")), 0, 50, 0) == 0)
        #expect(mkdir(h, "/tmp/g/sub") == 0)
        let (_, b) = h.statx("/tmp/g/sub")
        #expect(h.u32(b + 24) == 50)
        #expect(UInt32(h.u16(b + 28)) & 0o2000 != 0)
    }

    @Test func renameCases() throws {
        let h = try Harness()
        touch(h, "/tmp/a", "A")
        touch(h, "/tmp/b", "B")
        #expect(rename(h, "/tmp/a", "/tmp/c") == 0)
        #expect(h.content("/tmp/c") == "A")
        #expect(h.resolveError("/tmp/a") == .ENOENT)
        #expect(rename(h, "/tmp/c", "/tmp/b") == 0, "replaces")
        #expect(h.content("/tmp/b") == "A")
        #expect(rename(h, "/tmp/missing", "/tmp/x") == err(.ENOENT))
        #expect(mkdir(h, "/tmp/d1") == 0)
        #expect(mkdir(h, "/tmp/d2") == 0)
        touch(h, "/tmp/d2/inside")
        #expect(rename(h, "/tmp/d1", "/tmp/d2") == err(.ENOTEMPTY))
        #expect(rename(h, "/tmp/b", "/tmp/d1") == err(.EISDIR))
        #expect(rename(h, "/tmp/d1", "/tmp/b") == err(.ENOTDIR))
        #expect(rename(h, "/tmp/d2", "/tmp/d2/inside/x") == err(.ENOTDIR))
        #expect(mkdir(h, "/tmp/d2/sub") == 0)
        #expect(rename(h, "/tmp/d2", "/tmp/d2/sub/x") == err(.EINVAL))
        #expect(rename(h, "/tmp/b/", "/tmp/e") == err(.ENOTDIR))
        #expect(rename(h, "/tmp/.", "/tmp/e") == err(.EBUSY))
        // Across mounts.
        #expect(rename(h, "/tmp/b", "/etc/b") == err(.EXDEV))
        #expect(rename(h, "/tmp", "/tmp2") == err(.EBUSY), "a mount point")
        // Flags.
        touch(h, "/tmp/x", "X")
        touch(h, "/tmp/y", "Y")
        #expect(rename(h, "/tmp/x", "/tmp/y", flags: 1) == err(.EEXIST))
        #expect(rename(h, "/tmp/x", "/tmp/y", flags: 2) == 0)
        #expect(h.content("/tmp/x") == "Y" && h.content("/tmp/y") == "X")
        #expect(rename(h, "/tmp/x", "/tmp/nope", flags: 2) == err(.ENOENT))
        #expect(rename(h, "/tmp/x", "/tmp/y", flags: 3) == err(.EINVAL))
        #expect(rename(h, "/tmp/x", "/tmp/new", flags: 1) == 0)
        // renameat (no flags) goes through the same path.
        #expect(h.sys(__NR_renameat, -100, Harness.a(h.str("/tmp/new")), -100, Harness.a(h.str("/tmp/newer"))) == 0)
        #expect(h.content("/tmp/newer") == "Y")
        // A directory moves with its "..".
        #expect(rename(h, "/tmp/d1", "/tmp/d2/sub/moved") == 0)
        #expect(try h.node("/tmp/d2/sub/moved/..") == (try h.node("/tmp/d2/sub")))
    }

    @Test func hardLinks() throws {
        let h = try Harness()
        touch(h, "/tmp/f", "data")
        #expect(link(h, "/tmp/f", "/tmp/g") == 0)
        let (_, b) = h.statx("/tmp/g")
        #expect(h.u32(b + 16) == 2, "nlink")
        #expect(link(h, "/tmp/f", "/tmp/g") == err(.EEXIST))
        #expect(link(h, "/tmp", "/tmp/dirlink") == err(.EPERM))
        #expect(link(h, "/tmp/f", "/etc/f") == err(.EXDEV))
        #expect(link(h, "/tmp/none", "/tmp/h") == err(.ENOENT))
        #expect(link(h, "/tmp/f", "/tmp/h", flags: 0x1) == err(.EINVAL))
        // AT_SYMLINK_FOLLOW
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("f")), -100, Harness.a(h.str("/tmp/s"))) == 0)
        #expect(link(h, "/tmp/s", "/tmp/hs") == 0)
        #expect(h.mode("/tmp/hs", follow: false)! & 0o170000 == 0o120000, "the link itself")
        #expect(link(h, "/tmp/s", "/tmp/hf", flags: AtFlags.SYMLINK_FOLLOW) == 0)
        #expect(h.mode("/tmp/hf", follow: false)! & 0o170000 == 0o100000)
        #expect(unlink(h, "/tmp/f") == 0)
        #expect(h.content("/tmp/g") == "data")
    }

    @Test func symlinkAndReadlink() throws {
        let h = try Harness()
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("target/path")), -100, Harness.a(h.str("/tmp/l"))) == 0)
        #expect(h.readlink("/tmp/l") == (11, "target/path"))
        let small = h.alloc(4)
        #expect(h.sys(__NR_readlinkat, -100, Harness.a(h.str("/tmp/l")), Harness.a(small), 4) == 4)
        #expect(h.read(small, 4) == Array("targ".utf8))
        #expect(h.sys(__NR_readlinkat, -100, Harness.a(h.str("/tmp/l")), Harness.a(small), 0) == err(.EINVAL))
        #expect(h.readlink("/etc/motd").0 == err(.EINVAL))
        #expect(h.readlink("/nothing").0 == err(.ENOENT))
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("")), -100, Harness.a(h.str("/tmp/e"))) == err(.ENOENT))
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("x")), -100, Harness.a(h.str("/tmp/l"))) == err(.EEXIST))
        // readlinkat with an empty path on an O_PATH|O_NOFOLLOW descriptor of the link.
        let p = h.open("/tmp/l", O_PATH | O_NOFOLLOW)
        let buf = h.alloc(64)
        #expect(h.sys(__NR_readlinkat, p, Harness.a(h.str("")), Harness.a(buf), 64) == 11)
    }

    @Test func mknodKinds() throws {
        let h = try Harness()
        func mknod(_ p: String, _ mode: UInt32, _ dev: UInt32 = 0) -> Int32 {
            h.sys(__NR_mknodat, -100, Harness.a(h.str(p)), Int32(bitPattern: mode), Int32(bitPattern: dev))
        }
        #expect(mknod("/tmp/fifo", 0o010644) == 0)
        #expect(h.mode("/tmp/fifo") == 0o010644)
        // A FIFO opens as a pipe (Core/Fifo.swift): a writer without a reader is ENXIO when
        // non-blocking; a non-blocking reader opens at once, and then a writer can too.
        #expect(h.open("/tmp/fifo", O_WRONLY | OpenFlags.O_NONBLOCK) == err(.ENXIO))
        let reader = h.open("/tmp/fifo", O_RDONLY | OpenFlags.O_NONBLOCK)
        #expect(reader >= 0)
        #expect(h.open("/tmp/fifo", O_WRONLY | OpenFlags.O_NONBLOCK) >= 0)
        #expect(mknod("/tmp/reg", 0o644) == 0)
        #expect(h.mode("/tmp/reg") == 0o100644)
        #expect(mknod("/tmp/dir", 0o040755) == err(.EPERM))
        #expect(mknod("/tmp/bad", 0o170000) == err(.EINVAL))
        // A character device named by rdev: 1:3 is null wherever the node lives.
        #expect(mknod("/tmp/mynull", 0o020666, (1 << 8) | 3) == 0)
        let (_, b) = h.statx("/tmp/mynull")
        #expect(h.u32(b + 128) == 1 && h.u32(b + 132) == 3)
        let fd = h.open("/tmp/mynull", O_RDWR)
        #expect(h.write(fd, "gone") == 4)
        #expect(h.readAll(fd) == (0, ""))
        #expect(mknod("/tmp/unknown", 0o020666, (200 << 8) | 1) == 0)
        #expect(h.open("/tmp/unknown", O_RDWR) == err(.ENXIO))
    }

    @Test func imageChangesAreReported() throws {
        let h = try Harness()
        var changes: [ImageChange] = []
        h.vfs.onImageChange = { changes.append($0) }
        let fd = h.open("/etc/new", O_CREAT | O_WRONLY)
        #expect(h.write(fd, "abc") == 3)
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/etc/new")), 0) == 0)
        let root = InodeNumber.root
        let etc = InodeNumber(UInt32(try h.node("/etc").ino))
        #expect(changes.count == 3)
        #expect(changes.first == .entry(parent: etc, name: Array("new".utf8)))
        if case .inode(_, let off, let len) = changes[1] { #expect(off == 0 && len == 3) } else { Issue.record("no data change") }
        if case .delete(let p, _, let name) = changes[2] { #expect(p == etc && name == Array("new".utf8)) } else { Issue.record("no delete") }
        _ = root
        // tmpfs changes are not the image's.
        changes = []
        let t = h.open("/tmp/x", O_CREAT | O_WRONLY)
        #expect(h.write(t, "abc") == 3)
        #expect(changes.isEmpty)
    }

    @Test func syncHook() throws {
        let h = try Harness()
        var syncs = 0
        h.vfs.onSync = { _ throws(SyscallError) in syncs += 1 }
        let fd = h.open("/etc/motd", O_RDONLY)
        #expect(h.sys(__NR_fsync, fd) == 0)
        #expect(h.sys(__NR_fdatasync, fd) == 0)
        #expect(syncs == 2)
        let t = h.open("/tmp/x", O_CREAT | O_WRONLY)
        #expect(h.sys(__NR_fsync, t) == 0)
        #expect(syncs == 2, "tmpfs has nothing to make durable")
        #expect(h.sys(__NR_sync) == 0)
        #expect(syncs == 3)
        h.vfs.onSync = { _ throws(SyscallError) in throw .errno(.EIO) }
        #expect(h.sys(__NR_fsync, fd) == err(.EIO))
        let p = h.open("/etc/motd", O_PATH)
        #expect(h.sys(__NR_fsync, p) == err(.EBADF))
    }
}
