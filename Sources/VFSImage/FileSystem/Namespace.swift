// Namespace.swift: names. lookup, create, mkdir, symlink, mknod, link, unlink, rmdir,
// rename, readlink, and path resolution for tools.
//
// Link counts (§5.8): a directory has 2 + its subdirectories; other inodes one per name.
// Every call checks its arguments before it changes anything, and undoes its allocations
// when a later step fails (ENOSPC while inserting a name frees the new inode), so an
// error never leaves the image inconsistent.

public struct RenameFlags: OptionSet, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Linux RENAME_NOREPLACE: fail with EEXIST if the destination exists.
    public static let noReplace = RenameFlags(rawValue: 1)
    /// Linux RENAME_EXCHANGE: swap the two names atomically; both must exist.
    public static let exchange = RenameFlags(rawValue: 2)
}

extension SharedFS {
    static let maxLinks: UInt32 = 65_000
    static let dot: [UInt8] = [0x2E], dotdot: [UInt8] = [0x2E, 0x2E]

    /// A new name must be 1–255 bytes, without "/" or NUL, and not "." or "..".
    func checkNewName(_ name: [UInt8]) throws(LinuxErrno) {
        guard !name.isEmpty else { throw .ENOENT }
        guard name.count <= 255 else { throw .ENAMETOOLONG }
        guard !name.contains(0x2F), !name.contains(0) else { throw .EINVAL }
        guard name != SharedFS.dot, name != SharedFS.dotdot else { throw .EEXIST }
    }

    func directoryRecord(_ dir: InodeNumber) throws(LinuxErrno) -> Int {
        let off = try liveInode(dir)
        guard type(off) == .directory else { throw .ENOTDIR }
        return off
    }

    // MARK: lookup

    /// The inode `name` names in directory `dir` ("." and ".." included).
    public func lookup(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) -> InodeNumber {
        let off = try directoryRecord(dir)
        guard name.count <= 255 else { throw .ENAMETOOLONG }
        guard let e = try findEntry(dir.rawValue, off, name) else { throw .ENOENT }
        guard e.ino < sb.totalInodes, bit(inode: e.ino) else { throw .EIO }
        return InodeNumber(e.ino)
    }

    public func lookup(_ dir: InodeNumber, _ name: String) throws(LinuxErrno) -> InodeNumber {
        try lookup(dir, Array(name.utf8))
    }

    // MARK: creation

    /// Allocates an inode of `mode` and links it as `name` in `dir`. `fill` initializes
    /// content (directory block, symlink target) before the name is inserted, as Kandelo does.
    private func makeNode(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32,
                          fill: (UInt32, Int) throws(LinuxErrno) -> Void) throws(LinuxErrno) -> InodeNumber {
        try checkWritable()
        let doff = try directoryRecord(dir)
        try checkNewName(name)
        guard try findEntry(dir.rawValue, doff, name) == nil else { throw .EEXIST }
        let isDir = FileType(mode: mode) == .directory
        if isDir { guard links(doff) < SharedFS.maxLinks else { throw .EMLINK } }
        let ino = try allocateInode()
        let off = inodeOffset(ino)
        mem.setU32(off + InodeField.mode, mode)
        mem.setU32(off + InodeField.links, isDir ? 2 : 1)
        mem.setU32(off + InodeField.uid, uid)
        mem.setU32(off + InodeField.gid, gid)
        let now = clock()
        mem.setU64(off + InodeField.mtime, now); mem.setU64(off + InodeField.ctime, now); mem.setU64(off + InodeField.atime, now)
        do {
            try fill(ino, off)
            try insertEntry(dir.rawValue, doff, name, ino)
        } catch {
            mem.setU32(off + InodeField.links, 0)
            releaseInodeStorage(ino)
            throw error
        }
        if isDir { mem.setU32(doff + InodeField.links, links(doff) + 1) }
        touch(doff)
        storeSuperblock()
        return InodeNumber(ino)
    }

    /// Creates an empty regular file (`mode`'s permission bits are kept, type forced).
    public func create(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0) throws(LinuxErrno) -> InodeNumber {
        try makeNode(dir, name, mode: FileType.regular.rawValue | (mode & 0o7777), uid: uid, gid: gid) { _, _ throws(LinuxErrno) in }
    }

    /// Creates a directory with "." and "..". Like Kandelo, the mode is not masked beyond 0o7777.
    public func mkdir(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0) throws(LinuxErrno) -> InodeNumber {
        try makeNode(dir, name, mode: FileType.directory.rawValue | (mode & 0o7777), uid: uid, gid: gid) { ino, off throws(LinuxErrno) in
            let b = try allocateBlock()
            mem.setU32(off + InodeField.direct, b)
            writeDirectoryHeader(block: b, ino: ino, parent: dir.rawValue)
            mem.setU64(off + InodeField.fileSize, 24)
        }
    }

