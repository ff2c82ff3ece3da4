// Harness.swift: running the built kandelo-mount on real mounts, and shell tools against them.
//
// Every test works in its own directory under /tmp and mounts with the kandelo-mount binary
// that `swift build` put next to the test bundle. `Mounted.cleanup()` (call it in a defer)
// lazily unmounts whatever is still mounted and waits for the server to exit, so a failing
// test never leaves a mount behind. The server writes the image when it exits, after the
// unmount returns; `waitForServerExit` waits for that by watching the lock on IMAGE.journal.

import Testing
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

enum Harness {
    /// The directory holding the test bundle and the package's executables.
    static let binDir: String = {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        precondition(n > 0, "cannot read /proc/self/exe")
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(exe[..<exe.lastIndex(of: "/")!])
    }()
    static var kandeloMount: String { binDir + "/kandelo-mount" }
    static var kandeloImage: String { binDir + "/kandelo-image" }

    /// A fresh, empty directory for one test: /tmp/kfuse-test-PID-NAME-XXXXXX. A run's
    /// directories stay for inspection until the next run, which removes those whose test
    /// process is gone (and that hold no mount).
    static func workDir(_ name: String) -> String {
        _ = sweepEarlierRuns
        var template = Array("/tmp/kfuse-test-\(getpid())-\(name)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        return String(cString: p!)
    }

    static let sweepEarlierRuns: Void = {
        guard let dir = opendir("/tmp") else { return }
        var stale: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix("kfuse-test-") else { continue }
            let pidText = name.dropFirst("kfuse-test-".count).prefix { $0 != "-" }
            guard let pid = Int32(pidText), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            stale.append("/tmp/" + name)
        }
        closedir(dir)
        let mounts = readText("/proc/self/mountinfo") ?? ""
        for path in stale where !mounts.contains(path + "/") {
            sh("rm -rf '\(path)'")
        }
    }()

    /// Creates an empty image: `size` bytes now, growing to `maxSize`.
    static func makeImage(_ path: String, size: Int = 8 << 20, maxSize: Int = 256 << 20) throws {
        let fs = try SharedFS(size: size, maxSize: maxSize)
        try ImageFile.save(fs, to: path, compressed: path.hasSuffix(".zst"))
    }
}

struct ShellResult: CustomStringConvertible {
    var status: Int32
    var out: String
    var err: String
    var ok: Bool { status == 0 }
    var description: String { "exit \(status)\nstdout: \(out)\nstderr: \(err)" }
}

/// Runs `script` with /bin/sh in `dir`; captures stdout and stderr.
@discardableResult
func sh(_ script: String, in dir: String = "/tmp", env: [String: String] = [:]) -> ShellResult {
    let outPath = "/tmp/.kfuse-sh-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    let errPath = outPath + ".err"
    defer { unlink(outPath); unlink(errPath) }
    var exports = ""
    for (k, v) in env { exports += "export \(k)='\(v)'; " }
    let wrapped = "cd '\(dir)' && { \(exports)\(script)\n} >'\(outPath)' 2>'\(errPath)' </dev/null"
    let words: [String] = ["/bin/sh", "-c", wrapped]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = withCleanSpawnAttributes { posix_spawn(&pid, "/bin/sh", nil, $0, argv, environ) }
    precondition(rc == 0, "posix_spawn failed: \(rc)")
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ShellResult(status: code, out: readText(outPath) ?? "", err: readText(errPath) ?? "")
}

/// Spawn attributes giving the child an empty signal mask and default dispositions: test
/// threads (Swift concurrency's pool) block signals, and a shell that inherits a blocked
/// SIGCHLD waits forever in `wait`.
func withCleanSpawnAttributes<R>(_ body: (UnsafePointer<posix_spawnattr_t>) -> R) -> R {
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attr, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for sig in [SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2] { sigaddset(&defaults, sig) }
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    return body(&attr)
}

