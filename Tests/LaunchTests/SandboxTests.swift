// SandboxTests.swift: the runner sandbox (Documentation/sandbox.md). Runners of a running
// guest — the first, a forked one, and one that exec'ed — are under seccomp with
// no_new_privs and hold only stderr, their channel and their doorbell; a runner that
// makes a forbidden call (openat of a host path, through the test-only hook
// KANDELO_SANDBOX_TEST_OPENAT) dies of SIGSYS, which the launcher reports as the guest's
// status 159, standalone and through the service, and the service goes on.
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

@Suite struct SandboxTests {
    /// Forks; the child execs itself with "exec" and starts a thread; both say "ready"
    /// and wait for a signal.
    static let sleeperSource = """
        #include <pthread.h>
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        #include <sys/wait.h>
        static void *nap(void *a) { (void)a; for (;;) pause(); return 0; }
        int main(int argc, char **argv) {
            if (argc > 1 && strcmp(argv[1], "exec") == 0) {
                pthread_t t;
                pthread_create(&t, 0, nap, 0);
                printf("ready child\\n");
                fflush(stdout);
                for (;;) pause();
            }
            pid_t pid = fork();
            if (pid == 0) { execl("/bin/sleeper", "sleeper", "exec", (char *)0); _exit(127); }
            printf("ready parent\\n");
            fflush(stdout);
            int st;
            waitpid(pid, &st, 0);
            return 0;
        }
        """

