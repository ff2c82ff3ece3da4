// HostilePathTests.swift: a guest that tries every way out of its root and its --bind
// directory (Tests/FaultGuests/escape.c), standalone and through the service, and one
// that walks ".." chains, links and held descriptors while directories are renamed under
// it by another guest process and swapped for links or moved out of the bind by the host
// (issue 12, "hostile paths"). A secret planted beside the bind on the host must never
// be read, and nothing may appear on the host outside the bind.
//
// What the guest may reach is its own namespace: the image (where a decoy
// /outside/secret.txt catches links that climb out of the bind, as they must when
// resolved in the guest's namespace) and the bind. The probe's whole output is compared
// with what Linux semantics give there, line by line, so a probe that starts reaching
// something else — the host's file, or an image file it should not — fails the test.
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

@Suite(.serialized) struct HostilePathTests {
    struct Tree {
        var dir: String
        var top: String
        var bind: String
        var image: String
        var token: String
    }

    /// TOP/outside/secret.txt (host only), TOP/bind with links pointing out of it every
    /// way, and an image with /mnt, a decoy /outside/secret.txt and the escape guest.
    static func setUp(_ name: String) throws -> Tree {
        let dir = Launch.workDir(name)
        let top = "\(dir)/top"
        let bind = "\(top)/bind"
        let token = "TOKEN\(UInt32.random(in: 100_000...999_999))"
        let source = try String(contentsOfFile: Launch.repo + "/Tests/FaultGuests/escape.c", encoding: .utf8)
        try Launch.guest(dir, "escape", source)
        let r = sh("""
            mkdir -p '\(dir)/root/mnt' '\(dir)/root/outside' '\(dir)/root/dev' '\(dir)/root/proc' '\(top)/outside' \
                     '\(bind)/a/b' '\(bind)/race/x/d' &&
            echo 'image decoy' > '\(dir)/root/outside/secret.txt' &&
            echo 'host secret \(token)' > '\(top)/outside/secret.txt' && echo hello > '\(bind)/hello' &&
            cd '\(bind)' && ln -s '\(top)/outside/secret.txt' abs_host && ln -s ../outside/secret.txt rel &&
            ln -s ../outside outdir && ln -s / rootlink && ln -s /proc/self/root/../../.. proclink &&
            ln -s chain2 chain1 && ln -s outdir chain2 && ln -s ../../../../../../.. a/b/deeprel &&
            ln -s ../../../../../../../../.. race/x/d/up && ln -s ../../../outside race/x/d/out &&
            '\(Launch.imageTool)' build --from-dir '\(dir)/root' -o '\(dir)/hostile.vfs' --quiet
            """)
        if r.status != 0 { throw TestFailure("setup: \(r)") }
        return Tree(dir: dir, top: top, bind: bind, image: "\(dir)/hostile.vfs", token: token)
    }

    /// Everything on the host under TOP but the bind (types, modes, sizes, link targets),
    /// and the secret's content: what no guest may change.
    static func outsideSnapshot(_ t: Tree) -> String {
        sh("cd '\(t.top)' && find . -xdev -path ./bind -prune -o -printf '%y %m %s %p %l\\n' | sort && cat outside/secret.txt").out
    }

    /// Files named after the token anywhere on the host outside the bind (the guest names
    /// everything it plants planted-TOKEN-N).
    static func plantedOnHost(_ t: Tree) -> String {
        sh("""
            find / -xdev -maxdepth 3 -name 'planted-\(t.token)*' 2>/dev/null
            find '\(t.top)' -xdev -path '\(t.bind)' -prune -o -name 'planted-*' -print
            """).out
    }

