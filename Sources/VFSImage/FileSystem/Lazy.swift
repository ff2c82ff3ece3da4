// Lazy.swift: the JSON sidecars as live state (kandelo-vfs-format.md §6.2, §6.3, §6.6).
//
// A lazy file is an empty regular-file stub whose content lives at a URL; the sidecar names
// it by (ino, generation, dataSequence) and its paths. Lazy-archive groups list stubs the
// same way. We keep both exactly as loaded and write the original bytes back unless
// something they describe changed:
//   - writing or truncating a stub materializes it: it leaves the lazy list (its content is
//     now real), as Kandelo drops entries whose identity no longer matches;
//   - linking, renaming or unlinking a lazy stub recomputes its `paths` at save;
//   - a pending lazy-archive member may be deleted (dropped from its group) but not renamed
//     or linked (EBUSY): its group's inventory and seals name its path.

public struct LazyFile: Equatable, Sendable {
    public var ino: InodeNumber
    public var generation: UInt64
    public var dataSequence: UInt32
    public var path: String
    public var paths: [String]
    public var url: String
    public var size: UInt64
}

struct SidecarState {
    var original = Sidecars()
    var lazyFiles: [LazyFile] = []
    var lazyDirty = false
    var archiveGroups: [JSONValue]? = nil
    /// Pending archive members by inode: (url, declared size).
    var archiveStubs: [UInt32: (url: String, size: UInt64)] = [:]
    var archivesDirty = false
    var metadata: JSONValue? = nil
    var metadataDirty = false
    /// Set whenever any sidecar changes; the journal clears it after logging the bytes.
    var changedSinceSync = false
}

extension SharedFS {
    // MARK: loading

    func loadSidecars(_ s: Sidecars) throws(ImageError) {
        sidecarState = SidecarState()
        sidecarState.original = s
        if !s.lazy.isEmpty {
            guard case .array(let items) = try JSONValue.parse(s.lazy) else {
                throw .sidecar("the lazy-file section is not a JSON array")
            }
            guard items.count <= 100_000 else { throw .sidecar("\(items.count) lazy files, over the 100,000 limit") }
            for (i, item) in items.enumerated() {
                guard let ino = item["ino"]?.uint64Value, let path = item["path"]?.stringValue,
                      let url = item["url"]?.stringValue, let declared = item["size"]?.uint64Value else {
                    throw .sidecar("lazy file #\(i) lacks ino, path, url or size")
                }
                let paths = item["paths"]?.arrayValue?.compactMap(\.stringValue) ?? [path]
                let gen = item["generation"]?.uint64Value, seq = item["dataSequence"]?.uint64Value
                // Kandelo keeps an entry only if its paths still lead to the same stub.
                guard ino < UInt64(sb.totalInodes), let found = try? resolve(path), found.rawValue == UInt32(ino),
                      let attrs = try? attributes(found), attrs.type == .regular else {
                    sidecarState.lazyDirty = true
                    continue
                }
                if let gen, let seq {
                    guard attrs.generation == gen, UInt64(attrs.dataSequence) == seq else { sidecarState.lazyDirty = true; continue }
                } else {
                    let off = inodeOffset(UInt32(ino))
                    guard size(off) == 0, attrs.dataSequence <= 1 else { sidecarState.lazyDirty = true; continue }
                }
                sidecarState.lazyFiles.append(LazyFile(ino: found, generation: attrs.generation,
                                                       dataSequence: attrs.dataSequence, path: path,
                                                       paths: paths, url: url, size: declared))
            }
        }
        if let a = s.archives {
            guard case .array(let groups) = try JSONValue.parse(a) else {
                throw .sidecar("the lazy-archive section is not a JSON array")
            }
            guard groups.count <= 512 else { throw .sidecar("\(groups.count) archive groups, over the 512 limit") }
            for (g, group) in groups.enumerated() {
                guard case .object = group, let entries = group["entries"]?.arrayValue else {
                    throw .sidecar("archive group #\(g) is not an object with an entries array")
                }
                if s.typedArchives, group["kind"]?.stringValue == nil {
                    throw .sidecar("archive group #\(g) has no kind, but flag bit 3 says every group is typed")
                }
                let url = group["url"]?.stringValue ?? ""
                for e in entries {
                    guard let ino = e["ino"]?.uint64Value, ino < UInt64(sb.totalInodes),
                          let path = e["vfsPath"]?.stringValue else {
                        throw .sidecar("an entry of archive group #\(g) lacks ino or vfsPath")
                    }
                    if let found = try? resolve(path), found.rawValue == UInt32(ino) {
                        sidecarState.archiveStubs[UInt32(ino)] = (url, e["size"]?.uint64Value ?? 0)
                    }
                }
            }
            sidecarState.archiveGroups = groups
        }
        if let m = s.metadata {
            let v = try JSONValue.parse(m)
            guard case .object = v else { throw .sidecar("the metadata section is not a JSON object") }
            guard v["version"] == .number("1") else { throw .sidecar("metadata version must be 1") }
            if let abi = v["kernelAbi"], abi.uint64Value == nil { throw .sidecar("metadata kernelAbi must be a non-negative integer") }
            sidecarState.metadata = v
        }
    }

