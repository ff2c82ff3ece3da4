// OpenIOTests.swift: openat flags, read/write/seek, vectors, positions, descriptors.
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

@Suite struct OpenIOTests {
    @Test func createExclusiveAndModes() throws {
        let h = try Harness()
        h.process.umask = 0o027
        let fd = h.open("/tmp/f", O_CREAT | O_EXCL | O_RDWR, 0o666)
        #expect(fd == 3, "the lowest free descriptor")
        #expect(h.open("/tmp/f", O_CREAT | O_EXCL | O_RDWR) == err(.EEXIST))
        #expect(h.mode("/tmp/f") == 0o100640)
        // O_CREAT without O_EXCL opens the existing file.
        #expect(h.open("/tmp/f", O_CREAT | O_RDWR) == 4)
        // Trailing slash, directories.
        #expect(h.open("/tmp/g/", O_CREAT | O_RDWR) == err(.EISDIR))
        #expect(h.open("/tmp", O_CREAT | O_RDONLY) == err(.EISDIR))
        #expect(h.open("/tmp/f/", O_CREAT | O_RDONLY) == err(.ENOTDIR))
        #expect(h.open("/nodir/f", O_CREAT | O_RDWR) == err(.ENOENT))
        #expect(h.open("/tmp/x", O_CREAT | O_DIRECTORY | O_RDWR) == err(.EINVAL))
    }

