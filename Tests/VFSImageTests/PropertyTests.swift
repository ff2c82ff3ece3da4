// Random operation sequences applied to an image and to a real directory must agree:
// the same errno for every step and the same tree at the end; fsck passes after each.

import Foundation
import Testing
@testable import VFSImage

typealias SeededRandom = SplitMix64

@Suite struct PropertyTests {
    static let names = ["a", "b", "c", "d"]

    func randomPath(_ rng: inout SeededRandom) -> String {
        let depth = Int.random(in: 1...3, using: &rng)
        return (0..<depth).map { _ in Self.names.randomElement(using: &rng)! }.joined(separator: "/")
    }

    /// Host result of a libc call: 0 or the errno.
    func host(_ r: Int32) -> Int32 { r == 0 ? 0 : errno }

    func image(_ body: () throws -> Void) -> Int32 {
        do { try body(); return 0 } catch { return (error as! LinuxErrno).rawValue }
    }

    @Test(arguments: 1...12)
    func randomSequencesAgreeWithLinux(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let tmp = TempDir("kprop")
        let root = tmp.path
        let fs = try SharedFS(size: 2 << 20, maxSize: 16 << 20)
        for step in 0..<250 {
            let p = randomPath(&rng), q = randomPath(&rng)
            let hp = root + "/" + p, hq = root + "/" + q
            var expected: Int32 = 0, got: Int32 = 0
            let op = Int.random(in: 0..<11, using: &rng)
            switch op {
            case 0:
                let fd = open(hp, O_CREAT | O_EXCL | O_WRONLY, 0o644)
                expected = fd >= 0 ? 0 : errno; if fd >= 0 { close(fd) }
                got = image { let (d, n) = try fs.resolveParent(p); _ = try fs.create(d, n, mode: 0o644) }
            case 1, 2:
                let off = UInt64.random(in: 0..<20_000, using: &rng)
                let data = [UInt8](repeating: UInt8.random(in: 0...255, using: &rng), count: Int.random(in: 1..<9000, using: &rng))
                let fd = open(hp, O_WRONLY)
                if fd < 0 { expected = errno } else {
                    expected = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(off)) } == data.count ? 0 : errno
                    close(fd)
                }
                got = image { _ = try fs.write(try fs.resolve(p), at: off, data) }
                if expected == EISDIR && got == 0 { got = EISDIR }  // open(O_WRONLY) of a dir fails first on Linux
            case 3:
                let size = UInt64.random(in: 0..<30_000, using: &rng)
                expected = host(truncate(hp, off_t(size)))
                got = image { try fs.truncate(try fs.resolve(p), to: size) }
            case 4:
                expected = host(mkdir(hp, 0o755))
                got = image { let (d, n) = try fs.resolveParent(p); _ = try fs.mkdir(d, n, mode: 0o755) }
            case 5:
                expected = host(unlink(hp))
                got = image { let (d, n) = try fs.resolveParent(p); try fs.unlink(d, n) }
            case 6:
                expected = host(rmdir(hp))
                got = image { let (d, n) = try fs.resolveParent(p); try fs.rmdir(d, n) }
            case 7:
                expected = host(rename(hp, hq))
                got = image {
                    let (d, n) = try fs.resolveParent(p), (e, m) = try fs.resolveParent(q)
                    try fs.rename(d, n, e, m)
                }
            case 8:
                expected = host(link(hp, hq))
                got = image {
                    let src = try fs.resolve(p, followFinal: false)
                    let (e, m) = try fs.resolveParent(q)
                    try fs.link(src, e, m)
                }
            case 9:
                let target = Self.names.randomElement(using: &rng)!
                expected = host(symlink(target, hq))
                got = image { let (e, m) = try fs.resolveParent(q); _ = try fs.symlink(e, m, target: bytes(target)) }
            default:
                let mode = UInt32.random(in: 0..<0o1000, using: &rng) | 0o700
                expected = host(chmod(hp, mode_t(mode)))
                got = image { try fs.chmod(try fs.resolve(p), mode) }
            }
            #expect(got == expected, "seed \(seed) step \(step): op \(op) on \(p) → \(q): image errno \(got), Linux errno \(expected)")
            if got != expected { break }
        }
        #expect(fs.check().isConsistent, "\(fs.check().faults)")
        try compare(fs, root)
        // And the same after a save and reload.
        try compare(try SharedFS.decode(fs.encode()), root)
    }

    func compare(_ fs: SharedFS, _ root: String) throws {
        var image: [String: String] = [:]
        try fs.walk { n in
            let a = n.attributes
            var desc = "\(a.type!.letter) \(String(a.permissions, radix: 8)) links=\(a.linkCount)"
            if a.type == .regular { desc += " size=\(a.size) sum=\(checksum(try fs.readAll(a.ino)))" }
            if let t = n.target { desc += " -> \(t)" }
            image[n.path] = desc
        }
        var linux: [String: String] = [:]
        let e = FileManager.default.enumerator(atPath: root)!
        while let rel = e.nextObject() as? String {
            var st = stat()
            lstat(root + "/" + rel, &st)
            let t: Character = st.st_mode & S_IFMT == S_IFDIR ? "d" : st.st_mode & S_IFMT == S_IFLNK ? "l" : "f"
            var desc = "\(t) \(String(UInt32(st.st_mode) & 0o7777, radix: 8)) links=\(st.st_nlink)"
            if t == "f" { desc += " size=\(st.st_size) sum=\(checksum([UInt8](FileManager.default.contents(atPath: root + "/" + rel)!)))" }
            if t == "l" { desc += " -> \(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + rel))" }
            linux["/" + rel] = desc
        }
        #expect(image == linux)
    }

    func checksum(_ b: [UInt8]) -> UInt64 { b.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 } }
}