    /// Host pids of the processes below `root` (not itself), from /proc.
    static func descendants(of root: pid_t) -> [pid_t] {
        var parent: [pid_t: pid_t] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = pid_t(fields[1]) { parent[pid] = ppid }
        }
        return parent.keys.filter { pid in
            var p = parent[pid]
            while let q = p, q > 1 {
                if q == root { return true }
                p = parent[q]
            }
            return false
        }.sorted()
    }

    static func link(_ path: String) -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        return n < 0 ? "" : String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func runnersAreSandboxedAndHoldOnlyTheirChannelDoorbellAndStderr() throws {
        let dir = Launch.workDir("sandbox-fds")
        try Launch.guest(dir, "sleeper", Self.sleeperSource)
        let image = try Launch.image(dir)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "\(dir)/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "\(dir)/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let (launcher, rc) = spawnClean([Launch.launcher, "--image", image, "/bin/sleeper"], actions: &actions)
        try #require(rc == 0)
        var ready = false
        for _ in 0..<600 where !ready {
            let out = (try? String(contentsOfFile: "\(dir)/out", encoding: .utf8)) ?? ""
            ready = out.contains("ready parent") && out.contains("ready child")
            if !ready { usleep(50_000) }
        }
        let runners = Self.descendants(of: launcher).filter { Self.link("/proc/\($0)/exe").hasSuffix("/kandelo-runner") }
        var report: [String] = []
        for pid in runners {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let fds = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).compactMap(Int.init).sorted()
            let targets = fds.map { "\($0) -> \(Self.link("/proc/\(pid)/fd/\($0)"))" }
            report.append("runner \(pid): \(targets)")
            #expect(status.contains("Seccomp:\t2"), "runner \(pid) is not under a seccomp filter:\n\(status)")
            #expect(status.contains("NoNewPrivs:\t1"), "runner \(pid) lacks no_new_privs")
            #expect(fds == [2, 3, 4], "runner \(pid) holds \(targets)")
            if fds == [2, 3, 4] {
                #expect(Self.link("/proc/\(pid)/fd/3").hasPrefix("/memfd:kandelo"), "\(targets)")
                #expect(Self.link("/proc/\(pid)/fd/4") == "anon_inode:[eventfd]", "\(targets)")
            }
        }
        kill(launcher, SIGTERM)
        var status: Int32 = 0
        while waitpid(launcher, &status, 0) < 0 && errno == EINTR {}
        #expect(ready, "the guests did not start: \(sh("cat '\(dir)/out' '\(dir)/err'"))")
        // Two runners: the first and the forked one (which exec'ed and started a thread:
        // a thread is no process).
        #expect(runners.count == 2, "runners: \(report)")
        _ = sh("rm -rf '\(dir)'")
    }

    @Test func openatOfAHostPathKillsTheRunnerWithSIGSYS() throws {
        let dir = Launch.workDir("sandbox-openat")
        try Launch.guest(dir, "hello", Launch.helloSource)
        let image = try Launch.image(dir)
        let hook = "KANDELO_SANDBOX_TEST_OPENAT=/etc/passwd"
        let killed = sh("\(hook) '\(Launch.launcher)' --image '\(image)' /bin/hello </dev/null")
        #expect(killed.status == 128 + SIGSYS, "\(killed)")
        #expect(!killed.out.contains("argc="), "the guest ran: \(killed)")
        // The same hook without the sandbox: the openat really happens and succeeds, so the
        // death above is the filter's doing.
        let open = sh("KANDELO_SANDBOX=0 \(hook) '\(Launch.launcher)' --image '\(image)' /bin/hello </dev/null")
        #expect(open.status == 42 && open.out.contains("argc=1"), "\(open)")
        #expect(open.err.contains("openat(/etc/passwd) returned ") && !open.err.contains("returned -"), "\(open)")
        // And without the hook the sandboxed guest runs.
        let plain = Launch.run(image, "/bin/hello")
        #expect(plain.status == 42 && plain.out.contains("argc=1"), "\(plain)")
        _ = sh("rm -rf '\(dir)'")
    }

    /// The guest's parent sees a forked child whose runner the filter killed as a child
    /// dead of SIGSYS. A forked runner is not the kernel's host child: its status comes
    /// from its pidfd (PIDFD_GET_INFO, Linux 6.13+); older hosts can only say SIGKILL.
    @Test func aForkedRunnerKilledBySeccompIsAChildDeadOfSIGSYS() throws {
        let dir = Launch.workDir("sandbox-forked")
        try Launch.guest(dir, "forkwait", """
            #include <stdio.h>
            #include <unistd.h>
            #include <sys/wait.h>
            int main(void) {
                fflush(stdout);
                pid_t pid = fork();
                if (pid == 0) { printf("child ran\\n"); _exit(0); }
                int st = 0;
                waitpid(pid, &st, 0);
                printf("signaled %d signal %d\\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
                return 0;
            }
            """)
        let image = try Launch.image(dir)
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let v = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        let expected = v.count == 2 && (v[0], v[1]) >= (6, 13) ? SIGSYS : SIGKILL
        let r = sh("KANDELO_SANDBOX_TEST_OPENAT_FORKED=/etc/passwd '\(Launch.launcher)' --image '\(image)' /bin/forkwait </dev/null")
        #expect(r.status == 0 && r.out == "signaled 1 signal \(expected)\n", "\(r)")
        _ = sh("rm -rf '\(dir)'")
    }

    @Test func theServiceSurvivesARunnerKilledBySeccomp() throws {
        let svc = try ServiceFixture("sandbox", extraEnv: "KANDELO_SANDBOX_TEST_OPENAT=/etc/passwd")
        defer { svc.stop(); _ = sh("rm -rf '\(svc.dir)'") }
        for _ in 0..<3 {
            let r = svc.launch("/bin/hello x")
            #expect(r.status == 128 + SIGSYS, "\(r)")
            #expect(!r.out.contains("hello x"), "\(r)")
        }
        #expect(svc.running)
        #expect(sh("'\(svc.launcher)' --mount '\(svc.mnt)' --list").status == 0)
        // The mount goes on serving host tools.
        #expect(sh("cat '\(svc.mnt)/etc/motd'").out == "hello\n")
        let edit = sh("echo after > '\(svc.mnt)/work/after' && cat '\(svc.mnt)/work/after'")
        #expect(edit.status == 0 && edit.out == "after\n", "\(edit)")
        svc.stop()
        let fsck = sh("'\(Launch.imageTool)' fsck '\(svc.image)'")
        #expect(fsck.status == 0, "\(fsck)")
    }
}
