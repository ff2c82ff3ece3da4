// SyscallFuzzTests.swift: the kernel's syscall layer under random and hostile syscalls from
// many guest processes at once, through the service (kandelo-mount + kandelo-launch
// --mount). The guest is Tests/SyscallFuzz/sysfuzz.c; its syscall numbers are every
// number of sdk/include/kandelo/abi.h except exit, exit_group, clone, clone3, execve and
// execveat (they would end or replace the worker rather than test the kernel).
//
// After every round: the service is alive, the mount works (a host write read back by a
// guest), it has no guest process left, and its open descriptors and resident memory are
// back near the baseline taken before the first round; at the end fsck of the image
// written back is clean. Bounded here (16 processes x 1,500 calls, under a minute);
// `scripts/fuzz.sh --seconds N syscalls` runs rounds for N seconds
// (KANDELO_SYSCALL_FUZZ_SECONDS) and prints `fuzz: syscalls execs=...`.
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

final class SyscallFuzzService {
    let dir: String
    let image: String
    let mnt: String
    var pid: Int32 = 0

    init() throws {
        dir = "/tmp/klaunch-test-\(getpid())-sysfuzz"
        image = "\(dir)/rootfs.vfs"
        mnt = "\(dir)/mnt"
        _ = sh("rm -rf '\(dir)' && mkdir -p '\(dir)/root/bin' '\(dir)/root/work' '\(dir)/root/tmp' '\(dir)/root/dev' '\(dir)/root/proc' '\(dir)/root/etc' '\(mnt)'")
        // The syscall table, from the ABI header.
        let abi = try String(contentsOfFile: Launch.repo + "/sdk/include/kandelo/abi.h", encoding: .utf8)
        let excluded: Set<String> = ["exit", "exit_group", "clone", "clone3", "execve", "execveat"]
        var numbers: [String] = []
        for line in abi.split(separator: "\n") where line.hasPrefix("#define __NR_") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 3 else { continue }
            let name = String(f[1].dropFirst("__NR_".count))
            if !excluded.contains(name) { numbers.append(String(f[2])) }
        }
        if numbers.count < 250 { throw TestFailure("only \(numbers.count) syscall numbers read from abi.h") }
        try "static const long fuzz_nrs[] = { \(numbers.joined(separator: ", ")) };\n"
            .write(toFile: "\(dir)/sysfuzz-table.h", atomically: true, encoding: .utf8)
        let cc = sh("'\(Launch.repo)/sdk/bin/kandelo-cc' -O1 -w -I'\(dir)' -o '\(dir)/root/bin/sysfuzz' '\(Launch.repo)/Tests/SyscallFuzz/sysfuzz.c'")
        if cc.status != 0 { throw TestFailure("kandelo-cc sysfuzz: \(cc)") }
        try Launch.guest(dir, "cat", """
            #include <stdio.h>
            int main(int c, char **v) { FILE *f = fopen(v[1], "r"); char b[256] = {0};
              if (!f) { perror(v[1]); return 1; } fgets(b, sizeof b, f); fputs(b, stdout); return 0; }
            """)
        let built = sh("'\(Launch.imageTool)' build --from-dir '\(dir)/root' -o '\(image)' --max-size \(256 << 20) --quiet")
        if built.status != 0 { throw TestFailure("kandelo-image build: \(built)") }
        let start = sh("'\(Launch.binDir)/kandelo-mount' -f '\(image)' '\(mnt)' >'\(dir)/mount.log' 2>&1 & echo $!")
        pid = Int32(start.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        for _ in 0..<200 {
            if access("\(mnt)/bin/sysfuzz", F_OK) == 0 && sh("'\(Launch.launcher)' --mount '\(mnt)' --list").status == 0 { return }
            usleep(50_000)
        }
        throw TestFailure("the service did not come up: \(sh("cat '\(dir)/mount.log'").out)")
    }

