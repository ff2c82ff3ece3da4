// DashTests.swift: dash, Debian's /bin/sh, built from Debian's source by
// images/recipes/dash, running the shell-script corpus (Tests/ShellScripts/corpus/*.sh)
// under kandelo-launch against the same source built natively: each script's stdout,
// stderr and exit status must be the same in both worlds. The corpus runs under busybox
// sh the same way (scriptMatchesNativeUnderBusyboxSh).
//
// The two worlds come from Tests/ShellScripts/make-root.sh, shared with
// scripts/shell-scripts.sh (which also runs the corpus under busybox sh and prints the
// counts): a root tree with the guest dash and busybox (for find, xargs, sort, ...),
// and a native PATH holding only the native busybox applets and the native dash, so both
// sides run the same tools.  Every run gets its own copy of the tree (native) or of the
// image (guest), so scripts that write files cannot disturb one another.
import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum ShellCorpus {
    static let dir = Launch.repo + "/Tests/ShellScripts"

    /// The corpus's script names (file names without .sh), sorted.
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/corpus")) ?? []
        return files.filter { $0.hasSuffix(".sh") }.map { String($0.dropLast(3)) }.sorted()
    }()

    /// (work dir holding root/ and nativebin/, image built from root/), made once per run.
    static let setup: Result<(work: String, image: String), TestFailure> = {
        let work = "/tmp/klaunch-test-\(getpid())-dash"
        let prep = sh("rm -rf '\(work)' && mkdir -p '\(work)' && '\(dir)/make-root.sh' '\(work)' </dev/null")
        guard prep.status == 0 else { return .failure(TestFailure("make-root.sh: \(prep)")) }
        let image = "\(work)/image.vfs"
        let mk = sh("'\(Launch.imageTool)' build --from-dir '\(work)/root' -o '\(image)' --quiet")
        guard mk.status == 0 else { return .failure(TestFailure("image: \(mk)")) }
        return .success((work, image))
    }()

    /// Scripts that differ because of a kernel gap outside this test's files.  A known
    /// issue that stops happening fails the test, so the entry must then go.
    static let knownIssues: [String: String] = [:]

    /// A script opts out of the stderr comparison with this line among its first five.
    static func comparesStderr(_ name: String) -> Bool {
        let text = (try? String(contentsOfFile: "\(dir)/corpus/\(name).sh", encoding: .utf8)) ?? ""
        return !text.split(separator: "\n").prefix(5).contains("# compare: stdout status")
    }

    /// Runs `shell ../scripts/NAME.sh` in /data natively (in a fresh copy of the root tree)
    /// and in the guest (on a fresh copy of the image).  `shell` is found through PATH
    /// natively and is /bin/`shell` in the guest.
    static func run(_ shell: String, _ name: String) throws -> (native: ShellResult, guest: ShellResult) {
        let (work, image) = try setup.get()
        let run = "\(work)/runs/\(shell)-\(name)"
        let copy = sh("rm -rf '\(run)' && mkdir -p '\(run)' && cp -a '\(work)/root' '\(run)/root' && cp '\(image)' '\(run)/image.vfs'")
        guard copy.status == 0 else { throw TestFailure("copying the world: \(copy)") }
        defer { _ = sh("rm -rf '\(run)'") }
        let native = sh("""
            cd '\(run)/root/data' && umask 022 && timeout 120 env -i PATH='\(work)/nativebin' HOME=/ TZ=UTC \
            \(shell) ../scripts/\(name).sh </dev/null
            """)
        let guest = sh("""
            env -u LANG -u LC_ALL -u TERM timeout 120 '\(Launch.launcher)' --image '\(run)/image.vfs' \
            -w /data -e TZ=UTC /bin/\(shell) ../scripts/\(name).sh </dev/null
            """)
        return (native, guest)
    }
}

