// PermissionTests.swift: credentials: rwx checks, ownership rules, sticky directories,
// access(2), exec permission, and the cwd/umask calls.
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

@Suite struct PermissionTests {
    func access(_ h: Harness, _ p: String, _ mode: Int32, flags: Int32 = 0) -> Int32 {
        h.sys(__NR_faccessat2, -100, Harness.a(h.str(p)), mode, flags)
    }

    @Test func userCannotWriteRootFiles() throws {
        let h = try Harness(uid: 1000, gid: 1000)
        #expect(h.open("/etc/motd", O_RDONLY) >= 0)
        #expect(h.open("/etc/motd", O_WRONLY) == err(.EACCES))
        #expect(h.open("/etc/motd", O_RDONLY | O_TRUNC) == err(.EACCES))
        #expect(h.open("/etc/new", O_CREAT | O_WRONLY) == err(.EACCES))
        #expect(h.open("/secret/key", O_RDONLY) == err(.EACCES))
        #expect(h.open("/secret", O_RDONLY) == err(.EACCES), "0700 directory: no read")
        #expect(h.sys(__NR_mkdirat, -100, Harness.a(h.str("/etc/d")), 0o755) == err(.EACCES))
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/etc/motd")), 0) == err(.EACCES))
        #expect(h.sys(__NR_truncate64, Harness.a(h.str("/etc/motd")), 0, 0) == err(.EACCES))
        // Their own home works.
        let fd = h.open("/home/user/new", O_CREAT | O_WRONLY, 0o644)
        #expect(fd >= 0)
        let (_, b) = h.statx("/home/user/new")
        #expect(h.u32(b + 20) == 1000 && h.u32(b + 24) == 1000, "owned by the creator")
        #expect(h.content("/home/user/notes") == "mine")
    }

    @Test func rootBypassesRWButNotExec() throws {
        let h = try Harness()
        #expect(h.open("/home/user/notes", O_RDWR) >= 0, "0600 of another user")
        #expect(h.content("/secret/key") == "k")
        #expect(access(h, "/bin/data", 1) == err(.EACCES), "no x bit at all")
        #expect(access(h, "/bin/prog", 1) == 0)
        #expect(access(h, "/secret", 1) == 0, "directories are searchable by root")
        #expect(throws: SyscallError.self) { try h.vfs.loadExecutable(h.t, path: Array("/bin/data".utf8)) }
    }

    @Test func ownershipRules() throws {
        let h = try Harness(uid: 1000, gid: 1000)
        h.process.cred.groups = [1000, 20]
        let chmod = { (p: String, m: Int32) in h.sys(__NR_fchmodat, -100, Harness.a(h.str(p)), m) }
        let chown = { (p: String, u: UInt32, g: UInt32) in
            h.sys(__NR_fchownat, -100, Harness.a(h.str(p)), Int32(bitPattern: u), Int32(bitPattern: g), 0)
        }
        #expect(chmod("/etc/motd", 0o777) == err(.EPERM))
        #expect(chmod("/home/user/notes", 0o640) == 0)
        #expect(h.mode("/home/user/notes") == 0o100640)
        #expect(chown("/home/user/notes", 0, 0xFFFF_FFFF) == err(.EPERM), "giving a file away")
        #expect(chown("/home/user/notes", 0xFFFF_FFFF, 20) == 0, "to a group of ours")
        #expect(chown("/home/user/notes", 0xFFFF_FFFF, 30) == err(.EPERM), "to a group not ours")
        #expect(chown("/home/user/notes", 1000, 1000) == 0, "to what it already is")
        #expect(chown("/etc/motd", 0xFFFF_FFFF, 1000) == err(.EPERM))
        // setgid is dropped when the file's group is not ours.
        #expect(chown("/home/user/notes", 0xFFFF_FFFF, 20) == 0)
        h.process.cred.groups = [1000]
        #expect(chmod("/home/user/notes", 0o2755) == 0)
        #expect(h.mode("/home/user/notes") == 0o100755)
        // utimes: explicit times need ownership; "now" needs write access.
        let ts = h.alloc(32)
        h.store(ts, Int64(5)); h.store(ts + 8, Int64(0)); h.store(ts + 16, Int64(5)); h.store(ts + 24, Int64(0))
        #expect(h.sys(__NR_utimensat_time64, -100, Harness.a(h.str("/etc/motd")), Harness.a(ts), 0) == err(.EPERM))
        #expect(h.sys(__NR_utimensat_time64, -100, Harness.a(h.str("/etc/motd")), 0, 0) == err(.EACCES))
        #expect(h.sys(__NR_utimensat_time64, -100, Harness.a(h.str("/home/user/notes")), Harness.a(ts), 0) == 0)
    }