    @Test func openFlagErrors() throws {
        let h = try Harness()
        #expect(h.open("/etc/motd", O_RDONLY | O_DIRECTORY) == err(.ENOTDIR))
        #expect(h.open("/etc", O_WRONLY) == err(.EISDIR))
        #expect(h.open("/etc", O_RDWR) == err(.EISDIR))
        #expect(h.open("/etc", O_RDONLY) >= 0)
        #expect(h.open("/missing", O_RDONLY) == err(.ENOENT))
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("/etc/motd")), -100, Harness.a(h.str("/tmp/l"))) == 0)
        #expect(h.open("/tmp/l", O_RDONLY | O_NOFOLLOW) == err(.ELOOP))
        #expect(h.open("/tmp/l", O_RDONLY | O_NOFOLLOW | O_CREAT) == err(.ELOOP))
        #expect(h.open("/tmp/l", O_CREAT | O_EXCL | O_WRONLY) == err(.EEXIST))
        // O_PATH|O_NOFOLLOW opens the link itself; no I/O through it.
        let p = h.open("/tmp/l", O_PATH | O_NOFOLLOW)
        #expect(p >= 0)
        #expect(h.readAll(p).0 == err(.EBADF))
        #expect(h.write(p, "x") == err(.EBADF))
        let buf = h.alloc(104)
        #expect(h.sys(__NR_fstat64, p, Harness.a(buf)) == 0)
        #expect(h.u32(buf + 16) & 0o170000 == 0o120000)
    }

    @Test func danglingSymlinkCreatesItsTarget() throws {
        let h = try Harness()
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("made")), -100, Harness.a(h.str("/tmp/link"))) == 0)
        let fd = h.open("/tmp/link", O_CREAT | O_WRONLY)
        #expect(fd >= 0)
        #expect(h.write(fd, "via link") == 8)
        #expect(h.content("/tmp/made") == "via link")
    }

    @Test func readWriteSeek() throws {
        let h = try Harness()
        let fd = h.open("/tmp/data", O_CREAT | O_RDWR)
        #expect(h.write(fd, "0123456789") == 10)
        #expect(h.lseek(fd, 0, 1) == (0, 10))
        #expect(h.lseek(fd, 2, 0) == (0, 2))
        #expect(h.readAll(fd, max: 3) == (3, "234"))
        #expect(h.lseek(fd, -1, 2) == (0, 9))
        #expect(h.readAll(fd) == (1, "9"))
        #expect(h.readAll(fd) == (0, ""))
        #expect(h.lseek(fd, -20, 1).0 == err(.EINVAL))
        #expect(h.lseek(fd, 0, 7).0 == err(.EINVAL))
        #expect(h.lseek(fd, 3, 3) == (0, 3), "SEEK_DATA")
        #expect(h.lseek(fd, 3, 4) == (0, 10), "SEEK_HOLE")
        #expect(h.lseek(fd, 10, 3).0 == err(.ENXIO))
        // Writing past the end leaves a hole of zeros.
        #expect(h.lseek(fd, 12, 0).1 == 12)
        #expect(h.write(fd, "X") == 1)
        #expect(h.content("/tmp/data") == "0123456789\0\0X")
        // Access modes.
        let ro = h.open("/tmp/data", O_RDONLY)
        #expect(h.write(ro, "x") == err(.EBADF))
        let wo = h.open("/tmp/data", O_WRONLY)
        #expect(h.readAll(wo).0 == err(.EBADF))
        #expect(h.sys(__NR_read, 55, 0, 0) == err(.EBADF))
    }

    @Test func appendAndTruncate() throws {
        let h = try Harness()
        var fd = h.open("/tmp/log", O_CREAT | O_WRONLY | O_APPEND)
        #expect(h.write(fd, "one ") == 4)
        #expect(h.lseek(fd, 0, 0).0 == 0)
        #expect(h.write(fd, "two") == 3)
        #expect(h.content("/tmp/log") == "one two")
        // pwrite on an O_APPEND file appends too (Linux).
        let s = h.bytes(Array("!".utf8))
        #expect(h.sys(__NR_pwrite64, fd, Harness.a(s), 1, 0, 0) == 1)
        #expect(h.content("/tmp/log") == "one two!")
        fd = h.open("/tmp/log", O_WRONLY | O_TRUNC)
        #expect(fd >= 0)
        #expect(h.content("/tmp/log") == "")
    }

    @Test func positionedAndVectorIO() throws {
        let h = try Harness()
        let fd = h.open("/tmp/v", O_CREAT | O_RDWR)
        // writev of three pieces, one empty.
        let a = h.bytes(Array("abc".utf8)), b = h.bytes(Array("defg".utf8))
        let iov = h.alloc(24)
        h.store(iov, a); h.store(iov + 4, UInt32(3))
        h.store(iov + 8, UInt32(0)); h.store(iov + 12, UInt32(0))
        h.store(iov + 16, b); h.store(iov + 20, UInt32(4))
        #expect(h.sys(__NR_writev, fd, Harness.a(iov), 3) == 7)
        #expect(h.lseek(fd, 0, 1).1 == 7)
        // pread does not move the offset.
        let buf = h.alloc(16)
        #expect(h.sys(__NR_pread64, fd, Harness.a(buf), 3, 2, 0) == 3)
        #expect(h.read(buf, 3) == Array("cde".utf8))
        #expect(h.lseek(fd, 0, 1).1 == 7)
        #expect(h.sys(__NR_pread64, fd, Harness.a(buf), 3, -1, -1) == err(.EINVAL))
        // readv from 0 into two buffers.
        #expect(h.lseek(fd, 0, 0).1 == 0)
        let r1 = h.alloc(2), r2 = h.alloc(8)
        h.store(iov, r1); h.store(iov + 4, UInt32(2))
        h.store(iov + 8, r2); h.store(iov + 12, UInt32(8))
        #expect(h.sys(__NR_readv, fd, Harness.a(iov), 2) == 7)
        #expect(h.read(r1, 2) == Array("ab".utf8))
        #expect(h.read(r2, 5) == Array("cdefg".utf8))
        // preadv at 4.
        #expect(h.sys(__NR_preadv, fd, Harness.a(iov), 2, 4, 0) == 3)
        #expect(h.read(r1, 2) == Array("ef".utf8))
        #expect(h.sys(__NR_readv, fd, Harness.a(iov), 1025) == err(.EINVAL))
        // pread on a stream: ESPIPE.
        #expect(h.sys(__NR_pread64, 0, Harness.a(buf), 1, 0, 0) == err(.ESPIPE))
        #expect(h.sys(__NR_pread64, 1, Harness.a(buf), 1, 0, 0) == err(.EBADF), "not readable comes first")
    }

    @Test func transfersLargerThanTheBounceBuffer() throws {
        let h = try Harness()
        let size = 1_500_000
        let pattern = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        let src = h.bytes(pattern)
        let fd = h.open("/etc/big", O_CREAT | O_RDWR)
        #expect(h.sys(__NR_write, fd, Harness.a(src), Int32(size)) == Int32(size))
        #expect(h.lseek(fd, 0, 0).1 == 0)
        let dst = h.alloc(size + 100, fill: 0)
        #expect(h.sys(__NR_read, fd, Harness.a(dst), Int32(size + 100)) == Int32(size))
        #expect(h.read(dst, size) == pattern)
        #expect(h.sys(__NR_read, fd, Harness.a(dst), Int32(size)) == 0)
        #expect(h.sys(__NR_pread64, fd, Harness.a(dst), 10, Int32(size - 4), 0) == 4)
        #expect(h.read(dst, 4) == Array(pattern[(size - 4)...]))
    }

    @Test func badPointersAreEFAULT() throws {
        let h = try Harness()
        let fd = h.open("/etc/motd", O_RDONLY)
        let outside = Int32(Harness.memorySize - 4)
        #expect(h.sys(__NR_read, fd, outside, 100) == err(.EFAULT))
        #expect(h.lseek(fd, 0, 1).1 == 0, "nothing was consumed")
        #expect(h.sys(__NR_openat, -100, 0, 0, 0) == err(.EFAULT))
        #expect(h.sys(__NR_openat, -100, Int32(Harness.memorySize + 10), 0, 0) == err(.EFAULT))
        #expect(h.sys(__NR_statx, -100, Harness.a(h.str("/etc/motd")), 0, 0x7ff, outside) == err(.EFAULT))
        #expect(h.sys(__NR_fstat64, fd, outside) == err(.EFAULT))
        let w = h.open("/tmp/w", O_CREAT | O_WRONLY)
        #expect(h.sys(__NR_write, w, outside, 100) == err(.EFAULT))
        #expect(h.sys(__NR_getcwd, Int32(Harness.memorySize - 1), 100) == err(.EFAULT))
        #expect(h.sys(__NR_readv, fd, outside, 2) == err(.EFAULT))
    }

    @Test func unlinkedOpenFileStaysReadable() throws {
        let h = try Harness()
        let fd = h.open("/etc/gone", O_CREAT | O_RDWR)
        #expect(h.write(fd, "still here") == 10)
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/etc/gone")), 0) == 0)
        #expect(h.resolveError("/etc/gone") == .ENOENT)
        let ino = InodeNumber(UInt32(try h.vfs.stat(h.t, h.process.files.get(fd).node!).ino))
        #expect(h.image.isOpen(ino))
        // /proc/self/fd shows it deleted.
        #expect(h.readlink("/proc/self/fd/\(fd)").1 == "/etc/gone (deleted)")
        #expect(h.lseek(fd, 0, 0).1 == 0)
        #expect(h.readAll(fd) == (10, "still here"))
        let dup = h.sys(__NR_dup, fd)
        #expect(h.sys(__NR_close, fd) == 0)
        #expect(h.image.isOpen(ino), "a dup still holds it")
        #expect(h.sys(__NR_close, dup) == 0)
        #expect(!h.image.isOpen(ino))
        #expect(throws: LinuxErrno.self) { try h.image.attributes(ino) }
    }

    @Test func tmpfileHasNoName() throws {
        let h = try Harness()
        let O_TMPFILE = OpenFlags.O_TMPFILE
        #expect(h.open("/tmp", O_TMPFILE | O_RDONLY) == err(.EINVAL))
        let fd = h.open("/tmp", O_TMPFILE | O_RDWR, 0o600)
        #expect(fd >= 0)
        #expect(h.ls("/tmp") == [])
        #expect(h.write(fd, "anon") == 4)
        #expect(h.lseek(fd, 0, 0).1 == 0)
        #expect(h.readAll(fd) == (4, "anon"))
        #expect(h.open("/etc/motd", O_TMPFILE | O_RDWR) == err(.ENOTDIR))
    }

    @Test func dupAndFcntl() throws {
        let h = try Harness()
        let fd = h.open("/etc/motd", O_RDONLY | O_CLOEXEC)
        #expect(h.sys(__NR_fcntl64, fd, 1) == 1, "F_GETFD: FD_CLOEXEC")
        #expect(h.sys(__NR_fcntl64, fd, 2, 0) == 0)
        #expect(h.sys(__NR_fcntl64, fd, 1) == 0)
        let d = h.sys(__NR_fcntl64, fd, 0, 10)
        #expect(d == 10, "F_DUPFD at or above 10")
        #expect(h.sys(__NR_fcntl64, fd, 1030, 10) == 11)
        #expect(h.sys(__NR_fcntl64, 11, 1) == 1)
        #expect(h.sys(__NR_fcntl64, fd, 0, -1) == err(.EINVAL))
        // Shared offset between duplicates.
        #expect(h.readAll(fd, max: 5).1 == "hello")
        #expect(h.lseek(d, 0, 1).1 == 5)
        // dup3
        #expect(h.sys(__NR_dup3, fd, fd, 0) == err(.EINVAL))
        #expect(h.sys(__NR_dup3, fd, 20, O_CLOEXEC) == 20)
        #expect(h.sys(__NR_fcntl64, 20, 1) == 1)
        #expect(h.sys(__NR_dup3, fd, 21, 1) == err(.EINVAL))
        #expect(h.sys(__NR_dup3, 99, 21, 0) == err(.EBADF))
        // F_GETFL / F_SETFL
        let w = h.open("/tmp/fl", O_CREAT | O_WRONLY)
        #expect(h.sys(__NR_fcntl64, w, 3) & O_ACCMODE_ == O_WRONLY)
        #expect(h.sys(__NR_fcntl64, w, 4, O_APPEND | O_RDWR) == 0)
        #expect(h.sys(__NR_fcntl64, w, 3) & (O_APPEND | O_ACCMODE_) == O_APPEND | O_WRONLY, "access mode unchanged")
        // Locks (more in Tests/GuestCorpus/lock_*.c): nothing held reads as F_UNLCK; a POSIX
        // lock is the process's, so its own F_GETLK passes, and an OFD query from another
        // description sees it with the holder's pid and the range (l_len 0: to EOF).
        let fl = h.alloc(32, fill: 0)
        h.store(fl, Int16(1))
        #expect(h.sys(__NR_fcntl64, w, 12, Harness.a(fl)) == 0)
        #expect(h.u16(fl) == 2, "F_UNLCK")
        h.store(fl, Int16(1))
        h.store(fl + 8, Int64(5))
        #expect(h.sys(__NR_fcntl64, w, 13, Harness.a(fl)) == 0)
        h.store(fl, Int16(1))
        #expect(h.sys(__NR_fcntl64, w, 12, Harness.a(fl)) == 0)
        #expect(h.u16(fl) == 2, "one's own lock never conflicts")
        let other = h.open("/tmp/fl", O_RDWR)
        let q = h.alloc(32, fill: 0)
        h.store(q, Int16(0))
        #expect(h.sys(__NR_fcntl64, other, 36, Harness.a(q)) == 0)
        #expect(h.u16(q) == 1 && h.i64(q + 8) == 5 && h.i64(q + 16) == 0 && h.i32(q + 24) == h.process.pid)
        h.store(q, Int16(0))
        h.store(q + 24, Int32(0))
        #expect(h.sys(__NR_fcntl64, other, 37, Harness.a(q)) == err(.EAGAIN), "F_OFD_SETLK read lock conflicts")
        h.store(q + 24, Int32(1))
        #expect(h.sys(__NR_fcntl64, other, 36, Harness.a(q)) == err(.EINVAL), "OFD calls need l_pid 0")
        #expect(h.sys(__NR_close, other) == 0)
        h.store(fl + 8, Int64(0))
        h.store(fl, Int16(0))
        #expect(h.sys(__NR_fcntl64, w, 13, Harness.a(fl)) == err(.EBADF), "read lock on a write-only fd")
        h.store(fl, Int16(7))
        #expect(h.sys(__NR_fcntl64, w, 13, Harness.a(fl)) == err(.EINVAL))
        // ioctl: FIOCLEX, FIONREAD, FIONBIO
        #expect(h.sys(__NR_ioctl, fd, 0x5451, 0) == 0)
        #expect(h.sys(__NR_fcntl64, fd, 1) == 1)
        let n = h.alloc(4)
        #expect(h.sys(__NR_ioctl, fd, 0x541B, Harness.a(n)) == 0)
        #expect(h.i32(n) == 8, "13 bytes, 5 read")
        h.store(n, Int32(1))
        #expect(h.sys(__NR_ioctl, fd, 0x5421, Harness.a(n)) == 0)
        #expect(h.sys(__NR_fcntl64, fd, 3) & OpenFlags.O_NONBLOCK != 0)
        #expect(h.sys(__NR_ioctl, fd, 0x5401, Harness.a(n)) == err(.ENOTTY))
        #expect(h.sys(__NR_close, fd) == 0)
        #expect(h.sys(__NR_close, fd) == err(.EBADF))
    }

    @Test func openFailsWithEMFILEBeforeCreating() throws {
        let h = try Harness()
        h.process.files.limit = 4
        #expect(h.open("/tmp/a", O_CREAT | O_WRONLY) == 3)
        #expect(h.open("/tmp/b", O_CREAT | O_WRONLY) == err(.EMFILE))
        #expect(h.resolveError("/tmp/b") == .ENOENT)
    }

    /// A description that finds no slot is released by the table itself, whoever made it
    /// (openat did this alone; pipe2's second end and a FIFO's blocked open leaked theirs).
    @Test func aDescriptionThatFindsNoSlotIsReleased() throws {
        let table = FileTable()
        table.limit = 0
        let a = FakeStream()
        #expect(throws: SyscallError.self) { _ = try table.install(a, cloexec: false) }
        #expect(a.released)
        let b = FakeStream()
        #expect(throws: SyscallError.self) { try table.install(b, at: -1, cloexec: false) }
        #expect(b.released)
        // Through the syscalls: a directory opened at EMFILE, then removed, frees its inode.
        let h = try Harness()
        let free = h.image.statistics().freeInodes
        #expect(h.sys(__NR_mkdirat, -100, Harness.a(h.str("/gone")), 0o755) == 0)
        h.process.files.limit = Int32(h.process.files.entries.count)
        #expect(h.open("/gone", O_RDONLY | O_DIRECTORY) == err(.EMFILE))
        h.process.files.limit = 1024
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/gone")), 0x200) == 0)
        #expect(h.image.statistics().freeInodes == free)
    }

    @Test func truncateAndFallocate() throws {
        let h = try Harness()
        let fd = h.open("/tmp/t", O_CREAT | O_RDWR)
        #expect(h.write(fd, "abcdef") == 6)
        #expect(h.sys(__NR_ftruncate64, fd, 3, 0) == 0)
        #expect(h.content("/tmp/t") == "abc")
        #expect(h.sys(__NR_ftruncate64, fd, -1, -1) == err(.EINVAL))
        #expect(h.sys(__NR_truncate64, Harness.a(h.str("/tmp/t")), 5, 0) == 0)
        #expect(h.content("/tmp/t") == "abc\0\0")
        #expect(h.sys(__NR_truncate64, Harness.a(h.str("/tmp")), 0, 0) == err(.EISDIR))
        let ro = h.open("/tmp/t", O_RDONLY)
        #expect(h.sys(__NR_ftruncate64, ro, 0, 0) == err(.EINVAL))
        #expect(h.sys(__NR_fallocate, ro, 0, 0, 0, 10, 0) == err(.EBADF))
    }

    /// fallocate reserves real blocks: st_blocks covers the range, the free count drops by
    /// as much, and a request the image cannot hold is ENOSPC with nothing allocated.
    @Test func fallocateReservesBlocks() throws {
        let h = try Harness()   // (the image root: /tmp is a tmpfs with its own blocks)
        let fd = h.open("/falloc", O_CREAT | O_RDWR)
        #expect(h.write(fd, "abc") == 3)
        func size() -> UInt64 { h.u64(h.statx("/falloc").1 + 40) }
        func blocks() -> UInt64 { h.u64(h.statx("/falloc").1 + 48) }   // stx_blocks, 512-byte units
        let free0 = h.image.statistics().freeBlocks
        #expect(h.sys(__NR_fallocate, fd, 0, 0, 0, 100 << 10, 0) == 0)
        #expect(size() == 100 << 10)
        #expect(blocks() == 26 * 8, "25 data blocks and one indirect block")
        #expect(h.image.statistics().freeBlocks == free0 - 25, "the first data block was there already")
        func head() -> String {
            let r = h.open("/falloc", O_RDONLY)
            defer { h.sys(__NR_close, r) }
            return h.readAll(r, max: 5).1
        }
        #expect(head() == "abc\0\0")
        // KEEP_SIZE inside a sparse file maps the holes and keeps the size.
        #expect(h.sys(__NR_ftruncate64, fd, 1 << 20, 0) == 0)
        let b1 = blocks()
        #expect(h.sys(__NR_fallocate, fd, 1, 0, 0, 200 << 10, 0) == 0, "KEEP_SIZE")
        #expect(size() == 1 << 20)
        #expect(blocks() == b1 + 25 * 8)
        // KEEP_SIZE past the end: the format maps no block past the size, so it is refused.
        #expect(h.sys(__NR_fallocate, fd, 1, 0, 0, 2 << 20, 0) == err(.EOPNOTSUPP))
        #expect(size() == 1 << 20 && blocks() == b1 + 25 * 8)
        // More than the image can ever hold (64 MiB ceiling): ENOSPC, nothing allocated.
        let free1 = h.image.statistics().freeBlocks
        #expect(h.sys(__NR_fallocate, fd, 0, 0, 0, 128 << 20, 0) == err(.ENOSPC))
        #expect(h.image.statistics().freeBlocks == free1)
        #expect(size() == 1 << 20 && blocks() == b1 + 25 * 8)
        // Just what is free (minus the pointer blocks) fits: the image grows to hold it.
        let g = h.open("/falloc2", O_CREAT | O_RDWR)
        func need(_ n: Int) -> Int { n + (n > 10 ? 1 : 0) + (n > 1034 ? 1 + (n - 1034 + 1023) / 1024 : 0) }
        var fits = Int(free1)
        while need(fits) > Int(free1) { fits -= 1 }
        #expect(h.sys(__NR_fallocate, g, 0, 0, 0, Int32((fits + 1) * 4096), 0) == err(.ENOSPC), "one block too many")
        #expect(h.image.statistics().freeBlocks == free1 && h.u64(h.statx("/falloc2").1 + 48) == 0)
        #expect(h.sys(__NR_fallocate, g, 0, 0, 0, Int32(fits * 4096), 0) == 0)
        #expect(h.image.statistics().freeBlocks == free1 - UInt64(need(fits)))
        #expect(h.write(g, "x") == 1, "a write into reserved space needs no block")
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/falloc2")), 0) == 0)
        #expect(h.sys(__NR_close, g) == 0)
        // Punching a hole frees whole blocks and zeroes the edges.
        let b2 = blocks()
        #expect(h.sys(__NR_fallocate, fd, 3, 0, 0, 3 * 4096, 0) == 0, "PUNCH_HOLE|KEEP_SIZE")
        #expect(blocks() == b2 - 3 * 8 && size() == 1 << 20)
        #expect(head() == "\0\0\0\0\0")
        #expect(h.sys(__NR_fallocate, fd, 2, 0, 0, 10, 0) == err(.EOPNOTSUPP), "PUNCH_HOLE needs KEEP_SIZE")
        #expect(h.sys(__NR_fallocate, fd, 0x10, 0, 0, 10, 0) == err(.EOPNOTSUPP), "ZERO_RANGE")
        #expect(h.image.check().isConsistent)
    }

    @Test func copyFileRangeAndSendfile() throws {
        let h = try Harness()
        let src = h.open("/etc/motd", O_RDONLY)
        let dst = h.open("/tmp/copy", O_CREAT | O_RDWR)
        #expect(h.sys(__NR_copy_file_range, src, 0, dst, 0, 100, 0) == 13)
        #expect(h.content("/tmp/copy") == "hello, world\n")
        let off = h.alloc(8)
        h.store(off, Int64(7))
        let dst2 = h.open("/tmp/sent", O_CREAT | O_WRONLY)
        #expect(h.sys(__NR_sendfile64, dst2, src, Harness.a(off), 5) == 5)
        #expect(h.i64(off) == 12)
        #expect(h.content("/tmp/sent") == "world")
        #expect(h.sys(__NR_sendfile64, 1, src, 0, 5) == err(.EINVAL), "to a stream: callers fall back")
    }
}

let O_ACCMODE_ = OpenFlags.O_ACCMODE
