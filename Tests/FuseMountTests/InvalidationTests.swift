// InvalidationTests.swift: a FuseServer in this process, changed beside FUSE (as guest
// writes will change it), must make the host see the change once invalidated, and
// invalidating while the host hammers the same directory must not deadlock.

import Testing
@testable import FuseMount
import Synchronization
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

/// A server running its loop on a thread of its own.
final class InProcessMount: @unchecked Sendable {
    let server: FuseServer
    let mnt: String
    private var thread = pthread_t()

    init(_ name: String) throws {
        let work = Harness.workDir(name)
        let image = work + "/image.vfs"
        mnt = work + "/mnt"
        mkdir(mnt, 0o755)
        try Harness.makeImage(image)
        let img = try ImageFile.open(image)
        server = try FuseServer(image: img, mountPoint: mnt, options: MountOptions())
        let me = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { arg in
            let me = Unmanaged<InProcessMount>.fromOpaque(arg!).takeRetainedValue()
            _ = me.server.run()
            return nil
        }, me)
    }

    /// Runs `work` on the loop thread and waits for it.
    func onLoop(_ work: @escaping (FuseServer) -> Void) {
        let done = DoneFlag()
        server.perform { s in work(s); done.value.store(true, ordering: .releasing) }
        while !done.value.load(ordering: .acquiring) { usleep(500) }
    }

    func stop() throws {
        server.requestStop()
        pthread_join(thread, nil)
        try server.finish()
    }
}

final class DoneFlag: Sendable { let value = Atomic<Bool>(false) }

// The time limits catch a deadlock, not slowness: the whole suite runs in parallel on two
// cores, and a fresh-clone run once held this in-process mount's test for three minutes while
// the demo, install and crash tests ran beside it (it then passed); five minutes each.
@Suite("invalidation of changes made beside FUSE", .serialized)
struct InvalidationTests {
    @Test(.timeLimit(.minutes(5)))
    func dataAndAttributesChangedBesideFuseShowAfterInvalidate() throws {
        let m = try InProcessMount("inval-data")
        defer { try? m.stop() }
        let f = m.mnt + "/f"
        writeText(f, "old content\n")
        #expect(readText(f) == "old content\n")  // now in the page cache, attributes cached
        var ino = InodeNumber.root
        m.onLoop { s in
            ino = try! s.fs.resolve("/f")
            try! s.fs.truncate(ino, to: 0)
            _ = try! s.fs.write(ino, at: 0, Array("new content, longer\n".utf8))
        }
        // Not invalidated yet: the kernel still serves what it cached.
        #expect(readText(f) == "old content\n")
        m.onLoop { s in s.invalidate(inode: ino) }
        m.server.waitForInvalidations()
        #expect(readText(f) == "new content, longer\n")
    }

    @Test(.timeLimit(.minutes(5)))
    func namesChangedBesideFuseShowAfterInvalidate() throws {
        let m = try InProcessMount("inval-entry")
        defer { try? m.stop() }
        #expect(!fileExists(m.mnt + "/g"))  // a negative entry the kernel caches
        m.onLoop { s in _ = try! s.fs.create(.root, Array("g".utf8), mode: 0o644) }
        #expect(!fileExists(m.mnt + "/g"), "still cached as absent")
        m.onLoop { s in s.invalidate(entry: Array("g".utf8), in: .root) }
        m.server.waitForInvalidations()
        #expect(fileExists(m.mnt + "/g"))
        #expect(sh("ls '\(m.mnt)'").out == "g\n", "the cached listing was dropped too")

        writeText(m.mnt + "/h", "x")
        var h = InodeNumber.root
        m.onLoop { s in
            h = try! s.fs.lookup(.root, Array("h".utf8))
            try! s.fs.unlink(.root, Array("h".utf8))
            s.invalidate(deleted: Array("h".utf8), in: .root, child: h)
        }
        m.server.waitForInvalidations()
        #expect(!fileExists(m.mnt + "/h"))
    }

    @Test(.timeLimit(.minutes(5)))
    func invalidatingWhileTheHostWorksInTheSameDirectoryDoesNotDeadlock() throws {
        let m = try InProcessMount("inval-storm")
        defer { try? m.stop() }
        let host = UnsafeMutablePointer<pthread_t>.allocate(capacity: 1)
        defer { host.deallocate() }
        // The host: lookups, creates and removals in the root directory, continuously.
        let mnt = strdup(m.mnt)!
        pthread_create(host, nil, { arg in
            let dir = String(cString: arg!.assumingMemoryBound(to: CChar.self))
            _ = sh("for i in $(seq 1 400); do touch f$i; stat g$i >/dev/null 2>&1; ls >/dev/null; rm f$i; done", in: dir)
            return nil
        }, mnt)
        // Meanwhile: invalidations of the same directory's names and attributes.
        for i in 0..<2000 {
            m.onLoop { s in
                s.invalidate(entry: Array("g\(i % 400)".utf8), in: .root)
                s.invalidate(inode: .root)
            }
        }
        pthread_join(host.pointee, nil)
        free(mnt)
        m.server.waitForInvalidations()
        #expect(sh("ls -A '\(m.mnt)'").out == "")
    }
}