    @Test func stickyTmp() throws {
        let h = try Harness()
        // Root makes a file in the sticky /tmp; a user may not remove or rename it.
        h.process.umask = 0
        let fd = h.open("/tmp/roots", O_CREAT | O_WRONLY, 0o666)
        #expect(fd >= 0)
        h.process.cred = Credentials(uid: 1000, gid: 1000)
        #expect(h.open("/tmp/mine", O_CREAT | O_WRONLY) >= 0)
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/tmp/roots")), 0) == err(.EPERM))
        #expect(h.sys(__NR_renameat, -100, Harness.a(h.str("/tmp/roots")), -100, Harness.a(h.str("/tmp/x"))) == err(.EPERM))
        #expect(h.sys(__NR_renameat, -100, Harness.a(h.str("/tmp/mine")), -100, Harness.a(h.str("/tmp/roots"))) == err(.EPERM),
                "replacing someone else's file")
        #expect(h.write(h.open("/tmp/roots", O_WRONLY), "ok") == 2, "0666: writable, just not removable")
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/tmp/mine")), 0) == 0)
    }

    @Test func accessUsesRealIDs() throws {
        let h = try Harness()
        h.process.cred.uid = 1000     // real uid 1000, effective 0 (a set-uid program)
        h.process.cred.gid = 1000
        #expect(access(h, "/secret/key", 4) == err(.EACCES), "real uid cannot search /secret")
        #expect(access(h, "/secret/key", 4, flags: AtFlags.EACCESS) == 0)
        #expect(h.sys(__NR_faccessat, -100, Harness.a(h.str("/etc/motd")), 2) == err(.EACCES))
        #expect(h.sys(__NR_faccessat, -100, Harness.a(h.str("/etc/motd")), 4) == 0)
        #expect(h.sys(__NR_faccessat, -100, Harness.a(h.str("/etc/none")), 0) == err(.ENOENT))
        #expect(h.sys(__NR_faccessat, -100, Harness.a(h.str("/etc/motd")), 8) == err(.EINVAL))
        #expect(access(h, "/proc/meminfo", 2, flags: AtFlags.EACCESS) == err(.EROFS))
    }

    @Test func loadExecutable() throws {
        let h = try Harness()
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("../bin/prog")), -100, Harness.a(h.str("/etc/run"))) == 0)
        let e = try h.vfs.loadExecutable(h.t, path: Array("/etc/run".utf8))
        #expect(e.node == (try h.node("/bin/prog")))
        #expect(e.bytes == Array("\0asm-program".utf8))
        #expect(e.resolvedPath == Array("/bin/prog".utf8))
        func code(_ p: String) -> LinuxErrno? {
            do { _ = try h.vfs.loadExecutable(h.t, path: Array(p.utf8)); return nil } catch {
                if case .errno(let e) = error { return e }
                return .EIO
            }
        }
        #expect(code("/bin") == .EACCES)
        #expect(code("/bin/none") == .ENOENT)
        #expect(code("/bin/prog/x") == .ENOTDIR)
        #expect(code("/dev/null") == .EACCES)
        #expect(code("/proc/self/stat") == .EACCES)
        h.process.cwd = try h.node("/bin")
        #expect(try h.vfs.loadExecutable(h.t, path: Array("prog".utf8)).resolvedPath == Array("/bin/prog".utf8))
        h.process.cred = Credentials(uid: 1000, gid: 1000)
        #expect(code("/bin/prog") == nil, "0755: others may execute")
        #expect(h.sys(__NR_fchmodat, -100, Harness.a(h.str("/bin/prog")), 0o744) == err(.EPERM))
        h.process.cred = Credentials()
        #expect(h.sys(__NR_fchmodat, -100, Harness.a(h.str("/bin/prog")), 0o744) == 0)
        h.process.cred = Credentials(uid: 1000, gid: 1000)
        #expect(code("/bin/prog") == .EACCES)
    }

    @Test func cwdCalls() throws {
        let h = try Harness()
        #expect(h.cwd() == "/")
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/home/user"))) == 0)
        #expect(h.cwd() == "/home/user")
        let small = h.alloc(8)
        #expect(h.sys(__NR_getcwd, Harness.a(small), 10) == err(.ERANGE))
        #expect(h.sys(__NR_getcwd, Harness.a(small), 11) == 11)
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/etc/motd"))) == err(.ENOTDIR))
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/nowhere"))) == err(.ENOENT))
        let fd = h.open("/tmp", O_RDONLY | O_DIRECTORY)
        #expect(h.sys(__NR_fchdir, fd) == 0)
        #expect(h.cwd() == "/tmp")
        #expect(h.sys(__NR_fchdir, 1) == err(.ENOTDIR))
        // A removed cwd: getcwd fails with ENOENT.
        #expect(h.sys(__NR_mkdirat, -100, Harness.a(h.str("/tmp/gone")), 0o755) == 0)
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/tmp/gone"))) == 0)
        let keep = h.open(".", O_RDONLY | O_DIRECTORY)
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/tmp/gone")), AtFlags.REMOVEDIR) == 0)
        #expect(h.sys(__NR_getcwd, Harness.a(h.alloc(64)), 64) == err(.ENOENT))
        _ = keep
        // Non-root may not chdir into a 0700 directory of someone else.
        h.process.cred = Credentials(uid: 1000, gid: 1000)
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/secret"))) == err(.EACCES))
        #expect(h.sys(__NR_chroot, Harness.a(h.str("/home"))) == err(.EPERM))
    }

    @Test func umaskCall() throws {
        let h = try Harness()
        #expect(h.sys(__NR_umask, 0o077) == 0o022)
        #expect(h.sys(__NR_umask, 0o7777) == 0o077)
        #expect(h.process.umask == 0o777)
        h.process.umask = 0
        #expect(h.open("/tmp/open", O_CREAT | O_WRONLY, 0o4777) >= 0)
        #expect(h.mode("/tmp/open") == 0o104777)
    }

    @Test func closeRangeAndNoops() throws {
        let h = try Harness()
        for _ in 0..<4 { _ = h.open("/etc/motd", O_RDONLY) }      // 3...6
        #expect(h.sys(__NR_close_range, 4, 5, 4) == 0)          // CLOSE_RANGE_CLOEXEC
        #expect(h.sys(__NR_fcntl64, 4, 1) == 1 && h.sys(__NR_fcntl64, 6, 1) == 0)
        #expect(h.sys(__NR_close_range, 5, -1, 0) == 0)
        #expect(h.process.files.entries.keys.sorted() == [0, 1, 2, 3, 4])
        // flock is per open file description: fds 3 and 4 are two opens of /etc/motd.
        #expect(h.sys(__NR_flock, 3, 2) == 0, "LOCK_EX")
        #expect(h.sys(__NR_flock, 4, 1 | 4) == err(.EAGAIN), "LOCK_SH|LOCK_NB on another description")
        #expect(h.sys(__NR_flock, 4, 1) == -10_000, "a blocking LOCK_SH waits")
        h.kernel.runCleanups(h.t)
        #expect(h.sys(__NR_flock, 3, 1) == 0, "converted to LOCK_SH")
        #expect(h.sys(__NR_flock, 4, 1 | 4) == 0, "shared with shared")
        #expect(h.sys(__NR_flock, 4, 2 | 4) == err(.EAGAIN))
        #expect(h.sys(__NR_close, 3) == 0)
        #expect(h.sys(__NR_flock, 4, 2 | 4) == 0, "the last close of fd 3's description released it")
        #expect(h.sys(__NR_flock, 3, 2) == err(.EBADF))
        #expect(h.sys(__NR_flock, 4, 3) == err(.EINVAL))
        #expect(h.sys(__NR_fadvise64_64, 4, 0, 0, 0, 0, 4) == 0)
        #expect(h.sys(__NR_fadvise64_64, 1, 0, 0, 0, 0, 4) == err(.ESPIPE))
    }
}
