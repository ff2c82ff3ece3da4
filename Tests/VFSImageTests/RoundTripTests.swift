// Opening and saving without edits changes nothing; edits keep sidecars.

import Foundation
import Testing
@testable import VFSImage

@Suite struct RoundTripTests {
    @Test(arguments: ["basic-oracle.vfs.zst", "rootfs-oracle.vfs.zst"])
    func saveWithoutEditsIsByteIdentical(image: String) throws {
        let original = try decompressedBytes(referenceImage(image))
        let fs = try SharedFS.decode(original)
        #expect(fs.encode() == original)
        let tmp = TempDir()
        for compressed in [false, true] {
            let out = tmp.file("copy.vfs" + (compressed ? ".zst" : ""))
            try ImageFile.save(fs, to: out, compressed: compressed)
            #expect(try decompressedBytes(out) == original)
        }
    }

    @Test func openCloseWithoutEditsLeavesTheFileAlone() throws {
        let tmp = TempDir()
        let path = tmp.file("r.vfs.zst")
        try FileManager.default.copyItem(atPath: referenceImage("rootfs-oracle.vfs.zst"), toPath: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let img = try ImageFile.open(path)
        try img.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: path + ".journal"))
        // A checkpoint without edits rewrites the same decompressed bytes, still zstd.
        let img2 = try ImageFile.open(path)
        try img2.checkpoint()
        try img2.close()
        #expect(try decompressedBytes(path) == decompressedBytes(referenceImage("rootfs-oracle.vfs.zst")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).starts(with: [0x28, 0xB5, 0x2F, 0xFD]))
    }

    @Test func editsKeepLazyStubsAndMetadata() throws {
        let tmp = TempDir()
        let path = tmp.file("r.vfs")
        try Data(decompressedBytes(referenceImage("rootfs-oracle.vfs.zst"))).write(to: URL(fileURLWithPath: path))
        let img = try ImageFile.open(path)
        try img.fs.put("/etc/new-file", "hello\n")
        try img.fs.dir("/opt")
        try img.fs.rename(try img.fs.path("/etc"), bytes("motd"), try img.fs.path("/opt"), bytes("motd"))
        // Renaming a lazy stub changes its recorded path; a second link adds a path.
        try img.fs.rename(try img.fs.path("/usr/bin"), bytes("bash"), try img.fs.path("/usr/bin"), bytes("bash5"))
        try img.fs.link(try img.fs.path("/usr/bin/dash"), try img.fs.path("/bin"), bytes("dash-hard"))
        try img.close()
        let fs = try ImageFile.open(path, readOnly: true).fs
        #expect(fs.check().isConsistent)
        #expect(fs.metadata?["kernelAbi"] == .number("43"))
        let lazy = Dictionary(uniqueKeysWithValues: fs.lazyFiles.map { ($0.url, $0) })
        #expect(lazy["binaries/programs/wasm32/bash.wasm"]?.path == "/usr/bin/bash5")
        #expect(Set(lazy["binaries/programs/wasm32/dash.wasm"]?.paths ?? []) == ["/usr/bin/dash", "/bin/dash-hard"])
        #expect(try fs.text("/etc/new-file") == "hello\n")
        #expect(try fs.attributes(fs.resolve("/bin/sh")).size == 123456)
        // Writing a stub materializes it: it leaves the lazy list.
        let img2 = try ImageFile.open(path)
        try img2.fs.put("/usr/bin/dash", "#!/bin/true\n")
        try img2.close()
        let fs3 = try ImageFile.open(path, readOnly: true).fs
        #expect(fs3.lazyFiles.map(\.url) == ["binaries/programs/wasm32/bash.wasm"])
        #expect(try fs3.text("/bin/sh") == "#!/bin/true\n")
    }
}
