// InterruptTests.swift: what a person waiting on `kandelo-image build` sees and may do.
// ^C leaves nothing half-written: the image is written to a temporary file beside OUT and
// renamed over it; SIGINT while that file is being written removes it, so OUT is either
// absent or the file it was before. Progress shows on a terminal and nowhere else.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct InterruptTests {
    /// posix_spawn with no blocked signals and default dispositions (test threads block some).
    func spawn(_ argv: [String]) -> pid_t {
        let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL); sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &fa, &attr, cargs, environ)
        precondition(rc == 0, "posix_spawn: \(rc)")
        return pid
    }

    @Test func progressOnATerminalOnly() throws {
        let dir = TempDir("kprogress")
        let tree = dir.file("tree")
        try FileManager.default.createDirectory(atPath: tree + "/d", withIntermediateDirectories: true)
        for i in 0..<300 { try Data("file \(i)\n".utf8).write(to: URL(fileURLWithPath: tree + "/d/f\(i)")) }
        let exe = builtExecutable("kandelo-image")
        // stderr on a pty: the progress line (redrawn with \r and erase-line) is there.
        let py = """
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], sys.argv[1:])
            out = b''
            while True:
                try:
                    d = os.read(fd, 65536)
                except OSError:
                    break
                if not d: break
                out += d
            os.waitpid(pid, 0)
            sys.stdout.write(repr(out))
            """
        try py.write(toFile: dir.file("progress-driver.py"), atomically: true, encoding: .utf8)
        let tty = try run("/usr/bin/python3", [dir.file("progress-driver.py"), exe, "build", "--from-dir", tree, "-o", dir.file("a.vfs")])
        #expect(tty.stdout.contains("\\r\\x1b[Kbuilding ") && tty.stdout.contains(" entries, "), "\(tty.stdout)")
        // In a script (stderr a pipe): no progress, only the one-line summary.
        let piped = try run(exe, ["build", "--from-dir", tree, "-o", dir.file("b.vfs")])
        #expect(piped.status == 0 && !piped.stderr.contains("building") && !piped.stderr.contains("\r"), "\(piped.stderr)")
        #expect(piped.stderr.hasPrefix("wrote \(dir.file("b.vfs")):") && piped.stderr.split(separator: "\n").count == 1)
    }

    @Test func ctrlCWhileWritingLeavesTheOldOutputAndNoTemporaryFile() throws {
        let dir = TempDir("kinterrupt")
        let tree = dir.file("tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        // 48 MiB of incompressible data: zstd level 19 takes seconds over it, a wide window.
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        for i in 0..<48 {
            try random.readData(ofLength: 1 << 20).write(to: URL(fileURLWithPath: tree + "/f\(i)"))
        }
        let out = dir.file("out.vfs.zst")
        try Data("the previous image\n".utf8).write(to: URL(fileURLWithPath: out))
        let pid = spawn([builtExecutable("kandelo-image"), "build", "--from-dir", tree, "-o", out, "--quiet"])
        let tmp = dir.file(".out.vfs.zst.tmp-\(pid)")
        // Wait until the temporary file is being written, then ^C.
        var sawTemporary = false
        for _ in 0..<6000 {
            if access(tmp, F_OK) == 0 { sawTemporary = true; break }
            var st: Int32 = 0
            if waitpid(pid, &st, WNOHANG) == pid { Issue.record("build ended before the write (status \(st))"); return }
            usleep(10_000)
        }
        #expect(sawTemporary, "the build never wrote \(tmp)")
        usleep(200_000)
        kill(pid, SIGINT)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        #expect(status & 0x7f == SIGINT, "killed by SIGINT, as ^C does (status \(status))")
        #expect(access(tmp, F_OK) != 0, "the temporary file was left behind")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "the previous image\n")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(left == ["out.vfs.zst", "tree"], "\(left)")
    }
}
