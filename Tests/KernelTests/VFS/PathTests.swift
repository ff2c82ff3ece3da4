// PathTests.swift: path resolution: symlinks, "..", mounts, trailing slashes, dirfd.
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

@Suite struct PathTests {
    @Test func basicResolution() throws {
        let h = try Harness()
        let motd = try h.node("/etc/motd")
        #expect(motd.mountID == 0)
        #expect(try h.node("//etc///motd") == motd)
        #expect(try h.node("/etc/./../etc/motd") == motd)
        #expect(h.resolveError("/etc/nothing") == .ENOENT)
        #expect(h.resolveError("/etc/motd/x") == .ENOTDIR)
        #expect(h.resolveError("/etc/motd/") == .ENOTDIR)
        #expect(h.resolveError("/etc/") == nil)
        #expect(h.resolveError("") == .ENOENT)
        // Relative to the cwd.
        h.process.cwd = try h.node("/etc")
        #expect(try h.node("motd") == motd)
        #expect(try h.node("../etc/motd") == motd)
    }

    @Test func emptyPathNeedsAllowEmpty() throws {
        let h = try Harness()
        let fd = h.open("/etc/motd", O_RDONLY)
        #expect(fd >= 3)
        let n = try h.vfs.resolve(h.t, dirfd: fd, path: [], followFinal: true, allowEmpty: true)
        #expect(n == (try h.node("/etc/motd")))
        #expect(h.resolveError("", dirfd: fd) == .ENOENT)
    }

    @Test func dirfdRules() throws {
        let h = try Harness()
        let etc = h.open("/etc", O_RDONLY | O_DIRECTORY)
        let motd = h.open("/etc/motd", O_RDONLY)
        #expect(etc >= 0 && motd >= 0)
        #expect(try h.vfs.resolve(h.t, dirfd: etc, path: Array("motd".utf8), followFinal: true) == (try h.node("/etc/motd")))
        #expect(h.resolveError("motd", dirfd: motd) == .ENOTDIR)
        #expect(h.resolveError("motd", dirfd: 99) == .EBADF)
        // An absolute path ignores dirfd, even a bad one.
        #expect(h.resolveError("/etc/motd", dirfd: 99) == nil)
        // An O_PATH directory works as dirfd.
        let p = h.open("/etc", O_PATH)
        #expect(try h.vfs.resolve(h.t, dirfd: p, path: Array("motd".utf8), followFinal: true) == (try h.node("/etc/motd")))
    }

    @Test func symlinksAndLoops() throws {
        let h = try Harness()
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("/etc/motd")), -100, Harness.a(h.str("/abs"))) == 0)
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("../etc")), -100, Harness.a(h.str("/home/rel"))) == 0)
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("loopB")), -100, Harness.a(h.str("/loopA"))) == 0)
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("loopA")), -100, Harness.a(h.str("/loopB"))) == 0)
        #expect(h.sys(__NR_symlinkat, Harness.a(h.str("/nowhere")), -100, Harness.a(h.str("/dangling"))) == 0)
        let motd = try h.node("/etc/motd")
        #expect(try h.node("/abs") == motd)
        #expect(try h.node("/home/rel/motd") == motd)
        #expect(try h.node("/abs", follow: false) != motd)
        #expect(h.resolveError("/loopA") == .ELOOP)
        #expect(h.resolveError("/loopA", follow: false) == nil)
        #expect(h.resolveError("/loopA/x", follow: false) == .ELOOP)
        #expect(h.resolveError("/dangling") == .ENOENT)
        #expect(h.resolveError("/dangling", follow: false) == nil)
        // A trailing slash follows the final link even without followFinal.
        #expect(try h.node("/home/rel/", follow: false) == (try h.node("/etc")))
        #expect(h.resolveError("/abs/", follow: false) == .ENOTDIR)
        // A chain of 40 links resolves, 41 do not.
        for i in 1...41 {
            let target = i == 1 ? "/etc/motd" : "/c\(i - 1)"
            #expect(h.sys(__NR_symlinkat, Harness.a(h.str(target)), -100, Harness.a(h.str("/c\(i)"))) == 0)
        }
        #expect(try h.node("/c40") == motd)
        #expect(h.resolveError("/c41") == .ELOOP)
    }

    @Test func dotDotAtRootAndAcrossMounts() throws {
        let h = try Harness()
        let root = h.vfs.rootNode
        #expect(try h.node("/..") == root)
        #expect(try h.node("/../../..") == root)
        let tmp = try h.node("/tmp")
        #expect(tmp.mountID != 0, "/tmp is the tmpfs")
        #expect(tmp.ino == 1)
        #expect(try h.node("/tmp/..") == root)
        #expect(try h.node("/tmp/../etc/motd") == (try h.node("/etc/motd")))
        #expect(try h.node("/dev/shm/../..") == root)
        #expect(try h.node("/proc/self/..") == (try h.node("/proc")))
        #expect(try h.node("/proc/..") == root)
        // The process root is a floor: a chroot cannot be escaped with "..".
        let home = try h.node("/home")
        let user = try h.node("/home/user")
        h.process.root = home
        h.process.cwd = home
        #expect(try h.node("/..") == home)
        #expect(try h.node("user/../../..") == home)
        #expect(try h.node("/user") == user)
        #expect(h.cwd() == "/")
    }

    @Test func mountCrossingInPathOfNode() throws {
        let h = try Harness()
        #expect(h.sys(__NR_mkdirat, -100, Harness.a(h.str("/tmp/a")), 0o755) == 0)
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/tmp/a"))) == 0)
        #expect(h.cwd() == "/tmp/a")
        #expect(h.sys(__NR_chdir, Harness.a(h.str("../.."))) == 0)
        #expect(h.cwd() == "/")
        #expect(h.sys(__NR_chdir, Harness.a(h.str("/dev/shm"))) == 0)
        #expect(h.cwd() == "/dev/shm")
    }

    @Test func nameLimits() throws {
        let h = try Harness()
        let long = String(repeating: "x", count: 256)
        #expect(h.resolveError("/etc/" + long) == .ENAMETOOLONG)
        #expect(h.open("/tmp/" + long, O_CREAT | O_WRONLY) == err(.ENAMETOOLONG))
        let ok = String(repeating: "y", count: 255)
        #expect(h.open("/tmp/" + ok, O_CREAT | O_WRONLY) >= 0)
        // A path of 4096 bytes or more (no NUL within PATH_MAX).
        let huge = "/" + String(repeating: "a/", count: 2100)
        #expect(h.open(huge, O_RDONLY) == err(.ENAMETOOLONG))
    }

    @Test func searchPermissionOnEveryDirectory() throws {
        let h = try Harness(uid: 1000, gid: 1000)
        #expect(h.resolveError("/secret/key") == .EACCES)
        #expect(h.resolveError("/secret") == nil, "the directory itself may be named")
        #expect(h.resolveError("/home/user/notes") == nil)
    }

    @Test func resolveParentSplitsTheLastComponent() throws {
        let h = try Harness()
        let (dir, name, trailing) = try h.vfs.resolveParent(h.t, dirfd: -100, path: Array("/etc/new//".utf8))
        #expect(dir == (try h.node("/etc")))
        #expect(name == Array("new".utf8))
        #expect(trailing)
        let (root, empty, _) = try h.vfs.resolveParent(h.t, dirfd: -100, path: Array("///".utf8))
        #expect(root == h.vfs.rootNode && empty.isEmpty)
        #expect(throws: SyscallError.self) { try h.vfs.resolveParent(h.t, dirfd: -100, path: Array("/etc/motd/x".utf8)) }
    }
}
