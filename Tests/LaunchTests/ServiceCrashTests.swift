// ServiceCrashTests.swift: the service (kandelo-mount) killed with SIGKILL, and what the
// next kandelo-mount of the image must give back (issue 12).
//
//   killedServiceRecoversOnTheNextMount   a host write and a guest write without fsync,
//       then kill -9 once the commit= window has passed: the next plain `kandelo-mount
//       IMAGE DIR` detaches the dead mount, removes the stale socket, replays the journal,
//       and both writes are there; the dead service's runners are gone; a dead mount of
//       another image is refused with the command that clears it.
//   killingTheServiceNeverLosesAnFsyncedByte   crash points (100 by default): a mixed
//       workload on one image — host `cp -a` and `git commit` on the mount, two guests
//       writing, renaming and appending — each side logging, outside the mount, what an
//       fsync has acknowledged; kill -9 at a random moment; fsck of the image (journal
//       replayed); remount through the recovery path; every logged byte must be there.
//       KANDELO_CRASH_POINTS and KANDELO_CRASH_SEED change the count and the seed (the
//       seed is printed, so a failure can be replayed); scripts/bench-faults.sh runs a
//       longer series and reads the summary line.
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One image and one mount point, served by `kandelo-mount -f` processes this test
/// starts (children of the test process, so it reaps them), kills and starts again.
final class CrashService {
    let dir: String
    let image: String
    let mnt: String
    var pid: pid_t = 0
    var starts = 0
    var lastLog = ""

    init(dir: String, image: String) {
        self.dir = dir
        self.image = image
        mnt = "\(dir)/mnt"
        _ = sh("mkdir -p '\(mnt)'")
    }

    /// Starts a service in the foreground and waits until it answers on its socket and
    /// serves the mount. Returns what it printed so far (its recovery notices).
    @discardableResult
    func start(_ options: [String] = []) throws -> String {
        starts += 1
        lastLog = "\(dir)/mount-\(starts).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, lastLog, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let (p, rc) = spawnClean(["\(Launch.binDir)/kandelo-mount", "-f"] + options + [image, mnt], actions: &actions)
        guard rc == 0 else { throw TestFailure("posix_spawn kandelo-mount: \(rc)") }
        pid = p
        for _ in 0..<500 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                throw TestFailure("kandelo-mount exited (status \(status)): \(log())")
            }
            var sfs = statvfs()
            if socketAnswers("\(image).control") && statvfs(mnt, &sfs) == 0 { return log() }
            usleep(20_000)
        }
        throw TestFailure("the service did not come up: \(log())")
    }

    func log() -> String { (try? String(contentsOfFile: lastLog, encoding: .utf8)) ?? "" }

    /// SIGKILL, then reap it.
    func kill9() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
    }

    /// A clean stop: unmount, and wait for the checkpoint and exit.
    func stop() {
        guard pid > 0 else { return }
        _ = sh("fusermount3 -u '\(mnt)' 2>/dev/null || umount '\(mnt)' 2>/dev/null")
        for _ in 0..<400 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { pid = 0; return }
            usleep(25_000)
        }
        kill9()
    }

    /// The host pids of the service's children (its runners).
    func children() -> [pid_t] {
        let out = sh("ps -o pid= --ppid \(pid)").out
        return out.split(separator: "\n").compactMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }

    deinit {
        stop()
        // A dead mount left by a failed test must not outlive it.
        _ = sh("umount -l '\(mnt)' 2>/dev/null || fusermount3 -u -z '\(mnt)' 2>/dev/null")
    }
}

/// Whether something accepts connections on the Unix socket `path`.
func socketAnswers(_ path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return false }
    withUnsafeMutableBytes(of: &addr.sun_path) { p in
        p.copyBytes(from: bytes)
        p[bytes.count] = 0
    }
    let r = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    return r == 0
}

