// Builder.swift: making an image from a manifest and a source tree (mkrootfs's `build`,
// kandelo-vfs-format.md §7.5), or from a host directory as it stands.
//
// The manifest build replays mkrootfs's sequence step for step, so that the allocation
// order — and so the bytes — match Kandelo's: directories by depth (mkdir, chown, chmod),
// regular files in manifest order (lazy stubs, or create + truncate + one write, then
// chown, chmod), symlinks (symlink, lchown), then timestamps normalized to
// SOURCE_DATE_EPOCH. Device lines are skipped as mkrootfs does, unless asked for.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public struct BuildOptions: Sendable {
    public var sabSize = 16 << 20
    /// Growth ceiling; nil = 4 × sabSize (mkrootfs's default), or enough for the tree.
    public var maxSize: Int? = nil
    public var kernelAbi: UInt64? = nil
    /// Kandelo for Linux guest ABI the image's programs need (metadata "linuxAbi"; see
    /// Sources/Launcher/LoginShell.swift ImageABI). Not Kandelo's kernelAbi numbering.
    public var linuxAbi: UInt64? = nil
    public var abiSnapshotSha256: String? = nil
    public var createdBy = "kandelo-image build"
    /// Every inode's times, in ms (SOURCE_DATE_EPOCH × 1000). Manifest builds default to 0;
    /// directory builds keep the host's times when this is nil.
    public var timestampMs: UInt64? = nil
    /// Where `src=` paths are resolved (mkrootfs's --repo-root); default: the tree's parent.
    public var repoRoot: String? = nil
    /// Create c/b manifest lines as device nodes (our format extension) instead of skipping.
    public var deviceNodes = false
    public init() {}
}

public struct BuildProgress: Sendable {
    public var done: Int
    public var total: Int
    public var bytes: UInt64
    public var path: String
}

public struct BuildError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
    init(_ m: String) { message = m }
}

public enum Builder {
    public typealias Progress = (BuildProgress) -> Void

    // MARK: manifest build

