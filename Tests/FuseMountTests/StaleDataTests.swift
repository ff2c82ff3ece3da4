// StaleDataTests.swift: whole-block writes take new blocks without zeroing them first, so
// bytes of deleted files must never show through partial writes, holes or truncate-extend
// of a new file: on the live mount and after a remount (Scenario.play).

import Testing
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

@Suite("stale data")
struct StaleDataTests {
    @Test func deletedBytesNeverShowThroughANewFile() throws {
        // 4 MiB, no growth: the garbage file takes most blocks, and the new file reuses them.
        let s = try Scenario("stale", size: 4 << 20, maxSize: 4 << 20)
        try s.play(act: { s in
            s.run("""
                head -c 3000000 /dev/zero | tr '\\000' '\\245' > garbage && sync -f . && rm garbage
                head -c 200000 /dev/urandom > "$WORK/src"
                : > new; : > "$WORK/model"
                # w OFFSET COUNT: the same write to the new file and to a model on the host.
                w() { for f in new "$WORK/model"; do
                        dd if="$WORK/src" of="$f" bs="$2" count=1 seek="$1" oflag=seek_bytes conv=notrunc status=none || exit 1
                      done; }
                w 100 3; w 4094 4; w 20480 4096; w 36881 57344; w 200000 1
                truncate -s 300000 new "$WORK/model"
                w 409600 8192; w 450001 5000
                truncate -s 600001 new "$WORK/model"
                w 1060000 4096
                """)
        }, check: { s in
            s.run("""
                cmp new "$WORK/model" && test "$(stat -c %s new)" = 1064096
                """)
        })
    }
}
