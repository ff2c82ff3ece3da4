import ArgumentParser
import VFSImage
#if canImport(Glibc)
import Glibc
#endif

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build an image from a manifest and a source tree, or from a directory.",
        discussion: """
            MANIFEST lines follow mkrootfs's grammar: '<path> <type> <mode> [uid] [gid] [key=value ...]' \
            with types d, f (src=, or lazy_url= + lazy_size=), l (target=), c/b (major= minor=). \
            Regular files without src= come from TREE/<path>. Every timestamp is \
            SOURCE_DATE_EPOCH (default 0) so builds are reproducible; the allocation order follows \
            mkrootfs, so the bytes match Kandelo's for the same inputs.

            With --from-dir, types, modes, owners, times and hard links come from DIR itself \
            (SOURCE_DATE_EPOCH, when set, overrides the times).
            """)

    @Argument(help: "Manifest file (omit with --from-dir).") var manifest: String?
    @Argument(help: "Source tree holding the files the manifest lists.") var tree: String?
    @Option(name: .customLong("from-dir"), help: "Build from this directory instead of a manifest.") var fromDir: String?
    @Option(name: .shortAndLong, help: "Output image; compressed with zstd when it ends in .zst.") var output: String
    @Option(name: .customLong("manifest-fragment"), help: "Extra manifest appended after MANIFEST (repeatable).")
    var fragments: [String] = []
    @Option(name: .customLong("repo-root"), help: "Directory src= paths are relative to (default: TREE's parent).")
    var repoRoot: String?
    @Option(name: .customLong("sab-size"), help: "Initial filesystem size in bytes (default 16777216).") var sabSize: Int = 16 << 20
    @Option(name: .customLong("max-size"), help: "Maximum size the filesystem may grow to (default: 4 × --sab-size; from a directory, enough for it).")
    var maxSize: Int?
    @Option(name: .customLong("kernel-abi"), help: "Record this kernel ABI version in the image metadata.") var kernelAbi: UInt64?
    @Option(name: .customLong("linux-abi"), help: "Record the Kandelo for Linux guest ABI version its programs need (sdk/include/kandelo/abi.h); newer kernels' images are refused by older ones.") var linuxAbi: UInt64?
    @Option(name: .customLong("abi-snapshot-sha256"), help: "Record the ABI snapshot hash (needs --kernel-abi).") var abiSha: String?
    @Option(name: .customLong("created-by"), help: "The metadata's createdBy string.") var createdBy = "kandelo-image build"
    @Flag(name: .customLong("device-nodes"), help: "Store c/b manifest lines as device nodes instead of skipping them.")
    var deviceNodes = false
    @Flag(help: "No progress or warnings.") var quiet = false

    func run() throws {
        var o = BuildOptions()
        o.sabSize = sabSize; o.maxSize = maxSize; o.kernelAbi = kernelAbi; o.linuxAbi = linuxAbi; o.abiSnapshotSha256 = abiSha
        o.createdBy = createdBy; o.repoRoot = repoRoot; o.deviceNodes = deviceNodes
        if let e = getenv("SOURCE_DATE_EPOCH") {
            guard let s = UInt64(String(cString: e)) else { throw fail("SOURCE_DATE_EPOCH must be whole seconds") }
            o.timestampMs = s * 1000
        }
        let warn: (String) -> Void = { if !quiet { FileHandleOutput.stderr("kandelo-image: warning: \($0)\n") } }
        let progress = ProgressLine("building", quiet: quiet)
        let fs: SharedFS
        do {
            if let dir = fromDir {
                guard manifest == nil, tree == nil else { throw fail("--from-dir takes no MANIFEST or TREE") }
                fs = try Builder.build(fromDirectory: dir, options: o, warn: warn, progress: progress.update)
            } else {
                guard let manifest, let tree else { throw fail("give MANIFEST and TREE, or --from-dir DIR (see --help)") }
                var entries: [ManifestEntry] = []
                for path in [manifest] + fragments {
                    guard let text = readText(path) else { throw fail("cannot read \(path): \(String(cString: strerror(errno)))") }
                    do { entries += try Manifest.parse(text, name: path) } catch { throw fail(error.description) }
                }
                fs = try Builder.build(manifest: entries, tree: tree, options: o, warn: warn, progress: progress.update)
            }
        } catch let e as BuildError { progress.finish(); throw fail(e.description) }
        progress.finish()
        // ^C (or SIGTERM/SIGHUP) while the image is written removes the temporary file:
        // OUT is either the complete new image or what it was before.
        let cleanup = InterruptCleanup(removing: ImageFile.temporaryPath(for: output))
        defer { cleanup.disarm() }
        do { try ImageFile.save(fs, to: output, compressed: output.hasSuffix(".zst"), level: 19) }
        catch { throw fail("\(output): \(error)") }
        if !quiet {
            let s = fs.statistics()
            FileHandleOutput.stderr("wrote \(output): \(fs.sabLength) bytes of filesystem, \(s.totalInodes - s.freeInodes - 1) inodes, \(fs.lazyFiles.count) lazy files\n")
        }
    }
}

func readText(_ path: String) -> String? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        bytes += buf.prefix(n)
    }
    return String(decoding: bytes, as: UTF8.self)
}
