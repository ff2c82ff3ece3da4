// HostDirTests.swift: a host directory bound into the VFS (HostDirFS): what the guest
// sees and changes is the host directory, and nothing outside it can be reached — not
// by "..", not by symlinks (absolute, relative, or swapped in by the host after the guest
// looked), not by renaming or linking across the bind. Read-only binds give EROFS.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

@Suite struct HostDirTests {
    /// A host tree: `top/outside/secret.txt` (never reachable) and `top/bind` (bound on the
    /// guest's /mnt) with files, a subdirectory and symlinks that point out of it.
    final class Fixture {
        let top: String
        let bind: String
        let h: Harness
        let fs: HostDirFS
        nonisolated(unsafe) static var counter = 0

        init(readOnly: Bool = false) throws {
            Fixture.counter += 1
            top = "/tmp/khostdir-test-\(getpid())-\(Fixture.counter)-\(UInt32.random(in: 0...UInt32.max))"
            bind = top + "/bind"
            for d in [top, top + "/outside", bind, bind + "/sub"] { #expect(Glibc.mkdir(d, 0o755) == 0) }
            try "host secret\n".write(toFile: top + "/outside/secret.txt", atomically: false, encoding: .utf8)
            try "hi from the host\n".write(toFile: bind + "/hello.txt", atomically: false, encoding: .utf8)
            try "inner\n".write(toFile: bind + "/sub/inner.txt", atomically: false, encoding: .utf8)
            #expect(Glibc.symlink("/etc/motd", bind + "/abs") == 0)                 // absolute
            #expect(Glibc.symlink("../../etc", bind + "/up") == 0)                  // relative, up and out
            #expect(Glibc.symlink("../outside/secret.txt", bind + "/esc") == 0)     // to the host's sibling
            #expect(Glibc.symlink("..", bind + "/dotdot") == 0)
            h = try Harness()
            _ = try h.image.mkdir(.root, Array("mnt".utf8), mode: 0o755)
            fs = try HostDirFS(hostPath: bind, readOnly: readOnly)
            try h.vfs.mount(host: fs, at: "/mnt")
        }

        deinit {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/rm")
            p.arguments = ["-rf", top]
            try? p.run()
            p.waitUntilExit()
        }

        func hostContent(_ rel: String) -> String? { try? String(contentsOfFile: bind + "/" + rel, encoding: .utf8) }
        func hostStat(_ rel: String) -> Glibc.stat? {
            var st = Glibc.stat()
            return lstat(bind + "/" + rel, &st) == 0 ? st : nil
        }
    }

    func mkdir(_ h: Harness, _ p: String, _ mode: UInt32 = 0o755) -> Int32 {
        h.sys(__NR_mkdirat, -100, Harness.a(h.str(p)), Int32(mode))
    }
    func unlink(_ h: Harness, _ p: String, dir: Bool = false) -> Int32 {
        h.sys(__NR_unlinkat, -100, Harness.a(h.str(p)), dir ? AtFlags.REMOVEDIR : 0)
    }
    func rename(_ h: Harness, _ a: String, _ b: String, flags: Int32 = 0) -> Int32 {
        h.sys(__NR_renameat2, -100, Harness.a(h.str(a)), -100, Harness.a(h.str(b)), flags)
    }
    func link(_ h: Harness, _ a: String, _ b: String) -> Int32 {
        h.sys(__NR_linkat, -100, Harness.a(h.str(a)), -100, Harness.a(h.str(b)), 0)
    }
    func symlink(_ h: Harness, _ target: String, _ p: String) -> Int32 {
        h.sys(__NR_symlinkat, Harness.a(h.str(target)), -100, Harness.a(h.str(p)))
    }
    func create(_ h: Harness, _ p: String, _ content: String, mode: UInt32 = 0o644) -> Int32 {
        let fd = h.open(p, O_CREAT | O_WRONLY | O_TRUNC, mode)
        guard fd >= 0 else { return fd }
        let n = h.write(fd, content)
        h.sys(__NR_close, fd)
        return n < 0 ? n : 0
    }

