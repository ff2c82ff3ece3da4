// Attributes.swift: lookup, forget, getattr, setattr, access, statfs, and the conversion of
// image attributes to what the kernel is told (struct stat, fuse_entry_param).
//
// Owners are shown through the mount's IdentityMap (uid=, gid=) and stored back through it.
// Times: the image keeps milliseconds; nanoseconds from utimensat are truncated (and
// time_gran tells the kernel so). atime is not updated by reads (as with noatime).

import CFuse3
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FuseServer {
    // MARK: conversions

    /// What stat(2) shows for an inode.
    func hostStat(_ a: InodeAttributes) -> stat {
        var st = stat()
        st.st_ino = ino_t(a.ino.rawValue)
        st.st_mode = a.mode
        st.st_nlink = nlink_t(a.linkCount)
        st.st_uid = options.uids.present(a.uid)
        st.st_gid = options.gids.present(a.gid)
        st.st_rdev = dev_t(a.rdev)
        st.st_size = off_t(clamping: a.size)
        st.st_blksize = blksize_t(blockSize)
        st.st_blocks = blkcnt_t(clamping: a.blocks)
        st.st_atim = timespec(milliseconds: a.atimeMs)
        st.st_mtim = timespec(milliseconds: a.mtimeMs)
        st.st_ctim = timespec(milliseconds: a.ctimeMs)
        return st
    }

    /// An entry reply for `ino`, counting one kernel lookup (InodeTable).
    func entry(_ ino: InodeNumber) throws(LinuxErrno) -> Reply {
        let a = try fs.attributes(ino)
        var e = fuse_entry_param()
        e.ino = InodeTable.nodeid(ino)
        e.generation = a.generation
        e.attr = hostStat(a)
        e.attr_timeout = cacheTimeout
        e.entry_timeout = cacheTimeout
        table.noteLookup(ino)
        return .entry(e)
    }

    // MARK: operations

    /// FUSE `lookup`: Linux path walk, one component. A missing name is a negative entry
    /// the kernel caches (it drops it itself when the name is created through it).
    func lookup(_ parent: fuse_ino_t, _ name: [UInt8]) throws(LinuxErrno) -> Reply {
        let dir = try InodeTable.inode(parent)
        let ino: InodeNumber
        do { ino = try fs.lookup(dir, name) } catch {
            guard error == .ENOENT else { throw error }
            var e = fuse_entry_param()
            e.entry_timeout = cacheTimeout
            return .entry(e)
        }
        return try entry(ino)
    }

    /// FUSE `forget` / `forget_multi`: the kernel dropped lookups. Never replies.
    func forget(_ nodeid: fuse_ino_t, _ count: UInt64) -> Reply {
        table.forget(nodeid, count)
        return .none
    }

    /// FUSE `getattr`: Linux `stat(2)`. A pending lazy file reports its declared size.
    func getattr(_ nodeid: fuse_ino_t) throws(LinuxErrno) -> Reply {
        .attr(hostStat(try fs.attributes(try InodeTable.inode(nodeid))), timeout: cacheTimeout)
    }

    /// FUSE `setattr`: Linux chmod, chown, truncate/ftruncate, utimensat, all at once.
    func setattr(_ nodeid: fuse_ino_t, _ attr: stat, _ toSet: Int32) throws(LinuxErrno) -> Reply {
        let ino = try InodeTable.inode(nodeid)
        let set = Int32(toSet)
        var s = SetAttributes()
        if set & FUSE_SET_ATTR_MODE != 0 { s.mode = attr.st_mode & 0o7777 }
        if set & FUSE_SET_ATTR_UID != 0 { s.uid = options.uids.store(attr.st_uid) }
        if set & FUSE_SET_ATTR_GID != 0 { s.gid = options.gids.store(attr.st_gid) }
        if set & FUSE_SET_ATTR_SIZE != 0 {
            guard attr.st_size >= 0 else { throw .EINVAL }
            s.size = UInt64(attr.st_size)
        }
        let now = Timestamp(milliseconds: fs.clock())
        if set & FUSE_SET_ATTR_ATIME_NOW != 0 { s.atime = now }
        else if set & FUSE_SET_ATTR_ATIME != 0 { s.atime = Timestamp(attr.st_atim) }
        if set & FUSE_SET_ATTR_MTIME_NOW != 0 { s.mtime = now }
        else if set & FUSE_SET_ATTR_MTIME != 0 { s.mtime = Timestamp(attr.st_mtim) }
        if set & FUSE_SET_ATTR_CTIME != 0 { s.ctime = Timestamp(attr.st_ctim) }
        let a = try fs.setAttributes(ino, s)
        noteChange()
        return .attr(hostStat(a), timeout: cacheTimeout)
    }

    /// FUSE `access`: Linux `access(2)`. With default_permissions the kernel checks modes
    /// itself and never sends this; it is here for completeness and answers the same way.
    func access(_ nodeid: fuse_ino_t, _ mask: Int32, _ ctx: fuse_ctx, groups: [gid_t]) throws(LinuxErrno) -> Reply {
        let a = try fs.attributes(try InodeTable.inode(nodeid))
        if mask == F_OK { return .ok }
        if mask & W_OK != 0 && options.readOnly { throw .EROFS }
        let perm = a.mode & 0o777
        if ctx.uid == 0 {
            // root: read and write always; execute if anyone may, or it is a directory.
            if mask & X_OK != 0 && perm & 0o111 == 0 && a.type != .directory { throw .EACCES }
            return .ok
        }
        let bits: UInt32
        if options.uids.present(a.uid) == ctx.uid { bits = perm >> 6 }
        else if options.gids.present(a.gid) == ctx.gid || groups.contains(options.gids.present(a.gid)) { bits = (perm >> 3) & 7 }
        else { bits = perm & 7 }
        guard UInt32(mask) & bits == UInt32(mask) else { throw .EACCES }
        return .ok
    }

    /// FUSE `statfs`: Linux `statfs(2)`. Sizes include the room the image may still grow by.
    func statfs() -> Reply {
        let s = fs.statistics()
        var v = statvfs()
        v.f_bsize = UInt(s.blockSize)
        v.f_frsize = UInt(s.blockSize)
        v.f_blocks = fsblkcnt_t(s.totalBlocks)
        v.f_bfree = fsblkcnt_t(s.freeBlocks)
        v.f_bavail = fsblkcnt_t(s.freeBlocks)
        v.f_files = fsfilcnt_t(s.totalInodes)
        v.f_ffree = fsfilcnt_t(s.freeInodes)
        v.f_favail = fsfilcnt_t(s.freeInodes)
        v.f_namemax = UInt(s.maxNameLength)
        return .statfs(v)
    }
}

extension timespec {
    init(milliseconds ms: UInt64) {
        self.init(tv_sec: Int(ms / 1000), tv_nsec: Int(ms % 1000) * 1_000_000)
    }
}

extension Timestamp {
    init(_ ts: timespec) { self.init(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec)) }
}