    /// Creates a symbolic link; targets of ≤ 40 bytes live in the inode (§5.7).
    public func symlink(_ dir: InodeNumber, _ name: [UInt8], target: [UInt8], uid: UInt32 = 0, gid: UInt32 = 0) throws(LinuxErrno) -> InodeNumber {
        guard !target.isEmpty else { throw .ENOENT }
        guard target.count <= 4095 else { throw .ENAMETOOLONG }
        return try makeNode(dir, name, mode: FileType.symlink.rawValue | 0o777, uid: uid, gid: gid) { _, off throws(LinuxErrno) in
            if target.count <= InodeField.inlineSymlinkMax {
                target.withUnsafeBytes { mem.copyIn($0, at: off + InodeField.direct) }
                mem.setU64(off + InodeField.fileSize, UInt64(target.count))
            } else {
                _ = try rethrowingErrno { try target.withUnsafeBytes { b in try writeContent(off, at: 0, from: b) } }
                mem.setU32(off + InodeField.dataSequence, 1)
            }
        }
    }

    /// Creates a FIFO, socket, or character/block device (`rdev` in Linux's encoding).
    /// Our extension to the format; Kandelo's own tools never make these.
    public func mknod(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, rdev: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0) throws(LinuxErrno) -> InodeNumber {
        guard let t = FileType(mode: mode) else { throw .EINVAL }
        switch t {
        case .regular: return try create(dir, name, mode: mode, uid: uid, gid: gid)
        case .directory, .symlink: throw .EINVAL
        case .fifo, .socket, .characterDevice, .blockDevice:
            return try makeNode(dir, name, mode: t.rawValue | (mode & 0o7777), uid: uid, gid: gid) { _, off throws(LinuxErrno) in
                if t == .characterDevice || t == .blockDevice { mem.setU32(off + InodeField.direct, rdev) }
            }
        }
    }

    /// Adds the name `name` in `dir` for the existing non-directory `ino`.
    public func link(_ ino: InodeNumber, _ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) {
        try checkWritable()
        let off = try liveInode(ino)
        let doff = try directoryRecord(dir)
        try checkNewName(name)
        // Linux looks the new name up before it asks whether the source may be linked.
        guard try findEntry(dir.rawValue, doff, name) == nil else { throw .EEXIST }
        guard type(off) != .directory else { throw .EPERM }
        try checkNotArchiveStub(ino.rawValue)
        guard links(off) < SharedFS.maxLinks else { throw .EMLINK }
        guard links(off) > 0 else { throw .ENOENT }  // linkat of an unlinked open file
        try insertEntry(dir.rawValue, doff, name, ino.rawValue)
        mem.setU32(off + InodeField.links, links(off) + 1)
        touch(off, modified: false)
        touch(doff)
        sidecarNamesChanged(ino.rawValue)
    }

    // MARK: removal

    /// Drops one link of `ino` (not a directory); frees it when none remain and nobody holds it.
    private func dropLink(_ ino: UInt32) {
        let off = inodeOffset(ino)
        let n = links(off)
        mem.setU32(off + InodeField.links, n > 0 ? n - 1 : 0)
        touch(off, modified: false)
        sidecarNamesChanged(ino)
        if n <= 1 && openCounts[ino] == nil { releaseInodeStorage(ino) }
    }

    /// Removes a non-directory name.
    public func unlink(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) {
        try checkWritable()
        let doff = try directoryRecord(dir)
        guard name != SharedFS.dot, name != SharedFS.dotdot else { throw .EISDIR }
        guard let e = try findEntry(dir.rawValue, doff, name) else { throw .ENOENT }
        guard e.ino < sb.totalInodes, bit(inode: e.ino) else { throw .EIO }
        guard type(inodeOffset(e.ino)) != .directory else { throw .EISDIR }
        try removeEntry(dir.rawValue, doff, name)
        touch(doff)
        dropLink(e.ino)
        storeSuperblock()
    }

