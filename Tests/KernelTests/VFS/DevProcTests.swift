// DevProcTests.swift: /dev devices and links, /proc.
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

@Suite struct DevTests {
    @Test func nullZeroFull() throws {
        let h = try Harness()
        let null = h.open("/dev/null", O_RDWR)
        #expect(null >= 0)
        #expect(h.write(null, "discarded") == 9)
        #expect(h.readAll(null) == (0, ""))
        #expect(h.lseek(null, 100, 0) == (0, 0))
        let zero = h.open("/dev/zero", O_RDONLY)
        let buf = h.alloc(100, fill: 0xEE)
        #expect(h.sys(__NR_read, zero, Harness.a(buf), 100) == 100)
        #expect(h.read(buf, 100).allSatisfy { $0 == 0 })
        let full = h.open("/dev/full", O_RDWR)
        #expect(h.write(full, "x") == err(.ENOSPC))
        #expect(h.sys(__NR_read, full, Harness.a(buf), 10) == 10)
        let random = h.open("/dev/urandom", O_RDONLY)
        let r = h.alloc(64, fill: 0)
        #expect(h.sys(__NR_read, random, Harness.a(r), 64) == 64)
        #expect(!h.read(r, 64).allSatisfy { $0 == 0 })
        #expect(h.open("/dev/random", O_RDONLY) >= 0)
        #expect(h.sys(__NR_read, zero, Int32(Harness.memorySize - 10), 100) == err(.EFAULT))
    }

    @Test func stdioLinksReachTheDescriptions() throws {
        let h = try Harness()
        #expect(h.readlink("/dev/stdout") == (15, "/proc/self/fd/1"))
        #expect(h.readlink("/dev/fd").1 == "/proc/self/fd")
        let fd = h.open("/dev/stdout", O_WRONLY)
        #expect(fd == 3)
        #expect(try h.process.files.get(fd) === h.stdio[1], "the same description, as for a pipe")
        #expect(h.write(fd, "to stdout") == 9)
        #expect(h.stdio[1].written == Array("to stdout".utf8))
        #expect(h.open("/dev/stdin", O_WRONLY) == err(.EACCES), "fd 0 is read-only")
        #expect(h.open("/dev/fd/2", O_WRONLY) == 4)
        #expect(h.open("/dev/stderr", O_WRONLY | O_CREAT | O_TRUNC) == 5, "a shell's 2>/dev/stderr")
        #expect(try h.process.files.get(5) === h.stdio[2])
        // stat follows to the description.
        #expect(h.mode("/dev/stdout") == 0o010600)
        #expect(h.mode("/dev/stdout", follow: false) == 0o120777)
        // Closing the extra references does not release the stdio description.
        #expect(h.sys(__NR_close, 3) == 0)
        #expect(!h.stdio[1].released)
    }

    @Test func ttyIsTheTerminalOnStdio() throws {
        let h = try Harness()
        #expect(h.open("/dev/tty", O_RDWR) == 3)
        #expect(try h.process.files.get(3) === h.stdio[0])
        #expect(h.sys(__NR_close, 0) == 0)
        #expect(h.open("/dev/tty", O_RDWR) == err(.ENXIO))
    }

    @Test func devShmIsWritable() throws {
        let h = try Harness(uid: 1000, gid: 1000)
        let fd = h.open("/dev/shm/seg", O_CREAT | O_RDWR, 0o600)
        #expect(fd >= 0)
        #expect(h.write(fd, "shared") == 6)
        #expect(h.open("/dev/newnode", O_CREAT | O_RDWR) == err(.EACCES))
    }
}