@Suite(.serialized) struct DashTests {
    /// The corpus holds at least the kinds of scripts BusyboxTests runs under busybox sh.
    @Test func corpusCoversTheScriptKinds() {
        let required = ["pipeline", "subshell", "substitution", "heredoc", "trap", "background", "sete",
                        "findxargs", "loops", "redirect", "functions", "statuses", "bigfunction"]
        #expect(ShellCorpus.names.count >= 12, "corpus: \(ShellCorpus.names)")
        for r in required { #expect(ShellCorpus.names.contains(r), "corpus lacks \(r).sh") }
    }

    @Test(arguments: ShellCorpus.names)
    func scriptMatchesNative(_ name: String) throws {
        let (native, guest) = try ShellCorpus.run("dash", name)
        let compare = {
            #expect(guest.status == native.status, "status: native \(native.status), guest \(guest.status)\n\(guest)")
            #expect(guest.out == native.out, "stdout, native:\n\(native.out)\nguest:\n\(guest.out)")
            if ShellCorpus.comparesStderr(name) {
                #expect(guest.err == native.err, "stderr, native:\n\(native.err)\nguest:\n\(guest.err)")
            }
        }
        if let issue = ShellCorpus.knownIssues[name] { withKnownIssue(Comment(rawValue: issue), compare) } else { compare() }
        // A run that the timeout ended (124) or that died of a signal proves nothing.
        #expect(native.status != 124 && native.status < 128, "native run of \(name).sh: \(native)")
    }

    /// The same corpus under busybox sh (the guest busybox against the native build of the
    /// same source), as scripts/shell-scripts.sh runs it.
    @Test(arguments: ShellCorpus.names)
    func scriptMatchesNativeUnderBusyboxSh(_ name: String) throws {
        let (native, guest) = try ShellCorpus.run("sh", name)
        #expect(guest.status == native.status, "status: native \(native.status), guest \(guest.status)\n\(guest)")
        #expect(guest.out == native.out, "stdout, native:\n\(native.out)\nguest:\n\(guest.out)")
        if ShellCorpus.comparesStderr(name) {
            #expect(guest.err == native.err, "stderr, native:\n\(native.err)\nguest:\n\(guest.err)")
        }
        #expect(native.status != 124 && native.status < 128, "native run of \(name).sh: \(native)")
    }

    /// Ways of starting dash other than `dash FILE`: -c with $0 and arguments, a script on
    /// stdin (piped, and with -s and arguments), -e and -u from the command line, -n
    /// (parse only).  Stdout, status and stderr are compared (stderr with argv[0], which is
    /// /bin/dash in the guest and dash natively, made the same).
    @Test(arguments: [
        (#"-c 'echo "$0|$1|$#"; exit 7' zero one two"#, nil),
        (#"-c 'set -- $(seq 1 5); echo $(( $1 + $5 ))'"#, nil),
        ("", "echo from a pipe; x=$((6 * 7)); echo $x; exit 5\n"),
        ("-s alpha beta", "echo \"$# $1 $2\"\n"),
        ("-e -c 'false; echo unreached'", nil),
        ("-u -c 'echo $nothere; echo unreached'", nil),
        ("-n -c 'echo parsed but not run'", nil),
        ("-n -c 'if then'", nil),
    ] as [(String, String?)])
    func invocationMatchesNative(_ args: String, _ stdin: String?) throws {
        let (work, image) = try ShellCorpus.setup.get()
        let input = stdin.map { "printf '%s' '\($0)' | " } ?? ""
        let redirect = stdin == nil ? " </dev/null" : ""
        let native = sh("cd '\(work)/root/data' && umask 022 && \(input)timeout 60 env -i PATH='\(work)/nativebin' HOME=/ TZ=UTC dash \(args)\(redirect)")
        let copy = "\(work)/invocation.vfs"
        _ = sh("cp '\(image)' '\(copy)'")
        let guest = sh("\(input)env -u LANG -u LC_ALL -u TERM timeout 60 '\(Launch.launcher)' --image '\(copy)' -w /data /bin/dash \(args)\(redirect)")
        #expect(guest.status == native.status, "status: native \(native.status), guest \(guest.status)\n\(guest)")
        #expect(guest.out == native.out, "native:\n\(native.out)\nguest:\n\(guest.out)")
        // dash names itself by argv[0] in its messages: /bin/dash in the guest, dash natively.
        let guestErr = guest.err.replacingOccurrences(of: "/bin/dash: ", with: "dash: ")
        #expect(guestErr == native.err, "stderr, native:\n\(native.err)\nguest:\n\(guest.err)")
    }

    /// A process killed while its nanosleep timer, or its read of the launcher's stdin, is
    /// pending, then reaped: the timer firing or the read completing later must find no
    /// thread to answer, and not take the launcher down (their completions used to reach
    /// the freed thread or process through unowned references: a Swift fatal error).
    @Test(arguments: [
        (#"sleep 2 & p=$!; sleep 0.2; kill $p; wait $p; echo "status $?"; sleep 3; echo survived"#, false),
        (#"exec 3<&0; cat <&3 & p=$!; sleep 0.3; kill $p; wait $p; echo "status $?"; sleep 3; echo survived"#, true),
    ])
    func killedWhileWaitingOnTheHost(_ script: String, _ pipeStdin: Bool) throws {
        let (work, image) = try ShellCorpus.setup.get()
        let input = pipeStdin ? "sleep 2 | " : ""
        let redirect = pipeStdin ? "" : " </dev/null"
        let native = sh("cd '\(work)/root/data' && \(input)timeout 60 env -i PATH='\(work)/nativebin' HOME=/ dash -c '\(script)'\(redirect)")
        let copy = "\(work)/killed.vfs"
        _ = sh("cp '\(image)' '\(copy)'")
        let guest = sh("\(input)env -u LANG -u LC_ALL -u TERM timeout 60 '\(Launch.launcher)' --image '\(copy)' -w /data /bin/dash -c '\(script)'\(redirect)")
        #expect(native.out == "status 143\nsurvived\n", "native: \(native)")
        #expect(guest.status == native.status && guest.out == native.out, "native: \(native)\nguest: \(guest)")
    }

    /// The recipe keys its cache by a hash of its inputs: a second run builds nothing and
    /// names the same directory, which holds both flavours.
    @Test func recipeRerunIsCached() throws {
        _ = try ShellCorpus.setup.get()   // the fixture built (or found) both flavours
        let recipe = "'\(Launch.repo)/images/recipes/dash/build.sh'"
        let start = Date()
        let r = sh("CI=true \(recipe) --both --print-path </dev/null")
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == 0, "\(r)")
        let path = r.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(path.contains("/dash-") && r.err.contains("up to date"), "\(r)")
        #expect(elapsed < 20, "a cached rerun took \(elapsed) s")
        #expect(access(path + "/wasm/dash.wasm", R_OK) == 0 && access(path + "/native/dash", X_OK) == 0, "\(path)")
    }
}