    public static func build(manifest entries: [ManifestEntry], tree: String, options: BuildOptions = BuildOptions(),
                             warn: (String) -> Void = { _ in }, progress: Progress? = nil) throws(BuildError) -> SharedFS {
        do { try Manifest.validate(entries) } catch { throw BuildError(error.description) }
        let fs: SharedFS
        do { fs = try SharedFS(size: options.sabSize, maxSize: options.maxSize ?? options.sabSize * 4) }
        catch { throw BuildError("cannot make the filesystem: \(error)") }
        let stamp = options.timestampMs ?? 0
        fs.clock = { stamp }
        let total = entries.count
        var done = 0
        var bytes: UInt64 = 0
        func step(_ e: ManifestEntry) { done += 1; progress?(BuildProgress(done: done, total: total, bytes: bytes, path: e.path)) }
        func fail(_ e: ManifestEntry, _ what: String, _ err: LinuxErrno) -> BuildError {
            if err == .ENOSPC {
                return BuildError("\(e.origin): \(e.path): the image is full (maximum \(fs.statistics().totalBlocks * 4096) bytes); raise --max-size")
            }
            return BuildError("\(e.origin): \(what) \(e.path): \(err)")
        }
        func parent(_ e: ManifestEntry) throws(BuildError) -> (InodeNumber, [UInt8]) {
            do { return try fs.resolveParent(e.path) } catch {
                throw BuildError("\(e.origin): the parent directory of \(e.path) does not exist (\(error)); list it as a 'd' line")
            }
        }

        // Directories, stable-sorted by depth; "/" itself is never changed.
        let dirs = entries.enumerated().filter { if case .directory = $0.element.kind { true } else { false } }
            .sorted { ($0.element.depth, $0.offset) < ($1.element.depth, $1.offset) }.map(\.element)
        for e in dirs where e.path != "/" {
            let (p, name) = try parent(e)
            do {
                let ino = try fs.mkdir(p, name, mode: e.mode)
                try fs.chown(ino, uid: e.uid, gid: e.gid)
                try fs.chmod(ino, e.mode)
            } catch { throw fail(e, "mkdir", error) }
            step(e)
        }
        if entries.contains(where: { $0.path == "/" }) { done += 1 }
        // Regular files, in manifest order.
        let root = options.repoRoot ?? HostPath.directory(of: tree)
        for e in entries {
            switch e.kind {
            case .lazyFile(let url, let size):
                do {
                    let ino = try fs.registerLazyFile(e.path, url: url, size: size, mode: e.mode)
                    try fs.chown(ino, uid: e.uid, gid: e.gid)
                    try fs.chmod(ino, e.mode)
                } catch { throw fail(e, "lazy file", error) }
            case .file(let src):
                let hostPath = src.map { $0.hasPrefix("/") ? $0 : root + "/" + $0 } ?? tree + e.path
                let (p, name) = try parent(e)
                let ino: InodeNumber
                do {
                    ino = try fs.create(p, name, mode: e.mode)
                    try fs.truncate(ino, to: 0)
                } catch { throw fail(e, "create", error) }
                let n = try copyHostFile(hostPath, into: fs, ino, origin: e.origin) { err in fail(e, "write", err) }
                bytes += n
                do {
                    try fs.chown(ino, uid: e.uid, gid: e.gid)
                    try fs.chmod(ino, e.mode)
                } catch { throw fail(e, "chmod", error) }
            default: continue
            }
            step(e)
        }
        // Symlinks, then devices.
        for e in entries {
            switch e.kind {
            case .symlink(let target):
                let (p, name) = try parent(e)
                do {
                    let ino = try fs.symlink(p, name, target: Array(target.utf8))
                    try fs.setAttributes(ino, SetAttributes(uid: e.uid, gid: e.gid))
                } catch { throw fail(e, "symlink", error) }
            case .device(let character, let major, let minor):
                guard options.deviceNodes else {
                    warn("\(e.origin): \(e.path): device lines are skipped (Kandelo synthesizes /dev); pass --device-nodes to store it")
                    continue
                }
                let (p, name) = try parent(e)
                do {
                    let ino = try fs.mknod(p, name, mode: (character ? FileType.characterDevice : .blockDevice).rawValue | e.mode,
                                           rdev: linuxDeviceNumber(major: major, minor: minor))
                    try fs.chown(ino, uid: e.uid, gid: e.gid)
                } catch { throw fail(e, "mknod", error) }
            default: continue
            }
            step(e)
        }
        // Archives (ZIP members), in manifest order.
        let overrides = Set(entries.compactMap { e -> String? in if case .file(let s) = e.kind, s != nil { e.path } else { nil } })
        for e in entries {
            guard case .archive(let url, let fmode, let keepExec, let dmode) = e.kind else { continue }
            let zipPath = url.hasPrefix("/") ? url : root + "/" + url
            let file: HostFile
            do { file = try HostFile.open(zipPath, O_RDONLY) } catch { throw BuildError("\(e.origin): \(error)") }
            let data: [UInt8]
            do { data = try file.readAll() } catch { file.close(); throw BuildError("\(e.origin): \(error)") }
            file.close()
            let zip = try ZipArchive(data, name: zipPath)
            try addArchive(zip, name: zipPath, base: e.path, fileMode: fmode, preserveExecutable: keepExec,
                           directoryMode: dmode, uid: e.uid, gid: e.gid, overrides: overrides, into: fs, origin: e.origin, warn: warn)
            step(e)
        }
        fs.normalizeTimestamps(stamp)
        try setBuildMetadata(fs, options)
        fs.clock = SharedFS.wallClockMilliseconds
        return fs
    }

