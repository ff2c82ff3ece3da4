// BindTests.swift: `kandelo-launch --bind HOSTDIR:GUESTDIR[:ro]` end to end: real guests
// (a C program, busybox and its sh) list, read and write a bound host directory and the
// host sees their writes; links and ".." that point out of it stay in the guest's world;
// ":ro" gives EROFS; bad binds are clear errors.
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

@Suite(.serialized) struct BindTests {
    /// HOSTDIR with a file, a subdirectory, and links pointing out of it; a secret beside it.
    func hostTree(_ dir: String) -> String {
        let host = "\(dir)/host"
        let r = sh("""
            rm -rf '\(host)' '\(dir)/outside' && mkdir -p '\(host)/sub' '\(dir)/outside' &&
            printf 'hi from the host\\n' > '\(host)/hello.txt' && printf 'inner\\n' > '\(host)/sub/inner.txt' &&
            printf 'host secret\\n' > '\(dir)/outside/secret.txt' &&
            ln -s ../outside/secret.txt '\(host)/esc' && ln -s /etc/guest.txt '\(host)/abs' && ln -s ../../etc '\(host)/up'
            """)
        #expect(r.status == 0, "\(r)")
        return host
    }

    @Test func aCGuestListsReadsAndWritesTheBoundDirectory() throws {
        let dir = Launch.workDir("bind")
        _ = sh("mkdir -p '\(dir)/root/mnt' && printf 'the guest file\\n' > '\(dir)/root/etc/guest.txt'")
        try Launch.guest(dir, "bindtool", """
            #include <dirent.h>
            #include <errno.h>
            #include <fcntl.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/stat.h>
            #include <unistd.h>
            static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }
            static void ls(const char *path) {
                DIR *d = opendir(path);
                if (!d) { printf("opendir %s: %s\\n", path, strerror(errno)); return; }
                char *names[64]; int n = 0; struct dirent *e;
                while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
                closedir(d);
                qsort(names, n, sizeof *names, cmp);
                printf("%s:", path);
                for (int i = 0; i < n; i++) printf(" %s", names[i]);
                printf("\\n");
            }
            static void cat(const char *path) {
                char buf[256] = {0};
                int fd = open(path, O_RDONLY);
                if (fd < 0) { printf("%s: %s\\n", path, strerror(errno)); return; }
                ssize_t n = read(fd, buf, sizeof buf - 1);
                close(fd);
                printf("%s: %zd %s", path, n, buf);
            }
            int main(int argc, char **argv) {
                ls("/mnt");
                cat("/mnt/hello.txt");
                cat("/mnt/sub/inner.txt");
                cat("/mnt/abs");
                cat("/mnt/up/guest.txt");
                cat("/mnt/esc");
                cat("/mnt/../etc/guest.txt");
                struct stat st;
                printf("stat %d size %lld\\n", stat("/mnt/hello.txt", &st), (long long)st.st_size);
                FILE *f = fopen("/mnt/out.txt", "w");
                if (!f) { printf("fopen: %s\\n", strerror(errno)); return 1; }
                fprintf(f, "written by the guest\\n");
                fclose(f);
                printf("mkdir %d\\n", mkdir("/mnt/made", 0755));
                printf("rename %d\\n", rename("/mnt/out.txt", "/mnt/made/out.txt"));
                printf("symlink %d\\n", symlink("made/out.txt", "/mnt/link"));
                errno = 0;
                printf("cross rename %d %s\\n", rename("/mnt/hello.txt", "/tmp/hello.txt"), strerror(errno));
                printf("unlink %d\\n", unlink("/mnt/sub/inner.txt"));
                ls("/mnt");
                cat("/mnt/link");
                return 0;
            }
            """)
        let image = try Launch.image(dir)
        let host = hostTree(dir)
        let r = Launch.run(image, "--bind '\(host):/mnt' /bin/bindtool")
        #expect(r.status == 0, "\(r)")
        #expect(r.out == """
            /mnt: . .. abs esc hello.txt sub up
            /mnt/hello.txt: 17 hi from the host
            /mnt/sub/inner.txt: 6 inner
            /mnt/abs: 15 the guest file
            /mnt/up/guest.txt: 15 the guest file
            /mnt/esc: No such file or directory
            /mnt/../etc/guest.txt: 15 the guest file
            stat 0 size 17
            mkdir 0
            rename 0
            symlink 0
            cross rename -1 Cross-device link
            unlink 0
            /mnt: . .. abs esc hello.txt link made sub up
            /mnt/link: 21 written by the guest

            """, "\(r)")
        // The host sees what the guest did; nothing outside HOSTDIR changed.
        let check = sh("""
            cat '\(host)/made/out.txt'; readlink '\(host)/link'; [ -e '\(host)/sub/inner.txt' ] || echo gone
            cat '\(dir)/outside/secret.txt'; ls '\(dir)/outside'
            """)
        #expect(check.out == "written by the guest\nmade/out.txt\ngone\nhost secret\nsecret.txt\n", "\(check)")
        // Read-only: reads work, the first write fails with EROFS, the host is untouched.
        let ro = Launch.run(image, "--bind '\(host):/mnt:ro' /bin/bindtool")
        #expect(ro.status == 1 && ro.out.contains("/mnt/hello.txt: 17 hi from the host")
                && ro.out.hasSuffix("fopen: Read-only file system\n"), "\(ro)")
        #expect(sh("ls '\(host)'").out == "abs\nesc\nhello.txt\nlink\nmade\nsub\nup\n")
    }

    /// A bound file's reads and writes complete whatever their size (they used to stop at
    /// the 1 MiB Ring chunk), fallocate reserves on the host, fsync of the directory and
    /// syncfs reach it.
    @Test func largeTransfersFallocateAndSyncOnABoundDirectory() throws {
        let dir = Launch.workDir("bindbig")
        _ = sh("mkdir -p '\(dir)/root/mnt'")
        try Launch.guest(dir, "bigbind", """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/stat.h>
            #include <unistd.h>
            int main(void) {
                size_t n = 3 << 20;
                char *b = malloc(n), *c = malloc(n);
                for (size_t i = 0; i < n; i++) b[i] = i % 251;
                int fd = open("/mnt/big", O_CREAT | O_TRUNC | O_RDWR, 0644);
                printf("write %zd offset %ld\\n", write(fd, b, n), (long)lseek(fd, 0, SEEK_CUR));
                printf("pread %zd\\n", pread(fd, c, n, 0));
                lseek(fd, 0, SEEK_SET);
                memset(c, 0, n);
                printf("read %zd same %d\\n", read(fd, c, n), memcmp(b, c, n) == 0);
                int g = open("/mnt/reserved", O_CREAT | O_RDWR, 0644);
                struct stat st;
                printf("posix_fallocate %d", posix_fallocate(g, 0, 1 << 20));
                fstat(g, &st);
                printf(" size %lld blocks cover it %d\\n", (long long)st.st_size, st.st_blocks * 512 >= (1 << 20));
                int d = open("/mnt", O_RDONLY | O_DIRECTORY);
                printf("fsync dir %d syncfs %d\\n", fsync(d), syncfs(d));
                return 0;
            }
            """)
        let image = try Launch.image(dir)
        let host = hostTree(dir)
        let r = Launch.run(image, "--bind '\(host):/mnt' /bin/bigbind")
        #expect(r.status == 0, "\(r)")
        #expect(r.out == """
            write 3145728 offset 3145728
            pread 3145728
            read 3145728 same 1
            posix_fallocate 0 size 1048576 blocks cover it 1
            fsync dir 0 syncfs 0

            """, "\(r)")
        #expect(sh("stat -c %s '\(host)/big'").out == "3145728\n")
    }

    @Test func busyboxWorksInABoundDirectory() throws {
        let fixture = try BusyboxFixture.setup.get()
        let dir = Launch.workDir("bindbusybox")
        // Our own copy of the image: other suites run busybox on the shared one meanwhile.
        _ = sh("cp '\(fixture.1)' '\(dir)/bb.vfs'")
        let host = hostTree(dir)
        let script = """
            cd /tmp && ls && cat hello.txt sub/inner.txt && wc -l < hello.txt
            echo from busybox > bb.txt && mkdir -p deep/er && mv bb.txt deep/er/ && cp hello.txt deep/copy.txt
            find . -type f | sort
            cat esc 2>/dev/null || echo esc: no such file
            cd .. && pwd && ls -d tmp
            """
        let r = sh("'\(Launch.launcher)' --image '\(dir)/bb.vfs' --bind '\(host):/tmp' /bin/sh -c '\(script)' </dev/null")
        #expect(r.status == 0, "\(r)")
        #expect(r.out == """
            abs
            esc
            hello.txt
            sub
            up
            hi from the host
            inner
            1
            ./deep/copy.txt
            ./deep/er/bb.txt
            ./hello.txt
            ./sub/inner.txt
            esc: no such file
            /
            tmp

            """, "\(r)")
        let check = sh("cat '\(host)/deep/er/bb.txt' '\(host)/deep/copy.txt'")
        #expect(check.out == "from busybox\nhi from the host\n", "\(check)")
    }

    @Test func badBindsAreClearErrors() throws {
        let dir = Launch.workDir("bindbad")
        try Launch.guest(dir, "ok", "int main(void) { return 0; }")
        _ = sh("mkdir -p '\(dir)/root/mnt' && touch '\(dir)/root/etc/file' && mkdir -p '\(dir)/hostdir'")
        let image = try Launch.image(dir)
        let missingHost = Launch.run(image, "--bind '\(dir)/nope:/mnt' /bin/ok")
        #expect(missingHost.status == 125 && missingHost.err.contains("\(dir)/nope") && missingHost.err.contains("No such file"),
                "\(missingHost)")
        let missingGuest = Launch.run(image, "--bind '\(dir)/hostdir:/nowhere' /bin/ok")
        #expect(missingGuest.status == 125 && missingGuest.err.contains("/nowhere"), "\(missingGuest)")
        let fileGuest = Launch.run(image, "--bind '\(dir)/hostdir:/etc/file' /bin/ok")
        #expect(fileGuest.status == 125 && fileGuest.err.contains("not a directory"), "\(fileGuest)")
        for spec in ["nocolon", "\(dir)/hostdir:relative", "\(dir)/hostdir:/mnt:rx", ":/mnt"] {
            let bad = Launch.run(image, "--bind '\(spec)' /bin/ok")
            #expect(bad.status == 64 && bad.err.contains("--bind"), "\(spec): \(bad)")
        }
        let ok = Launch.run(image, "--bind '\(dir)/hostdir:/mnt' --bind '\(dir)/hostdir:/tmp:ro' /bin/ok")
        #expect(ok.status == 0, "\(ok)")
    }
}
