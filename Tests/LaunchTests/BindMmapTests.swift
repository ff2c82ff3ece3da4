// BindMmapTests.swift: a guest maps a file of a `--bind` host directory and reads the
// host's bytes through the mapping. Regression: mmap used the Ring's host read, whose
// completion answered the call with the byte count (mmap returned 0x11 for a 17-byte
// file, and the guest faulted on it).
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

@Suite struct BindMmapTests {
    @Test func aGuestMapsABoundHostFile() throws {
        let dir = Launch.workDir("bindmmap")
        _ = sh("mkdir -p '\(dir)/root/mnt'")
        try Launch.guest(dir, "mapper", """
            #include <errno.h>
            #include <fcntl.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/mman.h>
            #include <unistd.h>
            int main(void) {
                int fd = open("/mnt/hello.txt", O_RDONLY);
                if (fd < 0) { printf("open: %s\\n", strerror(errno)); return 1; }
                char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
                if (m == MAP_FAILED) { printf("mmap: %s\\n", strerror(errno)); return 1; }
                printf("aligned %d\\n", ((unsigned long)m & 4095) == 0);
                printf("content %.17s", m);
                int zeros = 1;
                for (int i = 17; i < 4096; i++) if (m[i]) zeros = 0;
                printf("zeros after the end %d\\n", zeros);
                /* a bigger file, mapped from its second page */
                int big = open("/mnt/big.bin", O_RDONLY);
                unsigned char *b = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, big, 4096);
                if (b == MAP_FAILED) { printf("mmap big: %s\\n", strerror(errno)); return 1; }
                int ok = 1;
                for (int i = 0; i < 8192; i++) if (b[i] != (unsigned char)((i + 4096) % 251)) ok = 0;
                printf("big file pages %d\\n", ok);
                return 0;
            }
            """)
        let image = try Launch.image(dir)
        let host = "\(dir)/host"
        _ = sh("mkdir -p '\(host)' && printf 'hi from the host\\n' > '\(host)/hello.txt'")
        var big = [UInt8](repeating: 0, count: 3 * 4096)
        for i in big.indices { big[i] = UInt8(i % 251) }
        try Data(big).write(to: URL(fileURLWithPath: "\(host)/big.bin"))
        let r = Launch.run(image, "--bind '\(host):/mnt' /bin/mapper")
        #expect(r.status == 0, "\(r)")
        #expect(r.out == "aligned 1\ncontent hi from the host\nzeros after the end 1\nbig file pages 1\n", "\(r)")
    }
}
