// Attributes.swift: stat, setattr (chmod, chown, truncate, utimens) and file content I/O.
//
// Kandelo's rules kept here (§7.2): chmod keeps the type bits; chown with 0xFFFFFFFF leaves
// that id unchanged and clears setuid/setgid on regular files; a write that stores bytes
// bumps the data sequence once and clears setuid/setgid; a truncate bumps it too. Times are
// stored in milliseconds, so nanosecond inputs are truncated to the millisecond.

public struct SetAttributes: Sendable {
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    public var size: UInt64?
    public var atime: Timestamp?
    public var mtime: Timestamp?
    /// Set ctime explicitly (FUSE may); otherwise any change sets it to now.
    public var ctime: Timestamp?
    public init(mode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil, size: UInt64? = nil,
                atime: Timestamp? = nil, mtime: Timestamp? = nil, ctime: Timestamp? = nil) {
        self.mode = mode; self.uid = uid; self.gid = gid; self.size = size
        self.atime = atime; self.mtime = mtime; self.ctime = ctime
    }
}

extension SharedFS {
    static let setuidBits: UInt32 = 0o6000

    /// Linux `stat(2)` of an inode. A pending lazy file reports its declared size.
    public func attributes(_ ino: InodeNumber) throws(LinuxErrno) -> InodeAttributes {
        let off = try liveInode(ino)
        let m = mode(off)
        let t = FileType(mode: m)
        var sz = size(off)
        if let lazy = pendingLazySize(ino.rawValue) { sz = lazy }
        let rdev = (t == .characterDevice || t == .blockDevice) ? mem.u32(off + InodeField.direct) : 0
        return InodeAttributes(
            ino: ino, mode: m, linkCount: links(off),
            uid: mem.u32(off + InodeField.uid), gid: mem.u32(off + InodeField.gid), size: sz,
            atimeMs: mem.u64(off + InodeField.atime), mtimeMs: mem.u64(off + InodeField.mtime),
            ctimeMs: mem.u64(off + InodeField.ctime), rdev: rdev,
            blocks: allocatedBlockCount(off) * UInt64(blockSize / 512),
            generation: mem.u64(off + InodeField.generation),
            dataSequence: mem.u32(off + InodeField.dataSequence),
            directorySequence: mem.u32(off + InodeField.dirSequence))
    }

    /// Applies the requested changes, all or nothing: every check runs before any change.
    @discardableResult
    public func setAttributes(_ ino: InodeNumber, _ a: SetAttributes) throws(LinuxErrno) -> InodeAttributes {
        try checkWritable()
        let off = try liveInode(ino)
        let t = type(off)
        if let size = a.size {
            guard t != .directory else { throw .EISDIR }
            guard t == .regular else { throw .EINVAL }
            guard size <= SharedFS.maxFileSize else { throw .EFBIG }
        }
        if let m = a.mode {
            mem.setU32(off + InodeField.mode, (mode(off) & FileType.mask) | (m & 0o7777))
        }
        if (a.uid != nil && a.uid != 0xFFFF_FFFF) || (a.gid != nil && a.gid != 0xFFFF_FFFF) {
            if let u = a.uid, u != 0xFFFF_FFFF { mem.setU32(off + InodeField.uid, u) }
            if let g = a.gid, g != 0xFFFF_FFFF { mem.setU32(off + InodeField.gid, g) }
            if t == .regular && a.mode == nil { mem.setU32(off + InodeField.mode, mode(off) & ~SharedFS.setuidBits) }
        }
        if let size = a.size {
            try truncateFile(off, ino.rawValue, to: size)
        }
        if let at = a.atime { mem.setU64(off + InodeField.atime, at.milliseconds) }
        if let mt = a.mtime { mem.setU64(off + InodeField.mtime, mt.milliseconds) }
        mem.setU64(off + InodeField.ctime, a.ctime?.milliseconds ?? clock())
        return try attributes(ino)
    }

    public func chmod(_ ino: InodeNumber, _ mode: UInt32) throws(LinuxErrno) {
        try setAttributes(ino, SetAttributes(mode: mode))
    }

    public func chown(_ ino: InodeNumber, uid: UInt32, gid: UInt32) throws(LinuxErrno) {
        try setAttributes(ino, SetAttributes(uid: uid, gid: gid))
    }

    private func truncateFile(_ off: Int, _ ino: UInt32, to size: UInt64) throws(LinuxErrno) {
        try truncateContent(off, to: size)
        bumpDataSequence(off)
        sidecarDataChanged(ino)
        touch(off)
    }

    /// Linux `truncate(2)`.
    public func truncate(_ ino: InodeNumber, to size: UInt64) throws(LinuxErrno) {
        try setAttributes(ino, SetAttributes(size: size))
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns the count (0 at EOF).
    /// A lazy stub whose content was never fetched fails with EIO (see `lazyURL(of:)`).
    public func read(_ ino: InodeNumber, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        let off = try regularInode(ino)
        if pendingLazySize(ino.rawValue) != nil { throw .EIO }
        guard let base = buffer.baseAddress else { return 0 }
        return try readContent(off, at: offset, into: base, count: buffer.count)
    }

    /// Convenience: the whole content of a regular file.
    public func readAll(_ ino: InodeNumber) throws(LinuxErrno) -> [UInt8] {
        let off = try liveInode(ino)
        let n = Int(try checkedSize(off))
        var out = [UInt8](repeating: 0, count: n)
        let got = try rethrowingErrno { try out.withUnsafeMutableBytes { b in try read(ino, at: 0, into: b) } }
        return Array(out.prefix(got))
    }

    /// Writes `data` at `offset` (past EOF leaves a hole). Returns the bytes written; a short
    /// count means the filesystem filled up after writing that much.
    public func write(_ ino: InodeNumber, at offset: UInt64, from data: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        try checkWritable()
        let off = try regularInode(ino)
        guard data.count > 0 else { return 0 }
        let n = try writeContent(off, at: offset, from: data)
        bumpDataSequence(off)
        mem.setU32(off + InodeField.mode, mode(off) & ~SharedFS.setuidBits)
        sidecarDataChanged(ino.rawValue)
        touch(off)
        return n
    }

    public func write(_ ino: InodeNumber, at offset: UInt64, _ data: [UInt8]) throws(LinuxErrno) -> Int {
        try rethrowingErrno { try data.withUnsafeBytes { b in try write(ino, at: offset, from: b) } }
    }
}