    // MARK: queries

    /// The lazy files, in registration order.
    public var lazyFiles: [LazyFile] { sidecarState.lazyFiles }

    /// The lazy-archive groups as JSON (nil when the image has none).
    public var archiveGroups: [JSONValue]? { sidecarState.archiveGroups }

    /// The image metadata object (§6.6), nil when absent.
    public var metadata: JSONValue? { sidecarState.metadata }

    /// Replaces the metadata (nil removes the section). Must be an object with version 1.
    public func setMetadata(_ v: JSONValue?) throws(LinuxErrno) {
        try checkWritable()
        if let v {
            guard case .object = v, v["version"] == .number("1") else { throw .EINVAL }
            guard v.serialized().count <= Container.maxMetadataBytes else { throw .EFBIG }
        }
        sidecarState.metadata = v
        sidecarState.metadataDirty = true
        sidecarState.changedSinceSync = true
    }

    /// Where the content of a pending lazy file or archive member would come from.
    public func lazyURL(of ino: InodeNumber) -> String? {
        if let f = sidecarState.lazyFiles.first(where: { $0.ino == ino }) { return f.url }
        return sidecarState.archiveStubs[ino.rawValue]?.url
    }

    func pendingLazySize(_ ino: UInt32) -> UInt64? {
        if sidecarState.lazyFiles.isEmpty && sidecarState.archiveStubs.isEmpty { return nil }
        if let f = sidecarState.lazyFiles.first(where: { $0.ino.rawValue == ino }) { return f.size }
        return sidecarState.archiveStubs[ino]?.size
    }

    // MARK: edits

    /// Registers a lazy file at `path` (§7.2): missing parents are made (0755), then an empty
    /// stub is created and truncated, and the URL and declared size are recorded.
    @discardableResult
    public func registerLazyFile(_ path: String, url: String, size: UInt64, mode: UInt32,
                                 uid: UInt32 = 0, gid: UInt32 = 0) throws(LinuxErrno) -> InodeNumber {
        try checkWritable()
        var parts = path.split(separator: "/").map(String.init)
        guard let name = parts.popLast() else { throw .EEXIST }
        var dir = InodeNumber.root
        for p in parts {
            if let next = try? lookup(dir, p) { dir = next } else { dir = try mkdir(dir, Array(p.utf8), mode: 0o755) }
        }
        let ino = try create(dir, Array(name.utf8), mode: mode, uid: uid, gid: gid)
        try truncate(ino, to: 0)
        let a = try attributes(ino)
        sidecarState.lazyFiles.append(LazyFile(ino: ino, generation: a.generation, dataSequence: a.dataSequence,
                                               path: "/" + (parts + [name]).joined(separator: "/"),
                                               paths: ["/" + (parts + [name]).joined(separator: "/")],
                                               url: url, size: size))
        sidecarState.lazyDirty = true
        sidecarState.changedSinceSync = true
        return ino
    }

