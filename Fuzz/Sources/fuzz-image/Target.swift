// fuzz-image: any bytes given to the image loader give an error or a filesystem, never a
// crash, trap or hang; whatever loads is checked (fsck), walked, read in full, edited,
// checked again and saved.
//
// Two input forms:
//   - raw: input starting with "VFSI" or the zstd magic is decoded as an image file;
//   - patches: anything else is a list of patches applied to one of the base images
//     (byte 0 picks the base; then records [region u8][offset u16 LE][length u8][bytes]),
//     so that small inputs reach deep into valid 64 KiB–16 MiB images. A region names a
//     structure (header, superblock, bitmaps, inode table, first data blocks, sidecars), so
//     the fuzzer's mutations land on metadata rather than on the zero-filled bulk.
// Bases: an image built here with every kind of structure (nested directories, a file with
// indirect blocks, symlinks short and long, a lazy file, metadata), and every *.vfs in
// $FUZZ_IMAGE_BASES (scripts/fuzz.sh puts the decompressed reference images there).
//
// Properties checked beyond "no crash" (a violation traps, so libFuzzer reports it):
//   - an image fsck finds consistent can be walked and every stored file read without
//     error, and saved and loaded again with the same tree digest.

import VFSImage
#if canImport(Glibc)
import Glibc
#endif

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func sampleImage() -> [UInt8] {
    do {
        let fs = try SharedFS(size: 256 << 10, maxSize: 4 << 20)
        fs.clock = { 1_000 }
        let etc = try fs.mkdir(.root, bytes("etc"), mode: 0o40755)
        let deep = try fs.mkdir(etc, bytes("deep"), mode: 0o40755)
        _ = try fs.mkdir(.root, bytes("usr"), mode: 0o40755)
        let passwd = try fs.create(etc, bytes("passwd"), mode: 0o100644)
        _ = try fs.write(passwd, at: 0, bytes("root:x:0:0::/root:/bin/sh\n"))
        let big = try fs.create(.root, bytes("big"), mode: 0o100644)
        _ = try fs.write(big, at: 0, (0..<60_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        _ = try fs.symlink(.root, bytes("s"), target: bytes("/etc/passwd"))
        _ = try fs.symlink(deep, bytes("long"), target: bytes(String(repeating: "x/", count: 40)))
        try fs.link(passwd, deep, bytes("hard"))
        _ = try fs.mknod(.root, bytes("fifo"), mode: 0o10644)
        try fs.registerLazyFile("/usr/tool", url: "tool.wasm", size: 1234, mode: 0o755)
        try fs.setMetadata(.object([("version", .int(1)), ("kernelAbi", .int(43))]))
        return fs.encode()
    } catch {
        fatalError("fuzz-image: building the sample image failed: \(error)")
    }
}

struct Base {
    var bytes: [UInt8]
    var regions: [Range<Int>]
}

let bases: [Base] = {
    var images = [sampleImage()]
    if let dir = getenv("FUZZ_IMAGE_BASES").map({ String(cString: $0) }), let d = opendir(dir) {
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasSuffix(".vfs") { names.append(name) }
        }
        closedir(d)
        for name in names.sorted() {
            guard let f = fopen(dir + "/" + name, "rb") else { continue }
            var data: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = fread(&buf, 1, buf.count, f)
                if n <= 0 { break }
                data += buf[0..<n]
            }
            fclose(f)
            images.append(data)
        }
    }
    return images.map { image in
        guard let fs = try? SharedFS.decode(image) else { fatalError("fuzz-image: a base image does not load") }
        let sb = fs.superblock
        let block = { (b: UInt32) in 16 + Int(b) * 4096 }
        let end = 16 + fs.sabLength
        return Base(bytes: image, regions: [
            0..<16,                                                        // container header
            16..<(16 + 128),                                               // superblock
            block(sb.inodeBitmapStart)..<block(sb.inodeBitmapStart + sb.inodeBitmapBlocks),
            block(sb.blockBitmapStart)..<block(sb.blockBitmapStart + sb.blockBitmapBlocks),
            block(sb.inodeTableStart)..<min(block(sb.inodeTableStart) + 64 * 128, block(sb.dataStart)),
            block(sb.dataStart)..<min(block(sb.dataStart + 24), end),      // first data blocks
            end..<max(end + 1, image.count),                               // sidecars (+1: append)
        ])
    }
}()

func patched(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    let base = bases[Int(input[0]) % bases.count]
    var image = base.bytes
    var i = 1
    while i + 4 <= input.count {
        let region = base.regions[Int(input[i]) % base.regions.count]
        let offset = Int(input[i + 1]) | Int(input[i + 2]) << 8
        let length = Int(input[i + 3])
        i += 4
        let at = region.lowerBound + offset % max(region.count, 1)
        for k in 0..<length where i + k < input.count {
            if at + k < image.count { image[at + k] = input[i + k] } else { image.append(input[i + k]) }
        }
        i += length
    }
    return image
}

/// Exercises whatever loaded. Returns normally unless a property is violated (trap).
func exercise(_ fs: SharedFS) {
    let report = fs.check()
    if report.isConsistent {
        // A consistent image is readable in full and survives a save and load.
        do {
            try fs.walk { n in
                if n.attributes.type == .regular && n.lazyURL == nil { _ = try fs.readAll(n.attributes.ino) }
            }
            let digest = try fs.treeDigest()
            let again = try SharedFS.decode(fs.encode())
            let digest2 = try again.treeDigest()
            precondition(digest == digest2, "fuzz-image: save and load changed the tree (\(digest) → \(digest2))")
        } catch {
            fatalError("fuzz-image: fsck found no fault but reading failed: \(error)")
        }
    } else {
        for f in report.faults where f.isEmpty { fatalError("fuzz-image: an empty fsck fault message") }
        try? fs.walk { n in
            if n.attributes.type == .regular { _ = try? fs.readAll(n.attributes.ino) }
        }
    }
    _ = try? fs.resolve("/etc/deep/long/x")
    // Edits on a damaged image fail cleanly too.
    if let etc = try? fs.resolve("/etc") {
        if let f = try? fs.create(etc, bytes("new"), mode: 0o100644) { _ = try? fs.write(f, at: 5000, bytes("x")) }
    }
    _ = try? fs.unlink(.root, bytes("big"))
    _ = try? fs.rename(.root, bytes("etc"), .root, bytes("etc2"))
    _ = try? fs.mkdir(.root, bytes("newdir"), mode: 0o40755)
    _ = try? fs.truncate(fs.resolve("/s"), to: 10)
    let after = fs.check()
    if report.isConsistent {
        precondition(after.isConsistent, "fuzz-image: edits made a consistent image inconsistent: \(after.faults.prefix(3))")
    }
    _ = fs.encode()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size > 0 else { return 0 }
    let raw = size >= 4 && (Array(input.prefix(4)) == bytes("VFSI") || Array(input.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
    let image = raw ? Array(input) : patched(input)
    guard let fs = try? SharedFS.decode(image) else { return 0 }
    exercise(fs)
    return 0
}
