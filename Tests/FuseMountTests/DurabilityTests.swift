// DurabilityTests.swift: what survives — filling the image, kill -9 after fsync, signals.

import Testing
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

@Suite("durability")
struct DurabilityTests {
    @Test func fillingTheImageGivesENOSPCAndLosesNothing() throws {
        // 1 MiB now, 3 MiB at most: the data area fills after a few files of 256 KiB.
        let s = try Scenario("enospc", size: 1 << 20, maxSize: 3 << 20)
        try s.play(act: { s in
            let r = sh("""
                i=0; while head -c 262144 /dev/urandom > f$i.tmp 2> "$WORK/err"; do mv f$i.tmp f$i; i=$((i+1)); done
                grep -q 'No space left on device' "$WORK/err" || { cat "$WORK/err"; exit 1; }
                rm -f f*.tmp
                sha256sum f[0-9]* > "$WORK/sums"; test "$(wc -l < "$WORK/sums")" -ge 5
                ! head -c 1048576 /dev/zero > more 2>/dev/null; rm -f more
                sync -f . && test "$(stat -f -c %a .)" -lt 64
                """, in: s.mnt, env: ["WORK": s.work])
            #expect(r.ok, "\(r)")
        }, check: { s in
            s.run("sha256sum -c --quiet \"$WORK/sums\" && test \"$(ls | wc -l)\" = \"$(wc -l < \"$WORK/sums\")\"")
        })
        // And space comes back: deleting makes room for new writes.
        let m = try Mounted(s.image, on: s.mnt)
        defer { m.cleanup() }
        s.run("rm f0 f1 && head -c 262144 /dev/urandom > again && test \"$(stat -c %s again)\" = 262144")
        try m.unmount()
        expectClean(s.image)
    }

    @Test func killNineAfterFsyncKeepsTheSyncedData() throws {
        let s = try Scenario("kill9")
        // commit=0: nothing reaches the journal except through fsync.
        let m = try Mounted(s.image, on: s.mnt, options: ["commit=0"], foreground: true)
        defer { m.cleanup() }
        s.run("""
            head -c 200000 /dev/urandom > synced && mkdir dir && echo small > dir/note && ln -s synced link
            sync synced && sha256sum synced > "$WORK/sum"
            echo unsynced > later
            """)
        m.kill(SIGKILL)
        try m.waitForExit()
        #expect(sh("ls '\(s.mnt)'").status != 0, "the dead mount must fail, not hang")
        sh("fusermount3 -u -z '\(s.mnt)'")
        #expect(fileExists(s.image + ".journal"), "the journal holds the synced changes")

        let again = try Mounted(s.image, on: s.mnt)
        defer { again.cleanup() }
        s.run("""
            sha256sum -c --quiet "$WORK/sum" && test "$(cat dir/note)" = small && test "$(readlink link)" = synced
            ! test -e later
            """)
        try again.unmount()
        #expect(!fileExists(s.image + ".journal"))
        expectClean(s.image)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func signalsCheckpointAndUnmount(_ signal: Int32) throws {
        let s = try Scenario("signal\(signal)")
        let m = try Mounted(s.image, on: s.mnt, options: ["commit=0"], foreground: true)
        defer { m.cleanup() }
        s.run("mkdir d && seq 1 10000 > d/numbers")
        m.kill(signal)
        try m.waitForExit()
        #expect(!isMountPoint(s.mnt), "the server unmounts itself on \(signal)")
        #expect(!fileExists(s.image + ".journal"))
        expectClean(s.image)
        let img = try ImageFile.open(s.image, readOnly: true)
        let ino = try img.fs.resolve("/d/numbers")
        #expect(try img.fs.attributes(ino).size == 48_894)
    }

    @Test func umountAlsoCheckpoints() throws {
        let s = try Scenario("umount")
        let m = try Mounted(s.image, on: s.mnt)
        defer { m.cleanup() }
        s.run("echo kept > f")
        #expect(sh("umount '\(s.mnt)'").ok)
        try m.waitForExit()
        let img = try ImageFile.open(s.image, readOnly: true)
        #expect(try img.fs.readAll(try img.fs.resolve("/f")) == Array("kept\n".utf8))
    }

    @Test func commitTimerJournalsWithoutFsync() throws {
        let s = try Scenario("commit")
        let m = try Mounted(s.image, on: s.mnt, options: ["commit=1"], foreground: true)
        defer { m.cleanup() }
        s.run("echo timed > f")
        // The timer fires one second after the change; give it a few. A read-only open
        // replays the journal as far as its records are complete.
        var journaled = false
        for _ in 0..<50 where !journaled {
            usleep(100_000)
            if let img = try? ImageFile.open(s.image, readOnly: true, verify: false) {
                journaled = (try? img.fs.resolve("/f")) != nil
            }
        }
        #expect(journaled, "a complete journal record appears without any fsync")
        m.kill(SIGKILL)
        try m.waitForExit()
        sh("fusermount3 -u -z '\(s.mnt)'")
        let img = try ImageFile.open(s.image, readOnly: true)
        #expect(try img.fs.readAll(try img.fs.resolve("/f")) == Array("timed\n".utf8))
    }
}