    @Test func listsStatsAndReadsTheHostDirectory() throws {
        let f = try Fixture()
        let h = f.h
        #expect(h.ls("/mnt") == ["abs", "dotdot", "esc", "hello.txt", "sub", "up"])
        #expect(h.content("/mnt/hello.txt") == "hi from the host\n")
        #expect(h.content("/mnt/sub/inner.txt") == "inner\n")
        // stat carries the host's attributes (size, mode, nanosecond mtime), our st_dev and
        // an inode number that getdents agrees with.
        let (r, buf) = h.statx("/mnt/hello.txt")
        #expect(r == 0)
        let host = f.hostStat("hello.txt")!
        #expect(h.u64(buf + 40) == UInt64(host.st_size))
        #expect(UInt32(h.u16(buf + 28)) == host.st_mode)
        #expect(h.i64(buf + 112) == Int64(host.st_mtim.tv_sec) && h.u32(buf + 120) == UInt32(host.st_mtim.tv_nsec))
        let ino = h.u64(buf + 32)
        #expect(try h.node("/mnt/hello.txt").ino == ino)
        #expect(h.readlink("/mnt/up").1 == "../../etc")
        #expect(h.mode("/mnt/up", follow: false).map { $0 & 0o170000 } == 0o120000)
        // getcwd inside the bind names the guest path.
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/mnt/sub"))) == 0)
        #expect(h.cwd() == "/mnt/sub")
        #expect(h.content("inner.txt") == "inner\n")
        // /proc/mounts lists it.
        #expect(h.content("/proc/mounts")?.contains("\(f.bind) /mnt hostdir rw,nosuid,nodev") == true)
    }

    @Test func dotDotAtTheBindRootStaysInTheGuest() throws {
        let f = try Fixture()
        let h = f.h
        // /mnt/.. is the guest's root (the image), not the host's parent of HOSTDIR.
        #expect(try h.node("/mnt/..") == h.vfs.rootNode)
        #expect(try h.node("/mnt/sub/../../../..") == h.vfs.rootNode)
        #expect(h.content("/mnt/../etc/motd") == "hello, world\n")
        #expect(h.resolveError("/mnt/../outside/secret.txt") == .ENOENT)
        #expect(h.ls("/mnt/..")?.contains("outside") == false)
        // A link to ".." at the bind's root goes to the guest's root as well.
        #expect(try h.node("/mnt/dotdot") == h.vfs.rootNode)
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/mnt"))) == 0)
        #expect(h.sys(__NR_chdir, Harness.a(h.str(".."))) == 0)
        #expect(h.cwd() == "/")
    }

    @Test func symlinksResolveInTheGuestNamespaceAndNeverLeak() throws {
        let f = try Fixture()
        let h = f.h
        // Absolute: the guest's /etc/motd (the image's), whatever the host's says.
        #expect(h.content("/mnt/abs") == "hello, world\n")
        // Relative up and out: the guest's /etc.
        #expect(h.content("/mnt/up/motd") == "hello, world\n")
        #expect(try h.node("/mnt/up") == h.node("/etc"))
        // To the host sibling of HOSTDIR: nothing there in the guest.
        #expect(h.resolveError("/mnt/esc") == .ENOENT)
        #expect(h.content("/mnt/esc") == nil)
        // Creating through a link to outside creates in the guest's namespace (here /outside
        // does not exist in the image): never on the host outside HOSTDIR.
        #expect(h.open("/mnt/esc", O_CREAT | O_WRONLY) == err(.ENOENT))
        #expect(access(f.top + "/outside/secret.txt", F_OK) == 0)
        #expect(try String(contentsOfFile: f.top + "/outside/secret.txt", encoding: .utf8) == "host secret\n")
        // A guest-made link to "/" names the guest's root.
        #expect(symlink(h, "/", "/mnt/toroot") == 0)
        #expect(try h.node("/mnt/toroot/mnt/toroot/etc") == h.node("/etc"))
        // O_NOFOLLOW on a bind symlink is ELOOP, as on Linux.
        #expect(h.open("/mnt/abs", O_RDONLY | O_NOFOLLOW) == err(.ELOOP))
    }

    /// The host swaps a directory the guest already knows for a symlink pointing outside:
    /// the guest's old node is gone (ENOENT), and the new link resolves in the guest.
    @Test func aSymlinkSwappedInOnTheHostDoesNotLeak() throws {
        let f = try Fixture()
        let h = f.h
        let inner = try h.node("/mnt/sub/inner.txt")
        #expect(try h.vfs.stat(h.t, inner).size == 6)
        try "LEAKED\n".write(toFile: f.top + "/outside/inner.txt", atomically: false, encoding: .utf8)
        #expect(Glibc.rename(f.bind + "/sub", f.bind + "/sub.old") == 0)
        #expect(Glibc.symlink("../outside", f.bind + "/sub") == 0)
        do {
            let st = try h.vfs.stat(h.t, inner)
            Issue.record("stale node still answers: size \(st.size)")
        } catch {
            guard case .errno(let e) = error else { Issue.record("\(error)"); return }
            #expect(e == .ENOENT)
        }
        #expect(h.content("/mnt/sub/inner.txt") == nil)
        #expect(h.resolveError("/mnt/sub/inner.txt") == .ENOENT)
        #expect(h.content("/mnt/sub.old/inner.txt") == "inner\n")
        // An absolute link to the host's tree reads the guest's file of that name instead.
        #expect(Glibc.symlink(f.top + "/outside/secret.txt", f.bind + "/hostpath") == 0)
        #expect(h.content("/mnt/hostpath") == nil)
    }