@Suite struct ProcTests {
    @Test func selfAndProcessFiles() throws {
        let h = try Harness()
        #expect(h.readlink("/proc/self") == (1, "7"))
        #expect(h.content("/proc/self/cmdline") == "prog\0-x\0")
        #expect(h.content("/proc/7/environ") == "HOME=/\0")
        #expect(h.content("/proc/self/comm") == "prog\n")
        let stat = h.content("/proc/self/stat") ?? ""
        let fields = stat.split(separator: " ")
        #expect(fields.count == 52)
        #expect(fields.prefix(5) == ["7", "(prog)", "R", "1", "7"])   // reading its own stat: running, as on Linux
        #expect((h.content("/proc/self/status") ?? "").contains("Uid:\t0\t0\t0\t0\n"))
        #expect(h.readlink("/proc/self/exe").1 == "/bin/prog")
        #expect(h.readlink("/proc/self/cwd").1 == "/")
        #expect(h.resolveError("/proc/8") == .ENOENT)
        #expect(h.ls("/proc/self") == ["cmdline", "comm", "cwd", "environ", "exe", "fd", "fdinfo", "maps", "mounts",
                                       "root", "stat", "statm", "status"])
        let root = h.ls("/proc") ?? []
        #expect(root.contains("7") && root.contains("self") && root.contains("meminfo"))
        // Following /proc/self/exe reaches the file; cwd the directory.
        #expect(try h.node("/proc/self/exe") == (try h.node("/bin/prog")))
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/etc"))) == 0)
        #expect(try h.node("/proc/self/cwd/motd") == (try h.node("/etc/motd")))
        #expect(h.readlink("/proc/7/cwd").1 == "/etc")
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/proc/self/fd"))) == 0)
        #expect(h.cwd() == "/proc/7/fd")
    }

    @Test func fdDirectory() throws {
        let h = try Harness()
        let a = h.open("/etc/motd", O_RDONLY)
        let d = h.open("/tmp", O_RDONLY | O_DIRECTORY)
        #expect(h.ls("/proc/self/fd") == ["0", "1", "2", "3", "4", "5"], "5 is the listing's own descriptor")
        #expect(h.readlink("/proc/self/fd/\(a)").1 == "/etc/motd")
        #expect(h.readlink("/proc/self/fd/\(d)").1 == "/tmp")
        #expect(h.readlink("/proc/self/fd/1").1 == "pipe:[42]")
        #expect(h.readlink("/proc/self/fd/99").0 == err(.ENOENT))
        // Opening /proc/self/fd/N of a file opens the file anew (own offset).
        #expect(h.readAll(a, max: 5).1 == "hello")
        let again = h.open("/proc/self/fd/\(a)", O_RDONLY)
        #expect(again >= 0)
        #expect(h.readAll(again, max: 5).1 == "hello")
        #expect(h.readlink("/proc/self/fd/\(again)").1 == "/etc/motd", "keeps the file's name")
        // fchmodat through /proc/self/fd (musl's fchmodat AT_SYMLINK_NOFOLLOW path).
        #expect(h.sys(__NR_fchmodat, -100, Harness.a(h.str("/proc/self/fd/\(a)")), 0o600) == 0)
        #expect(h.mode("/etc/motd") == 0o100600)
        #expect(h.content("/proc/self/fdinfo/\(a)")?.hasPrefix("pos:\t5\n") == true)
    }

    @Test func globalFiles() throws {
        let h = try Harness()
        let mounts = h.content("/proc/mounts") ?? ""
        #expect(mounts.contains(" / kandelo rw"))
        #expect(mounts.contains(" /dev devtmpfs "))
        #expect(mounts.contains(" /proc proc "))
        #expect(mounts.contains(" /tmp tmpfs "))
        #expect((h.content("/proc/meminfo") ?? "").hasPrefix("MemTotal:"))
        #expect((h.content("/proc/cpuinfo") ?? "").contains("processor\t: 0"))
        let up = h.content("/proc/uptime") ?? ""
        #expect(up.split(separator: " ").count == 2 && up.hasSuffix("\n"))
        // Reads in small pieces and seeks work on the snapshot.
        let fd = h.open("/proc/self/cmdline", O_RDONLY)
        #expect(h.readAll(fd, max: 3).1 == "pro")
        #expect(h.lseek(fd, 1, 0).1 == 1)
        #expect(h.readAll(fd, max: 3).1 == "rog")
    }

    @Test func procIsReadOnly() throws {
        let h = try Harness()
        #expect(h.open("/proc/self/stat", O_WRONLY) == err(.EROFS))
        #expect(h.open("/proc/new", O_CREAT | O_WRONLY) == err(.EROFS))
        #expect(h.sys(__NR_mkdirat, -100, Harness.a(h.str("/proc/x")), 0o755) == err(.EROFS))
        #expect(h.sys(__NR_mkdirat, -100, Harness.a(h.str("/proc/self")), 0o755) == err(.EEXIST))
        #expect(h.sys(__NR_unlinkat, -100, Harness.a(h.str("/proc/meminfo")), 0) == err(.EROFS))
        #expect(h.sys(__NR_fchmodat, -100, Harness.a(h.str("/proc/meminfo")), 0o777) == err(.EROFS))
        #expect(h.sys(__NR_renameat, -100, Harness.a(h.str("/proc/meminfo")), -100, Harness.a(h.str("/proc/m"))) == err(.EROFS))
        #expect(h.sys(__NR_renameat, -100, Harness.a(h.str("/proc/meminfo")), -100, Harness.a(h.str("/tmp/m"))) == err(.EXDEV))
    }

    @Test func otherUsersEnvironIsPrivate() throws {
        let h = try Harness(uid: 1000, gid: 1000)
        let other = Process(pid: 9, ppid: 1, cred: Credentials(uid: 0, gid: 0), files: FileTable(),
                            cwd: h.vfs.rootNode, root: h.vfs.rootNode, memory: h.memory, startTime: 0)
        other.envp = [Array("SECRET=1".utf8)]
        other.argv = [Array("daemon".utf8)]
        h.processes[9] = other
        #expect(h.content("/proc/9/cmdline") == "daemon\0")
        #expect(h.open("/proc/9/environ", O_RDONLY) == err(.EACCES))
        #expect(h.readlink("/proc/9/cwd").0 == err(.EACCES))
        #expect(h.content("/proc/self/environ") == "HOME=/\0")
    }
}
