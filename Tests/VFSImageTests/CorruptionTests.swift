// Damaged images must give errors, never crashes and never silent structural damage:
// truncations and byte flips across every structure (header, superblock, bitmaps, inode
// table, directory and data blocks, sidecars). A flipped image either is refused at load
// with an error naming the structure, or loads and fsck names the faulty structures, or
// loads consistent: then it reads, edits and saves like any other image, and compared
// with the original it differs only in what the flipped bytes themselves hold and no
// check can judge — file contents, names, permission bits, owners, times, generation
// numbers, sidecar text (the format has no checksums) — never in types, sizes, link
// counts or the shape of the tree. One rule of the format turns such a flip into lost
// content: a lazy-file entry whose identity (sidecar JSON, the stub's generation and data
// sequence) no longer matches is dropped as stale, and the stub reads as an empty file.
// Libfuzzer does the same at scale: Fuzz/, scripts/fuzz.sh.

import Foundation
import Testing
@testable import VFSImage

@Suite struct CorruptionTests {
    /// A small image with every kind of structure: nested directories, a big file with
    /// indirect blocks, symlinks short and long, a lazy file, metadata.
    static func sample() throws -> [UInt8] {
        let fs = try SharedFS(size: 256 << 10, maxSize: 4 << 20)
        fs.clock = { 1_000 }
        try fs.dir("/etc"); try fs.dir("/etc/deep"); try fs.dir("/usr")
        try fs.put("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        let big = try fs.create(.root, bytes("big"), mode: 0o644)
        _ = try fs.write(big, at: 0, [UInt8]((0..<60_000).map { UInt8(truncatingIfNeeded: $0) }))
        _ = try fs.symlink(.root, bytes("s"), target: bytes("/etc/passwd"))
        _ = try fs.symlink(try fs.path("/etc/deep"), bytes("long"), target: bytes(String(repeating: "x/", count: 40)))
        try fs.registerLazyFile("/usr/bin/tool", url: "tool.wasm", size: 1234, mode: 0o755)
        try fs.setMetadata(.object([("version", .int(1)), ("kernelAbi", .int(43))]))
        return fs.encode()
    }

    /// Opens damaged bytes the way a user would, and exercises whatever opened.
    func exercise(_ bytes: [UInt8]) {
        guard let fs = try? SharedFS.decode(bytes) else { return }
        _ = fs.check()
        try? fs.walk { n in
            if n.attributes.type == .regular { _ = try? fs.readAll(n.attributes.ino) }
        }
        _ = try? fs.resolve("/etc/deep/long/x")
        // Mutations on a damaged image must fail cleanly too.
        _ = try? fs.put("/etc/new", "x")
        _ = try? fs.unlink(.root, Array("big".utf8))
        _ = try? fs.rename(.root, Array("etc".utf8), .root, Array("etc2".utf8))
        _ = try? fs.dir("/newdir")
        _ = fs.check()
        _ = fs.encode()
    }

    @Test func truncationsAreErrors() throws {
        let good = try Self.sample()
        var cuts = [0, 1, 3, 15, 16, 17, 100, 4095, 4096 + 16, good.count - 1, good.count - 5]
        var rng = SeededRandom(seed: 99)
        for _ in 0..<60 { cuts.append(Int.random(in: 0..<good.count, using: &rng)) }
        for n in cuts {
            let bytes = Array(good.prefix(n))
            #expect(throws: ImageError.self, "cut at \(n)") { _ = try SharedFS.decode(bytes) }
        }
    }

    @Test func headerFaultsAreTypedErrors() throws {
        let good = try Self.sample()
        var b = good; b[0] ^= 0xFF
        #expect(throws: ImageError.self) { _ = try SharedFS.decode(b) }
        b = good; b[4] = 2
        do { _ = try SharedFS.decode(b); Issue.record("version 2 accepted") } catch {
            guard case .unsupportedVersion = error else { Issue.record("\(error)"); return }
        }
        b = good; b[12] = 0x10; b[15] = 0x7F   // sabLen far past the end
        do { _ = try SharedFS.decode(b); Issue.record("sabLen mismatch accepted") } catch {
            guard case .truncated = error else { Issue.record("\(error)"); return }
        }
        b = good; b[8] = 0  // flags cleared but lazy section non-empty
        #expect(throws: ImageError.self) { _ = try SharedFS.decode(b) }
        b = good; b[16] ^= 1  // superblock magic
        #expect(throws: ImageError.self) { _ = try SharedFS.decode(b) }
    }

    @Test func structuralFaultsAreFoundByFsck() throws {
        let good = try Self.sample()
        let fs = try SharedFS.decode(good)
        let sb = fs.superblock
        let it = 16 + Int(sb.inodeTableStart) * 4096
        func faults(_ patch: (inout [UInt8]) -> Void) -> [String] {
            var b = good; patch(&b)
            guard let fs = try? SharedFS.decode(b) else { return ["(refused at load)"] }
            return fs.check().faults
        }
        let big = Int(try fs.path("/big").rawValue)
        // A block pointer outside the data area.
        #expect(!faults { $0[it + big * 128 + 48] = 0xFF; $0[it + big * 128 + 49] = 0xFF }.isEmpty)
        // Two inodes sharing a block.
        let passwd = Int(try fs.path("/etc/passwd").rawValue)
        #expect(!faults { b in for k in 0..<4 { b[it + passwd * 128 + 48 + k] = b[it + big * 128 + 48 + k] } }.isEmpty)
        // Bitmap disagreeing with the inodes: clear a used block's bit.
        let bbm = 16 + Int(sb.blockBitmapStart) * 4096 + Int(sb.dataStart) / 8
        #expect(!faults { $0[bbm] = 0 }.isEmpty)
        // A link count off by one.
        #expect(!faults { $0[it + passwd * 128 + 12] = 7 }.isEmpty)
        // A directory record that overruns its block: the root's first rec_len.
        let rootBlock = Int(fs.mem.u32(fs.inodeOffset(1) + 48))
        #expect(!faults { $0[16 + rootBlock * 4096 + 4] = 0xF0; $0[16 + rootBlock * 4096 + 5] = 0x7F }.isEmpty)
        // A cycle: /etc/deep's entry pointing back at /etc.
        let etc = try fs.path("/etc")
        let deep = try fs.path("/etc/deep")
        let etcBlock = Int(fs.mem.u32(fs.inodeOffset(etc.rawValue) + 48))
        #expect(!faults { b in
            // find the record naming "deep" and point it at the root
            let base = 16 + etcBlock * 4096
            var o = 0
            while o < 4096 {
                let rl = Int(b[base + o + 4]) | Int(b[base + o + 5]) << 8
                let nl = Int(b[base + o + 6])
                if nl == 4 && Array(b[(base + o + 8)..<(base + o + 12)]) == Array("deep".utf8) {
                    b[base + o] = 1; b[base + o + 1] = 0; b[base + o + 2] = 0; b[base + o + 3] = 0
                }
                if rl == 0 { break }
                o += rl
            }
        }.isEmpty)
        _ = deep
        #expect(fs.check().isConsistent, "the undamaged image is clean")
    }

    /// Words that name a structure of the format; every error and fsck fault names one.
    static let structureWords = ["header", "magic", "sabLen", "section", "superblock", "bitmap", "inode",
                                 "block", "directory", "lazy", "archive", "metadata", "flag bit", "frame",
                                 "filesystem area", "sidecar", "container"]

    static func namesAStructure(_ message: String) -> Bool {
        structureWords.contains { message.contains($0) }
    }

    enum FlipOutcome { case refused, faultsFound, identical, unprotectedBytesChanged }

    /// What a byte of the undamaged sample holds (keys: offsets in the container).
    enum Role: Equatable {
        case data(String)                     // content of the regular file at this path
        case symlinkTarget(String)            // target of the symlink at this path
        case name(String)                     // a name in a record of this directory
        case inodeField(UInt32, Int)          // byte k of inode n's record
        case sidecar                          // lazy-file and metadata JSON after the SAB
    }

    /// What a path shows: everything a user or fsck can see of it.
    struct Seen: Equatable {
        var ino: UInt32, type: UInt32, perm: UInt32, uid: UInt32, gid: UInt32
        var size: UInt64, links: UInt32, times: [UInt64]
        var content: [UInt8]?, target: String?, lazy: String?
    }

    static func describe(_ fs: SharedFS) throws -> [String: Seen] {
        var nodes = [TreeNode(path: "/", attributes: try fs.attributes(.root), target: nil, lazyURL: nil)]
        try fs.walk { nodes.append($0) }
        var seen: [String: Seen] = [:]
        for n in nodes {
            let a = n.attributes
            seen[n.path] = Seen(ino: a.ino.rawValue, type: a.mode & FileType.mask, perm: a.mode & 0o7777, uid: a.uid, gid: a.gid,
                                size: a.size, links: a.linkCount, times: [a.atimeMs, a.mtimeMs, a.ctimeMs],
                                content: a.type == .regular && n.lazyURL == nil ? try fs.readAll(a.ino) : nil,
                                target: n.target, lazy: n.lazyURL.map { "\($0) \(a.size)" })
        }
        return seen
    }

    static func roles(_ fs: SharedFS, containerSize: Int) throws -> [Int: Role] {
        var roles: [Int: Role] = [:]
        var nodes = [TreeNode(path: "/", attributes: try fs.attributes(.root), target: nil, lazyURL: nil)]
        try fs.walk { nodes.append($0) }
        for n in nodes {
            let ino = n.attributes.ino.rawValue, off = fs.inodeOffset(ino), size = Int(n.attributes.size)
            for k in 0..<InodeField.size { roles[16 + off + k] = .inodeField(ino, k) }
            switch n.attributes.type {
            case .regular where n.lazyURL == nil:
                for i in 0..<size { roles[16 + Int(try fs.mapBlock(off, i / 4096, allocate: false)) * 4096 + i % 4096] = .data(n.path) }
            case .symlink where size <= InodeField.inlineSymlinkMax:
                for i in 0..<size { roles[16 + off + InodeField.direct + i] = .symlinkTarget(n.path) }
            case .symlink:
                for i in 0..<size { roles[16 + Int(try fs.mapBlock(off, i / 4096, allocate: false)) * 4096 + i % 4096] = .symlinkTarget(n.path) }
            case .directory:
                try fs.forEachRecord(off) { (r: DirectoryRecord) throws(LinuxErrno) -> Bool in
                    for k in 0..<r.nameLen { roles[16 + r.address + 8 + k] = .name(n.path) }
                    return true
                }
            default: break
            }
        }
        for i in (16 + fs.sabLength)..<containerSize { roles[i] = .sidecar }
        return roles
    }

    /// The differences between a consistent damaged image and the original that the
    /// flipped bytes do not explain by what they hold (empty: every change is one no check
    /// can see, as the file comment says).
    static func unexplained(_ before: [String: Seen], _ after: [String: Seen], metadataSame: Bool,
                            flips: [Int], roles: [Int: Role]) -> [String] {
        let held = flips.compactMap { roles[$0] }
        func field(_ ino: UInt32, _ range: Range<Int>) -> Bool {
            held.contains { if case .inodeField(ino, let k) = $0 { range.contains(k) } else { false } }
        }
        var out: [String] = []
        if !metadataSame && !held.contains(.sidecar) { out.append("metadata changed") }
        for path in Set(before.keys).union(after.keys).sorted() {
            guard let b = before[path], let a = after[path] else {
                // A name changed: the flip is in a name of the directory holding it (or of one above).
                let renamed = held.contains { if case .name(let d) = $0 { path.hasPrefix(d == "/" ? "/" : d + "/") } else { false } }
                if !renamed { out.append("\(path) \(before[path] == nil ? "appeared" : "vanished")") }
                continue
            }
            // A lazy entry whose identity no longer matches its stub is dropped at load (as
            // Kandelo drops stale entries, §6.2): a flip in its JSON, or in the stub's
            // generation or data sequence, leaves an empty regular file where it was.
            if b.lazy != nil, a.lazy == nil, a.size == 0, a.content == [],
               held.contains(.sidecar) || field(b.ino, 104..<112) || field(b.ino, 120..<124) {
                continue
            }
            if a.type != b.type { out.append("\(path): type \(b.type) -> \(a.type)") }
            if a.size != b.size { out.append("\(path): size \(b.size) -> \(a.size)") }
            if a.links != b.links { out.append("\(path): links \(b.links) -> \(a.links)") }
            if a.ino != b.ino { out.append("\(path): inode \(b.ino) -> \(a.ino)") }
            if a.perm != b.perm && !field(b.ino, 8..<10) { out.append("\(path): mode \(String(b.perm, radix: 8)) -> \(String(a.perm, radix: 8))") }
            if a.uid != b.uid && !field(b.ino, 96..<100) { out.append("\(path): uid") }
            if a.gid != b.gid && !field(b.ino, 100..<104) { out.append("\(path): gid") }
            if a.times != b.times && !field(b.ino, 24..<48) { out.append("\(path): times") }
            if a.content != b.content && !held.contains(.data(path)) { out.append("\(path): content changed, no flip in its data") }
            if a.target != b.target && !held.contains(.symlinkTarget(path)) { out.append("\(path): target \(b.target ?? "") -> \(a.target ?? "")") }
            if a.lazy != b.lazy && !held.contains(.sidecar) { out.append("\(path): lazy \(b.lazy ?? "") -> \(a.lazy ?? "")") }
        }
        return out
    }

    /// What a damaged image gives: an error naming the structure at load, or faults fsck
    /// names, or a consistent image that then behaves like any other (read in full, edited,
    /// still consistent, saved and loaded with the same tree).
    func classify(_ b: [UInt8], _ label: String, roundTrip: Bool, original: SharedFS? = nil,
                  flips: [Int] = [], roles: [Int: Role] = [:]) -> FlipOutcome {
        let fs: SharedFS
        do {
            fs = try SharedFS.decode(b)
        } catch {
            #expect(Self.namesAStructure(error.description), "\(label): load error names no structure: \(error)")
            return .refused
        }
        let report = fs.check()
        if !report.isConsistent {
            for f in report.faults {
                #expect(Self.namesAStructure(f), "\(label): fsck fault names no structure: \(f)")
            }
            exercise(b)  // whatever fsck refuses must still fail cleanly, never crash
            return .faultsFound
        }
        var outcome = FlipOutcome.identical
        do {
            try fs.walk { n in
                if n.attributes.type == .regular && n.lazyURL == nil { _ = try fs.readAll(n.attributes.ino) }
                if n.attributes.type == .symlink { #expect(n.target?.isEmpty == false, "\(label): \(n.path)") }
            }
            if let original {
                let before = try Self.describe(original), after = try Self.describe(fs)
                let metadataSame = original.metadata == fs.metadata
                if before != after || !metadataSame {
                    outcome = .unprotectedBytesChanged
                    let wrong = Self.unexplained(before, after, metadataSame: metadataSame, flips: flips, roles: roles)
                    #expect(wrong.isEmpty, "\(label): fsck is clean but the image changed beyond the flipped bytes' own content: \(wrong)")
                }
            }
            if roundTrip {
                let digest = try fs.treeDigest()
                #expect(try SharedFS.decode(fs.encode()).treeDigest() == digest, "\(label): save and load changed the tree")
            }
            let f = try fs.create(.root, Array("new-after-flip".utf8), mode: 0o644)
            #expect(try fs.write(f, at: 0, Array("x".utf8)) == 1)
            _ = try fs.mkdir(.root, Array("newdir".utf8), mode: 0o755)
            let after = fs.check()
            #expect(after.isConsistent, "\(label): an fsck-clean image became inconsistent after edits: \(after.faults.prefix(3))")
        } catch {
            Issue.record("\(label): fsck found no fault, but using the image failed: \(error)")
        }
        return outcome
    }

    @Test func randomByteFlipsGiveNamedErrorsOrConsistentImages() throws {
        let good = try Self.sample()
        let fs = try SharedFS.decode(good)
        let sb = fs.superblock
        // Aim at every structure, not just the zero-filled bulk.
        var targets: [Range<Int>] = [0..<16, 16..<(16 + 80)]
        targets.append((16 + Int(sb.inodeBitmapStart) * 4096)..<(16 + Int(sb.inodeBitmapStart) * 4096 + 8))
        targets.append((16 + Int(sb.blockBitmapStart) * 4096)..<(16 + Int(sb.blockBitmapStart) * 4096 + Int(sb.dataStart) / 8 + 16))
        targets.append((16 + Int(sb.inodeTableStart) * 4096)..<(16 + Int(sb.inodeTableStart) * 4096 + 16 * 128))
        targets.append((16 + Int(sb.dataStart) * 4096)..<(16 + Int(sb.dataStart) * 4096 + 8 * 4096))
        targets.append((16 + fs.sabLength)..<good.count)
        let roles = try Self.roles(fs, containerSize: good.count)
        var rng = SeededRandom(seed: 7)
        var counts: [String: Int] = [:]
        for round in 0..<1500 {
            var b = good
            let flips = Int.random(in: 1...4, using: &rng)
            var at: [Int] = []
            for _ in 0..<flips {
                let r = targets[round % targets.count]
                let i = Int.random(in: r, using: &rng)
                b[i] ^= UInt8.random(in: 1...255, using: &rng)
                at.append(i)
            }
            let outcome = classify(b, "round \(round), bytes \(at) flipped", roundTrip: round % 8 == 0,
                                   original: fs, flips: at, roles: roles)
            counts["\(outcome)", default: 0] += 1
        }
        // Each outcome happens: the flips reach structures the loader refuses, structures
        // only fsck can judge, bytes nothing reads (slack, free blocks, runtime fields) and
        // bytes whose change no check can see (contents, times, names).
        print("byte flips: \(counts)")
        #expect(counts["refused", default: 0] > 50, "\(counts)")
        #expect(counts["faultsFound", default: 0] > 50, "\(counts)")
        #expect(counts["identical", default: 0] > 50, "\(counts)")
        #expect(counts["unprotectedBytesChanged", default: 0] > 50, "\(counts)")
    }

    @Test func corruptZstdIsAnError() throws {
        let tmp = TempDir()
        let fs = try SharedFS.decode(try Self.sample())
        let path = tmp.file("x.vfs.zst")
        try ImageFile.save(fs, to: path, compressed: true)
        var z = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for cut in [5, z.count / 2, z.count - 3] {
            #expect(throws: ImageError.self) { _ = try SharedFS.decode(Array(z.prefix(cut))) }
        }
        z[z.count / 2] ^= 0x55
        #expect(throws: ImageError.self) { _ = try SharedFS.decode(z) }
        // And through the file API: a clear error, the file untouched.
        try Data(z).write(to: URL(fileURLWithPath: path))
        #expect(throws: ImageError.self) { _ = try ImageFile.open(path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(z))
        #expect(!FileManager.default.fileExists(atPath: path + ".journal"))
    }
}
