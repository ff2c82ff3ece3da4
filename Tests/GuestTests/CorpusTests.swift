// CorpusTests.swift: the differential guest corpus. Every C program in Tests/GuestCorpus
// is compiled natively with gcc and for Kandelo with sdk/bin/kandelo-cc; the native binary
// runs on the host in a scratch directory, the guest runs from an image built here under
// kandelo-launch in /work/<program>; standard output and exit status must be identical.
//
// Both runs get the same arguments, stdin from /dev/null, the same working-directory
// contents (input.txt), the same environment in the same order (PATH and HOME as the
// launcher sets them, then the KT_* variables and TZ below), no descriptors beyond 0-2,
// an empty signal mask and default signal dispositions. Compiled programs are cached by content
// hash (sources, corpus.h, compiler, flags, SDK) under
// ${KANDELO_CACHE:-~/.cache/kandelo}/corpus/, so reruns only run.
//
// Each case leaves its files in <products>/guest-corpus/ when it fails (the message
// names the place); passing cases clean up after themselves.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

@Suite(.serialized) struct CorpusTests {
    @Test(arguments: Corpus.programs)
    func program(_ name: String) throws {
        let setup = try Corpus.setup.get()
        guard let built = setup.programs[name] else {
            Issue.record("\(name): not prepared")
            return
        }
        if let error = built.buildError {
            Issue.record("\(name): does not build: \(error)")
            return
        }
        let native = try Corpus.runNative(setup, name, built)
        let guest = try Corpus.runGuest(setup, name, built)
        let same = native.status == guest.status && native.stdout == guest.stdout
        if same {
            Corpus.cleanUp(setup, name)
        } else {
            var msg = "\(name): native and guest differ\n"
            if native.status != guest.status {
                msg += "exit status: native \(native.status), guest \(guest.status)\n"
            }
            if native.stdout != guest.stdout {
                msg += "stdout (- native, + guest):\n" + Corpus.diff(native.stdout, guest.stdout)
            }
            if !guest.stderr.isEmpty { msg += "guest stderr:\n" + Corpus.clip(guest.stderr) }
            if !native.stderr.isEmpty { msg += "native stderr:\n" + Corpus.clip(native.stderr) }
            msg += "files kept in \(setup.work)/{native,images,out} (times: native \(native.seconds)s, guest \(guest.seconds)s)"
            Issue.record(Comment(rawValue: msg))
        }
    }
}

enum Corpus {
    // MARK: what is run

    static let arguments = ["alpha", "two words", "", "-x", "--long=value", "ünïcødé"]
    /// Added to the environment of both runs (after PATH and HOME).
    static let environment = ["KT_PLAIN=plain", "KT_EMPTY=", "KT_SPACES=a b  c", "KT_EQUALS=a=b=c", "TZ=UTC"]
    /// What kandelo-launch puts first in every guest's environment.
    static let basePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    static let baseEnvironment = ["PATH=\(basePath)", "HOME=/root"]
    static let flags = ["-O1", "-w"]
    /// A guest (debug WasmKit) or native run taking longer than this is ended.
    static let timeoutSeconds = 120.0

    static let repo: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var corpusDir: String { repo + "/Tests/GuestCorpus" }