    @Test func guestChangesAreTheHostDirectorysChanges() throws {
        let f = try Fixture()
        let h = f.h
        #expect(create(h, "/mnt/new.txt", "written by the guest\n", mode: 0o600) == 0)
        #expect(f.hostContent("new.txt") == "written by the guest\n")
        #expect(f.hostStat("new.txt").map { $0.st_mode & 0o7777 } == 0o600)
        // pwrite past the end, then truncate.
        let fd = h.open("/mnt/new.txt", O_RDWR)
        let data = Array("XY".utf8)
        #expect(h.sys(__NR_pwrite64, fd, Harness.a(h.bytes(data)), 2, 30, 0) == 2)
        #expect(f.hostStat("new.txt")?.st_size == 32)
        #expect(h.sys(__NR_ftruncate64, fd, 5, 0) == 0)
        #expect(f.hostContent("new.txt") == "writt")
        h.sys(__NR_close, fd)
        // mkdir, rename within the bind, symlink, link, chmod, utimensat.
        #expect(mkdir(h, "/mnt/d", 0o750) == 0)
        #expect(f.hostStat("d").map { $0.st_mode & 0o7777 } == 0o750)
        #expect(rename(h, "/mnt/new.txt", "/mnt/d/moved.txt") == 0)
        #expect(f.hostContent("new.txt") == nil && f.hostContent("d/moved.txt") == "writt")
        #expect(h.content("/mnt/d/moved.txt") == "writt")
        #expect(symlink(h, "moved.txt", "/mnt/d/ln") == 0)
        var target = [CChar](repeating: 0, count: 64)
        #expect(Glibc.readlink(f.bind + "/d/ln", &target, 63) == 9)
        #expect(h.content("/mnt/d/ln") == "writt")
        #expect(link(h, "/mnt/d/moved.txt", "/mnt/hard") == 0)
        #expect(f.hostStat("hard")?.st_nlink == 2)
        #expect(h.sys(__NR_fchmodat, -100, Harness.a(h.str("/mnt/hard")), 0o640) == 0)
        #expect(f.hostStat("d/moved.txt").map { $0.st_mode & 0o7777 } == 0o640)
        // Set-id bits are not planted on the host.
        #expect(h.sys(__NR_fchmodat, -100, Harness.a(h.str("/mnt/hard")), 0o4755) == 0)
        #expect(f.hostStat("hard").map { $0.st_mode & 0o7777 } == 0o755)
        let times = h.alloc(32)
        h.store(times, Int64(1_600_000_000)); h.store(times + 8, Int64(5))
        h.store(times + 16, Int64(1_500_000_000)); h.store(times + 24, Int64(123_456_789))
        #expect(h.sys(__NR_utimensat_time64, -100, Harness.a(h.str("/mnt/hard")), Harness.a(times), 0) == 0)
        #expect(f.hostStat("hard").map { "\($0.st_mtim.tv_sec).\($0.st_mtim.tv_nsec)" } == "1500000000.123456789")
        // Removing: unlink, rmdir (ENOTEMPTY first), rename over an existing file.
        #expect(unlink(h, "/mnt/d", dir: true) == err(.ENOTEMPTY))
        #expect(rename(h, "/mnt/hard", "/mnt/hello.txt") == 0)
        #expect(f.hostContent("hello.txt") == "writt")
        #expect(h.content("/mnt/hello.txt") == "writt")
        #expect(unlink(h, "/mnt/d/ln") == 0 && unlink(h, "/mnt/d/moved.txt") == 0)
        #expect(unlink(h, "/mnt/d", dir: true) == 0)
        #expect(f.hostStat("d") == nil)
        // A device node would be a host device: refused.
        #expect(h.sys(__NR_mknodat, -100, Harness.a(h.str("/mnt/null")), Int32(0o020666), 0x103) == err(.EPERM))
        #expect(f.hostStat("null") == nil)
        // An unlinked open file stays readable.
        let keep = h.open("/mnt/sub/inner.txt", O_RDONLY)
        #expect(unlink(h, "/mnt/sub/inner.txt") == 0)
        #expect(f.hostStat("sub/inner.txt") == nil)
        #expect(h.readAll(keep).1 == "inner\n")
        h.sys(__NR_close, keep)
        // Host-side changes are seen at once.
        try "from the host again\n".write(toFile: f.bind + "/later.txt", atomically: false, encoding: .utf8)
        #expect(h.content("/mnt/later.txt") == "from the host again\n")
    }

