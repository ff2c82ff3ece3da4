// HostToolsTests.swift: the everyday tools on a real mount of the built kandelo-mount, each
// checked live, after unmount + remount, and with fsck (Scenario.play).

import Testing
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

@Suite("host tools on a mount")
struct HostToolsTests {
    /// A tree with the shapes that trip filesystems up, plus a real one (libfuse's headers).
    static func makeSourceTree(_ dir: String) {
        let r = sh("""
            mkdir -p src/sub/deeper src/empty 'src/with space' src/setgid
            cp -a /usr/include/fuse3 src/real
            printf hi > src/sub/a && ln src/sub/a src/sub/hard
            ln -s ../a src/sub/deeper/rel
            ln -s /a/target/path/that/is/longer/than/forty/bytes/for/sure src/longlink
            : > src/zero; head -c 1 /dev/urandom > src/one; head -c 4095 /dev/urandom > src/b4095
            head -c 4096 /dev/urandom > src/b4096; head -c 4097 /dev/urandom > src/b4097
            head -c 3000003 /dev/urandom > src/big
            truncate -s 5M src/sparse && printf tail >> src/sparse
            printf 'ü' > 'src/with space/ünïcödé'
            touch "src/$(printf 'n%.0s' $(seq 255))"
            chmod 2775 src/setgid; chmod 4755 src/one; chmod 0600 src/b4095; chmod 1777 src/empty
            chown 1234:5678 src/b4096
            touch -d '2001-02-03 04:05:06.789' src/sub/a
            """, in: dir)
        #expect(r.ok, "\(r)")
    }

    @Test func cpArchiveInAndOutKeepsEverything() throws {
        let s = try Scenario("cp")
        Self.makeSourceTree(s.work)
        try s.play(act: { s in
            s.run("cp -a \"$WORK/src\" tree && cp -a tree \"$WORK/out\"")
        }, check: { s in
            s.run("""
                diff -r --no-dereference "$WORK/src" tree && diff -r --no-dereference "$WORK/src" "$WORK/out"
                \(metaFunction)
                meta "$WORK/src" > "$WORK/m.src"; meta tree > "$WORK/m.mnt"; meta "$WORK/out" > "$WORK/m.out"
                diff "$WORK/m.src" "$WORK/m.mnt" && diff "$WORK/m.src" "$WORK/m.out"
                """)
        })
    }

    @Test func tarCreateAndExtract() throws {
        let s = try Scenario("tar")
        Self.makeSourceTree(s.work)
        try s.play(act: { s in
            s.run("""
                tar -C "$WORK" -cf in.tar src && mkdir x && tar -C x -xpf in.tar
                tar -cf "$WORK/out.tar" x && mkdir "$WORK/back" && tar -C "$WORK/back" -xpf "$WORK/out.tar"
                """)
        }, check: { s in
            s.run("""
                diff -r --no-dereference "$WORK/src" x/src && diff -r --no-dereference "$WORK/src" "$WORK/back/x/src"
                tar -tf in.tar | sort > "$WORK/list" && test "$(wc -l < "$WORK/list")" -gt 20
                """)
        })
    }

    @Test func sedInPlace() throws {
        let s = try Scenario("sed")
        try s.play(act: { s in
            s.run("printf 'alpha\\nbeta\\ngamma\\n' > f.txt && ln f.txt other-name && sed -i 's/beta/BETA/' f.txt")
        }, check: { s in
            s.run("test \"$(cat f.txt)\" = \"$(printf 'alpha\\nBETA\\ngamma')\"")
            // sed -i replaces the file: the hard link keeps the old content.
            s.run("grep -qx beta other-name && test \"$(stat -c %h f.txt)\" = 1")
        })
    }