    /// Removes an empty directory.
    public func rmdir(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) {
        try checkWritable()
        let doff = try directoryRecord(dir)
        if name == SharedFS.dot { throw .EINVAL }
        if name == SharedFS.dotdot { throw .ENOTEMPTY }
        guard let e = try findEntry(dir.rawValue, doff, name) else { throw .ENOENT }
        guard e.ino < sb.totalInodes, bit(inode: e.ino) else { throw .EIO }
        let off = inodeOffset(e.ino)
        guard type(off) == .directory else { throw .ENOTDIR }
        guard try isEmptyDirectory(e.ino, off) else { throw .ENOTEMPTY }
        try removeEntry(dir.rawValue, doff, name)
        mem.setU32(doff + InodeField.links, max(links(doff), 3) - 1)
        touch(doff)
        mem.setU32(off + InodeField.links, 0)
        if openCounts[e.ino] == nil { releaseInodeStorage(e.ino) }
        storeSuperblock()
    }

    // MARK: rename

    /// True if directory `ancestor` is `dir` or lies on the ".." chain above it.
    private func isAncestor(_ ancestor: UInt32, of dir: UInt32) throws(LinuxErrno) -> Bool {
        var cur = dir
        var hops = 0
        while true {
            if cur == ancestor { return true }
            if cur == InodeNumber.root.rawValue { return false }
            let off = try liveInode(InodeNumber(cur))
            guard let up = try findEntry(cur, off, SharedFS.dotdot) else { throw .EIO }
            cur = up.ino
            hops += 1
            guard hops < Int(sb.totalInodes) else { throw .EIO }  // a cycle: corrupt image
        }
    }

    /// Linux `renameat2(2)` on inodes: moves `name` of `dir` to `newName` of `newDir`.
    /// Errors, in Linux's order: ENOENT (no source), EINVAL (moving a directory under itself,
    /// or both flags), EEXIST (noReplace and the target exists), ENOTDIR / EISDIR (type
    /// mismatch), ENOTEMPTY (target directory not empty), EMLINK, ENOSPC.
    public func rename(_ dir: InodeNumber, _ name: [UInt8], _ newDir: InodeNumber, _ newName: [UInt8],
                       flags: RenameFlags = []) throws(LinuxErrno) {
        try checkWritable()
        guard flags.isSubset(of: [.noReplace, .exchange]), flags != [.noReplace, .exchange] else { throw .EINVAL }
        let soff = try directoryRecord(dir), doff = try directoryRecord(newDir)
        for n in [name, newName] where n == SharedFS.dot || n == SharedFS.dotdot || n.isEmpty { throw n.isEmpty ? .ENOENT : .EBUSY }
        try checkNewName(newName)
        guard let src = try findEntry(dir.rawValue, soff, name) else { throw .ENOENT }
        guard src.ino < sb.totalInodes, bit(inode: src.ino) else { throw .EIO }
        let srcOff = inodeOffset(src.ino)
        try checkNotArchiveStub(src.ino)
        let srcIsDir = type(srcOff) == .directory
        let dst = try findEntry(newDir.rawValue, doff, newName)

        if flags.contains(.exchange) {
            guard let dst else { throw .ENOENT }
            if dst.ino == src.ino { return }
            try checkNotArchiveStub(dst.ino)
            let dstOff = inodeOffset(dst.ino)
            let dstIsDir = type(dstOff) == .directory
            if srcIsDir, try isAncestor(src.ino, of: newDir.rawValue) { throw .EINVAL }
            if dstIsDir, try isAncestor(dst.ino, of: dir.rawValue) { throw .EINVAL }
            try replaceEntry(dir.rawValue, soff, name, with: dst.ino)
            try replaceEntry(newDir.rawValue, doff, newName, with: src.ino)
            if dir != newDir {
                if srcIsDir { try setDotDot(src.ino, srcOff, newDir.rawValue) }
                if dstIsDir { try setDotDot(dst.ino, dstOff, dir.rawValue) }
                if srcIsDir != dstIsDir {
                    let (gain, lose) = srcIsDir ? (doff, soff) : (soff, doff)
                    mem.setU32(gain + InodeField.links, links(gain) + 1)
                    mem.setU32(lose + InodeField.links, links(lose) - 1)
                }
            }
            touch(srcOff, modified: false); touch(dstOff, modified: false); touch(soff); touch(doff)
            sidecarNamesChanged(src.ino); sidecarNamesChanged(dst.ino)
            return
        }

        if let dst {
            if flags.contains(.noReplace) { throw .EEXIST }
            if dst.ino == src.ino { return }  // two names of one file: POSIX says do nothing
            guard dst.ino < sb.totalInodes, bit(inode: dst.ino) else { throw .EIO }
            let dstOff = inodeOffset(dst.ino)
            let dstIsDir = type(dstOff) == .directory
            // Linux (fs/namei.c do_renameat2) checks the ancestry traps before the types.
            if srcIsDir, try isAncestor(src.ino, of: newDir.rawValue) { throw .EINVAL }
            if dstIsDir, try isAncestor(dst.ino, of: dir.rawValue) { throw .ENOTEMPTY }
            if srcIsDir && !dstIsDir { throw .ENOTDIR }
            if !srcIsDir && dstIsDir { throw .EISDIR }
            if dstIsDir { guard try isEmptyDirectory(dst.ino, dstOff) else { throw .ENOTEMPTY } }
            try replaceEntry(newDir.rawValue, doff, newName, with: src.ino)
            try removeEntry(dir.rawValue, soff, name)
            if srcIsDir {
                if dir != newDir {
                    try setDotDot(src.ino, srcOff, newDir.rawValue)
                    mem.setU32(soff + InodeField.links, links(soff) - 1)
                    // newDir gains src and loses dst: no net change.
                } else {
                    mem.setU32(doff + InodeField.links, links(doff) - 1)  // dst directory is gone
                }
                mem.setU32(dstOff + InodeField.links, 0)
                if openCounts[dst.ino] == nil { releaseInodeStorage(dst.ino) }
            } else {
                dropLink(dst.ino)
            }
        } else {
            if srcIsDir {
                if try isAncestor(src.ino, of: newDir.rawValue) { throw .EINVAL }
                if dir != newDir { guard links(doff) < SharedFS.maxLinks else { throw .EMLINK } }
            }
            try insertEntry(newDir.rawValue, doff, newName, src.ino)
            try removeEntry(dir.rawValue, soff, name)
            if srcIsDir && dir != newDir {
                try setDotDot(src.ino, srcOff, newDir.rawValue)
                mem.setU32(soff + InodeField.links, links(soff) - 1)
                mem.setU32(doff + InodeField.links, links(doff) + 1)
            }
        }
        touch(srcOff, modified: false)
        touch(soff)
        if dir != newDir { touch(doff) }
        sidecarNamesChanged(src.ino)
        storeSuperblock()
    }

