// LockTests.swift: host tools and guests exclude each other with advisory locks. On a
// service's mount, the host's flock(1) and python's fcntl locks go through FUSE into the
// same lock table guests use (Launcher/Service.swift, FuseMount/Operations/Locks.swift);
// on a `--bind` directory, guests take the host's own locks on the host file.
//
// Each check is an ordering that a lock which only pretends cannot produce: the waiting
// side reads a state the holder writes just before it lets go.
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

enum Locker {
    /// locker flock|posix FILE try            non-blocking attempt; for posix, F_GETLK's pid
    ///                                        (0 = a holder outside the guests' pid space)
    /// locker flock|posix FILE wait STATE     blocking acquire, then print STATE's content
    /// locker flock|posix FILE hold MS STATE  acquire, write "held" to STATE, say "holding",
    ///                                        sleep MS, write "released", unlock, exit
    static let source = #"""
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/file.h>
        #include <unistd.h>
        static int lockit(int fd, int posix, int wait) {
            if (!posix) return flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
            struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
            return fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
        }
        static void put(const char *path, const char *s) {
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            write(fd, s, strlen(s));
            close(fd);
        }
        int main(int argc, char **argv) {
            if (argc < 4) return 2;
            int posix = strcmp(argv[1], "posix") == 0;
            int fd = open(argv[2], O_RDWR | O_CREAT, 0644);
            if (fd < 0) { printf("open: %d\n", errno); return 1; }
            if (strcmp(argv[3], "try") == 0) {
                if (posix) {
                    struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
                    fcntl(fd, F_GETLK, &q);
                    printf("getlk: %s pid %d\n", q.l_type == F_UNLCK ? "unlocked" : "locked", (int)q.l_pid);
                }
                int r = lockit(fd, posix, 0);
                printf("try: %s\n", r == 0 ? "locked" : errno == EAGAIN ? "busy" : strerror(errno));
                return 0;
            }
            if (strcmp(argv[3], "wait") == 0 && argc > 4) {
                int r = lockit(fd, posix, 1);
                char buf[64] = {0};
                int s = open(argv[4], O_RDONLY);
                read(s, buf, sizeof buf - 1);
                printf("wait: %s, state %s\n", r == 0 ? "acquired" : strerror(errno), buf);
                return 0;
            }
            if (strcmp(argv[3], "hold") == 0 && argc > 5) {
                if (lockit(fd, posix, 1) != 0) { printf("hold: %s\n", strerror(errno)); return 1; }
                put(argv[5], "held");
                printf("holding\n");
                fflush(stdout);
                usleep(atoi(argv[4]) * 1000);
                put(argv[5], "released");
                printf("releasing\n");
                fflush(stdout);
                return 0;
            }
            return 2;
        }
        """#
}

@Suite(.serialized) struct LockTests {
    /// Polls `cond` for up to `seconds`.
    func eventually(_ seconds: Double, _ cond: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if cond() { return true }
            usleep(50_000)
        }
        return cond()
    }

    @Test func hostFlockAndGuestFlockExcludeEachOtherOnTheMount() throws {
        let s = try ServiceFixture("locks", guests: [("locker", Locker.source)])
        let file = "\(s.mnt)/work/lockfile", state = "\(s.mnt)/work/state"
        _ = sh("touch '\(file)'")

        // Host holds (flock(1)); the guest's LOCK_NB fails, its blocking flock waits and
        // sees the state the host wrote just before releasing.
        _ = sh("(flock -x '\(file)' sh -c 'printf held > \(state); sleep 4; printf released > \(state)' &)")
        #expect(eventually(20) { sh("cat '\(state)'").out == "held" }, "the host holds the lock")
        #expect(s.launch("/bin/locker flock /work/lockfile try").out == "try: busy\n")
        #expect(s.launch("/bin/locker flock /work/lockfile wait /work/state").out == "wait: acquired, state released\n")

        // Guest holds; the host's flock -n fails, a blocking flock returns after the guest
        // said it releases.
        let out = "\(s.dir)/guest.out"
        _ = sh("'\(s.launcher)' -T --mount '\(s.mnt)' /bin/locker flock /work/lockfile hold 3000 /work/gstate </dev/null >'\(out)' 2>&1 &")
        #expect(eventually(20) { sh("cat '\(out)'").out.contains("holding") })
        #expect(sh("flock -n '\(file)' true").status != 0, "the host cannot take the guest's lock")
        let waited = sh("flock -x '\(file)' cat '\(out)'")
        #expect(waited.out == "holding\nreleasing\n", "the host got the lock only once the guest let go")
    }

    @Test func hostFcntlAndGuestFcntlExcludeEachOtherOnTheMount() throws {
        let s = try ServiceFixture("fcntl-locks", guests: [("locker", Locker.source)])
        let file = "\(s.mnt)/work/lockfile", state = "\(s.mnt)/work/state"
        _ = sh("touch '\(file)'")
        let py = """
            import fcntl, os, struct, sys, time
            f = open(sys.argv[1], 'r+')
            fcntl.lockf(f, fcntl.LOCK_EX)
            open(sys.argv[2], 'w').write('held')
            time.sleep(4)
            open(sys.argv[2], 'w').write('released')
            """
        try py.write(toFile: "\(s.dir)/hold.py", atomically: true, encoding: .utf8)
        _ = sh("(python3 '\(s.dir)/hold.py' '\(file)' '\(state)' &)")
        #expect(eventually(20) { sh("cat '\(state)'").out == "held" }, "the host holds the lock")
        // A host holder reads as pid 0 to guests (outside their pid space, as across Linux
        // pid namespaces).
        #expect(s.launch("/bin/locker posix /work/lockfile try").out == "getlk: locked pid 0\ntry: busy\n")
        #expect(s.launch("/bin/locker posix /work/lockfile wait /work/state").out == "wait: acquired, state released\n")

        // Guest holds; python's F_GETLK names the guest's runner (the host process running
        // it), and a blocking lockf waits for the guest.
        let out = "\(s.dir)/guest.out"
        _ = sh("'\(s.launcher)' -T --mount '\(s.mnt)' /bin/locker posix /work/lockfile hold 3000 /work/gstate </dev/null >'\(out)' 2>&1 &")
        #expect(eventually(20) { sh("cat '\(out)'").out.contains("holding") })
        let probe = """
            import fcntl, os, struct, sys
            f = open(sys.argv[1], 'r+')
            q = struct.pack('hhqqi4x', fcntl.F_WRLCK, 0, 0, 0, 0)
            t, _, _, _, pid = struct.unpack('hhqqi4x', fcntl.fcntl(f, fcntl.F_GETLK, q))
            exe = os.readlink('/proc/%d/exe' % pid) if pid > 0 else '-'
            print('holder', 'write' if t == fcntl.F_WRLCK else t, os.path.basename(exe))
            try:
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                print('nb: locked')
            except OSError as e:
                print('nb: busy')
            fcntl.lockf(f, fcntl.LOCK_EX)
            print(open(sys.argv[2]).read().strip())
            """
        try probe.write(toFile: "\(s.dir)/probe.py", atomically: true, encoding: .utf8)
        let r = sh("python3 '\(s.dir)/probe.py' '\(file)' '\(out)'")
        #expect(r.out == "holder write kandelo-runner\nnb: busy\nholding\nreleasing\n", "\(r)")
    }

    /// A host OFD lock taken through the mount goes when the host closes the file (the host
    /// kernel sends FLUSH with the process's owner, which is not the OFD lock's, and no unlock:
    /// the mount drops it at RELEASE). The host process stays alive, so only the close frees it.
    @Test func aHostOFDLockGoesWhenTheHostClosesTheFile() throws {
        let s = try ServiceFixture("ofd-locks", guests: [("locker", Locker.source)])
        let file = "\(s.mnt)/work/lockfile", state = "\(s.dir)/ofd-state"
        _ = sh("touch '\(file)'")
        let py = """
            import fcntl, os, struct, sys, time
            F_OFD_SETLK = 37
            f = open(sys.argv[1], 'r+')
            fcntl.fcntl(f, F_OFD_SETLK, struct.pack('hhqqi4x', fcntl.F_WRLCK, 0, 0, 0, 0))
            open(sys.argv[2], 'w').write('held')
            while open(sys.argv[2]).read() != 'close': time.sleep(0.05)
            f.close()
            open(sys.argv[2], 'w').write('closed')
            time.sleep(60)
            """
        try py.write(toFile: "\(s.dir)/ofd.py", atomically: true, encoding: .utf8)
        let pid = sh("python3 '\(s.dir)/ofd.py' '\(file)' '\(state)' >/dev/null 2>&1 & echo $!").out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = sh("kill \(pid)") }
        #expect(eventually(20) { sh("cat '\(state)'").out == "held" }, "the host holds an OFD lock")
        #expect(s.launch("/bin/locker posix /work/lockfile try").out == "getlk: locked pid 0\ntry: busy\n",
                "a guest sees the host's OFD lock")
        try "close".write(toFile: state, atomically: true, encoding: .utf8)
        #expect(eventually(20) { sh("cat '\(state)'").out == "closed" }, "the host closed the file")
        #expect(eventually(10) { s.launch("/bin/locker posix /work/lockfile try").out.hasSuffix("try: locked\n") },
                "the OFD lock went with the host's close, while its process lives on")
    }

    @Test func hostFlockAndGuestFlockExcludeEachOtherOnABind() throws {
        let dir = Launch.workDir("bind-locks")
        try Launch.guest(dir, "locker", Locker.source)
        let image = try Launch.image(dir)
        let host = "\(dir)/host"
        _ = sh("mkdir -p '\(host)' && touch '\(host)/lockfile'")
        let bind = "--bind '\(host):/work'"
        _ = sh("(flock -x '\(host)/lockfile' sh -c 'printf held > \(host)/state; sleep 4; printf released > \(host)/state' &)")
        #expect(eventually(20) { sh("cat '\(host)/state'").out == "held" }, "the host holds the lock")
        #expect(Launch.run(image, "\(bind) /bin/locker flock /work/lockfile try").out == "try: busy\n")
        #expect(Launch.run(image, "\(bind) /bin/locker flock /work/lockfile wait /work/state").out == "wait: acquired, state released\n")

        let out = "\(dir)/guest.out"
        _ = sh("'\(Launch.launcher)' --image '\(image)' \(bind) /bin/locker flock /work/lockfile hold 3000 /work/gstate </dev/null >'\(out)' 2>&1 &")
        #expect(eventually(20) { sh("cat '\(out)'").out.contains("holding") })
        #expect(sh("flock -n '\(host)/lockfile' true").status != 0, "the host cannot take the guest's lock")
        #expect(sh("flock -x '\(host)/lockfile' cat '\(out)'").out == "holding\nreleasing\n")
        // Wait for the standalone launch to finish before the directory goes.
        #expect(eventually(20) { sh("cat '\(out)'").out.contains("releasing") })
    }

    /// A host F_SETLKW waiting in the service is ended by a signal (FUSE_INTERRUPT → EINTR),
    /// and the wait is really gone: once the guest lets go, nobody holds the lock.
    @Test func aSignalInterruptsAHostWaitOnTheMount() throws {
        let s = try ServiceFixture("lock-intr", guests: [("locker", Locker.source)])
        let file = "\(s.mnt)/work/lockfile"
        _ = sh("touch '\(file)'")
        let out = "\(s.dir)/guest.out"
        _ = sh("'\(s.launcher)' -T --mount '\(s.mnt)' /bin/locker posix /work/lockfile hold 4000 /work/gstate </dev/null >'\(out)' 2>&1 &")
        #expect(eventually(20) { sh("cat '\(out)'").out.contains("holding") })
        let py = """
            import fcntl, signal, sys, time
            class Alarm(Exception): pass
            def ring(*_): raise Alarm()
            signal.signal(signal.SIGALRM, ring)
            f = open(sys.argv[1], 'r+')
            signal.alarm(1)
            start = time.monotonic()
            try:
                fcntl.lockf(f, fcntl.LOCK_EX)
                print('granted')
            except Alarm:
                # Interrupted in the wait (at 1 s), not after the guest let go (at 4 s).
                print('interrupted', 'in the wait' if time.monotonic() - start < 2.5 else 'late')
            """
        try py.write(toFile: "\(s.dir)/intr.py", atomically: true, encoding: .utf8)
        #expect(sh("python3 '\(s.dir)/intr.py' '\(file)'").out == "interrupted in the wait\n")
        #expect(eventually(20) { sh("cat '\(out)'").out.contains("releasing") })
        usleep(300_000)
        #expect(s.launch("/bin/locker posix /work/lockfile try").out == "getlk: unlocked pid 0\ntry: locked\n",
                "the interrupted wait was not granted later")
    }
}