    /// Stores fetched content into a pending lazy stub; it becomes an ordinary file.
    public func materialize(_ ino: InodeNumber, content: [UInt8]) throws(LinuxErrno) {
        guard pendingLazySize(ino.rawValue) != nil else { throw .EINVAL }
        sidecarDataChanged(ino.rawValue)
        try truncate(ino, to: 0)
        _ = try write(ino, at: 0, content)
    }

    /// A stub's bytes changed: it is no longer pending.
    func sidecarDataChanged(_ ino: UInt32) {
        if let i = sidecarState.lazyFiles.firstIndex(where: { $0.ino.rawValue == ino }) {
            sidecarState.lazyFiles.remove(at: i)
            sidecarState.lazyDirty = true
            sidecarState.changedSinceSync = true
        }
        if sidecarState.archiveStubs.removeValue(forKey: ino) != nil {
            sidecarState.archivesDirty = true
            sidecarState.changedSinceSync = true
        }
    }

    func sidecarInodeFreed(_ ino: UInt32) { sidecarDataChanged(ino) }

    /// A stub gained or lost a name.
    func sidecarNamesChanged(_ ino: UInt32) {
        if sidecarState.lazyFiles.contains(where: { $0.ino.rawValue == ino }) {
            sidecarState.lazyDirty = true
            sidecarState.changedSinceSync = true
        }
    }

    /// EBUSY for renaming or linking a pending archive member (see the file comment).
    func checkNotArchiveStub(_ ino: UInt32) throws(LinuxErrno) {
        if sidecarState.archiveStubs[ino] != nil { throw .EBUSY }
    }

    // MARK: saving

    /// Every path naming each of `inos`, in Kandelo's identity-walk order (LIFO DFS, §6.2).
    func pathsByInode(_ inos: Set<UInt32>) -> [UInt32: [String]] {
        var out: [UInt32: [String]] = [:]
        var stack: [(InodeNumber, String)] = [(.root, "")]
        var seen: Set<UInt32> = [1]
        while let (dir, prefix) = stack.popLast() {
            guard let list = try? entries(dir) else { continue }
            for e in list {
                let p = prefix + "/" + e.nameString
                if inos.contains(e.ino.rawValue) { out[e.ino.rawValue, default: []].append(p) }
                if e.type == .directory, seen.insert(e.ino.rawValue).inserted { stack.append((e.ino, p)) }
            }
        }
        return out
    }

    /// The sidecar bytes to write now: the loaded bytes where nothing changed.
    func currentSidecars() -> Sidecars {
        var s = sidecarState.original
        if sidecarState.lazyDirty || sidecarState.archivesDirty || sidecarState.metadataDirty { s.loadedFlags = nil }
        if sidecarState.lazyDirty {
            let paths = pathsByInode(Set(sidecarState.lazyFiles.map(\.ino.rawValue)))
            var items: [JSONValue] = []
            var kept: [LazyFile] = []
            for var f in sidecarState.lazyFiles {
                guard let ps = paths[f.ino.rawValue], !ps.isEmpty else { continue }
                f.paths = ps
                if !ps.contains(f.path) { f.path = ps[0] }
                kept.append(f)
                items.append(.object([("ino", .int(f.ino.rawValue)), ("generation", .int(f.generation)),
                                      ("dataSequence", .int(f.dataSequence)), ("path", .string(f.path)),
                                      ("paths", .array(f.paths.map { .string($0) })), ("url", .string(f.url)),
                                      ("size", .int(f.size))]))
            }
            s.lazy = items.isEmpty ? [] : JSONValue.array(items).serialized()
        }
        if sidecarState.archivesDirty, let groups = sidecarState.archiveGroups {
            let pending = sidecarState.archiveStubs
            let kept = groups.map { g -> JSONValue in
                var g = g
                let entries = (g["entries"]?.arrayValue ?? []).filter { e in
                    guard let ino = e["ino"]?.uint64Value else { return false }
                    return pending[UInt32(ino)] != nil
                }
                g.set("entries", .array(entries))
                return g
            }
            s.archives = JSONValue.array(kept).serialized()
        }
        if sidecarState.metadataDirty {
            s.metadata = sidecarState.metadata.map { $0.serialized() }
        }
        return s
    }
}