    /// What the probe must print: each escape ends in the guest's own namespace.
    static func expectedProbe(_ token: String) -> String {
        """
        direct host path: ENOENT
        dotdot from the bind: ENOENT
        dotdot from deep in the bind: ENOENT
        link to the host path: ENOENT
        relative link out of the bind: ok image decoy
        link to a directory outside: ok image decoy
        chain of links: ok image decoy
        deep relative link: ENOENT
        link to /: ENOENT
        link through /proc/self/root: ENOENT
        /proc/self/root: ENOENT
        /proc/self/root and dotdot: ENOENT
        listing /mnt/..: bin dev etc mnt outside proc tmp work
        listing /mnt/a/b/../../..: bin dev etc mnt outside proc tmp work
        listing /proc/self/root/..: bin dev etc mnt outside proc tmp work
        cwd dotdot chain: ENOENT
        /proc/self/cwd: ENOENT
        getcwd: /mnt/a/b
        readlink /proc/self/cwd: /mnt/a/b
        openat a directory fd: ENOENT
        openat an O_PATH fd: ENOENT
        /proc/self/fd/N of a directory: ENOENT
        /proc/self/fd/N then a link: ENOENT
        fchdir then dotdot: ENOENT
        /proc/PID/cwd: ENOENT
        /proc/PID/cwd then a link: ok image decoy
        /proc/PID/root: ENOENT
        symlink to /proc/self/root/..: ok
        through it: ENOENT
        symlink of dotdots: ok
        through that: ENOENT
        create through dotdot: ENOENT
        create through a link to a directory: created
        create through /proc/self/root: created
        create through a link to /: ENOENT
        rename out of the bind: EXDEV
        link out of the bind: EXDEV
        rename a directory over the bind's parent: EBUSY
        mknod in the bind: EPERM
        chroot: dotdot chain: ENOENT
        chroot: a link out: ENOENT
        chroot: listing /..: a abs_host chain1 chain2 hello mine outdir proclink race rel rootlink
        chroot: fchdir to an old fd, then dotdot: ENOENT
        chroot: listing that: bin dev etc mnt outside planted-\(token)-3 proc tmp work

        """
    }

    /// Where the creates that worked must have landed: in the image, never on the host.
    static func checkPlantedInImage(_ t: Tree, _ cat: (String) -> ShellResult) {
        for p in ["/outside/planted-\(t.token)-2", "/planted-\(t.token)-3"] {
            let r = cat(p)
            #expect(r.status == 0 && r.out == "planted by a guest\n", "\(p): \(r)")
        }
    }

    @Test func noEscapeFromTheBindOrTheRootStandalone() throws {
        let t = try Self.setUp("hostile")
        let before = Self.outsideSnapshot(t)
        let r = Launch.run(t.image, "--bind '\(t.bind):/mnt' /bin/escape probe '\(t.top)' \(t.token)")
        #expect(r.status == 0, "\(r)")
        #expect(!r.out.contains(t.token + "\n") && !r.out.contains("host secret"), "\(r)")
        #expect(r.out == Self.expectedProbe(t.token), "\(r)")
        #expect(Self.outsideSnapshot(t) == before)
        #expect(Self.plantedOnHost(t) == "")
        Self.checkPlantedInImage(t) { sh("'\(Launch.imageTool)' cat '\(t.image)' '\($0)'") }
    }

    @Test func noEscapeFromTheServicesBind() throws {
        let t = try Self.setUp("hostile-svc")
        let before = Self.outsideSnapshot(t)
        let s = CrashService(dir: t.dir, image: t.image)
        try s.start(["--bind", "\(t.bind):/mnt"])
        defer { s.stop() }
        let r = sh("'\(Launch.launcher)' -T --mount '\(s.mnt)' /bin/escape probe '\(t.top)' \(t.token) </dev/null")
        #expect(r.status == 0, "\(r)")
        #expect(!r.out.contains("host secret"), "\(r)")
        #expect(r.out == Self.expectedProbe(t.token), "\(r)")
        #expect(Self.outsideSnapshot(t) == before)
        #expect(Self.plantedOnHost(t) == "")
        // The host's mount shows the image: the planted files are there, not in the bind.
        Self.checkPlantedInImage(t) { sh("cat '\(s.mnt)\($0)'") }
        #expect(access("\(s.mnt)/mnt/hello", F_OK) != 0)
    }