/// SplitMix64: a seeded generator, so a crash series can be replayed from its seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Suite(.serialized) struct ServiceCrashTests {
    static var faultGuests: String { Launch.repo + "/Tests/FaultGuests" }

    /// The crash_writer guest's data pattern (Tests/FaultGuests/crash_writer.c).
    static func pattern(_ count: Int, seed: UInt32) -> [UInt8] {
        var x = seed
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            x = x &* 1_103_515_245 &+ 12345
            out[i] = UInt8(truncatingIfNeeded: x >> 16)
        }
        return out
    }

    /// Checks every record a crash_writer printed against the files under `mnt`. Returns
    /// how many were checked and a line for each one that is not there byte for byte.
    static func checkGuestLog(_ logPath: String, mnt: String) -> (checked: Int, lost: [String]) {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        var checked = 0
        var lost: [String] = []
        var cache: [String: [UInt8]] = [:]
        func contents(_ path: String) -> [UInt8]? {
            if let c = cache[path] { return c }
            guard let d = FileManager.default.contents(atPath: mnt + path) else { return nil }
            cache[path] = [UInt8](d)
            return cache[path]
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        // A line without its newline was cut by the kill: it promises nothing.
        if !text.hasSuffix("\n") && !lines.isEmpty { lines.removeLast() }
        for line in lines {
            let f = line.split(separator: " ").map(String.init)
            checked += 1
            if f.count == 4, f[0] == "file", let len = Int(f[2]), let seed = UInt32(f[3]) {
                let got = contents(f[1])
                if got != pattern(len, seed: seed) {
                    lost.append("\(line): \(got.map { "\($0.count) bytes, differing" } ?? "missing")")
                }
            } else if f.count == 5, f[0] == "append", let off = Int(f[2]), let len = Int(f[3]), let seed = UInt32(f[4]) {
                let got = contents(f[1]) ?? []
                if got.count < off + len || Array(got[off..<(off + len)]) != pattern(len, seed: seed) {
                    lost.append("\(line): file has \(got.count) bytes\(got.count >= off + len ? ", range differs" : "")")
                }
            } else {
                lost.append("unparsable record: \(line)")
            }
        }
        return (checked, lost)
    }

    /// The host half of the workload: `cp -a` of a small tree and `git commit` on the
    /// mount, each fsync'd (coreutils `sync FILE...` fsyncs each file and directory; git
    /// with core.fsync=all), and only then logged. Runs until a call fails (the service
    /// is gone). Arguments: DIR-on-the-mount SOURCE-TREE LOG.
    static let hostWorkload = """
        h=$1 src=$2 log=$3
        mkdir -p "$h" && git init -q "$h/repo" && cd "$h/repo" || exit 1
        git config user.email crash@example.com && git config user.name crash &&
        git config core.fsync all && git config core.fsyncMethod fsync || exit 1
        i=0
        while :; do
            i=$((i + 1))
            cp -a "$src" "$h/cp$i" || exit 1
            find "$h/cp$i" ! -type l -exec sync {} + && sync "$h" || exit 1
            echo "tree cp$i" >> "$log"
            seq $i $((i * 7)) >> notes.txt && echo "$i" > "f$((i % 5))" || exit 1
            git add -A && git commit -q -m "commit $i" && head=$(git rev-parse HEAD) || exit 1
            sync .git .git/refs/heads || exit 1
            echo "git $head" >> "$log"
        done
        """

    /// Checks the host log of a crash point on the remounted image: each tree equal to the
    /// source (contents, types, modes, link targets), each commit in the history of HEAD,
    /// and `git fsck` clean. Prints "LOST ..." lines and "checked N".
    static let hostCheck = """
        h=$1 src=$2 log=$3
        n=0
        listing() { (cd "$1" && find . -printf '%y %m %l %P\\n' | sort); }
        want=$(listing "$src")
        while read -r kind what; do
            case $kind in
            tree) if diff -r --no-dereference "$src" "$h/$what" >/dev/null 2>&1 && [ "$(listing "$h/$what")" = "$want" ]; then :
                  else echo "LOST tree $what: $(diff -r --no-dereference "$src" "$h/$what" 2>&1 | head -3)"; fi ;;
            git) git -C "$h/repo" merge-base --is-ancestor "$what" HEAD 2>/dev/null || echo "LOST git commit $what" ;;
            *) continue ;;
            esac
            n=$((n + 1))
        done < "$log"
        if grep -q '^git ' "$log"; then
            git -C "$h/repo" fsck --no-progress --no-dangling >/dev/null 2>&1 || echo "LOST git fsck: $(git -C "$h/repo" fsck --no-dangling 2>&1 | head -3)"
        fi
        echo "checked $n"
        """

    /// An image for the crash tests: crash_writer and a small `put` guest in /bin, room
    /// to grow (256 MiB), and a source tree for the host's `cp -a`.
    static func setUp(_ name: String) throws -> (dir: String, image: String) {
        let dir = Launch.workDir(name)
        let writer = try String(contentsOfFile: faultGuests + "/crash_writer.c", encoding: .utf8)
        try Launch.guest(dir, "crash_writer", writer)
        // put PATH TEXT [SECONDS]: writes TEXT to PATH without fsync, then sleeps.
        try Launch.guest(dir, "put", """
            #include <stdio.h>
            #include <stdlib.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                FILE *f = fopen(argv[1], "w");
                if (!f || fputs(argv[2], f) < 0 || fclose(f) != 0) { perror(argv[1]); return 1; }
                if (argc > 3) sleep(atoi(argv[3]));
                return 0;
            }
            """)
        let image = "\(dir)/crash.vfs"
        let r = sh("""
            mkdir -p '\(dir)/root/dev' '\(dir)/root/proc' '\(dir)/src/sub/deeper' && cd '\(dir)/src' &&
            seq 1 3000 > nums.txt && head -c 70000 /dev/urandom > blob.bin && echo hi > sub/a.txt &&
            printf x > sub/deeper/one && : > empty && ln -s sub/a.txt link && chmod 600 sub/a.txt && chmod 750 sub/deeper &&
            '\(Launch.imageTool)' build --from-dir '\(dir)/root' -o '\(image)' --max-size 268435456 --quiet
            """)
        if r.status != 0 { throw TestFailure("setup: \(r)") }
        return (dir, image)
    }

    @Test func killedServiceRecoversOnTheNextMount() throws {
        let (dir, image) = try Self.setUp("svc-recover")
        let s = CrashService(dir: dir, image: image)
        try s.start(["-o", "commit=1"])
        // Writes without fsync from both sides, and a guest still running at the kill.
        #expect(sh("printf 'written by the host, never fsynced\\n' > '\(s.mnt)/work/host.txt'").status == 0)
        let put = sh("'\(Launch.launcher)' -T --mount '\(s.mnt)' /bin/put /work/guest.txt 'written by a guest\n' </dev/null")
        #expect(put.status == 0, "\(put)")
        _ = sh("'\(Launch.launcher)' -T --mount '\(s.mnt)' /bin/put /work/running.txt 'running' 600 </dev/null >'\(dir)/running.out' 2>&1 &")
        var runners: [pid_t] = []
        for _ in 0..<100 where runners.isEmpty { usleep(20_000); runners = s.children() }
        #expect(!runners.isEmpty, "no runner of the sleeping guest")
        // commit=1: one second after a change it is in the journal; kill a second later.
        usleep(2_000_000)
        s.kill9()
        // What a dead service leaves: a dead mount and a socket file nobody answers.
        var sfs = statvfs()
        let dead = statvfs(s.mnt, &sfs) == 0 ? 0 : errno
        #expect(dead == ENOTCONN || dead == ECONNABORTED, "statfs of the mount point: \(String(cString: strerror(dead)))")
        // (The host kernel drops what the dead service's io_uring still referenced, such as a
        // poll on its listening socket, in deferred work after the reap: allow a moment.)
        var answers = true
        for _ in 0..<100 where answers { answers = socketAnswers("\(image).control"); if answers { usleep(50_000) } }
        #expect(access("\(image).control", F_OK) == 0 && !answers)
        // Its runners end on their own (they check every second that their kernel lives).
        var left = runners
        for _ in 0..<100 where !left.isEmpty {
            usleep(50_000)
            left = left.filter { p in
                kill(p, 0) == 0 && !((try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8))?.contains(") Z ") ?? true)
            }
        }
        #expect(left.isEmpty, "runners left running after the service died: \(left)")
        // A client says what to do.
        let orphan = sh("'\(Launch.launcher)' -T --mount '\(s.mnt)' /bin/put /work/x y </dev/null")
        #expect(orphan.status == 125 && orphan.err.contains("`kandelo-mount \(image) \(s.mnt)` recovers the image"), "\(orphan)")
        // The next mount is the plain command a user types (detached, as by default).
        let again = sh("'\(Launch.binDir)/kandelo-mount' '\(image)' '\(s.mnt)'")
        defer { _ = sh("fusermount3 -u '\(s.mnt)' 2>/dev/null") }
        #expect(again.status == 0, "\(again)")
        #expect(again.err.contains("was a dead mount of \(image) left by a kandelo-mount that died: detached it"), "\(again)")
        #expect(again.err.contains("removed the stale control socket \(image).control"), "\(again)")
        #expect(again.err.contains("journal record(s) left by an earlier run"), "\(again)")
        #expect(sh("cat '\(s.mnt)/work/host.txt' '\(s.mnt)/work/guest.txt'").out
                == "written by the host, never fsynced\nwritten by a guest\n")
        for _ in 0..<100 where !socketAnswers("\(image).control") { usleep(20_000) }
        let hello = sh("'\(Launch.launcher)' -T --mount '\(s.mnt)' /bin/put /work/after.txt 'after the recovery' </dev/null")
        #expect(hello.status == 0 && sh("cat '\(s.mnt)/work/after.txt'").out == "after the recovery", "\(hello)")
        // Unmounting checkpoints: the journal goes away once the daemon has written the image.
        _ = sh("fusermount3 -u '\(s.mnt)'")
        for _ in 0..<400 where access("\(image).journal", F_OK) == 0 { usleep(25_000) }
        #expect(access("\(image).journal", F_OK) != 0, "the detached service did not checkpoint")
        let fsck = sh("'\(Launch.imageTool)' fsck '\(image)' && '\(Launch.imageTool)' cat '\(image)' /work/host.txt")
        #expect(fsck.status == 0 && fsck.out.contains("written by the host, never fsynced"), "\(fsck)")

        // A dead mount of another image is not ours to clear: refused, naming the command.
        let other = "\(dir)/other.vfs"
        #expect(sh("cp '\(image)' '\(other)'").status == 0)
        let o = CrashService(dir: dir + "/o", image: other)
        try o.start()
        o.kill9()
        // Its mount reads as dead once the host has dropped what the dead service's io_uring
        // still held (the /dev/fuse file among them), in deferred work after the reap.
        for _ in 0..<100 {
            var ofs = statvfs()
            let e = statvfs(o.mnt, &ofs) == 0 ? 0 : errno
            if e == ENOTCONN || e == ECONNABORTED { break }
            usleep(50_000)
        }
        let refused = sh("'\(Launch.binDir)/kandelo-mount' -f '\(image)' '\(o.mnt)'")
        #expect(refused.status == 1 && refused.err.contains("fusermount3 -u"), "\(refused)")
        #expect(sh("'\(Launch.imageTool)' fsck '\(image)'").status == 0)
    }

    @Test func killingTheServiceNeverLosesAnFsyncedByte() throws {
        let env = ProcessInfo.processInfo.environment
        let points = Int(env["KANDELO_CRASH_POINTS"] ?? "") ?? 100
        let seed = UInt64(env["KANDELO_CRASH_SEED"] ?? "") ?? 20_261_207
        var rng = SeededRandom(seed: seed)
        print("service crash test: seed \(seed), \(points) crash points (KANDELO_CRASH_SEED=\(seed) replays them)")
        let (dir, image) = try Self.setUp("svc-crash")
        try Self.hostWorkload.write(toFile: "\(dir)/hostwork.sh", atomically: true, encoding: .utf8)
        try Self.hostCheck.write(toFile: "\(dir)/hostcheck.sh", atomically: true, encoding: .utf8)
        let s = CrashService(dir: dir, image: image)
        try s.start()
        _ = sh("mkdir -p '\(s.mnt)/work/kept' && sync '\(s.mnt)/work/kept' '\(s.mnt)/work'")
        var kept: [(path: String, len: Int, seed: UInt32)] = []
        var lostPoints: [String] = []
        var guestRecords = 0, hostRecords = 0, replayed = 0
        var delays: [Int] = []
        for k in 0..<points {
            // Mostly within the first two seconds (the workload's start, its first syncs),
            // every tenth point later, once everything runs.
            let delay = k % 10 == 9 ? 2500 + Int(rng.next() % 2500) : 20 + Int(rng.next() % 1980)
            delays.append(delay)
            let pd = "\(dir)/p\(k)"
            let work = sh("""
                mkdir -p '\(pd)' && mkdir '\(s.mnt)/work/p\(k)' || exit 1
                sh '\(dir)/hostwork.sh' '\(s.mnt)/work/p\(k)/h' '\(dir)/src' '\(pd)/host.log' >'\(pd)/host.err' 2>&1 &
                for g in 1 2; do
                    '\(Launch.launcher)' -T --mount '\(s.mnt)' /bin/crash_writer $g 100000 /work/p\(k)/g$g >'\(pd)/g'$g.log 2>'\(pd)/g'$g.err </dev/null &
                done
                sleep \(Double(delay) / 1000)
                kill -9 \(s.pid)
                wait
                """)
            var status: Int32 = 0
            while waitpid(s.pid, &status, 0) < 0 && errno == EINTR {}
            s.pid = 0
            var problems: [String] = []
            if work.status != 0 { problems.append("workload: \(work)") }
            // The image as a crash left it: journal replayed (read-only), fsck clean.
            let fsck = sh("'\(Launch.imageTool)' fsck '\(image)'")
            if fsck.status != 0 { problems.append("fsck after the kill: \(fsck)") }
            // Recovery: the next mount detaches the dead one and clears the socket.
            let notices = try s.start()
            if !notices.contains("detached it") || !notices.contains("removed the stale control socket") {
                problems.append("recovery notices missing: \(notices)")
            }
            if notices.contains("journal record(s)") { replayed += 1 }
            for g in 1...2 {
                let (n, lost) = Self.checkGuestLog("\(pd)/g\(g).log", mnt: s.mnt)
                guestRecords += n
                problems += lost.map { "guest \(g): \($0)" }
            }
            let host = sh("sh '\(dir)/hostcheck.sh' '\(s.mnt)/work/p\(k)/h' '\(dir)/src' '\(pd)/host.log'")
            problems += host.out.split(separator: "\n").filter { $0.hasPrefix("LOST") }.map(String.init)
            if let last = host.out.split(separator: "\n").last, last.hasPrefix("checked ") {
                hostRecords += Int(last.dropFirst(8)) ?? 0
            } else {
                problems.append("host check: \(host)")
            }
            // What earlier points kept must survive this crash too.
            for f in kept {
                if FileManager.default.contents(atPath: s.mnt + f.path).map([UInt8].init) != Self.pattern(f.len, seed: f.seed) {
                    problems.append("kept file \(f.path) from an earlier point changed")
                }
            }
            if !problems.isEmpty {
                lostPoints.append("point \(k) (kill after \(delay) ms): " + problems.joined(separator: "; "))
            }
            // Keep the first file of this point (renamed, fsync'd), drop the rest for good.
            let first = ((try? String(contentsOfFile: "\(pd)/g1.log", encoding: .utf8)) ?? "")
                .split(separator: "\n").first { $0.hasPrefix("file ") }?.split(separator: " ").map(String.init)
            if let first, first.count == 4, let len = Int(first[2]), let sd = UInt32(first[3]) {
                let path = "/work/kept/p\(k)"
                if rename(s.mnt + first[1], s.mnt + path) == 0 { kept.append((path, len, sd)) }
            }
            let clean = sh("rm -rf '\(s.mnt)/work/p\(k)' && sync '\(s.mnt)/work' '\(s.mnt)/work/kept'")
            if clean.status != 0 { lostPoints.append("point \(k): cleaning up: \(clean)") }
            if lostPoints.isEmpty { _ = sh("rm -rf '\(pd)'") }
        }
        s.stop()
        let fsck = sh("'\(Launch.imageTool)' fsck '\(image)'")
        #expect(fsck.status == 0, "\(fsck)")
        let lost = lostPoints.count
        print("service crash test: \(points) crash points, kill -9 after \(delays.min() ?? 0)-\(delays.max() ?? 0) ms; "
              + "checked \(guestRecords) guest records and \(hostRecords) host trees and commits; "
              + "journal replayed at \(replayed) points; \(kept.count) kept files survived every later crash")
        print("crash points: zero-loss=\(points - lost) attempted=\(points) seed=\(seed)")
        let report = lostPoints.prefix(10).joined(separator: "\n")
        #expect(lostPoints.isEmpty, "\(lost) of \(points) crash points lost acknowledged data (seed \(seed)):\n\(report)")
        #expect(guestRecords > points && hostRecords > 0, "the workload wrote too little to test anything")
        if lostPoints.isEmpty { _ = sh("rm -rf '\(dir)'") }
    }
}
