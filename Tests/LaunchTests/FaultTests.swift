// FaultTests.swift: faults stay where they happen (issue 12). A runner that dies by any
// cause ends only its guest process; the service, the mount and every other guest go on.
// Runners never see the host terminal's signals: ^C in a terminal reaches the guest's
// foreground process group through the kernel's pty, standalone as through the service.
// And `--read-only` holds through the service (issue 19).
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Guests the fault tests run as victims: threads parked in futex waits, and a process
/// holding a lock and both ends of a pipe while its child blocks on it.
enum FaultGuests {
    static let threads = (name: "futexwait", source: """
        #include <pthread.h>
        #include <stdio.h>
        #include <time.h>
        #include <unistd.h>
        static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
        static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
        static int ticks;
        static void *waiter(void *arg) {
            (void)arg;
            pthread_mutex_lock(&m);
            for (;;) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 20 * 1000 * 1000;
                if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
                pthread_cond_timedwait(&c, &m, &ts);
                ticks++;
            }
            return 0;
        }
        int main(void) {
            pthread_t t[4];
            for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, waiter, 0);
            for (;;) {
                usleep(5000);
                pthread_mutex_lock(&m);
                pthread_cond_broadcast(&c);
                pthread_mutex_unlock(&m);
            }
        }
        """)
    static let lockAndPipe = (name: "lockpipe", source: """
        #include <fcntl.h>
        #include <stdio.h>
        #include <sys/file.h>
        #include <sys/wait.h>
        #include <unistd.h>
        int main(void) {
            for (;;) {
                int fd = open("/tmp/lockpipe.lock", O_CREAT | O_RDWR, 0644);
                flock(fd, LOCK_EX);
                struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
                fcntl(fd, F_SETLK, &fl);
                int p[2];
                pipe(p);
                pid_t c = fork();
                if (c == 0) {
                    char b[64];
                    close(p[1]);
                    while (read(p[0], b, sizeof b) > 0) {}
                    _exit(0);
                }
                close(p[0]);
                for (int i = 0; i < 20; i++) { write(p[1], "0123456789", 10); usleep(2000); }
                close(p[1]);
                waitpid(c, 0, 0);
                close(fd);
            }
        }
        """)
}