    /// A host loop that, while a guest races, swaps race/x/d for a link to TOP/outside and
    /// moves d out of the bind (into TOP/outside) and back. Returns its shell.
    static func hostRacer(_ t: Tree, seconds: Int) -> String {
        """
        end=$(( $(date +%s) + \(seconds) )); n=0
        cd '\(t.bind)/race'
        while [ $(date +%s) -lt $end ]; do
            # (the guest renames x and y back and forth: put d back into whichever exists)
            if mv -T x/d dh 2>/dev/null; then
                # (-T: if x/d is back already, fail rather than make a link inside what it points to)
                ln -sT '\(t.top)/outside' x/d 2>/dev/null
                # (the guest may have moved the link meanwhile: it is whichever d is not dh)
                # (-T: never into a directory a link at the destination points to)
                until rm -f x/d y/d d; mv -T dh x/d 2>/dev/null || mv -T dh y/d 2>/dev/null; do :; done; n=$((n+1))
            fi
            if mv -T x/d '\(t.top)/outside/moved' 2>/dev/null; then
                until mv -T '\(t.top)/outside/moved' x/d 2>/dev/null || mv -T '\(t.top)/outside/moved' y/d 2>/dev/null; do :; done; n=$((n+1))
            fi
        done
        echo "host swaps $n"
        """
    }

    func race(_ t: Tree, _ launch: String) -> (ShellResult, String) {
        let r = sh("""
            sh -c '\(Self.hostRacer(t, seconds: 4).replacingOccurrences(of: "'", with: "'\\''"))' > '\(t.dir)/racer.out' 2>&1 &
            \(launch) /bin/escape race '\(t.top)' 4 </dev/null
            s=$?; wait; exit $s
            """)
        return (r, (try? String(contentsOfFile: "\(t.dir)/racer.out", encoding: .utf8)) ?? "")
    }

    /// The secret is unchanged and nothing new is outside the bind (the racer's own
    /// "moved" directory is back inside by the time it stops).
    func checkRace(_ t: Tree, _ r: ShellResult, _ racer: String, before: String) {
        #expect(r.status == 0, "\(r)")
        #expect(!r.out.contains("REACHED") && !r.out.contains(t.token), "\(r)")
        let walks = r.out.split(separator: "\n").first { $0.hasPrefix("race: ") }
        #expect(walks?.hasSuffix(" 0 reached") == true, "\(r)")
        let renames = r.out.split(separator: "\n").first { $0.hasPrefix("renames ") }.flatMap { Int($0.dropFirst(8)) } ?? 0
        let swaps = racer.split(separator: "\n").last.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        #expect(renames > 0 && swaps > 0, "guest: \(r.out) host: \(racer)")
        print("hostile paths race: \(walks ?? "?"), \(renames) guest renames, \(swaps) host swaps")
        let after = Self.outsideSnapshot(t)
        #expect(after == before, "outside the bind before:\n\(before)\nafter:\n\(after)")
        #expect(Self.plantedOnHost(t) == "")
    }

    @Test func renamesRacingWithLookupsStayInside() throws {
        let t = try Self.setUp("hostile-race")
        let before = Self.outsideSnapshot(t)
        let (r, racer) = race(t, "'\(Launch.launcher)' --image '\(t.image)' --bind '\(t.bind):/mnt'")
        checkRace(t, r, racer, before: before)
        // The same through the service.
        let s = CrashService(dir: t.dir, image: t.image)
        try s.start(["--bind", "\(t.bind):/mnt"])
        defer { s.stop() }
        let (r2, racer2) = race(t, "'\(Launch.launcher)' -T --mount '\(s.mnt)'")
        checkRace(t, r2, racer2, before: before)
    }
}
