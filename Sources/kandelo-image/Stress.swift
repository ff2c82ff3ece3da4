import ArgumentParser
import VFSImage
#if canImport(Glibc)
import Glibc
#endif

/// A test tool (hidden): edits an image in a deterministic random pattern, syncing often, so
/// that tests can SIGKILL it anywhere and check that every synced state survives. Before
/// each sync it prints "syncing N DIGEST" and after it "synced N"; DIGEST is the tree digest
/// a reopened image must show if that sync completed.
struct Stress: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Crash-test helper: random edits with syncs.", shouldDisplay: false)
    @Argument var image: String
    @Option var seed: UInt64 = 1
    @Option var steps: Int = 1000
    @Option(name: .customLong("sync-every")) var syncEvery = 5
    @Option(name: .customLong("checkpoint-every")) var checkpointEvery = 40

    func run() throws {
        let img = try openImage(image, readOnly: false)
        let fs = img.fs
        var rng = SplitMix64(seed: seed)
        var dir = InodeNumber.root
        if let d = try? fs.lookup(.root, "stress") { dir = d } else { dir = try fs.mkdir(.root, Array("stress".utf8), mode: 0o755) }
        for step in 1...steps {
            let name = Array("f\(rng.next() % 12)".utf8)
            let op = rng.next() % 10
            do {
                switch op {
                case 0...5:
                    var ino: InodeNumber
                    if let i = try? fs.lookup(dir, name) { ino = i } else { ino = try fs.create(dir, name, mode: 0o644) }
                    let off = rng.next() % 200_000
                    let len = Int(rng.next() % 20_000) + 1
                    let byte = UInt8(truncatingIfNeeded: rng.next())
                    _ = try fs.write(ino, at: off, [UInt8](repeating: byte, count: len))
                case 6:
                    if let ino = try? fs.lookup(dir, name) { try fs.truncate(ino, to: rng.next() % 100_000) }
                case 7:
                    if (try? fs.lookup(dir, name)) != nil { try fs.unlink(dir, name) }
                case 8:
                    let other = Array("f\(rng.next() % 12)".utf8)
                    if (try? fs.lookup(dir, name)) != nil { try fs.rename(dir, name, dir, other) }
                default:
                    let sub = Array("d\(rng.next() % 4)".utf8)
                    if let d = try? fs.lookup(dir, sub) { if (try? fs.rmdir(dir, sub)) == nil { _ = try? fs.create(d, name, mode: 0o600) } }
                    else { _ = try fs.mkdir(dir, sub, mode: 0o755) }
                }
            } catch {
                // ENOSPC: the image is full; keep going, later unlinks free space.
                guard (error as? LinuxErrno) == .ENOSPC else { throw error }
            }
            if step % syncEvery == 0 {
                print("syncing \(step) \(try fs.treeDigest())")
                fflush(nil)
                if step % checkpointEvery == 0 { try img.checkpoint() } else { try img.sync() }
                print("synced \(step)")
                fflush(nil)
            }
        }
        try img.close()
        print("done")
    }
}
