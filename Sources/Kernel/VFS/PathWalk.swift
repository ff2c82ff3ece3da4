// PathWalk.swift: Linux path resolution over the mounts.
//
//   - absolute paths start at the process root, relative ones at the cwd or at dirfd;
//   - every directory walked through needs search (x) permission for non-root callers;
//   - `..` at the process root stays there; `..` at a mount root goes to the directory the
//     mount covers, then up; a covered directory is replaced by the root of its mount;
//   - symlinks are followed in the middle of a path always, at the end when asked or when
//     the path ends in "/"; more than 40 links in one resolution → ELOOP;
//   - /proc "magic links" (fd/N, cwd, root, exe) jump to the object itself, not to the
//     path they read as (ProcFS.magicTarget);
//   - components longer than 255 bytes → ENAMETOOLONG; a trailing "/" requires a directory.
import VFSImage

extension VFS {
    /// What a walk ended on: the node, and (when the last step was a name looked up in a
    /// directory) that directory and name.
    struct Walked {
        var node: VNode
        var parent: VNode?
        var name: [UInt8]
    }

    static func components(_ path: [UInt8]) -> [[UInt8]] {
        path.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init)
    }

    /// Walks `path` from `start` (or `root` when absolute). `cred` nil: no permission checks.
    func walk(_ t: GuestThread?, start: VNode, root: VNode, path: [UInt8], followFinal: Bool,
              cred: Credentials?, hops: inout Int) throws(SyscallError) -> Walked {
        var pending = Array(VFS.components(path).reversed())
        var cur = path.first == 0x2F ? root : start
        var curStat = try stat(t, cur)
        var mustBeDir = path.last == 0x2F
        var parent: VNode? = nil
        var name: [UInt8] = []
        while let comp = pending.popLast() {
            let isLast = pending.isEmpty
            guard curStat.isDirectory else { throw .errno(.ENOTDIR) }
            try checkAccess(curStat, Access.X, cred)
            guard comp.count <= 255 else { throw .errno(.ENAMETOOLONG) }
            if comp == [0x2E] {
                parent = nil; name = comp
                continue
            }
            if comp == [0x2E, 0x2E] {
                cur = try self.parent(of: cur, root: root)
                curStat = try stat(t, cur)
                parent = nil; name = comp
                continue
            }
            let next = try lookup(cur, comp, root: root)
            let nextStat = try stat(t, next)
            if nextStat.isSymlink && (!isLast || followFinal || mustBeDir) {
                hops += 1
                guard hops <= 40 else { throw .errno(.ELOOP) }
                if let magic = try magicTarget(t, next) {
                    cur = magic
                    curStat = try stat(t, cur)
                    // An open file keeps the name it was opened by (for its own /proc link).
                    if let f = mount(of: next).proc?.linkedFile(self, next.ino) as? VFSFile {
                        parent = f.parentDir; name = f.name
                    } else {
                        parent = nil; name = []
                    }
                    continue
                }
                let target = try readlink(t, next)
                guard !target.isEmpty else { throw .errno(.ENOENT) }
                if isLast && target.last == 0x2F { mustBeDir = true }
                pending.append(contentsOf: VFS.components(target).reversed())
                if target.first == 0x2F {
                    cur = root
                    curStat = try stat(t, cur)
                }
                // A link to "/" (or to "." ...) that was the last component ends here.
                if pending.isEmpty { parent = nil; name = target }
                continue
            }
            parent = cur
            name = comp
            cur = next
            curStat = nextStat
        }
        if mustBeDir && !curStat.isDirectory { throw .errno(.ENOTDIR) }
        return Walked(node: cur, parent: parent, name: name)
    }

    /// Where a relative path starts: the cwd for AT_FDCWD, else dirfd's directory.
    func startNode(_ t: GuestThread, dirfd: Int32) throws(SyscallError) -> VNode {
        if dirfd == AtFlags.FDCWD { return t.process.cwd }
        let f = try t.process.files.get(dirfd)
        guard let n = f.node else { throw .errno(.ENOTDIR) }
        guard try stat(t, n).isDirectory else { throw .errno(.ENOTDIR) }
        return n
    }

    /// Resolves a guest path (see the file comment). `allowEmpty` (AT_EMPTY_PATH): an empty
    /// path names dirfd itself (any type), or the cwd for AT_FDCWD.
    public func resolve(_ t: GuestThread, dirfd: Int32, path: [UInt8], followFinal: Bool,
                        allowEmpty: Bool = false) throws(SyscallError) -> VNode {
        try resolveWalk(t, dirfd: dirfd, path: path, followFinal: followFinal, allowEmpty: allowEmpty).node
    }

    func resolveWalk(_ t: GuestThread, dirfd: Int32, path: [UInt8], followFinal: Bool,
                     allowEmpty: Bool = false, cred: Credentials? = nil) throws(SyscallError) -> Walked {
        if path.isEmpty {
            guard allowEmpty else { throw .errno(.ENOENT) }
            if dirfd == AtFlags.FDCWD { return Walked(node: t.process.cwd, parent: nil, name: []) }
            let f = try t.process.files.get(dirfd)
            guard let n = f.node else { throw .errno(.EBADF) }
            return Walked(node: n, parent: nil, name: [])
        }
        let start = path.first == 0x2F ? t.process.root : try startNode(t, dirfd: dirfd)
        var hops = 0
        return try walk(t, start: start, root: t.process.root, path: path, followFinal: followFinal,
                        cred: cred ?? t.process.cred, hops: &hops)
    }

    /// For create, unlink, rename, link: the directory that holds the last component, that
    /// component (empty for "/"), and whether the path ended in "/". The name may be "." or
    /// "..": each caller answers those as Linux does.
    public func resolveParent(_ t: GuestThread, dirfd: Int32, path: [UInt8]) throws(SyscallError)
        -> (dir: VNode, name: [UInt8], trailingSlash: Bool) {
        guard !path.isEmpty else { throw .errno(.ENOENT) }
        var p = path[...]
        var trailing = false
        while p.count > 1 && p.last == 0x2F { p.removeLast(); trailing = true }
        if p.allSatisfy({ $0 == 0x2F }) { return (t.process.root, [], true) }
        let slash = p.lastIndex(of: 0x2F)
        let name = Array(slash.map { p[($0 + 1)...] } ?? p)
        guard name.count <= 255 else { throw .errno(.ENAMETOOLONG) }
        let dir: VNode
        if let slash {
            let dirPath = Array(p[...slash])
            var hops = 0
            let start = dirPath.first == 0x2F ? t.process.root : try startNode(t, dirfd: dirfd)
            dir = try walk(t, start: start, root: t.process.root, path: dirPath, followFinal: true,
                           cred: t.process.cred, hops: &hops).node
        } else {
            dir = try startNode(t, dirfd: dirfd)
        }
        guard try stat(t, dir).isDirectory else { throw .errno(.ENOTDIR) }
        return (dir, name, trailing)
    }

    /// The object a /proc magic link stands for, or nil if `n` is an ordinary symlink.
    func magicTarget(_ t: GuestThread?, _ n: VNode) throws(SyscallError) -> VNode? {
        guard let proc = mount(of: n).proc else { return nil }
        return try proc.magicTarget(self, t, n.ino)
    }

    /// The open file a /proc/PID/fd/N node stands for when that file has no node of its
    /// own (pipes, the caller's stdio, sockets).
    func procTargetFile(_ n: VNode) -> OpenFile? {
        guard let proc = mount(of: n).proc else { return nil }
        return proc.targetFile(self, n.ino)
    }
}
