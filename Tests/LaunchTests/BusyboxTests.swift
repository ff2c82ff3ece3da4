// BusyboxTests.swift: busybox built from Debian's source by images/recipes/busybox, run
// under kandelo-launch from an image with its applet links, against the same busybox
// source built natively: same arguments, same files (same times and modes), same output
// and exit status.
import Testing
#if canImport(Glibc)
import Glibc
#endif

enum URLPath {
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}

/// One applet invocation: `sorted` compares outputs line-sorted (readdir order differs
/// between ext4 and the image, as it may between any two filesystems).
struct BusyboxCase: CustomStringConvertible, Sendable {
    var command: String
    var sorted = false
    var description: String { command }
    init(_ command: String, sorted: Bool = false) { self.command = command; self.sorted = sorted }
}

enum BusyboxFixture {
    /// (busybox cache dir, image path, native data dir), built once per test run.
    static let setup: Result<(String, String, String), TestFailure> = {
        let repo = Launch.repo
        let build = sh("'\(repo)/images/recipes/busybox/build.sh' --both </dev/null && '\(repo)/images/recipes/busybox/build.sh' --print-path")
        guard build.status == 0, let cache = build.out.split(separator: "\n").last.map(String.init) else {
            return .failure(TestFailure("busybox recipe failed: \(build)"))
        }
        let dir = "/tmp/klaunch-test-\(getpid())-busybox"
        let root = "\(dir)/root"
        let data = "\(root)/data"
        // A root tree with busybox and its applet links, the default image's /etc, and a
        // data set; every time fixed so `ls -l`, `stat` and tar headers agree. The image is
        // built from the tree (--from-dir keeps modes and times); natively the applets run
        // in the same tree.
        let prep = sh("""
            rm -rf '\(dir)' && mkdir -p '\(root)/bin' '\(root)/sbin' '\(root)/usr/bin' '\(root)/usr/sbin' '\(root)/tmp' '\(data)/sub/deeper' &&
            cp -R '\(repo)/images/rootfs/etc' '\(root)/etc' &&
            cp '\(cache)/wasm/busybox.wasm' '\(root)/bin/busybox' && chmod 755 '\(root)/bin/busybox' &&
            for l in $(cat '\(cache)/busybox.links'); do [ -e "\(root)$l" ] || ln -s /bin/busybox "\(root)$l"; done &&
            cd '\(data)' &&
            printf 'the quick brown fox\\njumps over\\nthe lazy dog\\nThe End\\n' > a.txt &&
            printf 'pear\\napple\\nfig\\nbanana\\napple\\n' > words.txt &&
            printf '10\\n2\\n33\\n-4\\n5.5\\n' > nums.txt &&
            printf 'root:x:0:0\\nuser:x:1000:1000\\n' > colon.txt &&
            seq 1 2000 > seq.txt && printf 'x' > sub/one.txt && printf 'deep\\n' > sub/deeper/two.txt &&
            chmod 640 words.txt && chmod 755 sub && chmod 1777 '\(root)/tmp' &&
            mkdir -p '\(dir)/nativebin' && for l in $(cat '\(cache)/busybox.links'); do ln -sf '\(cache)/native/busybox' "\(dir)/nativebin/${l##*/}"; done &&
            find '\(root)' -exec touch -h -d @1700000000 {} +
            """)
        guard prep.status == 0 else { return .failure(TestFailure("fixture: \(prep)")) }
        for sc in BusyboxFixture.scripts {
            do { try sc.body.write(toFile: "\(data)/\(sc.name).sh", atomically: true, encoding: .utf8) } catch {
                return .failure(TestFailure("cannot write \(sc.name).sh"))
            }
        }
        _ = sh("touch -h -d @1700000000 '\(data)'/*.sh '\(data)'")
        let image = "\(dir)/busybox.vfs"
        let mk = sh("'\(Launch.imageTool)' build --from-dir '\(root)' -o '\(image)' --quiet")
        guard mk.status == 0 else { return .failure(TestFailure("image: \(mk)")) }
        return .success((cache, image, data))
    }()