    @Test func renamesAndLinksAcrossTheBindAreEXDEV() throws {
        let f = try Fixture()
        let h = f.h
        #expect(rename(h, "/mnt/hello.txt", "/tmp/hello.txt") == err(.EXDEV))
        #expect(rename(h, "/etc/motd", "/mnt/motd") == err(.EXDEV))
        #expect(rename(h, "/mnt/sub", "/home/sub") == err(.EXDEV))
        #expect(link(h, "/mnt/hello.txt", "/home/hello") == err(.EXDEV))
        #expect(link(h, "/etc/motd", "/mnt/motd") == err(.EXDEV))
        #expect(f.hostContent("hello.txt") == "hi from the host\n")
        #expect(f.hostStat("motd") == nil)
        // The bind's root itself cannot be removed or renamed away.
        #expect(unlink(h, "/mnt", dir: true) == err(.EBUSY))
    }

    /// fsync of a bound directory, syncfs and sync reach the host: sysfs refuses fsync of a
    /// directory with EINVAL natively, and so must the guest's (it used to answer 0 without
    /// asking the host); on an ordinary host directory all three succeed.
    @Test func fsyncOfABoundDirectoryReachesTheHost() throws {
        let f = try Fixture()
        let h = f.h
        let dir = h.open("/mnt/sub", O_RDONLY | O_DIRECTORY)
        #expect(dir >= 0)
        #expect(h.sys(__NR_fsync, dir) == 0)
        #expect(h.sys(__NR_syncfs, dir) == 0)
        #expect(h.sys(__NR_sync) == 0)
        let file = h.open("/mnt/hello.txt", O_RDONLY)
        #expect(h.sys(__NR_fsync, file) == 0, "a file opened read-only is synced too")
        let tmp = h.open("/tmp/x", O_CREAT | O_RDWR)
        #expect(h.sys(__NR_syncfs, tmp) == 0, "tmpfs: nothing to write back")
        #expect(h.sys(__NR_syncfs, 999) == err(.EBADF))

        let s = try Harness()
        _ = try s.image.mkdir(.root, Array("sys".utf8), mode: 0o755)
        try s.vfs.mount(host: try HostDirFS(hostPath: "/sys/kernel", readOnly: true), at: "/sys")
        let native = Glibc.open("/sys/kernel", O_RDONLY | O_DIRECTORY)
        defer { close(native) }
        #expect(fsync(native) == -1 && errno == EINVAL)
        let sysDir = s.open("/sys", O_RDONLY | O_DIRECTORY)
        #expect(sysDir >= 0)
        #expect(s.sys(__NR_fsync, sysDir) == err(.EINVAL), "the host's answer")
        // statfs of a bind names the host filesystem (sysfs's magic), not ext4's.
        let buf = s.alloc(88)
        #expect(s.sys(__NR_statfs64, Harness.a(s.str("/sys")), 88, Harness.a(buf)) == 0)
        #expect(s.u32(buf) == 0x6265_6572, "SYSFS_MAGIC")
    }

    @Test func readOnlyBindsGiveEROFS() throws {
        let f = try Fixture(readOnly: true)
        let h = f.h
        #expect(h.content("/mnt/hello.txt") == "hi from the host\n")
        #expect(h.open("/mnt/hello.txt", O_WRONLY) == err(.EROFS))
        #expect(h.open("/mnt/new", O_CREAT | O_WRONLY) == err(.EROFS))
        #expect(mkdir(h, "/mnt/d") == err(.EROFS))
        #expect(unlink(h, "/mnt/hello.txt") == err(.EROFS))
        #expect(rename(h, "/mnt/hello.txt", "/mnt/x") == err(.EROFS))
        #expect(symlink(h, "x", "/mnt/l") == err(.EROFS))
        #expect(h.sys(__NR_fchmodat, -100, Harness.a(h.str("/mnt/hello.txt")), 0o600) == err(.EROFS))
        #expect(h.content("/proc/mounts")?.contains("/mnt hostdir ro,") == true)
        #expect(f.hostContent("hello.txt") == "hi from the host\n")
        #expect(f.hostStat("hello.txt").map { $0.st_mode & 0o7777 } == 0o644)
    }

