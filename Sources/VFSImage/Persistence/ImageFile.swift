// ImageFile.swift: an image file on the host, opened for reading or editing.
//
// Life of an image opened for writing:
//   open       read the file (raw or zstd, by magic), check it, take the lock (flock on
//              IMAGE.journal), replay a journal left by a process that died, free orphans;
//   sync       append the blocks changed since the last sync to the journal, fdatasync:
//              durable when it returns, costing what changed, not the image size;
//   checkpoint write the whole image to a temporary file beside it, fsync, rename over the
//              original, fsync the directory, then start the journal over: atomic, and it
//              keeps the input's compression;
//   close      checkpoint if anything changed, remove the journal, drop the lock.
// After a crash at any point, reopening yields every byte some completed sync covered.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class ImageFile {
    public let path: String
    public let fs: SharedFS
    /// The file held a zstd frame; checkpoints write one too.
    public var compressed: Bool
    public let readOnly: Bool
    /// Journal size past which `sync` checkpoints instead of growing the journal.
    public var journalLimit = 256 << 20
    /// zstd level for compressed checkpoints.
    public var compressionLevel: Int32 = 3
    /// What opening found: journal records applied, orphan inodes freed.
    public private(set) var replayedRecords = 0
    public private(set) var freedOrphans = 0
    private var journal: Journal?
    private var closed = false

    private init(path: String, fs: SharedFS, compressed: Bool, readOnly: Bool, journal: Journal?) {
        self.path = path; self.fs = fs; self.compressed = compressed; self.readOnly = readOnly; self.journal = journal
    }

    deinit { if !closed, let journal { journal.file.close() } }

    // MARK: opening

    /// Opens an image. `verify` runs fsck and refuses an inconsistent image.
    public static func open(_ path: String, readOnly: Bool = false, verify: Bool = true) throws(ImageError) -> ImageFile {
        var lockFile: HostFile? = nil
        let journalExisted = HostPath.exists(Journal.path(for: path))
        if !readOnly { lockFile = try lock(path) }
        do {
            let file = try HostFile.open(path, O_RDONLY)
            defer { file.close() }
            let st = try file.stat()
            guard st.st_mode & S_IFMT == S_IFREG else { throw ImageError.notAnImage("\(path) is not a regular file") }
            let (fs, compressed) = try load(file)
            if !readOnly { fs.readOnly = false } else { fs.readOnly = true }
            let image = ImageFile(path: path, fs: fs, compressed: compressed, readOnly: readOnly, journal: nil)
            try image.replayJournal(identity: JournalIdentity(st), lockFile: lockFile)
            if verify {
                let report = fs.check()
                if !report.isConsistent { throw ImageError.inconsistent(report.faults) }
            }
            if !readOnly {
                fs.readOnly = false
                image.freedOrphans = fs.freeOrphans()
            }
            _ = fs.mem.takeDirtyBlocks()
            if image.freedOrphans > 0 { fs.mem.markDirty(block: 0) }
            return image
        } catch let e as ImageError {
            // Leave no lock file behind that we created for nothing.
            if let lockFile, !journalExisted, (try? lockFile.stat().st_size) == 0 { HostPath.unlink(Journal.path(for: path)) }
            lockFile?.close()
            throw e
        } catch { preconditionFailure("\(error)") }
    }

    /// Takes the writer's lock: flock on IMAGE.journal, re-checked against a racing unlink.
    private static func lock(_ path: String) throws(ImageError) -> HostFile {
        let jpath = Journal.path(for: path)
        for _ in 0..<8 {
            let f = try HostFile.open(jpath, O_RDWR | O_CREAT, mode: 0o600)
            guard try f.tryLock() else {
                f.close()
                throw .locked("\(path) is open for writing by another process (lock held on \(jpath)); "
                              + "unmount it or stop that process first")
            }
            // The holder may have removed the journal between our open and flock.
            if let st = HostPath.stat(jpath), let mine = try? f.stat(), st.st_ino == mine.st_ino { return f }
            f.close()
        }
        throw .locked("could not lock \(jpath): it keeps being replaced")
    }

    /// Loads raw or zstd image bytes from `file` into a SharedFS.
    static func load(_ file: HostFile) throws(ImageError) -> (SharedFS, Bool) {
        let size = Int(try file.stat().st_size)
        var head = [UInt8](repeating: 0, count: min(size, Container.headerSize + blockSize))
        _ = try head.withMutableBytes { (b) throws(ImageError) in try file.read(into: b.baseAddress!, count: b.count, at: 0) }
        if head.withUnsafeBytes({ Zstd.isCompressed($0) }) {
            let raw = try file.readAll()
            let bytes = try raw.withBytes { (b) throws(ImageError) in try Zstd.decompress(b) }
            return (try SharedFS.decode(bytes), true)
        }
        guard size <= Container.maxImageBytes else {
            throw .notAnImage("the file is \(size) bytes, over the \(Container.maxImageBytes)-byte limit of the format")
        }
        let (flags, sabLen) = try head.withBytes { (b) throws(ImageError) in try Container.parseHeader(b, totalLength: size) }
        let mem = try ImageMemory(length: sabLen, capacity: SharedFS.capacity(peek: head, sabLength: sabLen))
        _ = try file.read(into: mem.base, count: sabLen, at: Container.headerSize)
        let tail = try file.readAll(from: Container.headerSize + sabLen)
        let sidecars = try Container.parseSections(tail[...], flags: flags)
        return (try SharedFS(memory: mem, sidecars: sidecars), false)
    }

    private func replayJournal(identity: JournalIdentity, lockFile: HostFile?) throws(ImageError) {
        let jpath = Journal.path(for: path)
        let jfile: HostFile
        if let lockFile { jfile = lockFile } else {
            guard HostPath.exists(jpath), let f = try? HostFile.open(jpath, O_RDONLY) else { return }
            jfile = f
        }
        defer { if lockFile == nil { jfile.close() } }
        let (jid, records, validEnd) = try Journal.read(jfile)
        let j = lockFile.map { Journal(file: $0, end: Journal.headerSize) }
        if let jid, jid != identity {
            // Written against another image file: a checkpoint finished but the journal was
            // not reset. Keep it aside, never apply it.
            if let j {
                let stale = jpath + ".stale"
                let bytes = try jfile.readAll()
                let out = try HostFile.open(stale, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
                try bytes.withBytes { (b) throws(ImageError) in try out.write(b, at: 0) }
                try out.sync(); out.close()
                try j.reset(identity)
                journal = j
            }
            return
        }
        var last: UInt64 = 0
        for r in records {
            try fs.apply(r)
            last = r.sequence
        }
        replayedRecords = records.count
        if let j {
            if jid == nil { try j.reset(identity) }
            else { try jfile.truncate(validEnd); j.noteReplayed(upTo: last, end: validEnd) }
            journal = j
        }
    }

    // MARK: durability

    /// Makes every change so far durable (journal append + fdatasync).
    public func sync() throws(ImageError) {
        guard !readOnly, let journal else { return }
        let sidecarsChanged = fs.sidecarState.changedSinceSync
        if fs.mem.dirtyCount == 0 && !sidecarsChanged && journal.end > 0 { return }
        if journal.end > journalLimit { try checkpoint(); return }
        let blocks = fs.mem.takeDirtyBlocks()
        do {
            try journal.append(mem: fs.mem, blocks: blocks, sidecars: sidecarsChanged ? fs.currentSidecars() : nil)
        } catch {
            for b in blocks { fs.mem.markDirty(block: b) }  // still owed to the next sync
            throw error
        }
        fs.sidecarState.changedSinceSync = false
    }

    /// Writes the whole image atomically over the original and starts the journal over.
    public func checkpoint() throws(ImageError) {
        guard !readOnly else { return }
        try ImageFile.save(fs, to: path, compressed: compressed, level: compressionLevel)
        _ = fs.mem.takeDirtyBlocks()
        fs.sidecarState.changedSinceSync = false
        if let journal, let st = HostPath.stat(path) { try journal.reset(JournalIdentity(st)) }
    }

    /// Checkpoints if anything changed since opening, then removes the journal and the lock.
    public func close() throws(ImageError) {
        guard !closed else { return }
        if !readOnly, let journal {
            if fs.mem.dirtyCount > 0 || fs.sidecarState.changedSinceSync || journal.end > Journal.headerSize
                || freedOrphans > 0 || replayedRecords > 0 {
                try checkpoint()
            }
            HostPath.unlink(Journal.path(for: path))
            journal.file.close()
        }
        closed = true
    }

    /// True when changes exist that no checkpoint has written into the image file yet.
    public var hasUncheckpointedChanges: Bool {
        fs.mem.dirtyCount > 0 || fs.sidecarState.changedSinceSync || (journal?.end ?? 0) > Journal.headerSize
    }

    // MARK: saving

    /// The temporary file `save` writes before renaming it over `path` (this process's).
    public static func temporaryPath(for path: String) -> String {
        HostPath.directory(of: path) + "/." + HostPath.name(of: path) + ".tmp-\(getpid())"
    }

    /// Writes `fs` as an image at `path` atomically: temporary file, fsync, rename, fsync dir.
    /// The original file's permission bits are kept. Nothing is changed on failure.
    public static func save(_ fs: SharedFS, to path: String, compressed: Bool, level: Int32 = 3) throws(ImageError) {
        let tmp = temporaryPath(for: path)
        let mode = HostPath.stat(path).map { $0.st_mode & 0o7777 } ?? 0o644
        let out = try HostFile.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        do {
            fchmod(out.fd, mode)
            try fs.writeContainer(compressed: compressed, level: level) { (b, off) throws(ImageError) in try out.write(b, at: off) }
            try out.sync()
            out.close()
            try HostPath.rename(tmp, path)
            try HostPath.syncDirectory(of: path)
        } catch {
            out.close()
            HostPath.unlink(tmp)
            throw error
        }
    }
}