    /// Shell scripts run by busybox sh in both worlds (natively with PATH holding only
    /// busybox applets, so both run the same tools).
    static let scripts: [(name: String, body: String)] = [
        ("pipeline", "seq 1 100 | grep 7 | wc -l\nseq 1 5 | sort -r | head -n 2 | tr '\\n' ' '; echo\n"),
        ("subshell", "(cd sub && pwd | sed 's|.*/||'; exit 3); echo \"status $?\"; pwd | sed 's|.*/||'\n"),
        ("substitution", "x=$(wc -l < seq.txt); echo $((x * 2)); y=`echo nested $(echo deep)`; echo \"$y\"\n"),
        ("heredoc", "n=5\ncat <<EOF\nline $((n + 1))\n  indented $n\nEOF\ncat <<'RAW'\n$n stays\nRAW\n"),
        ("trap", "trap 'echo caught USR1' USR1\nkill -USR1 $$\necho after\ntrap 'echo bye' EXIT\necho end\n"),
        ("background", "(sleep 0.2; echo bg done) &\necho fg\nwait\necho all done\nsleep 0.1 & pid=$!; wait $pid; echo \"waited $?\"\n"),
        ("sete", "set -e\necho start\ntrue && false || echo recovered\nfalse\necho not reached\n"),
        ("findxargs", "find . -name '*.txt' | sort | xargs wc -l\nfind sub -type f | sort | xargs -n 1 cat\n"),
        ("loops", "for f in a.txt words.txt nums.txt; do printf '%s:%s\\n' $f $(wc -l < $f); done\ni=0; while [ $i -lt 3 ]; do i=$((i+1)); echo w$i; done\nwhile read w; do echo \"<$w>\"; done < words.txt\n"),
        ("redirect", "echo hi > o.txt; echo more >> o.txt; cat o.txt; rm o.txt; echo err 1>&2 2>/dev/null; ls nothere 2>&1 | wc -l; exec 3>f3.txt; echo to3 >&3; exec 3>&-; cat f3.txt; rm f3.txt\n"),
        ("functions", "f() { local v=$1; echo \"f($v) args=$#\"; return 4; }\nf a b; echo \"ret $?\"\ncase words.txt in *.txt) echo text;; *) echo other;; esac\n"),
        ("statuses", "sh -c 'exit 3'; echo $?\nsh -c 'kill -TERM $$'; echo $?\n! true; echo $?\n"),
        // A 400-line function: ash's parser recurses deeply (the interpreter needs a stack
        // the size of Linux's, not WasmKit's default 512 KiB).
        ("bigfunction", "f() {\n" + String(repeating: "echo -n ab\n", count: 400) + "}\nf | wc -c\n"),
    ]