    @Test func gitInitAddCommitFsck() throws {
        let s = try Scenario("git")
        try s.play(act: { s in
            s.run("""
                mkdir repo && cd repo && git init -q && cp -a /usr/include/fuse3 . && seq 1 2000 > numbers
                git add -A && git -c user.name=K -c user.email=k@k commit -qm first
                seq 1 3000 > numbers && git -c user.name=K -c user.email=k@k commit -qam second
                git gc -q && git fsck --full --strict
                """)
        }, check: { s in
            s.run("cd repo && git fsck --full --strict && test \"$(git rev-list --count HEAD)\" = 2 && git diff --quiet HEAD")
        })
    }

    @Test func vimEditsAFile() throws {
        let s = try Scenario("vim")
        try s.play(act: { s in
            s.run("printf 'one\\ntwo\\nthree\\n' > v.txt && vim -es -u NONE -i NONE -c '%s/two/TWO/' -c 'call append(line(\"$\"), \"four\")' -c 'wq' v.txt")
        }, check: { s in
            s.run("test \"$(cat v.txt)\" = \"$(printf 'one\\nTWO\\nthree\\nfour')\" && ! ls -a | grep -q swp")
        })
    }

    @Test func hardAndSymbolicLinks() throws {
        let s = try Scenario("ln")
        try s.play(act: { s in
            s.run("""
                echo content > file && ln file hard && mkdir d && ln file d/hard2
                ln -s file soft && ln -s /an/absolute/path/much/longer/than/forty/bytes/abcdef long
                ln -s d dirlink && ln -s missing dangling
                """)
        }, check: { s in
            s.run("""
                test "$(stat -c %h file)" = 3 && test "$(stat -c %i file)" = "$(stat -c %i d/hard2)"
                test "$(readlink soft)" = file && test "$(cat soft)" = content
                test "$(readlink long)" = /an/absolute/path/much/longer/than/forty/bytes/abcdef
                test "$(cat dirlink/hard2)" = content && test -L dangling && ! test -e dangling
                """)
        })
    }

    @Test func fifoAndDeviceNodes() throws {
        let s = try Scenario("mknod")
        try s.play(act: { s in
            s.run("mkfifo pipe && mknod null c 1 3 && mknod disk b 8 1 && mknod big c 259 70000")
        }, check: { s in
            s.run("""
                test -p pipe && test "$(stat -c '%F %t %T' null)" = 'character special file 1 3'
                test "$(stat -c '%F %t %T' disk)" = 'block special file 8 1'
                test "$(stat -c '%t %T' big)" = '103 11170'
                (echo through-the-fifo > pipe &) && test "$(cat pipe)" = through-the-fifo
                """)
        })
    }

    @Test func chmodChownTouch() throws {
        let s = try Scenario("attrs")
        try s.play(act: { s in
            s.run("""
                touch a b c && mkdir d && ln -s a l
                chmod 4751 a && chmod 0 b && chmod 1777 d && chown 1000:2000 a && chown -h 7:8 l && chown :9 c
                touch -d '2001-02-03 04:05:06.789' a && touch -m -d '1999-12-31 23:59:59' b
                touch -h -d '2010-01-01 00:00:00' l
                """)
        }, check: { s in
            s.run("""
                test "$(stat -c '%a %u %g' a)" = '4751 1000 2000' && test "$(stat -c %a b)" = 0
                test "$(stat -c %a d)" = 1777 && test "$(stat -c '%u %g' l)" = '7 8' && test "$(stat -c %g c)" = 9
                test "$(stat -c %y a)" = '2001-02-03 04:05:06.789000000 +0000'
                test "$(stat -c %y b)" = '1999-12-31 23:59:59.000000000 +0000'
                test "$(stat -c %y l)" = '2010-01-01 00:00:00.000000000 +0000'
                """)
        })
    }

    @Test func mvOverExistingFilesAndDirectories() throws {
        let s = try Scenario("mv")
        try s.play(act: { s in
            s.run("""
                echo new > src && echo old > dst && mv src dst
                mkdir -p a/inner && echo x > a/inner/f && mkdir b && mv -T a b
                mkdir other && echo y > other/g && mv other/g b/inner/
                """)
        }, check: { s in
            s.run("""
                test "$(cat dst)" = new && ! test -e src && ! test -e a
                test "$(cat b/inner/f)" = x && test "$(cat b/inner/g)" = y && test "$(stat -c %h b)" = 3
                """)
        })
    }

