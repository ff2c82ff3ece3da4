// Walk.swift: every name in the tree, for listings, extraction and comparisons.

public struct TreeNode: Sendable {
    public var path: String
    public var attributes: InodeAttributes
    /// Symlink target, when the node is a symlink.
    public var target: String?
    /// URL of a lazy file or pending archive member.
    public var lazyURL: String?
}

extension SharedFS {
    /// Depth-first listing from `start` (named `prefix`), without following symlinks. With
    /// `sorted`, names are visited in byte order (mkrootfs inspect sorts by path).
    public func walk(from start: InodeNumber = .root, prefix: String = "", sorted: Bool = true,
                     _ body: (TreeNode) throws -> Void) throws {
        var stack: [(InodeNumber, String)] = [(start, prefix)]
        var seen: Set<UInt32> = [start.rawValue]
        while let (dir, path) = stack.popLast() {
            var list = try entries(dir)
            if sorted { list.sort { $0.name.lexicographicallyPrecedes($1.name) } }
            var subdirs: [(InodeNumber, String)] = []
            for e in list {
                let p = path + "/" + e.nameString
                let a = try attributes(e.ino)
                let target = a.type == .symlink ? String(decoding: try readlink(e.ino), as: UTF8.self) : nil
                try body(TreeNode(path: p, attributes: a, target: target, lazyURL: lazyURL(of: e.ino)))
                if a.type == .directory, seen.insert(e.ino.rawValue).inserted { subdirs.append((e.ino, p)) }
            }
            stack.append(contentsOf: subdirs.reversed())
        }
    }
}

extension SharedFS {
    /// A 64-bit FNV-1a digest of the tree: every path, type, permission bits, owner, size,
    /// symlink target and file content, in path order. Equal trees give equal digests.
    public func treeDigest() throws -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 { for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 } }
        var nodes: [TreeNode] = []
        try walk { nodes.append($0) }
        for n in nodes {
            let a = n.attributes
            mix(n.path.utf8); mix("\(a.mode) \(a.uid) \(a.gid) \(a.size) \(a.linkCount)".utf8)
            if let t = n.target { mix(t.utf8) }
            if a.type == .regular && n.lazyURL == nil { mix(try readAll(a.ino)) }
        }
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