    /// mkrootfs's archive step (§7.5 step 7): directories by depth, files in central-directory
    /// order, then symlinks. Explicit `f … src=` entries win over members, with a warning.
    static func addArchive(_ zip: ZipArchive, name: String, base: String, fileMode: UInt32, preserveExecutable: Bool,
                           directoryMode: UInt32, uid: UInt32, gid: UInt32, overrides: Set<String>, into fs: SharedFS,
                           origin: String, warn: (String) -> Void) throws(BuildError) {
        func vfsPath(_ m: ZipMember) throws(BuildError) -> String {
            let rel = m.isDirectory ? String(m.name.dropLast()) : m.name
            guard !rel.isEmpty, !rel.hasPrefix("/"), Manifest.canonicalProblem("/" + rel) == nil else {
                throw BuildError("\(origin): \(name): member '\(m.name)' is not a canonical relative path")
            }
            return (base == "/" ? "" : base) + "/" + rel
        }
        func fail(_ path: String, _ err: LinuxErrno) -> BuildError { BuildError("\(origin): \(name): \(path): \(err)") }
        /// Makes missing directories down to `path` with the archive's dmode and owner.
        func ensureDirectory(_ path: String) throws(BuildError) {
            var cur = InodeNumber.root
            for part in path.split(separator: "/") {
                if let next = try? fs.lookup(cur, Array(part.utf8)) {
                    guard (try? fs.attributes(next).type) == .directory else { throw fail(path, .ENOTDIR) }
                    cur = next; continue
                }
                do {
                    cur = try fs.mkdir(cur, Array(part.utf8), mode: directoryMode)
                    try fs.chown(cur, uid: uid, gid: gid)
                    try fs.chmod(cur, directoryMode)
                } catch { throw fail(path, error) }
            }
        }
        let dirs = zip.members.enumerated().filter { $0.element.isDirectory }
            .sorted { ($0.element.name.split(separator: "/").count, $0.offset) < ($1.element.name.split(separator: "/").count, $1.offset) }
        for (_, m) in dirs { try ensureDirectory(try vfsPath(m)) }
        for m in zip.members where !m.isDirectory && !m.isSymlink {
            let path = try vfsPath(m)
            if overrides.contains(path) { warn("\(origin): \(path): the manifest's f … src= entry overrides the archive member"); continue }
            try ensureDirectory(String(path[..<path.lastIndex(of: "/")!]))
            let content = try zip.content(m, archive: name)
            let mode = preserveExecutable && m.creatorOS == 3 ? fileMode | (m.unixMode & 0o111) : fileMode
            do {
                let (dir, leaf) = try fs.resolveParent(path)
                if (try? fs.lookup(dir, leaf)) != nil { throw BuildError("\(origin): \(path): the archive member collides with an existing entry") }
                let ino = try fs.create(dir, leaf, mode: mode)
                try fs.truncate(ino, to: 0)
                let off = try fs.liveInode(ino)
                if !content.isEmpty {
                    let n = try content.withBytes { (b) throws(LinuxErrno) in try fs.writeContent(off, at: 0, from: b) }
                    if n < content.count { throw LinuxErrno.ENOSPC }
                    fs.bumpDataSequence(off)
                    fs.mem.setU32(off + InodeField.mode, fs.mode(off) & ~SharedFS.setuidBits)
                }
                try fs.chown(ino, uid: uid, gid: gid)
                try fs.chmod(ino, mode)
            } catch let e as BuildError { throw e } catch let e as LinuxErrno { throw fail(path, e) } catch { throw BuildError("\(error)") }
        }
        for m in zip.members where m.isSymlink {
            let path = try vfsPath(m)
            let target = try zip.content(m, archive: name)
            guard !target.isEmpty, !target.contains(0), String(validating: target, as: UTF8.self) != nil else {
                throw BuildError("\(origin): \(path): a symlink member needs a non-empty UTF-8 target")
            }
            try ensureDirectory(String(path[..<path.lastIndex(of: "/")!]))
            do {
                let (dir, leaf) = try fs.resolveParent(path)
                let ino = try fs.symlink(dir, leaf, target: target)
                try fs.setAttributes(ino, SetAttributes(uid: uid, gid: gid))
            } catch { throw fail(path, error) }
        }
    }

    static func setBuildMetadata(_ fs: SharedFS, _ o: BuildOptions) throws(BuildError) {
        if o.kernelAbi == nil && o.abiSnapshotSha256 != nil { throw BuildError("--abi-snapshot-sha256 needs --kernel-abi") }
        guard o.kernelAbi != nil || o.linuxAbi != nil else { return }
        var pairs: [(String, JSONValue)] = [("version", .int(1))]
        if let abi = o.kernelAbi { pairs.append(("kernelAbi", .int(abi))) }
        if let h = o.abiSnapshotSha256 { pairs.append(("abiSnapshotSha256", .string(h))) }
        if let abi = o.linuxAbi { pairs.append(("linuxAbi", .int(abi))) }
        pairs.append(("createdBy", .string(o.createdBy)))
        do { try fs.setMetadata(.object(pairs)) } catch { throw BuildError("metadata: \(error)") }
    }

    /// glibc's dev_t layout (gnu_dev_major / gnu_dev_minor).
    static func hostMajor(_ d: dev_t) -> UInt32 {
        let v = UInt64(d)
        let low: UInt64 = (v >> 8) & 0xFFF
        let high: UInt64 = (v >> 32) & 0xFFFF_F000
        return UInt32(truncatingIfNeeded: low | high)
    }
    static func hostMinor(_ d: dev_t) -> UInt32 {
        let v = UInt64(d)
        let low: UInt64 = v & 0xFF
        let high: UInt64 = (v >> 12) & 0xFFFF_FF00
        return UInt32(truncatingIfNeeded: low | high)
    }

