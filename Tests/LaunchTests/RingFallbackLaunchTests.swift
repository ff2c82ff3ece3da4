// RingFallbackLaunchTests.swift: real guests under kandelo-launch with the kernel's
// plain-syscall host I/O (KANDELO_IO_URING=0) give the same output and status as with
// io_uring: arguments and status, stdin through a pipe, fork with a pipe, poll with a
// timeout and nanosleep, and a signal sent to the launcher while the guest sleeps.
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct RingFallbackLaunchTests {
    static let notice = "host I/O uses plain syscalls"

    func both(_ image: String, _ args: String, stdin: String? = nil) -> (uring: ShellResult, plain: ShellResult) {
        let input = stdin.map { "printf '%s' '\($0)' | " } ?? ""
        let tail = stdin == nil ? " </dev/null" : ""
        let uring = sh("\(input)'\(Launch.launcher)' --image '\(image)' \(args)\(tail)")
        let plain = sh("\(input)KANDELO_IO_URING=0 '\(Launch.launcher)' --image '\(image)' \(args)\(tail)")
        return (uring, plain)
    }

    /// Same stdout and status; the fallback says once on stderr that it is in use and
    /// stderr is otherwise the same.
    func expectSame(_ r: (uring: ShellResult, plain: ShellResult), _ what: String) {
        #expect(r.uring.status == r.plain.status, "\(what): \(r.uring) vs \(r.plain)")
        #expect(r.uring.out == r.plain.out, "\(what): \(r.uring) vs \(r.plain)")
        #expect(!r.uring.err.contains(RingFallbackLaunchTests.notice), "\(what): \(r.uring)")
        let lines = r.plain.err.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.filter { $0.contains(RingFallbackLaunchTests.notice) }.count == 1, "\(what): \(r.plain)")
        let rest = lines.filter { !$0.contains(RingFallbackLaunchTests.notice) }.joined(separator: "\n")
        #expect(rest == r.uring.err, "\(what): \(r.uring) vs \(r.plain)")
    }

    @Test func guestsBehaveTheSameWithoutIoUring() throws {
        let dir = Launch.workDir("ringfallback")
        try Launch.guest(dir, "hello", Launch.helloSource)
        try Launch.guest(dir, "upper", """
            #include <ctype.h>
            #include <stdio.h>
            int main(void) { int c; while ((c = getchar()) != EOF) putchar(toupper(c)); return 0; }
            """)
        try Launch.guest(dir, "pipes", """
            #include <poll.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/wait.h>
            #include <time.h>
            #include <unistd.h>
            static long ms(void) {
                struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
                return t.tv_sec * 1000L + t.tv_nsec / 1000000;
            }
            int main(void) {
                int p[2];
                if (pipe(p) != 0) return 1;
                pid_t c = fork();
                if (c == 0) {
                    close(p[0]);
                    struct timespec d = { 0, 80 * 1000000 };
                    nanosleep(&d, 0);
                    write(p[1], "from the child", 14);
                    _exit(7);
                }
                close(p[1]);
                struct pollfd f = { p[0], POLLIN, 0 };
                long t0 = ms();
                int quick = poll(&f, 1, 10);
                printf("poll before data: %d\\n", quick);
                int r = poll(&f, 1, 5000);
                long waited = ms() - t0;
                char buf[64] = {0};
                ssize_t n = read(p[0], buf, sizeof buf - 1);
                int status = 0;
                waitpid(c, &status, 0);
                printf("poll %d revents %d read %zd '%s' waited>=70ms %d exit %d\\n",
                       r, f.revents & POLLIN, n, buf, waited >= 70, WEXITSTATUS(status));
                struct timespec d = { 0, 30 * 1000000 };
                t0 = ms();
                nanosleep(&d, 0);
                printf("slept>=30ms %d\\n", ms() - t0 >= 30);
                return 3;
            }
            """)
        try Launch.guest(dir, "sleeper", """
            #include <stdio.h>
            #include <unistd.h>
            int main(void) { puts("sleeping"); fflush(stdout); sleep(30); puts("woke"); return 0; }
            """)
        let image = try Launch.image(dir)

        let hello = both(image, "-e FOO=bar -w /work /bin/hello 'a b' c")
        #expect(hello.plain.status == 42 && hello.plain.out == "argc=3 [/bin/hello] [a b] [c] FOO=bar cwd=/work pid=1\n",
                "\(hello.plain)")
        expectSame(hello, "hello")

        let upper = both(image, "/bin/upper", stdin: "hello, world")
        #expect(upper.plain.status == 0 && upper.plain.out == "HELLO, WORLD", "\(upper.plain)")
        expectSame(upper, "upper")

        let pipes = both(image, "/bin/pipes")
        #expect(pipes.plain.status == 3, "\(pipes.plain)")
        #expect(pipes.plain.out == """
            poll before data: 0
            poll 1 revents 1 read 14 'from the child' waited>=70ms 1 exit 7
            slept>=30ms 1

            """, "\(pipes.plain)")
        expectSame(pipes, "pipes")

        // A signal to the launcher reaches the guest blocked in sleep (signalfd + timer).
        var statuses: [ShellResult] = []
        for env in ["", "KANDELO_IO_URING=0 "] {
            statuses.append(sh("\(env)'\(Launch.launcher)' --image '\(image)' /bin/sleeper </dev/null & pid=$!; sleep 1; kill -TERM $pid; wait $pid"))
        }
        for r in statuses { #expect(r.status == 143 && r.out == "sleeping\n", "\(r)") }
    }
}