    var alive: Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: " ").dropFirst(2).first != "Z"
    }

    func launch(_ args: String) -> ShellResult {
        sh("'\(Launch.launcher)' -T --mount '\(mnt)' \(args) </dev/null")
    }

    /// Open descriptors of the service.
    func fdCount() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }

    /// Resident memory of the service (KiB).
    func rss() -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
        return 0
    }

    /// Unmounts; returns whether the service exited by itself (after writing the image).
    @discardableResult
    func stop() -> Bool {
        guard pid > 0 else { return true }
        _ = sh("fusermount3 -u '\(mnt)' 2>/dev/null || umount '\(mnt)' 2>/dev/null")
        for _ in 0..<400 where alive { usleep(50_000) }
        let clean = !alive
        if !clean { kill(pid, SIGKILL) }
        var st: Int32 = 0
        _ = waitpid(pid, &st, WNOHANG)
        pid = 0
        return clean
    }

    deinit { stop() }
}

@Suite(.serialized) struct SyscallFuzzTests {
    /// Regression seeds: single calls the fuzzer found crashing the kernel, each now an errno.
    @Test func crashesFoundByTheFuzzerAreErrors() throws {
        let dir = Launch.workDir("sysfuzz-regress")
        try Launch.guest(dir, "regress", """
            #include <errno.h>
            #include <limits.h>
            #include <stdio.h>
            #include <signal.h>
            #include <unistd.h>
            static void on_alarm(int s) { (void)s; }
            int main(void) {
                /* kandelo_sigreturn (4100) with its ucontext at the top of the address
                 * space: the mask field's address wrapped and trapped the kernel. */
                long r = syscall(4100, -1L, 0x7ffffff9L, 0x100138L, 0x80000000L, 0x29bL, 0L);
                printf("sigreturn %ld %d\\n", r, r == -1 ? errno : 0);
                /* rt_sigqueueinfo with its siginfo at the top of the address space. */
                r = syscall(138, (long)getpid(), 10L, -4L);
                printf("sigqueueinfo %ld %d\\n", r, r == -1 ? errno : 0);
                /* kill(INT_MIN, 0): the group -INT_MIN does not exist (Linux: ESRCH). */
                r = syscall(129, (long)INT_MIN, 0L);
                printf("kill %ld %d\\n", r, r == -1 ? errno : 0);
                /* pselect6 and clock_nanosleep with a timeout of ~2^62 s: the deadline's sum
                 * overflowed; now forever, so a SIGALRM ends them with EINTR. */
                signal(SIGALRM, on_alarm);
                struct { long long sec, nsec; } forever = { 0x3FFFFFFFFFFFFFFFLL, 0 };
                alarm(1);
                r = syscall(413, 0L, 0L, 0L, 0L, (long)&forever, 0L);
                printf("pselect6 %ld %d\\n", r, r == -1 ? errno : 0);
                alarm(1);
                r = syscall(407, 1L, 0L, (long)&forever, 0L);
                printf("clock_nanosleep %ld %d\\n", r, r == -1 ? errno : 0);
                return 0;
            }
            """)
        let r = Launch.run(try Launch.image(dir), "/bin/regress")
        #expect(r.status == 0 && r.out == "sigreturn -1 \(EFAULT)\nsigqueueinfo -1 \(EFAULT)\nkill -1 \(ESRCH)\npselect6 -1 \(EINTR)\nclock_nanosleep -1 \(EINTR)\n", "\(r)")
    }