    static let cases: [BusyboxCase] = [
        BusyboxCase("ls -l a.txt words.txt nums.txt"),
        BusyboxCase("ls -la sub/deeper/two.txt sub/one.txt"),
        BusyboxCase("ls", sorted: true),
        BusyboxCase("cat a.txt words.txt"),
        BusyboxCase("sort words.txt"),
        BusyboxCase("sort -u -r words.txt"),
        BusyboxCase("sort -n nums.txt"),
        BusyboxCase("wc a.txt words.txt seq.txt"),
        BusyboxCase("wc -l seq.txt"),
        BusyboxCase("grep -n the a.txt"),
        BusyboxCase("grep -ci the a.txt"),
        BusyboxCase("grep -v -e apple -e fig words.txt"),
        BusyboxCase("grep -E '^(pear|fig)$' words.txt"),
        BusyboxCase("grep nothing a.txt"),
        BusyboxCase("sed -n '2,3p' a.txt"),
        BusyboxCase("sed 's/the/THE/g; /End/d' a.txt"),
        BusyboxCase("awk '{ s += $1 } END { print s, NR }' nums.txt"),
        BusyboxCase("awk -F: '{ print $3 + 1, toupper($1) }' colon.txt"),
        BusyboxCase("awk 'NR % 500 == 0' seq.txt"),
        BusyboxCase("find . -name '*.txt'", sorted: true),
        BusyboxCase("find . -type d", sorted: true),
        BusyboxCase("find sub -size -2c", sorted: true),
        BusyboxCase("md5sum a.txt words.txt seq.txt"),
        BusyboxCase("sha256sum seq.txt"),
        BusyboxCase("date -u -d @1700000000"),
        BusyboxCase("date -u -d @0 +%Y-%m-%dT%H:%M:%S"),
        BusyboxCase("stat -c '%n %s %a %F %h' a.txt words.txt"),
        // Directory sizes are the filesystem's business (ext4 4096, the image its bytes).
        BusyboxCase("stat -c '%n %a %F %h %u %g' sub"),
        BusyboxCase("head -n 3 seq.txt"),
        BusyboxCase("tail -n 2 seq.txt"),
        BusyboxCase("cut -d: -f1,3 colon.txt"),
        BusyboxCase("tr a-z A-Z a.txt"),
        BusyboxCase("uniq -c words.txt"),
        BusyboxCase("od -c sub/deeper/two.txt"),
        BusyboxCase("tar -cf out.tar a.txt words.txt sub/one.txt"),
        BusyboxCase("tar -tvf out.tar"),
        BusyboxCase("md5sum out.tar"),
        BusyboxCase("gzip -k -n seq.txt"),
        BusyboxCase("md5sum seq.txt.gz"),
        BusyboxCase("gunzip -c seq.txt.gz | md5sum"),
        BusyboxCase("ls nothere"),
        BusyboxCase("expr 6 \\* 7"),
        BusyboxCase("seq 5 -2 -3"),
    ]
}

@Suite(.serialized) struct BusyboxTests {
    @Test(arguments: BusyboxFixture.scripts.map(\.name))
    func shellScriptMatchesNative(_ name: String) throws {
        let (cache, image, data) = try BusyboxFixture.setup.get()
        let dir = URLPath.parent(of: URLPath.parent(of: data))
        let native = sh("cd '\(data)' && PATH='\(dir)/nativebin' TZ=UTC '\(cache)/native/busybox' sh \(name).sh </dev/null 2>&1")
        let guest = sh("'\(Launch.launcher)' --image '\(image)' -w /data -e TZ=UTC /bin/sh \(name).sh </dev/null 2>&1")
        #expect(guest.status == native.status, "status: native \(native.status), guest \(guest.status)\n\(guest)")
        #expect(guest.out == native.out, "native:\n\(native.out)\nguest:\n\(guest.out)")
    }

    @Test(arguments: BusyboxFixture.cases)
    func appletMatchesNative(_ c: BusyboxCase) throws {
        let (cache, image, data) = try BusyboxFixture.setup.get()
        // Pipes (`|`) need fork in the guest: run the pipeline's first stage in each
        // world and feed its output to the host's `md5sum` for both.
        var command = c.command
        var postfix = ""
        if let bar = command.range(of: " | ") {
            postfix = " | " + command[bar.upperBound...]
            command = String(command[..<bar.lowerBound])
        }
        let native = sh("cd '\(data)' && TZ=UTC '\(cache)/native/busybox' \(command) </dev/null 2>/dev/null\(postfix)")
        let guest = sh("'\(Launch.launcher)' --image '\(image)' -w /data -e TZ=UTC /bin/busybox \(command) </dev/null 2>/dev/null\(postfix)")
        let normalize = { (s: String) -> String in c.sorted ? s.split(separator: "\n").sorted().joined(separator: "\n") : s }
        #expect(guest.status == native.status, "status: native \(native.status), guest \(guest.status)\n\(guest)")
        #expect(normalize(guest.out) == normalize(native.out), "native:\n\(native.out)\nguest:\n\(guest.out)")
    }
}
