// LaunchTests.swift: kandelo-launch end to end: statuses like a shell's, clear messages,
// hostile guests that cannot hurt the kernel, and the image keeping what guests write.
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct LaunchTests {
    @Test func helloArgumentsEnvironmentAndStatus() throws {
        let dir = Launch.workDir("hello")
        try Launch.guest(dir, "hello", Launch.helloSource)
        let image = try Launch.image(dir)
        let r = Launch.run(image, "-e FOO=bar -w /work /bin/hello 'a b' c")
        #expect(r.status == 42, "\(r)")
        #expect(r.out == "argc=3 [/bin/hello] [a b] [c] FOO=bar cwd=/work pid=1\n", "\(r)")
    }

    @Test func shellStatusesForProgramsThatCannotRun() throws {
        let dir = Launch.workDir("statuses")
        try Launch.guest(dir, "ok", "int main(void) { return 0; }")
        _ = sh("cd '\(dir)/root/bin' && printf 'plain text\\n' > text && chmod 755 text && cp ok noexec && chmod 644 noexec && printf '\\0asm\\1\\0\\0\\0\\1\\2' > broken && chmod 755 broken && printf '#!/bin/ok\\n' > script && chmod 755 script")
        let image = try Launch.image(dir)
        let missing = Launch.run(image, "/bin/missing")
        #expect(missing.status == 127 && missing.err.contains("/bin/missing: No such file or directory"), "\(missing)")
        let text = Launch.run(image, "/bin/text")
        #expect(text.status == 126 && text.err.contains("Exec format error"), "\(text)")
        let noexec = Launch.run(image, "/bin/noexec")
        #expect(noexec.status == 126 && noexec.err.contains("Permission denied"), "\(noexec)")
        let broken = Launch.run(image, "/bin/broken")
        #expect(broken.status == 126 && broken.err.contains("invalid wasm module"), "\(broken)")
        let directory = Launch.run(image, "/etc")
        #expect(directory.status == 126, "\(directory)")
        let script = Launch.run(image, "/bin/script")
        #expect(script.status == 0, "\(script)")
        let badImage = sh("'\(Launch.launcher)' --image '\(dir)/nonexistent.vfs' /bin/ok")
        #expect(badImage.status == 125 && badImage.err.contains("nonexistent.vfs"), "\(badImage)")
    }

    @Test func trapsBecomeSignals() throws {
        let dir = Launch.workDir("traps")
        try Launch.guest(dir, "trap", """
            #include <stdio.h>
            int main(int argc, char **argv) {
                puts("before"); fflush(stdout);
                if (argc > 1) __builtin_trap();
                return *(volatile int *)0xfffffff0;
            }
            """)
        let image = try Launch.image(dir)
        let segv = Launch.run(image, "/bin/trap")
        #expect(segv.status == 128 + 11 && segv.out == "before\n" && segv.err.contains("out of bounds"), "\(segv)")
        let ill = Launch.run(image, "/bin/trap x")
        #expect(ill.status == 128 + 4 && ill.err.contains("unreachable"), "\(ill)")
    }

    /// Bad pointers and bad arguments from a guest get errno values; the kernel survives.
    @Test func hostileArgumentsGetErrnoNotCrashes() throws {
        let dir = Launch.workDir("hostile")
        try Launch.guest(dir, "hostile", """
            #include <errno.h>
            #include <fcntl.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/stat.h>
            #include <sys/syscall.h>
            #include <unistd.h>
            #define BAD ((void *)0xfffff000)
            int main(void) {
                struct stat st;
                errno = 0; printf("write %ld %d\\n", (long)write(1, BAD, 16), errno);
                errno = 0; printf("read %ld %d\\n", (long)read(0, BAD, 16), errno);
                errno = 0; printf("open %d %d\\n", open(BAD, O_RDONLY), errno);
                errno = 0; printf("statx %ld %d\\n", syscall(SYS_statx, AT_FDCWD, "/etc", 0, 0x7ff, BAD), errno);
                errno = 0; printf("close %d %d\\n", close(12345), errno);
                errno = 0; printf("nosys %ld %d\\n", syscall(9999), errno);
                errno = 0; printf("huge %ld %d\\n", (long)write(1, "x", 0x7fffffff), errno);
                return 0;
            }
            """)
        let image = try Launch.image(dir)
        let r = Launch.run(image, "/bin/hostile")
        #expect(r.status == 0, "\(r)")
        #expect(r.out == "write -1 14\nread -1 14\nopen -1 14\nstatx -1 14\nclose -1 9\nnosys -1 38\nhuge -1 14\n", "\(r)")
    }

    @Test func guestWritesPersistInTheImage() throws {
        let dir = Launch.workDir("persist")
        try Launch.guest(dir, "writer", """
            #include <stdio.h>
            int main(void) {
                FILE *f = fopen("/work/out.txt", "w");
                if (!f) { perror("fopen"); return 1; }
                fprintf(f, "written by a guest\\n");
                return fclose(f) != 0;
            }
            """)
        let image = try Launch.image(dir)
        let r = Launch.run(image, "/bin/writer")
        #expect(r.status == 0, "\(r)")
        let cat = sh("'\(Launch.imageTool)' cat '\(image)' /work/out.txt")
        #expect(cat.out == "written by a guest\n", "\(cat)")
        let fsck = sh("'\(Launch.imageTool)' fsck '\(image)'")
        #expect(fsck.status == 0, "\(fsck)")
        // Read-only: the same write fails with EROFS and the image is untouched.
        let ro = Launch.run(image, "--read-only /bin/writer")
        #expect(ro.status == 1 && ro.err.contains("Read-only"), "\(ro)")
    }

    @Test func stdinAndSignalToTheLauncher() throws {
        let dir = Launch.workDir("stdin")
        try Launch.guest(dir, "upper", """
            #include <ctype.h>
            #include <stdio.h>
            int main(void) { int c; while ((c = getchar()) != EOF) putchar(toupper(c)); return 0; }
            """)
        try Launch.guest(dir, "sleeper", """
            #include <stdio.h>
            #include <unistd.h>
            int main(void) { puts("sleeping"); fflush(stdout); sleep(30); puts("woke"); return 0; }
            """)
        let image = try Launch.image(dir)
        let upper = Launch.run(image, "/bin/upper", stdin: "hello, world")
        #expect(upper.status == 0 && upper.out == "HELLO, WORLD", "\(upper)")
        // SIGTERM to the launcher ends the sleeping guest with the default action: 128+15.
        let r = sh("'\(Launch.launcher)' --image '\(image)' /bin/sleeper </dev/null & pid=$!; sleep 1; kill -TERM $pid; wait $pid")
        #expect(r.status == 143 && r.out == "sleeping\n", "\(r)")
    }

    /// Limits a guest expects: RLIMIT_NPROC makes fork fail with EAGAIN (a fork bomb stops
    /// there and the launcher cleans up what it left), --memory makes malloc fail with ENOMEM.
    /// A child killed before its runner has started (no host pid yet) must not take the
    /// launcher's process group with it (kill(0) would), and its runner must not linger.
    @Test func killingAChildBeforeItStarts() throws {
        let dir = Launch.workDir("unborn")
        try Launch.guest(dir, "unborn", """
            #include <signal.h>
            #include <stdio.h>
            #include <sys/wait.h>
            #include <unistd.h>
            int main(void) {
                int killed = 0;
                for (int i = 0; i < 40; i++) {
                    pid_t c = fork();
                    if (c == 0) { pause(); _exit(1); }
                    kill(c, SIGKILL);
                    int st;
                    if (waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) killed++;
                }
                printf("killed %d\\n", killed);
                fflush(stdout);
                /* Leave children behind, the last ones surely not started yet: the
                 * launcher kills them as it exits. */
                for (int i = 0; i < 20; i++) if (fork() == 0) { pause(); _exit(1); }
                return 0;
            }
            """)
        let image = try Launch.image(dir)
        let r = sh("sh -c \"'\(Launch.launcher)' --image '\(image)' /bin/unborn </dev/null; echo status \\$?; echo survived\"")
        #expect(r.out == "killed 40\nstatus 0\nsurvived\n", "\(r)")
    }

    @Test func processAndMemoryLimits() throws {
        let dir = Launch.workDir("limits")
        try Launch.guest(dir, "bomb", """
            #include <errno.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/resource.h>
            #include <unistd.h>
            int main(void) {
                struct rlimit rl = { 12, 12 };
                if (setrlimit(RLIMIT_NPROC, &rl) != 0) { perror("setrlimit"); return 1; }
                int n = 0;
                for (;;) {
                    pid_t p = fork();
                    if (p < 0) { printf("fork failed with %s after %d children\\n", errno == EAGAIN ? "EAGAIN" : strerror(errno), n); return 0; }
                    if (p == 0) { pause(); _exit(0); }
                    n++;
                    if (n > 100) { printf("no limit\\n"); return 1; }
                }
            }
            """)
        try Launch.guest(dir, "hog", """
            #include <errno.h>
            #include <stdio.h>
            #include <stdlib.h>
            int main(void) {
                /* volatile: clang may drop a malloc whose result is only tested. */
                void *volatile p = malloc(64 << 20);
                printf("64 MiB: %s\\n", p ? "allocated" : (errno == ENOMEM ? "ENOMEM" : "other"));
                void *volatile q = malloc(4 << 20);
                printf("4 MiB: %s\\n", q ? "allocated" : "failed");
                return 0;
            }
            """)
        let image = try Launch.image(dir)
        let bomb = Launch.run(image, "--uid 1000 --gid 1000 /bin/bomb")
        #expect(bomb.status == 0 && bomb.out == "fork failed with EAGAIN after 11 children\n", "\(bomb)")
        let hog = Launch.run(image, "--memory 32 /bin/hog")
        #expect(hog.status == 0 && hog.out == "64 MiB: ENOMEM\n4 MiB: allocated\n", "\(hog)")
        let roomy = Launch.run(image, "/bin/hog")
        #expect(roomy.out == "64 MiB: allocated\n4 MiB: allocated\n", "\(roomy)")
    }

    /// A task is named after the file given to execve: a script's own name, not its
    /// interpreter's (pidof and ps match on it).
    @Test func commNamesTheExecutedFile() throws {
        let dir = Launch.workDir("comm")
        try Launch.guest(dir, "comm", """
            #include <stdio.h>
            int main(void) {
                char name[32] = {0};
                FILE *f = fopen("/proc/self/comm", "r");
                if (!f || !fgets(name, sizeof name, f)) return 1;
                printf("%s", name);
                return 0;
            }
            """)
        _ = sh("cd '\(dir)/root/bin' && printf '#!/bin/comm\\n' > my-script && chmod 755 my-script")
        let image = try Launch.image(dir)
        let direct = Launch.run(image, "/bin/comm")
        #expect(direct.out == "comm\n", "\(direct)")
        let script = Launch.run(image, "/bin/my-script")
        #expect(script.out == "my-script\n", "\(script)")
    }

    /// A corrupt image and an image another launcher holds: status 125, a clear line, a
    /// corrupt file left untouched and a held image left consistent.
    @Test func corruptAndBusyImagesAreRefused() throws {
        let dir = Launch.workDir("badimage")
        try Launch.guest(dir, "sleeper", """
            #include <unistd.h>
            int main(void) { sleep(3); return 0; }
            """)
        let image = try Launch.image(dir)
        _ = sh("head -c 100000 '\(image)' > '\(dir)/cut.vfs' && printf 'not an image at all' > '\(dir)/junk.vfs'")
        for bad in ["cut.vfs", "junk.vfs"] {
            let before = sh("md5sum < '\(dir)/\(bad)'").out
            let r = sh("'\(Launch.launcher)' --image '\(dir)/\(bad)' /bin/sleeper </dev/null")
            #expect(r.status == 125 && r.err.contains(bad) && r.out.isEmpty, "\(bad): \(r)")
            #expect(sh("md5sum < '\(dir)/\(bad)'").out == before, "\(bad) was modified")
        }
        // The first launcher may write the image back (access times); the refused one
        // must not disturb it: it stays consistent.
        let busy = sh("""
            '\(Launch.launcher)' --image '\(image)' /bin/sleeper </dev/null & first=$!; sleep 1
            '\(Launch.launcher)' --image '\(image)' /bin/sleeper </dev/null; second=$?
            wait $first; echo "$second $?"
            """)
        #expect(busy.out == "125 0\n" && busy.err.contains("test.vfs"), "\(busy)")
        let fsck = sh("'\(Launch.imageTool)' fsck '\(image)'")
        #expect(fsck.status == 0, "\(fsck)")
    }
}
