// Support.swift: building small guests with kandelo-cc and running kandelo-launch on
// images made for one test.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

enum Launch {
    static let binDir: String = {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let exe = String(decoding: buf[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(exe[..<exe.lastIndex(of: "/")!])
    }()
    static var launcher: String { binDir + "/kandelo-launch" }
    static var imageTool: String { binDir + "/kandelo-image" }
    static let repo: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func workDir(_ name: String) -> String {
        let dir = "/tmp/klaunch-test-\(getpid())-\(name)"
        _ = sh("rm -rf '\(dir)' && mkdir -p '\(dir)/root/bin' '\(dir)/root/tmp' '\(dir)/root/etc' '\(dir)/root/work'")
        return dir
    }

    /// A guest that prints its argc, argv, $FOO, cwd and pid and exits 42.
    static let helloSource = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            char cwd[256];
            printf("argc=%d", argc);
            for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
            printf(" FOO=%s cwd=%s pid=%d\\n", getenv("FOO"), getcwd(cwd, sizeof cwd), getpid());
            return 42;
        }
        """

    /// Compiles C `source` with kandelo-cc into `dir`/root/bin/`name`.
    static func guest(_ dir: String, _ name: String, _ source: String) throws {
        let src = "\(dir)/\(name).c"
        try source.write(toFile: src, atomically: true, encoding: .utf8)
        let r = sh("'\(repo)/sdk/bin/kandelo-cc' -O1 -w -o '\(dir)/root/bin/\(name)' '\(src)'")
        if r.status != 0 { throw TestFailure("kandelo-cc \(name): \(r)") }
    }

    static func image(_ dir: String) throws -> String {
        let path = "\(dir)/test.vfs"
        let r = sh("'\(imageTool)' build --from-dir '\(dir)/root' --output '\(path)'")
        if r.status != 0 { throw TestFailure("kandelo-image build: \(r)") }
        return path
    }

    static func run(_ image: String, _ args: String, stdin: String? = nil) -> ShellResult {
        let input = stdin.map { "printf '%s' '\($0)' | " } ?? ""
        return sh("\(input)'\(launcher)' --image '\(image)' \(args)" + (stdin == nil ? " </dev/null" : ""))
    }
}

/// Python that runs `argv` (argv[0] is the path) on a host pty and defines
/// `expect(token, timeout=30)`: read until `token` appears and consume through it; on a
/// timeout print what came and exit 2. Tests append what to type and expect.
enum PtyScript {
    static func prelude(_ argv: [String]) -> String {
        let list = argv.map { "'\($0)'" }.joined(separator: ", ")
        return """
            import os, pty, sys, time, select
            pid, fd = pty.fork()
            if pid == 0:
                os.execv('\(argv[0])', [\(list)])

            """ + expectFunction()
    }

    /// `out` and `expect(token, timeout)` over the pty `fd` of child `pid`.
    static func expectFunction(defaultTimeout: Int = 30) -> String {
        """
        out = b''
        def expect(token, timeout=\(defaultTimeout)):
            global out
            end = time.time() + timeout
            while token.encode() not in out:
                if time.time() > end:
                    print('TIMEOUT waiting for', repr(token), 'got', repr(out[-400:])); os.kill(pid, 9); sys.exit(2)
                r, _, _ = select.select([fd], [], [], 0.2)
                if r:
                    try: out += os.read(fd, 4096)
                    except OSError: break
            i = out.index(token.encode()); out = out[i + len(token):]

        """
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct ShellResult: CustomStringConvertible {
    var status: Int32
    var out: String
    var err: String
    var description: String { "exit \(status)\nstdout: \(out)\nstderr: \(err)" }
}

/// posix_spawn of `argv` (argv[0] is the path) with an empty signal mask and default
/// dispositions (test threads block signals), and the given file actions.
func spawnClean(_ argv: [String], actions: UnsafePointer<posix_spawn_file_actions_t>? = nil) -> (pid: pid_t, error: Int32) {
    let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { cargs.forEach { free($0) } }
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attr, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for s in [SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, s) }
    posix_spawnattr_setsigdefault(&attr, &defaults)
    // A process group of its own: whatever a child (or a kernel bug) sends to its group
    // never reaches the test runner.
    posix_spawnattr_setpgroup(&attr, 0)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], actions, &attr, cargs, environ)
    return (pid, rc)
}

/// Runs `script` with /bin/sh; captures stdout and stderr. The child gets an empty signal
/// mask and default dispositions (test threads block signals).
@discardableResult
func sh(_ script: String) -> ShellResult {
    let outPath = "/tmp/.klaunch-sh-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    let errPath = outPath + ".err"
    defer { unlink(outPath); unlink(errPath) }
    let wrapped = "{ \(script)\n} >'\(outPath)' 2>'\(errPath)'"
    let (pid, rc) = spawnClean(["/bin/sh", "-c", wrapped])
    precondition(rc == 0, "posix_spawn: \(rc)")
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let read = { (p: String) in (try? String(contentsOfFile: p, encoding: .utf8)) ?? "" }
    return ShellResult(status: code, out: read(outPath), err: read(errPath))
}
