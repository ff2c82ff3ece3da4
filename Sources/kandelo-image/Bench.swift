import ArgumentParser
import VFSImage
#if canImport(Glibc)
import Glibc
#endif

/// The image benchmark's in-process half (scripts/bench-image.sh runs tar beside it):
/// build from a tree, save, open, read every file, change 1% and sync, sync one small
/// change, checkpoint. One line per step: name, seconds, files/s, MB/s.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark helper (see scripts/bench-image.sh).", shouldDisplay: false)
    @Argument(help: "Source tree.") var tree: String
    @Option(help: "Where to write the image.") var image: String
    @Flag(help: "Write the image zstd-compressed.") var zstd = false

    func run() throws {
        func now() -> Double { var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }
        func report(_ step: String, _ t: Double, files: Int, bytes: UInt64) {
            let fps = Double(files) / max(t, 1e-9), mbs = Double(bytes) / 1e6 / max(t, 1e-9)
            print("\(step.padding(20))\(String(format1: t * 1000).padding(10, left: true)) ms\(String(format1: fps).padding(14, left: true)) files/s\(String(format1: mbs).padding(10, left: true)) MB/s")
            fflush(nil)
        }
        var t = now()
        let fs = try Builder.build(fromDirectory: tree)
        var files = 0
        var bytes: UInt64 = 0
        try fs.walk { n in if n.attributes.type == .regular { files += 1; bytes += n.attributes.size } }
        report("build", now() - t, files: files, bytes: bytes)
        t = now()
        try ImageFile.save(fs, to: image, compressed: zstd)
        report("save", now() - t, files: files, bytes: bytes)
        t = now()
        let img = try ImageFile.open(image, readOnly: false, verify: false)
        report("open (\(img.fs.sabLength >> 20) MiB)", now() - t, files: files, bytes: bytes)
        t = now()
        _ = img.fs.check()
        report("fsck", now() - t, files: files, bytes: bytes)
        t = now()
        var regular: [InodeNumber] = []
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var read: UInt64 = 0
        try img.fs.walk { n in
            guard n.attributes.type == .regular else { return }
            regular.append(n.attributes.ino)
            var off: UInt64 = 0
            while true {
                let got = try buf.withUnsafeMutableBytes { try img.fs.read(n.attributes.ino, at: off, into: $0) }
                if got == 0 { break }
                off += UInt64(got); read += UInt64(got)
            }
        }
        report("read all", now() - t, files: regular.count, bytes: read)
        // Change 1% of the files (whole content rewritten), then sync.
        t = now()
        var changed = 0
        var changedBytes: UInt64 = 0
        for (i, ino) in regular.enumerated() where i % 100 == 0 {
            let size = try img.fs.attributes(ino).size
            let data = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: Int(size))
            _ = try img.fs.write(ino, at: 0, data)
            changed += 1; changedBytes += size
        }
        report("change 1%", now() - t, files: changed, bytes: changedBytes)
        t = now()
        try img.sync()
        report("sync 1%", now() - t, files: changed, bytes: changedBytes)
        t = now()
        if let first = regular.first { _ = try img.fs.write(first, at: 0, [1, 2, 3, 4]) }
        try img.sync()
        report("sync 4 bytes", now() - t, files: 1, bytes: 4)
        t = now()
        try img.checkpoint()
        report("checkpoint", now() - t, files: files, bytes: bytes)
        try img.close()
    }
}

extension String {
    func padding(_ n: Int, left: Bool = false) -> String {
        count >= n ? self : (left ? String(repeating: " ", count: n - count) + self : self + String(repeating: " ", count: n - count))
    }
}