    // MARK: symlinks

    /// The target of symlink `ino`.
    public func readlink(_ ino: InodeNumber) throws(LinuxErrno) -> [UInt8] {
        let off = try liveInode(ino)
        guard type(off) == .symlink else { throw .EINVAL }
        guard size(off) <= 65_536 else { throw .EIO }
        let n = Int(size(off))
        if n <= InodeField.inlineSymlinkMax { return mem.bytes(at: off + InodeField.direct, count: n) }
        var out = [UInt8](repeating: 0, count: n)
        let got = try rethrowingErrno { try out.withUnsafeMutableBytes { b in try readContent(off, at: 0, into: b.baseAddress!, count: n) } }
        guard got == n else { throw .EIO }
        return out
    }

    // MARK: paths (for tools; the kernel walks its own mounts)

    /// Resolves an absolute or root-relative path. Symlinks are followed in the middle and,
    /// if `followFinal`, at the end; more than 40 hops → ELOOP (Linux's limit).
    public func resolve(_ path: String, followFinal: Bool = true) throws(LinuxErrno) -> InodeNumber {
        var hops = 0
        return try resolve(Array(path.utf8), from: .root, followFinal: followFinal, hops: &hops)
    }

    func resolve(_ path: [UInt8], from start: InodeNumber, followFinal: Bool, hops: inout Int) throws(LinuxErrno) -> InodeNumber {
        var cur = path.first == 0x2F ? InodeNumber.root : start
        let parts = path.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init)
        for (i, part) in parts.enumerated() {
            let isLast = i == parts.count - 1
            if part == SharedFS.dot { _ = try directoryRecord(cur); continue }
            let next = try lookup(cur, part)
            let noff = try liveInode(next)
            if type(noff) == .symlink && (!isLast || followFinal) {
                hops += 1
                guard hops <= 40 else { throw .ELOOP }
                let target = try readlink(next)
                cur = try resolve(target, from: cur, followFinal: true, hops: &hops)
                if !isLast { _ = try directoryRecord(cur) }
                continue
            }
            cur = next
        }
        if path.last == 0x2F { _ = try directoryRecord(cur) }
        return cur
    }

    /// Splits a path into its parent directory (resolved) and final name.
    public func resolveParent(_ path: String) throws(LinuxErrno) -> (InodeNumber, [UInt8]) {
        var parts = Array(path.utf8).split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init)
        guard let name = parts.popLast() else { throw .EEXIST }  // "/" itself
        var hops = 0
        let parent = try resolve(parts.flatMap { [0x2F] + $0 }, from: .root, followFinal: true, hops: &hops)
        _ = try directoryRecord(parent)
        return (parent, name)
    }
}