extension SharedFS {
    /// Capacity for a SAB whose first bytes (header + block 0) are `head`.
    static func capacity(peek head: [UInt8], sabLength: Int) -> Int {
        guard head.count >= Container.headerSize + 76 else { return sabLength }
        func u32(_ o: Int) -> Int { Int(head[o]) | Int(head[o+1]) << 8 | Int(head[o+2]) << 16 | Int(head[o+3]) << 24 }
        let total = u32(16 + 12), maxBlocks = u32(16 + 68)
        return max(min(max(total, maxBlocks) * blockSize, Container.maxImageBytes), sabLength)
    }

    /// Decodes a whole uncompressed (or zstd) image held in memory.
    public static func decode(_ input: [UInt8]) throws(ImageError) -> SharedFS {
        if input.withUnsafeBytes({ Zstd.isCompressed($0) }) {
            return try decode(try input.withBytes { (b) throws(ImageError) in try Zstd.decompress(b) })
        }
        let (flags, sabLen) = try input.withBytes { (b) throws(ImageError) in try Container.parseHeader(b, totalLength: input.count) }
        let mem = try ImageMemory(length: sabLen, capacity: capacity(peek: Array(input.prefix(Container.headerSize + 80)), sabLength: sabLen))
        input.withUnsafeBytes { b in mem.base.copyMemory(from: b.baseAddress! + Container.headerSize, byteCount: sabLen) }
        let sidecars = try Container.parseSections(input[(Container.headerSize + sabLen)...], flags: flags)
        return try SharedFS(memory: mem, sidecars: sidecars)
    }

