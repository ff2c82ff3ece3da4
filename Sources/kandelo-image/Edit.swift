import ArgumentParser
import VFSImage
#if canImport(Glibc)
import Glibc
#endif

struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an image's tree into a host directory.",
        discussion: """
            Modes and times are applied; owners and device nodes only when run as root. \
            With --manifest, DIR/MANIFEST lists every entry in mkrootfs's grammar (lazy files, \
            owners, devices included), so 'kandelo-image build DIR/MANIFEST DIR -o OUT' rebuilds it.
            """)
    @Argument(help: "The image.") var image: String
    @Argument(help: "Destination directory (created if missing; must be empty unless --force).") var dir: String
    @Flag(help: "Extract into a non-empty directory, replacing files.") var force = false
    @Flag(help: "Also write DIR/MANIFEST.") var manifest = false
    @Flag(help: "No progress or warnings.") var quiet = false

    func run() throws {
        let img = try openImage(image, readOnly: true)
        var o = ExtractOptions()
        o.force = force; o.writeManifest = manifest
        let progress = ProgressLine("extracting", quiet: quiet)
        do {
            try Extractor.extract(img.fs, to: dir, options: o,
                                  warn: { if !quiet { FileHandleOutput.stderr("kandelo-image: warning: \($0)\n") } },
                                  progress: progress.update)
        } catch { progress.finish(); throw fail(error.description) }
        progress.finish()
    }
}

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add one file, directory or symlink to an image, in place.",
        discussion: """
            The parent directory must exist. --force replaces an entry of the same type (a file \
            or symlink is recreated; a directory gets the new mode and owner). The image is \
            rewritten atomically and keeps its compression; lazy files and metadata are kept.
            """)
    @Argument(help: "The image.") var image: String
    @Argument(help: "Absolute path inside the image.") var path: String
    @Option(help: "Host file whose content to store.") var file: String?
    @Flag(help: "Make a directory.") var dir = false
    @Option(help: "Make a symlink pointing to TARGET.") var symlink: String?
    @Option(help: "Octal permission bits (default 0644 for files, 0755 for directories).") var mode: String?
    @Option(help: "Owner uid (default 0).") var uid: UInt32 = 0
    @Option(help: "Owner gid (default 0).") var gid: UInt32 = 0
    @Flag(help: "Replace an existing entry of the same type.") var force = false

    func validate() throws {
        guard [file != nil, dir, symlink != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --file, --dir, --symlink")
        }
        if let why = Manifest.canonicalProblem(path) { throw ValidationError("path \(path): \(why)") }
        guard path != "/" else { throw ValidationError("the root directory cannot be added") }
        if let mode { guard let m = UInt32(mode, radix: 8), m <= 0o7777 else { throw ValidationError("--mode must be octal ≤ 7777") } }
    }

    func run() throws {
        var content: [UInt8] = []
        if let file {
            let f = fopen(file, "rb")
            guard let f else { throw fail("cannot read \(file): \(String(cString: strerror(errno)))") }
            var buf = [UInt8](repeating: 0, count: 1 << 20)
            while true { let n = fread(&buf, 1, buf.count, f); if n <= 0 { break }; content += buf.prefix(n) }
            fclose(f)
        }
        let img = try openImage(image, readOnly: false)
        let fs = img.fs
        let perm = mode.flatMap { UInt32($0, radix: 8) } ?? (dir ? 0o755 : 0o644)
        do {
            let (parent, name) = try fs.resolveParent(path)
            if let existing = try? fs.lookup(parent, name) {
                guard force else { throw fail("\(path) already exists; pass --force to replace it") }
                let t = try fs.attributes(existing).type
                let want: FileType = dir ? .directory : (symlink != nil ? .symlink : .regular)
                guard t == want else { throw fail("\(path) is a \(t.map { "\($0)" } ?? "?"), not a \(want); --force replaces only the same type") }
                if dir {
                    try fs.setAttributes(existing, SetAttributes(mode: perm, uid: uid, gid: gid))
                    try img.close()
                    return
                }
                try fs.unlink(parent, name)
            }
            if dir {
                let ino = try fs.mkdir(parent, name, mode: perm)
                try fs.setAttributes(ino, SetAttributes(mode: perm, uid: uid, gid: gid))
            } else if let symlink {
                let ino = try fs.symlink(parent, name, target: Array(symlink.utf8))
                try fs.setAttributes(ino, SetAttributes(uid: uid, gid: gid))
            } else {
                let ino = try fs.create(parent, name, mode: perm)
                try fs.truncate(ino, to: 0)
                if try fs.write(ino, at: 0, content) < content.count { throw LinuxErrno.ENOSPC }
                try fs.setAttributes(ino, SetAttributes(mode: perm, uid: uid, gid: gid))
            }
        } catch let e as LinuxErrno {
            throw fail("\(path): \(e)\(e == .ENOSPC ? " (the image is at its maximum size; nothing was written)" : "")")
        }
        do { try img.close() } catch { throw fail("\(image): \(error)") }
    }
}

struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an image's consistency; exit 0 only when it is consistent.",
        discussion: """
            Reports every fault found: bitmaps, block pointers, shared or leaked blocks, free \
            counts, directory records, the tree (cycles, unreachable inodes), link counts. A \
            journal left beside the image is applied (in memory) first. Exit status: 0 \
            consistent, 1 faults found, 2 the image cannot be read at all.
            """)
    @Argument(help: "The image.") var image: String
    @Flag(help: "Print notes too (orphans and other harmless findings).") var verbose = false

    func run() throws {
        let img: ImageFile
        do { img = try ImageFile.open(image, readOnly: true, verify: false) }
        catch { FileHandleOutput.stderr("kandelo-image: \(image): \(error)\n"); throw ExitCode(2) }
        let r = img.fs.check()
        for f in r.faults { print("FAULT: \(f)") }
        if verbose { for n in r.notes { print("note: \(n)") } }
        let s = img.fs.statistics()
        print("\(image): \(r.isConsistent ? "clean" : "\(r.faults.count) fault(s)"), \(r.inodesChecked) inodes, "
              + "\(r.blocksInUse) data blocks in use, \(s.freeBlocks) of \(s.totalBlocks) blocks free"
              + (img.replayedRecords > 0 ? ", \(img.replayedRecords) journal record(s) applied" : ""))
        if !r.isConsistent { throw ExitCode(1) }
    }
}