    /// The program names (Tests/GuestCorpus/*.c without the suffix), sorted.
    /// Every program, or those named in KANDELO_CORPUS (comma-separated), for a quick rerun.
    static let programs: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: repo + "/Tests/GuestCorpus")) ?? []
        let all = files.filter { $0.hasSuffix(".c") }.map { String($0.dropLast(2)) }.sorted()
        guard let only = ProcessInfo.processInfo.environment["KANDELO_CORPUS"], !only.isEmpty else { return all }
        let wanted = Set(only.split(separator: ",").map(String.init))
        return all.filter { wanted.contains($0) }
    }()

    // MARK: setup (once)

    struct Built: Sendable {
        var native = ""
        var guest = ""
        var buildError: String?
    }

    struct Setup: Sendable {
        var products: String
        var launcher: String
        var work: String
        var image: String
        var input: String
        var programs: [String: Built]
    }

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    static let setup: Result<Setup, SetupError> = Result { () throws(SetupError) -> Setup in try prepare() }

    /// The directory holding kandelo-launch, kandelo-runner and kandelo-image: the test
    /// bundle's own (.build/<config>/).
    static func productsDirectory() throws(SetupError) -> String {
        var candidates: [String] = []
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 {
            let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            candidates.append((exe as NSString).deletingLastPathComponent)
        }
        let arg0 = CommandLine.arguments.first ?? ""
        let dir0 = (arg0 as NSString).deletingLastPathComponent
        candidates += [dir0, (dir0 as NSString).deletingLastPathComponent]
        for dir in candidates where !dir.isEmpty {
            let fm = FileManager.default
            if ["kandelo-launch", "kandelo-runner", "kandelo-image"].allSatisfy({ fm.isExecutableFile(atPath: dir + "/" + $0) }) {
                return dir
            }
        }
        throw SetupError(description: "kandelo-launch/kandelo-runner/kandelo-image not found beside the test bundle (looked in \(candidates))")
    }

    static func prepare() throws(SetupError) -> Setup {
        let fm = FileManager.default
        let products = try productsDirectory()
        let work = products + "/guest-corpus"
        try? fm.removeItem(atPath: work)
        let root = work + "/root"
        for d in ["", "/native", "/images", "/out", "/bin", "/root/bin", "/root/tmp", "/root/work", "/root/etc",
                  "/root/dev", "/root/proc"] {
            do { try fm.createDirectory(atPath: work + d, withIntermediateDirectories: true) } catch {
                throw SetupError(description: "cannot create \(work + d): \(error)")
            }
        }
        _ = chmod(root + "/tmp", 0o1777)
        let input = corpusDir + "/input.txt"
        guard fm.fileExists(atPath: input) else { throw SetupError(description: "\(input) is missing") }
        do { try "kandelo-corpus\n".write(toFile: root + "/etc/hostname", atomically: false, encoding: .utf8) } catch {
            throw SetupError(description: "\(error)")
        }

        // Compiler identities for the cache key: the kandelo-cc call also builds the
        // sysroot the first time (progress on its stderr).
        let gccVersion = run(["gcc", "--version"]).stdout
        let sysrootHash = run([repo + "/sdk/build-sysroot.sh", "--print-hash"])
        guard sysrootHash.status == 0 else {
            throw SetupError(description: "sdk/build-sysroot.sh --print-hash failed: \(sysrootHash.stderr)")
        }
        let sysroot = run([repo + "/sdk/bin/kandelo-cc", "-print-sysroot"])
        let kandeloVersion = run([repo + "/sdk/bin/kandelo-cc", "--version"]).stdout
        var sdkFiles = ""
        for f in ["sdk/bin/kandelo-cc", "sdk/lib/common.sh"] {
            sdkFiles += (try? String(contentsOfFile: repo + "/" + f, encoding: .utf8)) ?? ""
        }
        let header = (try? Data(contentsOf: URL(fileURLWithPath: corpusDir + "/corpus.h"))) ?? Data()
        let cache = cacheDirectory()
        try? fm.createDirectory(atPath: cache, withIntermediateDirectories: true)

        var built: [String: Built] = [:]
        for name in programs {
            var b = Built()
            guard let source = try? Data(contentsOf: URL(fileURLWithPath: "\(corpusDir)/\(name).c")) else {
                b.buildError = "cannot read \(name).c"
                built[name] = b
                continue
            }
            func compile(_ kind: String, _ compiler: [String], _ identity: String) -> Result<String, SetupError> {
                var key = Data("kandelo-corpus-v1\n\(kind)\n\(flags)\n\(identity)\n".utf8)
                key.append(header)
                key.append(Data("\n--\n".utf8))
                key.append(source)
                let cached = "\(cache)/\(name)-\(kind)-\(SHA256.hex(key))"
                if !fm.isExecutableFile(atPath: cached) {
                    let tmp = cached + ".tmp\(getpid())"
                    let r = run(compiler + flags + ["-o", tmp, "\(corpusDir)/\(name).c", "-lm"])
                    guard r.status == 0, fm.isExecutableFile(atPath: tmp) else {
                        try? fm.removeItem(atPath: tmp)
                        return .failure(SetupError(description: "\(kind) compile failed (\(r.status)):\n\(clip(r.stderr))"))
                    }
                    if rename(tmp, cached) != 0 { try? fm.removeItem(atPath: tmp) }
                }
                return .success(cached)
            }
            switch compile("native", ["gcc"], gccVersion) {
            case .success(let p): b.native = p
            case .failure(let e): b.buildError = e.description
            }
            switch compile("kandelo", [repo + "/sdk/bin/kandelo-cc"],
                           sysrootHash.stdout + sysroot.stdout + kandeloVersion + sdkFiles) {
            case .success(let p): b.guest = p
            case .failure(let e): b.buildError = (b.buildError.map { $0 + "\n" } ?? "") + e.description
            }
            if b.buildError == nil {
                // Natively the binary is named like the program, so argv[0] and
                // /proc/self/exe have the same basename as the guest's /bin/<name>.
                let nativeBin = "\(work)/bin/\(name)"
                let guestBin = "\(root)/bin/\(name)"
                do {
                    try fm.copyItem(atPath: b.native, toPath: nativeBin)
                    try fm.copyItem(atPath: b.guest, toPath: guestBin)
                    _ = chmod(guestBin, 0o755)
                    try fm.createDirectory(atPath: "\(root)/work/\(name)", withIntermediateDirectories: true)
                    try fm.copyItem(atPath: input, toPath: "\(root)/work/\(name)/input.txt")
                } catch {
                    b.buildError = "cannot stage \(name): \(error)"
                }
                b.native = nativeBin
                b.guest = "/bin/\(name)"
            }
            built[name] = b
        }

        let image = work + "/corpus.vfs"
        let r = run([products + "/kandelo-image", "build", "--quiet", "--from-dir", root, "--output", image,
                     "--max-size", String(256 << 20)])
        guard r.status == 0 else { throw SetupError(description: "kandelo-image build failed: \(r.stderr)") }
        return Setup(products: products, launcher: products + "/kandelo-launch", work: work, image: image,
                     input: input, programs: built)
    }

    static func cacheDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        if let c = env["KANDELO_CACHE"], !c.isEmpty { return c + "/corpus" }
        if let x = env["XDG_CACHE_HOME"], !x.isEmpty { return x + "/kandelo/corpus" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache/kandelo/corpus"
    }

    // MARK: running

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: String
    }

    static func runNative(_ s: Setup, _ name: String, _ b: Built) throws -> Outcome {
        let dir = "\(s.work)/native/\(name)"
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try fm.copyItem(atPath: s.input, toPath: dir + "/input.txt")
        return try launch(b.native, arguments, environment: baseEnvironment + environment, cwd: dir, out: "\(s.work)/out/\(name).native")
    }

    static func runGuest(_ s: Setup, _ name: String, _ b: Built) throws -> Outcome {
        let image = "\(s.work)/images/\(name).vfs"
        let fm = FileManager.default
        try? fm.removeItem(atPath: image)
        try fm.copyItem(atPath: s.image, toPath: image)
        var args = ["--image", image, "-w", "/work/\(name)"]
        for e in environment { args += ["-e", e] }
        args += ["--", b.guest] + arguments
        // The launcher's own environment has no TERM/LANG/LC_ALL/TZ/COLUMNS/LINES, which it
        // would pass on: the guest sees exactly PATH, HOME and the -e variables.
        let env = ["PATH=" + (ProcessInfo.processInfo.environment["PATH"] ?? basePath)]
        return try launch(s.launcher, args, environment: env, cwd: s.work, out: "\(s.work)/out/\(name).guest")
    }

    static func cleanUp(_ s: Setup, _ name: String) {
        let fm = FileManager.default
        for p in ["native/\(name)", "images/\(name).vfs", "out/\(name).native", "out/\(name).native.err",
                  "out/\(name).guest", "out/\(name).guest.err"] {
            try? fm.removeItem(atPath: "\(s.work)/\(p)")
        }
    }

    /// Runs `path` with stdin from /dev/null, stdout/stderr into files, no other open
    /// descriptors, an empty signal mask and default dispositions (test threads block
    /// signals, and a child would inherit that), in `cwd`. The status is the exit status,
    /// or 128+N when signal N ended the process (as a shell reports it).
    static func launch(_ path: String, _ args: [String], environment: [String], cwd: String,
                       out: String) throws -> Outcome {
        typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let chdirSym = dlsym(nil, "posix_spawn_file_actions_addchdir_np"),
              let closeSym = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            throw SetupError(description: "glibc lacks posix_spawn_file_actions_addchdir_np/addclosefrom_np (needs 2.34)")
        }
        let addChdir = unsafeBitCast(chdirSym, to: AddChdir.self)
        let addClosefrom = unsafeBitCast(closeSym, to: AddClosefrom.self)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, out + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = addClosefrom(&actions, 3)
        _ = addChdir(&actions, cwd)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&all)
        for sig in 1..<65 where sig != SIGKILL && sig != SIGSTOP { sigaddset(&all, Int32(sig)) }
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        let start = Date()
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        guard rc == 0 else { throw SetupError(description: "posix_spawn \(path): \(String(cString: strerror(rc)))") }
        var wstatus: Int32 = 0
        var killed = false
        while true {
            let r = waitpid(pid, &wstatus, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw SetupError(description: "waitpid: \(String(cString: strerror(errno)))") }
            if !killed && Date().timeIntervalSince(start) > timeoutSeconds {
                killed = true
                kill(pid, SIGKILL)
            }
            usleep(2_000)
        }
        let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
        let termsig = wstatus & 0x7f
        let status: Int32 = termsig != 0 ? 128 + termsig : (wstatus >> 8) & 0xff
        var stderr = (try? Data(contentsOf: URL(fileURLWithPath: out + ".err"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if killed { stderr += "\n[killed after \(Int(timeoutSeconds)) s]\n" }
        let stdout = (try? Data(contentsOf: URL(fileURLWithPath: out))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return Outcome(status: status, stdout: stdout, stderr: stderr, seconds: seconds)
    }

    /// Runs a command (searched on PATH when not absolute), capturing its output.
    static func run(_ argv: [String]) -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        let exe = argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env"
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        let tmp = NSTemporaryDirectory() + "kandelo-corpus-\(getpid())-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: tmp, contents: nil)
        _ = FileManager.default.createFile(atPath: tmp + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: tmp)
            try? FileManager.default.removeItem(atPath: tmp + ".err")
        }
        guard let o = FileHandle(forWritingAtPath: tmp), let e = FileHandle(forWritingAtPath: tmp + ".err") else {
            return (-1, "", "cannot create \(tmp)")
        }
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        p.standardOutput = o
        p.standardError = e
        do { try p.run() } catch {
            try? o.close(); try? e.close()
            return (-1, "", "\(argv[0]): \(error)")
        }
        p.waitUntilExit()
        try? o.close(); try? e.close()
        let out = (try? String(contentsOfFile: tmp, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: tmp + ".err", encoding: .utf8)) ?? ""
        return (p.terminationStatus, out, err)
    }

    // MARK: reporting

    static func clip(_ s: String, lines: Int = 40) -> String {
        let l = s.split(separator: "\n", omittingEmptySubsequences: false)
        let body = l.prefix(lines).joined(separator: "\n")
        return body + (l.count > lines ? "\n… (\(l.count - lines) more lines)\n" : "\n")
    }

    /// A line diff (longest common subsequence): "  " same, "- " native only, "+ " guest
    /// only, with up to two lines of context around changes.
    static func diff(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if x.count * y.count > 4_000_000 {
            return "(outputs too long to diff: \(x.count) vs \(y.count) lines)\n"
        }
        var lcs = [[Int32]](repeating: [Int32](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                lcs[i][j] = x[i] == y[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var ops: [(Character, String)] = []
        var i = 0, j = 0
        while i < x.count || j < y.count {
            if i < x.count && j < y.count && x[i] == y[j] {
                ops.append((" ", x[i])); i += 1; j += 1
            } else if j < y.count && (i == x.count || lcs[i][j + 1] >= lcs[i + 1][j]) {
                ops.append(("+", y[j])); j += 1
            } else {
                ops.append(("-", x[i])); i += 1
            }
        }
        var keep = [Bool](repeating: false, count: ops.count)
        for (k, op) in ops.enumerated() where op.0 != " " {
            for c in max(0, k - 2)...min(ops.count - 1, k + 2) { keep[c] = true }
        }
        var out = "", skipped = false, shown = 0
        for (k, op) in ops.enumerated() {
            if !keep[k] { skipped = true; continue }
            if skipped { out += "  …\n"; skipped = false }
            if shown == 200 { out += "  … (diff clipped)\n"; break }
            out += "\(op.0) \(op.1)\n"
            shown += 1
        }
        return out
    }
}

/// SHA-256 (FIPS 180-4), for the compile cache's keys.
enum SHA256 {
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hex(_ data: Data) -> String {
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        var msg = [UInt8](data)
        let bits = UInt64(msg.count) * 8
        msg.append(0x80)
        while msg.count % 64 != 56 { msg.append(0) }
        for i in (0..<8).reversed() { msg.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
        func rotr(_ v: UInt32, _ n: UInt32) -> UInt32 { (v >> n) | (v << (32 - n)) }
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: msg.count, by: 64) {
            for i in 0..<16 {
                let o = chunk + 4 * i
                w[i] = UInt32(msg[o]) << 24 | UInt32(msg[o + 1]) << 16 | UInt32(msg[o + 2]) << 8 | UInt32(msg[o + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
        }
        return h.map { String(format: "%08x", $0) }.joined()
    }
}