    @Test func rmRecursiveOfADeepTree() throws {
        let s = try Scenario("rm")
        try s.play(act: { s in
            s.run("""
                before=$(stat -f -c '%f %d' .)
                p=deep; for i in $(seq 1 80); do p=$p/level$i; done; mkdir -p $p
                for d in $(find deep -type d); do for j in 1 2 3; do echo $j > $d/f$j; done; done
                mkdir wide && (cd wide && seq 1 1500 | xargs touch)
                test "$(find deep wide | wc -l)" -gt 1700
                rm -rf deep wide && test "$(ls -A)" = "" && test "$(stat -f -c '%f %d' .)" = "$before"
                """)
        }, check: { s in
            s.run("test \"$(ls -A)\" = ''")
        })
    }

    @Test func twoProcessesAppendingConcurrently() throws {
        let s = try Scenario("append")
        try s.play(act: { s in
            s.run("""
                (for i in $(seq 1 500); do echo "A $i" >> log; done) &
                (for i in $(seq 1 500); do echo "B $i" >> log; done) &
                exec 3>>log; for i in $(seq 1 200); do echo "C $i" >&3; done; exec 3>&-
                wait
                """)
        }, check: { s in
            s.run("""
                test "$(wc -l < log)" = 1200
                test "$(grep '^A ' log | cut -d' ' -f2 | tr '\\n' ' ')" = "$(seq 1 500 | tr '\\n' ' ')"
                test "$(grep '^B ' log | cut -d' ' -f2 | tr '\\n' ' ')" = "$(seq 1 500 | tr '\\n' ' ')"
                test "$(grep -c '^C ' log)" = 200 && ! grep -qv '^[ABC] [0-9]*$' log
                """)
        })
    }

    @Test func openButUnlinkedFileStaysReadableUntilClosed() throws {
        let s = try Scenario("unlinked")
        try s.play(act: { s in
            s.run("""
                before=$(stat -f -c %f .)
                head -c 100000 /dev/urandom > f && cp f "$WORK/copy"
                exec 3<f 4>>f; rm f; ! test -e f
                echo appended >&4
                cat <&3 > "$WORK/readback"; exec 3<&- 4>&-
                head -c 100000 "$WORK/readback" | cmp - "$WORK/copy" && test "$(tail -c 9 "$WORK/readback")" = appended
                test "$(stat -f -c %f .)" = "$before"
                """)
        }, check: { s in
            s.run("test \"$(ls -A)\" = ''")
        })
    }

    @Test func xattrsAreNotSupportedButToolsCope() throws {
        let s = try Scenario("xattr")
        let m = try Mounted(s.image, on: s.mnt)
        defer { m.cleanup() }
        s.run("touch f")
        let path = s.mnt + "/f"
        #expect(setxattr(path, "user.test", "v", 1, 0) == -1 && errno == EOPNOTSUPP)
        var buf = [CChar](repeating: 0, count: 64)
        #expect(getxattr(path, "user.test", &buf, buf.count) == -1 && errno == EOPNOTSUPP)
        #expect(listxattr(path, &buf, buf.count) == -1 && errno == EOPNOTSUPP)
        #expect(removexattr(path, "user.test") == -1 && errno == EOPNOTSUPP)
        s.run("cp -a f g && tar --xattrs -cf \"$WORK/x.tar\" f && mkdir x && tar --xattrs -xf \"$WORK/x.tar\" -C x")
        try m.unmount()
    }
}

// sys/xattr.h is not in Swift's Glibc module.
@_silgen_name("setxattr")
func setxattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeRawPointer?, _ size: Int, _ flags: Int32) -> Int32
@_silgen_name("getxattr")
func getxattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeMutableRawPointer?, _ size: Int) -> Int
@_silgen_name("listxattr")
func listxattr(_ path: UnsafePointer<CChar>, _ list: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int
@_silgen_name("removexattr")
func removexattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>) -> Int32