func readText(_ path: String) -> String? {
    guard let bytes = readBytes(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

func readBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

func writeText(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    precondition(fd >= 0, "cannot create \(path)")
    _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

func fileExists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Whether `dir` is a mount point now (from /proc/self/mountinfo).
func isMountPoint(_ dir: String) -> Bool {
    guard let info = readText("/proc/self/mountinfo") else { return false }
    return info.split(separator: "\n").contains { line in
        let f = line.split(separator: " ")
        return f.count > 4 && f[4] == dir
    }
}

/// Waits until no process holds the image's writer lock (the server has checkpointed and
/// exited, or died). Returns false on timeout.
@discardableResult
func waitForServerExit(_ image: String, timeout: Double = 60) -> Bool {
    let journal = image + ".journal"
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
        let fd = open(journal, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return true }  // closed cleanly: the journal is gone
        let free = flock(fd, LOCK_EX | LOCK_NB) == 0
        close(fd)
        if free { return true }    // the holder died (kill -9): its lock went with it
        usleep(20_000)
    }
    return false
}

/// One running kandelo-mount.
final class Mounted {
    let image: String
    let dir: String
    /// Set when started with -f (we are its parent).
    private(set) var pid: pid_t? = nil

    /// Mounts `image` on `dir` (created if missing) and returns once the mount is live.
    init(_ image: String, on dir: String, options: [String] = [], foreground: Bool = false) throws {
        self.image = image
        self.dir = dir
        mkdir(dir, 0o755)
        var args = [Harness.kandeloMount, image, dir]
        for o in options { args += ["-o", o] }
        if foreground {
            args.insert("-f", at: 1)
            let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var p: pid_t = 0
            var fa = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&fa)
            posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
            defer { posix_spawn_file_actions_destroy(&fa) }
            let rc = withCleanSpawnAttributes { posix_spawn(&p, args[0], &fa, $0, argv, environ) }
            guard rc == 0 else { throw HarnessError("posix_spawn kandelo-mount: \(rc)") }
            pid = p
            let deadline = monotonicSeconds() + 30
            while !isMountPoint(dir) {
                var status: Int32 = 0
                if waitpid(p, &status, WNOHANG) == p { pid = nil; throw HarnessError("kandelo-mount -f exited early (\(status))") }
                guard monotonicSeconds() < deadline else { throw HarnessError("mount on \(dir) did not appear") }
                usleep(10_000)
            }
        } else {
            let r = sh(args.map { "'\($0)'" }.joined(separator: " "))
            guard r.ok else { throw HarnessError("kandelo-mount failed: \(r)") }
            guard isMountPoint(dir) else { throw HarnessError("kandelo-mount returned 0 but \(dir) is not mounted") }
        }
    }

    /// Unmounts with fusermount3 -u and waits until the image is written.
    func unmount() throws {
        let r = sh("fusermount3 -u '\(dir)'")
        guard r.ok else { throw HarnessError("fusermount3 -u: \(r)") }
        try waitForExit()
    }

    /// Waits for the server to finish; reaps it when we started it with -f.
    func waitForExit() throws {
        if let p = pid {
            var status: Int32 = 0
            while waitpid(p, &status, 0) < 0 && errno == EINTR {}
            pid = nil
            guard (status & 0x7f) == 0 else { return }  // killed on purpose
            guard (status >> 8) & 0xff == 0 else { throw HarnessError("kandelo-mount exited with \((status >> 8) & 0xff)") }
        }
        guard waitForServerExit(image) else { throw HarnessError("kandelo-mount did not finish writing \(image)") }
    }

    /// Sends a signal to the -f server.
    func kill(_ signal: Int32) {
        if let p = pid { Glibc.kill(p, signal) }
    }

    /// Leaves nothing mounted and no server running. Safe to call more than once.
    func cleanup() {
        if isMountPoint(dir) { sh("fusermount3 -u -z '\(dir)' || umount -l '\(dir)'") }
        if let p = pid {
            var status: Int32 = 0
            let deadline = monotonicSeconds() + 30
            while waitpid(p, &status, WNOHANG) == 0 && monotonicSeconds() < deadline { usleep(10_000) }
            if waitpid(p, &status, WNOHANG) == 0 { Glibc.kill(p, SIGKILL); waitpid(p, &status, 0) }
            pid = nil
        }
        waitForServerExit(image, timeout: 30)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}

/// `kandelo-image fsck` and an in-process fsck must both find the image clean.
func expectClean(_ image: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let r = sh("'\(Harness.kandeloImage)' fsck '\(image)'")
    #expect(r.ok, "kandelo-image fsck: \(r)", sourceLocation: sourceLocation)
    do {
        let img = try ImageFile.open(image, readOnly: true, verify: false)
        let report = img.fs.check()
        #expect(report.isConsistent, "fsck faults: \(report.faults.prefix(10))", sourceLocation: sourceLocation)
    } catch {
        Issue.record("cannot open \(image): \(error)", sourceLocation: sourceLocation)
    }
}