@Suite(.serialized) struct FaultTests {
    /// Host processes whose executable is our runner, with their parent and session.
    static func runners() -> [(pid: Int32, ppid: Int32, sid: Int32)] {
        let runner = Launch.binDir + "/kandelo-runner"
        var found: [(Int32, Int32, Int32)] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name) else { continue }
            guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"),
                  exe == runner,
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "comm)": state ppid pgrp session ...
            let f = stat[stat.index(after: close)...].split(separator: " ")
            guard f.count > 4, f[0] != "Z", let ppid = Int32(f[1]), let sid = Int32(f[3]) else { continue }
            found.append((pid, ppid, sid))
        }
        return found
    }

    static func fdCount(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? -1
    }

    @Test func aKilledRunnerEndsOnlyItsGuest() throws {
        let s = try ServiceFixture("runnerkill")
        defer { s.stop() }
        // A host write with no fsync, then a guest whose runner the OOM killer "takes".
        #expect(sh("echo written by the host > '\(s.mnt)/work/host.txt'").status == 0)
        let victimOut = "\(s.dir)/victim.out"
        let victim = sh("('\(s.launcher)' -T --mount '\(s.mnt)' /bin/sh -c 'sleep 30' </dev/null; echo \"status $?\" > '\(victimOut)') >/dev/null 2>&1 & echo started")
        #expect(victim.status == 0)
        var target: Int32 = 0
        for _ in 0..<100 where target == 0 {
            target = FaultTests.runners().first { $0.ppid == s.pid }?.pid ?? 0
            if target == 0 { usleep(50_000) }
        }
        #expect(target > 0, "the victim's runner")
        kill(target, SIGKILL)
        for _ in 0..<100 where access(victimOut, F_OK) != 0 { usleep(50_000) }
        usleep(100_000)
        #expect((try? String(contentsOfFile: victimOut, encoding: .utf8)) == "status 137\n")
        #expect(s.running, "the service survives")
        // Everything else goes on: the mount, the host's file, new guests.
        #expect(sh("cat '\(s.mnt)/work/host.txt'").out == "written by the host\n")
        #expect(s.launch("/bin/cat /work/host.txt").out == "written by the host\n")
        s.stop()
        let check = sh("'\(Launch.imageTool)' fsck '\(s.image)' && '\(Launch.imageTool)' cat '\(s.image)' /work/host.txt")
        #expect(check.status == 0 && check.out.hasSuffix("written by the host\n"), "\(check)")
    }

    /// Runners of victim launches are SIGKILLed, SIGSEGVed, and stopped and continued at
    /// random moments — inside blocking calls, mid-fork, mid-exec, with threads in futex
    /// waits, holding a lock and a pipe — while control guests and host tools work.
    @Test func twoHundredRunnerFaultsLeaveTheServiceAndOtherGuestsWhole() throws {
        let s = try ServiceFixture("inject", guests: [FaultGuests.threads, FaultGuests.lockAndPipe])
        defer { s.stop() }
        // KANDELO_FAULT_SEED=N replays a run.
        let seed = ProcessInfo.processInfo.environment["KANDELO_FAULT_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        var gen = SplitMix(seed)
        print("fault injection seed \(seed) (KANDELO_FAULT_SEED)")
        // Control guests: fork/exec and pipes until /work/stop appears; their last line is
        // the md5 of "abc\n", and the loop count shows they ran throughout.
        let controlScript = "n=0; while [ ! -e /work/stop ]; do echo abc | md5sum > /tmp/c$$; n=$((n+1)); done; cat /tmp/c$$; [ $n -gt 5 ] && echo ran"
        var controls: [(pid: pid_t, out: String)] = []
        for i in 0..<2 {
            let out = "\(s.dir)/control\(i).out"
            let (pid, rc) = spawnClean(["/bin/sh", "-c", "exec '\(s.launcher)' -T --mount '\(s.mnt)' /bin/sh -c '\(controlScript)' </dev/null >'\(out)' 2>&1"])
            #expect(rc == 0)
            controls.append((pid, out))
        }
        var controlSids = Set<Int32>()
        for _ in 0..<100 where controlSids.count < 2 {
            controlSids = Set(FaultTests.runners().filter { $0.ppid == s.pid }.map(\.sid))
            if controlSids.count < 2 { usleep(50_000) }
        }
        #expect(controlSids.count == 2, "both controls run")
        var serviceSids = controlSids
        let baselineFDs = FaultTests.fdCount(s.pid)
        let workloads = [
            "/bin/sh -c 'while :; do sleep 0.05; done'",                          // blocking calls
            "/bin/sh -c 'while :; do /bin/true; /bin/echo x >/dev/null; done'",    // fork + exec
            "/bin/sh -c 'while :; do echo data; done | while read l; do :; done'", // pipes
            "/bin/futexwait",                                                      // threads in futex waits
            "/bin/lockpipe",                                                       // a lock, a pipe, a child
        ]
        var clients: [pid_t] = []
        func startVictim() {
            let w = workloads[Int(gen.next() % UInt64(workloads.count))]
            let (pid, rc) = spawnClean(["/bin/sh", "-c", "exec '\(s.launcher)' -T --mount '\(s.mnt)' \(w) </dev/null >/dev/null 2>&1"])
            if rc == 0 { clients.append(pid) }
        }
        for _ in 0..<4 { startVictim() }
        // KANDELO_FAULT_INJECTIONS=N runs a longer campaign (scripts/fault-inject.sh).
        let wanted = ProcessInfo.processInfo.environment["KANDELO_FAULT_INJECTIONS"].flatMap { Int($0) } ?? 200
        var injected = 0, survived = 0
        var stopped: [Int32] = []
        var hostEdits = 0
        let deadline = Date().addingTimeInterval(240 + Double(wanted))
        while injected < wanted && Date() < deadline {
            usleep(UInt32(10_000 + gen.next() % 50_000))
            // Clients whose guest died are replaced.
            clients.removeAll { pid in
                var st: Int32 = 0
                return waitpid(pid, &st, WNOHANG) == pid
            }
            while clients.count < 4 { startVictim() }
            // Only this service's runners: other tests run their own guests meanwhile. A
            // launch's first runner is the service's child and leads a host session that
            // every runner forked from it inherits.
            let all = FaultTests.runners()
            for r in all where r.ppid == s.pid { serviceSids.insert(r.sid) }
            let victims = all.filter { serviceSids.contains($0.sid) && !controlSids.contains($0.sid) }
            guard !victims.isEmpty else { continue }
            let v = victims[Int(gen.next() % UInt64(victims.count))]
            switch gen.next() % 10 {
            case 0..<4: kill(v.pid, SIGKILL)
            case 4..<7: kill(v.pid, SIGSEGV)
            default:
                kill(v.pid, SIGSTOP)
                stopped.append(v.pid)
            }
            injected += 1
            if stopped.count > 2 || gen.next() % 3 == 0 {
                for p in stopped { kill(p, SIGCONT) }
                stopped = []
            }
            if s.running { survived += 1 } else { break }
            // A host tool works on the mount meanwhile.
            if injected % 20 == 0 {
                let e = sh("echo edit \(injected) > '\(s.mnt)/work/edit.txt' && cat '\(s.mnt)/work/edit.txt'")
                if e.out == "edit \(injected)\n" { hostEdits += 1 }
            }
        }
        for p in stopped { kill(p, SIGCONT) }
        print("fault injection: \(survived) of \(injected) injections survived, \(hostEdits) host edits")
        #expect(injected >= wanted && survived == injected, "injections \(injected), survived \(survived)")
        #expect(hostEdits == injected / 20, "host edits on the mount during the faults")
        // The victims end (SIGTERM to their clients reaches the guests).
        for c in clients { kill(c, SIGTERM) }
        for c in clients {
            var st: Int32 = 0
            while waitpid(c, &st, 0) < 0 && errno == EINTR {}
        }
        // The controls finish with the right output.
        #expect(sh("touch '\(s.mnt)/work/stop'").status == 0)
        for c in controls {
            var st: Int32 = 0
            while waitpid(c.pid, &st, 0) < 0 && errno == EINTR {}
            let out = (try? String(contentsOfFile: c.out, encoding: .utf8)) ?? ""
            #expect(st == 0 && out == "0bee89b07a248e27c83fc3d5951213c1  -\nran\n", "control status \(st), output: \(out)")
        }
        #expect(s.running)
        // No runner of ours is left, and the service holds no more descriptors than before.
        let ours = { FaultTests.runners().filter { serviceSids.contains($0.sid) || $0.ppid == s.pid } }
        var left = ours()
        for _ in 0..<100 where !left.isEmpty {
            usleep(50_000)
            left = ours()
        }
        #expect(left.isEmpty, "runners left: \(left)")
        let fds = FaultTests.fdCount(s.pid)
        #expect(fds <= baselineFDs + 2, "service fds: \(baselineFDs) before, \(fds) after")
        #expect(s.launch("/bin/cat /work/edit.txt").out == "edit \(hostEdits * 20)\n")
        s.stop()
        let fsck = sh("'\(Launch.imageTool)' fsck '\(s.image)'")
        #expect(fsck.status == 0, "\(fsck)")
    }

    /// ^C, then `exit 3`, typed into a shell on a host pty: standalone and through the
    /// service, the sleep is interrupted, the shell survives and exits with 3.
    @Test(arguments: ["standalone", "service"])
    func ctrlCInAnInteractiveShell(mode: String) throws {
        let s = try ServiceFixture("ctrlc-\(mode)", start: mode == "service")
        defer { s.stop() }
        let target = mode == "service" ? ["--mount", s.mnt] : ["--image", s.image]
        let py = PtyScript.prelude([s.launcher, "-e", "PS1=PROMPT$ "] + target + ["/bin/sh", "-i"]) + """
            expect('PROMPT$ ')
            os.write(fd, b'sleep 30; echo not interrupted\\r')
            time.sleep(1.5)
            os.write(fd, b'\\x03')
            expect('PROMPT$ ', 10)
            os.write(fd, b'echo $((6*7)) alive\\r')
            expect('42 alive')
            os.write(fd, b'exit 3\\r')
            _, status = os.waitpid(pid, 0)
            print('status', os.waitstatus_to_exitcode(status))
            """
        try py.write(toFile: "\(s.dir)/ctrlc.py", atomically: true, encoding: .utf8)
        let r = sh("python3 '\(s.dir)/ctrlc.py'")
        #expect(r.status == 0 && r.out.contains("status 3") && !r.out.contains("not interrupted"), "\(r)")
        if mode == "service" { #expect(s.running) }
    }

    /// `--read-only` through the service: every change the guest tries fails with EROFS,
    /// /proc/mounts and statfs say so, tmpfs stays writable; other launches still write.
    @Test func readOnlyHoldsThroughTheService() throws {
        let s = try ServiceFixture("readonly")
        defer { s.stop() }
        let before = sh("'\(s.launcher)' --mount '\(s.mnt)' --list >/dev/null; ls -lR --time-style=full-iso '\(s.mnt)/etc' '\(s.mnt)/work' | md5sum").out
        let r = sh("""
            '\(s.launcher)' -T --mount '\(s.mnt)' --read-only /bin/sh -c '
              echo x > /work/new.txt; echo "create $?"
              echo x >> /etc/motd; echo "append $?"
              mkdir /work/d; echo "mkdir $?"
              rm /etc/motd; echo "unlink $?"
              mv /etc/motd /etc/moved; echo "rename $?"
              chmod 600 /etc/motd; echo "chmod $?"
              touch /etc/motd; echo "touch $?"
              ln -s x /work/link; echo "symlink $?"
              grep " / " /proc/mounts | cut -d" " -f4
              echo ok > /tmp/t && cat /tmp/t' </dev/null 2>/dev/null
            """)
        #expect(r.out == """
            create 1
            append 1
            mkdir 1
            unlink 1
            rename 1
            chmod 1
            touch 1
            symlink 1
            ro
            ok

            """, "\(r)")
        let err = sh("'\(s.launcher)' -T --mount '\(s.mnt)' --read-only /bin/sh -c 'echo x > /work/new.txt' </dev/null")
        #expect(err.err.contains("Read-only file system"), "\(err)")
        let after = sh("ls -lR --time-style=full-iso '\(s.mnt)/etc' '\(s.mnt)/work' | md5sum").out
        #expect(before == after, "the image is untouched")
        // Another launch of the same service still writes.
        #expect(s.launch("/bin/sh -c 'echo rw > /work/rw.txt && cat /work/rw.txt'").out == "rw\n")
    }
}

extension FaultTests {
    /// The image's size ceiling is ENOSPC for host tools and guests alike, and the image
    /// stays consistent after both hit it.
    @Test func theImageCeilingIsENOSPCForHostAndGuests() throws {
        let s = try ServiceFixture("ceiling")
        defer { s.stop() }
        let host = sh("dd if=/dev/zero of='\(s.mnt)/work/host.big' bs=1M count=4096 2>&1; echo \"dd $?\"")
        #expect(host.out.contains("No space left on device") && host.out.contains("dd 1"), "\(host)")
        #expect(sh("rm '\(s.mnt)/work/host.big'").status == 0)
        let guest = s.launch("/bin/sh -c 'dd if=/dev/zero of=/work/guest.big bs=1M count=4096; echo \"dd $?\"; rm /work/guest.big'")
        #expect(guest.err.contains("No space left on device") && guest.out.contains("dd 1"), "\(guest)")
        #expect(sh("echo still writable > '\(s.mnt)/work/after.txt' && cat '\(s.mnt)/work/after.txt'").out == "still writable\n")
        s.stop()
        #expect(sh("'\(Launch.imageTool)' fsck '\(s.image)'").status == 0)
    }
}

/// A small seeded generator, so a failing injection run can be replayed from its seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