    @Test func aMissingHostDirectoryOrGuestDirectoryIsAClearError() throws {
        #expect(throws: LinuxErrno.ENOENT) { _ = try HostDirFS(hostPath: "/nonexistent-\(getpid())") }
        #expect(throws: LinuxErrno.ENOTDIR) { _ = try HostDirFS(hostPath: "/etc/passwd") }
        let h = try Harness()
        let fs = try HostDirFS(hostPath: "/tmp")
        #expect(throws: VFS.MountError.self) { try h.vfs.mount(host: fs, at: "/no/such/dir") }
        #expect(throws: VFS.MountError.self) { try h.vfs.mount(host: fs, at: "/etc/motd") }
    }

    /// A bound file the host will not open for reading even for us (root reading the 0200
    /// sysctl /proc/sys/vm/drop_caches; a 0000 file when the tests do not run as root) is
    /// held O_PATH. A guest's read of it would make the host answer EBADF, which is then the
    /// guest's doing, not a kernel bug: it gets EACCES (read, pread), its fstat still works,
    /// and the kernel goes on serving the bind (it used to stop on the Ring's EBADF).
    @Test func aFileTheHostWillNotReadIsEACCESNotAKernelStop() throws {
        let h = try Harness()
        _ = try h.image.mkdir(.root, Array("vm".utf8), mode: 0o755)
        let dir: String, name: String, readable: String
        var cleanup: String?
        if geteuid() == 0 {
            (dir, name, readable) = ("/proc/sys/vm", "drop_caches", "swappiness")
        } else {
            dir = "/tmp/khostdir-unreadable-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            #expect(Glibc.mkdir(dir, 0o755) == 0)
            try "secret\n".write(toFile: dir + "/locked", atomically: false, encoding: .utf8)
            try "open\n".write(toFile: dir + "/open", atomically: false, encoding: .utf8)
            #expect(chmod(dir + "/locked", 0) == 0)
            (name, readable, cleanup) = ("locked", "open", dir)
        }
        defer { if let cleanup { Glibc.unlink(cleanup + "/locked"); Glibc.unlink(cleanup + "/open"); Glibc.rmdir(cleanup) } }
        #expect(Glibc.open(dir + "/" + name, O_RDONLY) < 0)      // the premise: the host refuses
        try h.vfs.mount(host: try HostDirFS(hostPath: dir, readOnly: true), at: "/vm")
        let fd = h.open("/vm/" + name, O_RDONLY)                 // the guest is root: the VFS lets it
        #expect(fd >= 0)
        #expect(h.readAll(fd).0 == err(.EACCES))
        let buf = h.alloc(64)
        #expect(h.sys(__NR_pread64, fd, Harness.a(buf), 64, 0, 0) == err(.EACCES))
        #expect(h.statx("/vm/" + name).0 == 0)
        h.sys(__NR_close, fd)
        // The kernel is still there, and so is the bind.
        let ok = h.open("/vm/" + readable, O_RDONLY)
        #expect(ok >= 0)
        #expect(h.readAll(ok).0 > 0)
        h.sys(__NR_close, ok)
    }

    /// A read of a bind file waits on the Ring with the file's held host descriptor.
    /// Another thread's close of the guest's last descriptor before the completion must not
    /// close that host descriptor under the read (the kernel took the host's EBADF for its
    /// own bug and stopped; a reused number would have read another file): the read still
    /// answers with the file's bytes, as on Linux, and the descriptor goes afterwards.
    @Test func closingABindFileDuringItsReadKeepsTheHostDescriptor() throws {
        let f = try Fixture()
        let h = f.h
        let fd = h.open("/mnt/hello.txt", O_RDONLY)
        #expect(fd >= 0)
        let buf = h.alloc(64)
        h.thread.nr = __NR_read
        h.thread.args = (fd, Harness.a(buf), 64, 0, 0, 0)
        h.thread.inCall = true
        var suspended = false
        do { _ = try h.handlers[__NR_read]!(h.kernel, h.thread) } catch {
            if case .suspended = error { suspended = true }
        }
        #expect(suspended)
        try h.process.files.close(fd)          // the other thread's close, before the completion
        while h.thread.inCall && h.kernel.ring.inFlight > 0 { h.kernel.ring.complete(block: true) }
        #expect(!h.thread.inCall)
        #expect(h.thread.slot.pointee.result == 17)
        #expect(String(decoding: h.read(buf, 17), as: UTF8.self) == "hi from the host\n")
        h.thread.inCall = false
        // The kernel goes on, and the file opens and reads again.
        #expect(h.content("/mnt/hello.txt") == "hi from the host\n")
    }
}
