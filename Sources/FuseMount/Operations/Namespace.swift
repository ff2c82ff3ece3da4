// Namespace.swift: names. mknod, mkdir, symlink, link, unlink, rmdir, rename, readlink.
//
// New inodes belong to the caller (through the IdentityMap). Where Linux departs from what
// SharedFS does by itself, we do it here, as ext2 does in the kernel (fs/inode.c
// inode_init_owner): in a set-group-ID directory, new entries take the directory's group
// and new subdirectories inherit the bit. The kernel has already applied the umask and,
// with default_permissions, checked write and search permission on the parent.

import CFuse3
import VFSImage

extension FuseServer {
    /// Owner and group of a new entry in `parent`, and its mode after setgid inheritance.
    func newOwner(_ parent: InodeNumber, mode: UInt32, _ ctx: fuse_ctx) throws(LinuxErrno) -> (UInt32, UInt32, UInt32) {
        let p = try fs.attributes(parent)
        let uid = options.uids.store(ctx.uid)
        var gid = options.gids.store(ctx.gid)
        var mode = mode
        if p.mode & UInt32(S_ISGID) != 0 {
            gid = p.gid
            if FileType(mode: mode) == .directory { mode |= UInt32(S_ISGID) }
        }
        return (uid, gid, mode)
    }

    /// FUSE `mknod`: Linux `mknodat(2)` (regular files, FIFOs, sockets, devices). `rdev` is
    /// the kernel's 32-bit encoding (new_encode_dev), stored and shown unchanged.
    func mknod(_ parent: fuse_ino_t, _ name: [UInt8], _ mode: mode_t, _ rdev: dev_t, _ ctx: fuse_ctx) throws(LinuxErrno) -> Reply {
        let dir = try InodeTable.inode(parent)
        let (uid, gid, m) = try newOwner(dir, mode: mode, ctx)
        let ino = try fs.mknod(dir, name, mode: m, rdev: UInt32(truncatingIfNeeded: rdev), uid: uid, gid: gid)
        noteChange()
        return try entry(ino)
    }

    /// FUSE `mkdir`: Linux `mkdirat(2)`.
    func mkdir(_ parent: fuse_ino_t, _ name: [UInt8], _ mode: mode_t, _ ctx: fuse_ctx) throws(LinuxErrno) -> Reply {
        let dir = try InodeTable.inode(parent)
        let (uid, gid, m) = try newOwner(dir, mode: FileType.directory.rawValue | (mode & 0o7777), ctx)
        let ino = try fs.mkdir(dir, name, mode: m, uid: uid, gid: gid)
        noteChange()
        return try entry(ino)
    }

    /// FUSE `symlink`: Linux `symlinkat(2)`.
    func symlink(_ target: [UInt8], _ parent: fuse_ino_t, _ name: [UInt8], _ ctx: fuse_ctx) throws(LinuxErrno) -> Reply {
        let dir = try InodeTable.inode(parent)
        let (uid, gid, _) = try newOwner(dir, mode: FileType.symlink.rawValue | 0o777, ctx)
        let ino = try fs.symlink(dir, name, target: target, uid: uid, gid: gid)
        noteChange()
        return try entry(ino)
    }

    /// FUSE `link`: Linux `linkat(2)`.
    func link(_ nodeid: fuse_ino_t, _ newParent: fuse_ino_t, _ newName: [UInt8]) throws(LinuxErrno) -> Reply {
        let ino = try InodeTable.inode(nodeid)
        try fs.link(ino, try InodeTable.inode(newParent), newName)
        noteChange()
        return try entry(ino)
    }

    /// FUSE `unlink`: Linux `unlinkat(2)`. An inode the kernel still knows, or that is open,
    /// stays allocated (with no names) until the last forget or release.
    func unlink(_ parent: fuse_ino_t, _ name: [UInt8]) throws(LinuxErrno) -> Reply {
        try fs.unlink(try InodeTable.inode(parent), name)
        noteChange()
        return .ok
    }

    /// FUSE `rmdir`: Linux `unlinkat(2)` with AT_REMOVEDIR.
    func rmdir(_ parent: fuse_ino_t, _ name: [UInt8]) throws(LinuxErrno) -> Reply {
        try fs.rmdir(try InodeTable.inode(parent), name)
        noteChange()
        return .ok
    }

    /// FUSE `rename`: Linux `renameat2(2)` with RENAME_NOREPLACE and RENAME_EXCHANGE;
    /// RENAME_WHITEOUT (overlayfs) is EINVAL: the format has no whiteouts.
    func rename(_ parent: fuse_ino_t, _ name: [UInt8], _ newParent: fuse_ino_t, _ newName: [UInt8],
                _ flags: UInt32) throws(LinuxErrno) -> Reply {
        try fs.rename(try InodeTable.inode(parent), name, try InodeTable.inode(newParent), newName,
                      flags: RenameFlags(rawValue: flags))
        noteChange()
        return .ok
    }

    /// FUSE `readlink`: Linux `readlinkat(2)`. The kernel caches the target (CACHE_SYMLINKS).
    func readlink(_ nodeid: fuse_ino_t) throws(LinuxErrno) -> Reply {
        let target = try fs.readlink(try InodeTable.inode(nodeid))
        return .readlink(target.map { CChar(bitPattern: $0) } + [0])
    }
}