    /// Linux's dev_t encoding (new_encode_dev) of major:minor.
    public static func linuxDeviceNumber(major: UInt32, minor: UInt32) -> UInt32 {
        (minor & 0xFF) | ((major & 0xFFF) << 8) | ((minor & ~0xFF) << 12)
    }

    /// Copies a host file into regular file `ino` with one logical write: blocks are allocated
    /// in order and the data sequence is bumped once, as Kandelo's single write call does.
    static func copyHostFile(_ path: String, into fs: SharedFS, _ ino: InodeNumber, origin: String,
                             fail: (LinuxErrno) -> BuildError) throws(BuildError) -> UInt64 {
        let file: HostFile
        do { file = try HostFile.open(path, O_RDONLY) } catch { throw BuildError("\(origin): \(error)") }
        defer { file.close() }
        let chunk = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buf.deallocate() }
        var offset: UInt64 = 0
        let off: Int
        do { off = try fs.liveInode(ino) } catch { throw fail(error) }
        while true {
            let n: Int
            do { n = try file.read(into: buf, count: chunk, at: Int(offset)) } catch { throw BuildError("\(origin): \(error)") }
            if n == 0 { break }
            do throws(LinuxErrno) {
                let w = try fs.writeContent(off, at: offset, from: UnsafeRawBufferPointer(start: buf, count: n))
                if w < n { throw LinuxErrno.ENOSPC }
            } catch { throw fail(error) }
            offset += UInt64(n)
        }
        if offset > 0 {
            fs.bumpDataSequence(off)
            fs.mem.setU32(off + InodeField.mode, fs.mode(off) & ~SharedFS.setuidBits)
        }
        return offset
    }

    // MARK: directory build

    /// Builds from a host directory, taking types, modes, owners, times and hard links from it.
    public static func build(fromDirectory dir: String, options: BuildOptions = BuildOptions(),
                             warn: (String) -> Void = { _ in }, progress: Progress? = nil) throws(BuildError) -> SharedFS {
        var nodes: [(path: String, st: stat)] = []
        var totalBytes: UInt64 = 0
        try walk(dir, "", &nodes, &totalBytes, warn: warn)
        // Room for the data, the inode table for the ceiling, and slack.
        let needed = Int(totalBytes) + nodes.count * 4096 + (8 << 20)
        let maxSize = options.maxSize ?? min(max(options.sabSize * 4, needed + needed / 4), Container.maxImageBytes - (1 << 20))
        let fs: SharedFS
        do { fs = try SharedFS(size: min(options.sabSize, maxSize), maxSize: maxSize) }
        catch { throw BuildError("cannot make the filesystem: \(error)") }
        fs.clock = { options.timestampMs ?? 0 }
        var done = 0, bytes: UInt64 = 0
        var hardLinks: [String: InodeNumber] = [:]
        var created: [(InodeNumber, stat)] = []
        func fail(_ path: String, _ err: LinuxErrno) -> BuildError {
            err == .ENOSPC ? BuildError("\(path): the image is full (maximum \(maxSize) bytes); raise --max-size")
                           : BuildError("\(path): \(err)")
        }
        let ordered = nodes.enumerated().sorted { a, b in
            let da = a.element.st.st_mode & S_IFMT == S_IFDIR, db = b.element.st.st_mode & S_IFMT == S_IFDIR
            if da != db { return da }
            if da { return (a.element.path.split(separator: "/").count, a.offset) < (b.element.path.split(separator: "/").count, b.offset) }
            return a.offset < b.offset
        }.map(\.element)
        for (path, st) in ordered {
            let perm = UInt32(st.st_mode) & 0o7777
            do {
                if path.isEmpty {  // the root itself
                    try fs.setAttributes(.root, SetAttributes(mode: perm, uid: UInt32(st.st_uid), gid: UInt32(st.st_gid)))
                    created.append((.root, st)); continue
                }
                let (p, name) = try fs.resolveParent(path)
                let key = "\(st.st_dev):\(st.st_ino)"
                if st.st_mode & S_IFMT != S_IFDIR, st.st_nlink > 1, let first = hardLinks[key] {
                    try fs.link(first, p, name)
                    continue
                }
                let ino: InodeNumber
                switch st.st_mode & S_IFMT {
                case S_IFDIR: ino = try fs.mkdir(p, name, mode: perm)
                case S_IFREG:
                    ino = try fs.create(p, name, mode: perm)
                    try fs.truncate(ino, to: 0)
                    bytes += try copyHostFile(dir + path, into: fs, ino, origin: dir + path) { fail(path, $0) }
                case S_IFLNK:
                    var buf = [CChar](repeating: 0, count: 4097)
                    let n = readlink(dir + path, &buf, 4096)
                    guard n > 0 else { throw BuildError("\(dir + path): cannot read the symlink") }
                    ino = try fs.symlink(p, name, target: buf.prefix(n).map { UInt8(bitPattern: $0) })
                case S_IFIFO: ino = try fs.mknod(p, name, mode: FileType.fifo.rawValue | perm)
                case S_IFCHR, S_IFBLK:
                    let t: FileType = st.st_mode & S_IFMT == S_IFCHR ? .characterDevice : .blockDevice
                    ino = try fs.mknod(p, name, mode: t.rawValue | perm,
                                       rdev: linuxDeviceNumber(major: hostMajor(st.st_rdev), minor: hostMinor(st.st_rdev)))
                default:
                    warn("\(dir + path): sockets are not stored; skipped"); continue
                }
                try fs.setAttributes(ino, SetAttributes(mode: st.st_mode & S_IFMT == S_IFLNK ? nil : perm,
                                                        uid: UInt32(st.st_uid), gid: UInt32(st.st_gid)))
                if st.st_nlink > 1 && st.st_mode & S_IFMT != S_IFDIR { hardLinks[key] = ino }
                created.append((ino, st))
            } catch let e as BuildError { throw e } catch let e as LinuxErrno { throw fail(path, e) } catch { throw BuildError("\(path): \(error)") }
            done += 1
            progress?(BuildProgress(done: done, total: nodes.count, bytes: bytes, path: path.isEmpty ? "/" : path))
        }
        // Times last: adding names changed the directories' mtimes.
        if let stamp = options.timestampMs {
            fs.normalizeTimestamps(stamp)
        } else {
            for (ino, st) in created {
                let a = Timestamp(seconds: Int64(st.st_atim.tv_sec), nanoseconds: Int64(st.st_atim.tv_nsec))
                let m = Timestamp(seconds: Int64(st.st_mtim.tv_sec), nanoseconds: Int64(st.st_mtim.tv_nsec))
                let c = Timestamp(seconds: Int64(st.st_ctim.tv_sec), nanoseconds: Int64(st.st_ctim.tv_nsec))
                _ = try? fs.setAttributes(ino, SetAttributes(atime: a, mtime: m, ctime: c))
            }
        }
        try setBuildMetadata(fs, options)
        fs.clock = SharedFS.wallClockMilliseconds
        return fs
    }

    /// Lists `base + rel` and below (lstat, names in byte order), the directory first.
    private static func walk(_ base: String, _ rel: String, _ out: inout [(path: String, st: stat)],
                             _ bytes: inout UInt64, warn: (String) -> Void) throws(BuildError) {
        var st = stat()
        guard lstat(base + rel, &st) == 0 else {
            throw BuildError("\(base + rel): \(String(cString: strerror(errno)))")
        }
        out.append((rel, st))
        if st.st_mode & S_IFMT == S_IFREG { bytes += UInt64(st.st_size) }
        guard st.st_mode & S_IFMT == S_IFDIR else { return }
        guard let d = opendir(base + rel) else {
            throw BuildError("\(base + rel): cannot list: \(String(cString: strerror(errno)))")
        }
        var names: [[UInt8]] = []
        while let ent = readdir(d) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        closedir(d)
        names.sort { $0.lexicographicallyPrecedes($1) }
        for n in names {
            guard let s = String(validating: n, as: UTF8.self) else {
                warn("\(base + rel)/…: a name that is not UTF-8 was skipped"); continue
            }
            try walk(base, rel + "/" + s, &out, &bytes, warn: warn)
        }
    }
}

extension SharedFS {
    /// mkrootfs's save-time normalization (§5.11): allocated inodes get `ms` in all three
    /// times, unallocated slots 0.
    public func normalizeTimestamps(_ ms: UInt64) {
        for ino in 0..<sb.totalInodes {
            let off = inodeOffset(ino)
            let v: UInt64 = (ino >= 1 && bit(inode: ino)) ? ms : 0
            for f in [InodeField.mtime, InodeField.ctime, InodeField.atime] where mem.u64(off + f) != v {
                mem.setU64(off + f, v)
            }
        }
    }
}