    /// The whole image as uncompressed container bytes.
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        try? writeContainer(compressed: false) { (b, off) throws(ImageError) in
            if out.count < off + b.count { out += [UInt8](repeating: 0, count: off + b.count - out.count) }
            out.withUnsafeMutableBytes { o in (o.baseAddress! + off).copyMemory(from: b.baseAddress!, byteCount: b.count) }
        }
        return out
    }

    /// Streams the container (header, SAB, sections), optionally through zstd, to `sink`.
    func writeContainer(compressed: Bool, level: Int32 = 3,
                        sink: (UnsafeRawBufferPointer, Int) throws(ImageError) -> Void) throws(ImageError) {
        let side = currentSidecars()
        let header = Container.header(flags: side.flags, sabLen: mem.length)
        let tail = side.encoded()
        try header.withBytes { (hb) throws(ImageError) in
            try tail.withBytes { (tb) throws(ImageError) in
                let sab = UnsafeRawBufferPointer(start: mem.base, count: mem.length)
                if compressed {
                    var pos = 0
                    try Zstd.compress([hb, sab, tb], level: level) { (chunk) throws(ImageError) in
                        try sink(chunk, pos); pos += chunk.count
                    }
                } else {
                    try sink(hb, 0)
                    var off = 0
                    while off < sab.count {
                        let n = min(64 << 20, sab.count - off)
                        try sink(UnsafeRawBufferPointer(rebasing: sab[off..<off + n]), hb.count + off)
                        off += n
                    }
                    try sink(tb, hb.count + sab.count)
                }
            }
        }
    }

    /// Applies one journal record (replay).
    func apply(_ r: JournalRecord) throws(ImageError) {
        guard r.sabLen >= mem.length || r.sabLen == mem.length else {
            throw .journal("record \(r.sequence) shrinks the image from \(mem.length) to \(r.sabLen) bytes")
        }
        guard r.sabLen <= mem.capacity else {
            throw .journal("record \(r.sequence) grows the image to \(r.sabLen) bytes, past its capacity \(mem.capacity)")
        }
        if r.sabLen > mem.length { mem.grow(to: r.sabLen) }
        for (i, b) in r.blocks.enumerated() {
            guard Int(b) < mem.length / blockSize else { throw .journal("record \(r.sequence) names block \(b) past the image end") }
            r.data.withUnsafeBytes { d in
                mem.copyIn(UnsafeRawBufferPointer(rebasing: d[(i * blockSize)..<((i + 1) * blockSize)]), at: Int(b) * blockSize)
            }
        }
        sb = try Superblock.decode(mem)
        blockHint = sb.dataStart
        inodeHint = 2
        directoryIndexes.removeAll()
        if let side = r.sidecars {
            let s = try Container.parseSections(side[...], flags: r.flags)
            let original = sidecarState.original
            try loadSidecars(s)
            sidecarState.original = original
            // Sections differ from the image file's: they are written out at the checkpoint.
            sidecarState.lazyDirty = s.lazy != original.lazy
            sidecarState.archivesDirty = s.archives != original.archives
            sidecarState.metadataDirty = s.metadata != original.metadata
            if sidecarState.lazyDirty { sidecarState.original.lazy = s.lazy }
            if sidecarState.archivesDirty { sidecarState.original.archives = s.archives; sidecarState.original.typedArchives = s.typedArchives }
            if sidecarState.metadataDirty { sidecarState.original.metadata = s.metadata }
            sidecarState.original.loadedFlags = nil
            sidecarState.lazyDirty = false; sidecarState.archivesDirty = false; sidecarState.metadataDirty = false
            if s.flags != original.flags || s != original { sidecarState.original.loadedFlags = r.flags }
        }
    }
}