    /// One round: `workers` processes in each of `launches` concurrent guests.
    /// Returns the syscalls the guests' workers issued.
    func round(_ s: SyscallFuzzService, seed: UInt64, launches: Int, workers: Int, calls: Int) -> Int {
        let out = "\(s.dir)/round-\(seed).out"
        let cmds = (0..<launches).map { i in
            "'\(Launch.launcher)' -T --mount '\(s.mnt)' /bin/sysfuzz \(seed &* 100 &+ UInt64(i)) \(workers) \(calls) 25 </dev/null >>'\(out)' 2>>'\(out).err' &"
        }.joined(separator: "\n")
        _ = sh(cmds + "\nwait")
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("sysfuzz ") }
        #expect(lines.count == launches, "seed \(seed): \(lines.count) of \(launches) guests reported: \(text) \(sh("tail -5 '\(out).err'").out)")
        var calls = 0
        for l in lines {
            for f in l.split(separator: " ") where f.hasPrefix("calls=") { calls += Int(f.dropFirst(6)) ?? 0 }
        }
        return calls
    }

    /// The service after a round: alive, mount working, no guest left, no leak.
    func checkService(_ s: SyscallFuzzService, seed: UInt64, baseFDs: Int, baseRSS: Int) {
        #expect(s.alive, "seed \(seed): the service died: \(sh("tail -20 '\(s.dir)/mount.log'").out)")
        guard s.alive else { return }
        // Leftover processes end with their launch (background jobs are killed); give the
        // service a moment to reap them.
        var list: [Substring] = []
        for _ in 0..<100 {
            list = sh("'\(Launch.launcher)' --mount '\(s.mnt)' --list").out.split(separator: "\n")
            if list.count <= 1 { break }
            usleep(100_000)
        }
        #expect(list.count == 1, "seed \(seed): processes left in the service: \(list)")
        // The mount works both ways: a host write, read back by a guest.
        let marker = "after-\(seed)"
        #expect(FileManager.default.createFile(atPath: "\(s.mnt)/etc/marker", contents: Data((marker + "\n").utf8)))
        #expect(s.launch("/bin/cat /etc/marker").out == marker + "\n", "seed \(seed)")
        // Descriptors and memory back near the baseline.
        var fds = s.fdCount()
        for _ in 0..<50 where fds > baseFDs + 2 { usleep(100_000); fds = s.fdCount() }
        #expect(fds <= baseFDs + 2, "seed \(seed): the service holds \(fds) descriptors, \(baseFDs) before: \(sh("ls -l /proc/\(s.pid)/fd").out)")
        let rss = s.rss()
        #expect(rss <= baseRSS + 32 * 1024, "seed \(seed): the service's RSS is \(rss) KiB, \(baseRSS) KiB before")
    }

    @Test func randomAndHostileSyscallsFromManyProcesses() throws {
        let s = try SyscallFuzzService()
        // An orphan that outlives its parent and the launch's top process is reaped, not
        // left a zombie in the service (found by the fuzzer: zombies with PPID 1 piled up).
        try Launch.guest(s.dir, "orphans", """
            #include <unistd.h>
            int main(void) {
                if (fork() == 0) { if (fork() == 0) { usleep(300000); return 0; } return 0; }
                usleep(100000);
                return 0;
            }
            """)
        _ = sh("cp '\(s.dir)/root/bin/orphans' '\(s.mnt)/bin/orphans'")
        #expect(s.launch("/bin/orphans").status == 0)
        usleep(600_000)
        let left = sh("'\(Launch.launcher)' --mount '\(s.mnt)' --list").out.split(separator: "\n")
        #expect(left.count == 1, "processes left after /bin/orphans: \(left)")
        // Warm up, then the baseline.
        for _ in 0..<3 { #expect(s.launch("/bin/cat /proc/self/stat").status == 0) }
        let baseFDs = s.fdCount(), baseRSS = s.rss()
        let budget = Double(ProcessInfo.processInfo.environment["KANDELO_SYSCALL_FUZZ_SECONDS"] ?? "") ?? 0
        let started = Date()
        var seed: UInt64 = 1, calls = 0, rounds = 0
        repeat {
            // 4 concurrent guests x 4 workers (each forking once) = 16 processes at once.
            calls += round(s, seed: seed, launches: 4, workers: 4, calls: 1500)
            checkService(s, seed: seed, baseFDs: baseFDs, baseRSS: baseRSS)
            rounds += 1
            seed += 1
        } while s.alive && Date().timeIntervalSince(started) < budget
        let seconds = max(Date().timeIntervalSince(started), 0.001)
        #expect(calls >= rounds * 16 * 64, "only \(calls) syscalls issued in \(rounds) rounds")
        let died = !s.alive
        // Remove what the workers made, so the image's checkpoint and fsck see a normal tree.
        _ = sh("rm -rf '\(s.mnt)'/work/* 2>/dev/null")
        let clean = s.stop()
        #expect(clean, "the service did not stop cleanly: \(sh("tail -20 '\(s.dir)/mount.log'").out)")
        let fsck = sh("'\(Launch.imageTool)' fsck '\(s.image)'")
        #expect(fsck.status == 0, "fsck after the fuzz rounds: \(fsck)")
        print("fuzz: syscalls execs=\(calls) seconds=\(Int(seconds)) execs_per_s=\(Int(Double(calls) / seconds)) crashes=\(died ? 1 : 0) rounds=\(rounds)")
    }
}
