// FileSystem.swift: what the VFS asks of the filesystems behind its mounts.
//
//   MountedFileSystem  every mount: attributes, names, links, listings, and the open file
//                      description a node opens as. Node numbers are the VFS's (VNode.ino).
//                      Conformers: every InodeFileSystem (through the defaults below) and
//                      ProcFS. The VFS never asks which one it has.
//   InodeFileSystem    a filesystem made of inodes that the guest may change: SharedFS
//                      (the image, tmpfs, devfs) and HostDirFS (--bind).
//
// Errors are Linux errno values, and each requirement says which ones it answers and when.
// Permission checks (generic_permission), read-only mounts (EROFS), "." and mount
// crossing are the VFS's, before a filesystem is asked.
import VFSImage

protocol MountedFileSystem: AnyObject {
    /// The node's attributes (st_dev is set by the VFS). ENOENT: the node is gone (a
    /// process that exited, a host file replaced behind our back); EIO: the backing store.
    func nodeStat(_ vfs: VFS, _ t: GuestThread?, _ ino: UInt64) throws(SyscallError) -> KStat
    /// The entry `name` (never "." or "..") of directory `dir`. ENOENT: no such entry;
    /// ENOTDIR: `dir` is not a directory; ENAMETOOLONG.
    func nodeLookup(_ vfs: VFS, _ dir: UInt64, _ name: [UInt8]) throws(SyscallError) -> UInt64
    /// The parent of directory `dir` inside this filesystem (its root's is itself).
    /// ENOENT: `dir` is gone.
    func nodeParent(_ vfs: VFS, _ dir: UInt64) throws(SyscallError) -> UInt64
    /// A symlink's target. EINVAL: not a symlink; ENOENT: a /proc link whose object is gone.
    func nodeReadlink(_ vfs: VFS, _ t: GuestThread?, _ ino: UInt64) throws(SyscallError) -> [UInt8]
    /// The listing from `offset` (0 = start, "." and ".." included); `body` gets (name,
    /// inode, d_type, offset of the next entry) and returns false to stop. ENOTDIR; ENOENT:
    /// the directory is gone.
    func nodeList(_ vfs: VFS, _ dir: UInt64, from offset: UInt64,
                  _ body: ([UInt8], UInt64, UInt8, UInt64) -> Bool) throws(SyscallError)
    /// The description `node` (attributes `st`, already checked by the VFS for access,
    /// O_DIRECTORY, EISDIR, EROFS and symlinks) opens as. O_TRUNC of an existing regular
    /// file happens here. ENXIO: a kind of node that cannot be opened (sockets, devices
    /// we do not have).
    func openNode(_ vfs: VFS, _ t: GuestThread, _ node: VNode, _ st: KStat, flags: Int32,
                  parent: VNode?, name: [UInt8], created: Bool) throws(SyscallError) -> OpenFile
}

/// A filesystem made of inodes (32-bit InodeNumbers), the guest's to change.
protocol InodeFileSystem: MountedFileSystem {
    /// Mounted read-only: every change answers EROFS (the VFS checks first).
    var readOnly: Bool { get }
    /// Attributes. ENOENT: no such inode (or a host file replaced behind our back).
    func kstat(_ ino: InodeNumber) throws(LinuxErrno) -> KStat
    /// One name in a directory; ".." is its parent. ENOENT, ENOTDIR; EINVAL for a name
    /// with "/" (HostDirFS refuses "/" "." "..": ENOENT).
    func lookup(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) -> InodeNumber
    /// EINVAL: not a symlink.
    func readlink(_ ino: InodeNumber) throws(LinuxErrno) -> [UInt8]
    /// The listing from `offset` (0 = start, "." and ".." included); `body` gets (name,
    /// inode, d_type, offset of the next entry) and returns false to stop. ENOTDIR.
    func list(_ dir: InodeNumber, from offset: UInt64, _ body: ([UInt8], UInt64, UInt8, UInt64) -> Bool) throws(LinuxErrno)
    /// Creation (create: a regular file; mkdir; mknod; symlink). EEXIST: the name is
    /// taken; ENOSPC/EDQUOT: no room; EMLINK: too many subdirectories; EPERM (HostDirFS:
    /// device nodes); ENAMETOOLONG.
    func create(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber
    func mkdir(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber
    func mknod(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, rdev: UInt32, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber
    func symlink(_ dir: InodeNumber, _ name: [UInt8], target: [UInt8], uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber
    /// EEXIST, EMLINK (link count), EPERM (a directory), ENOSPC.
    func link(_ ino: InodeNumber, _ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno)
    /// ENOENT; EISDIR (unlink of a directory); ENOTDIR, ENOTEMPTY (rmdir).
    func unlink(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno)
    func rmdir(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno)
    /// Linux's rename(2) order: ENOENT, EEXIST (NOREPLACE), EISDIR/ENOTDIR (kinds differ),
    /// ENOTEMPTY, EINVAL (a directory into itself or flags it cannot do).
    func rename(_ dir: InodeNumber, _ name: [UInt8], _ newDir: InodeNumber, _ newName: [UInt8], flags: RenameFlags) throws(LinuxErrno)
    func chmod(_ ino: InodeNumber, _ mode: UInt32) throws(LinuxErrno)
    func chown(_ ino: InodeNumber, uid: UInt32, gid: UInt32) throws(LinuxErrno)
    /// Times (and mode, owner, size) from `a`; an empty `a` only touches ctime.
    func updateAttributes(_ ino: InodeNumber, _ a: SetAttributes) throws(LinuxErrno)
    /// EISDIR (a directory), EFBIG (beyond `fileSizeLimit`), ENOSPC.
    func truncate(_ ino: InodeNumber, to size: UInt64) throws(LinuxErrno)
    /// Short only at the end of the file; EISDIR; EIO.
    func read(_ ino: InodeNumber, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int
    /// Short only when room runs out after some bytes; ENOSPC/EDQUOT with none written;
    /// EFBIG beyond `fileSizeLimit`.
    func write(_ ino: InodeNumber, at offset: UInt64, from data: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int
    func readAll(_ ino: InodeNumber) throws(LinuxErrno) -> [UInt8]
    /// An open file holds the inode from open to last close (an unlinked file stays
    /// readable until then). Never fails.
    func retain(_ ino: InodeNumber)
    func release(_ ino: InodeNumber)
    /// fsync of an open file (SharedFS: nothing; the image's durability is VFS.onSync;
    /// HostDirFS: the host's fsync, whose EIO/ENOSPC are the guest's).
    func flush(_ ino: InodeNumber) throws(LinuxErrno)
    /// Largest file size (EFBIG beyond).
    var fileSizeLimit: Int64 { get }
}

extension InodeFileSystem {
    func nodeStat(_ vfs: VFS, _ t: GuestThread?, _ ino: UInt64) throws(SyscallError) -> KStat {
        try fsCall { () throws(LinuxErrno) in try kstat(InodeNumber(UInt32(truncatingIfNeeded: ino))) }
    }
    func nodeLookup(_ vfs: VFS, _ dir: UInt64, _ name: [UInt8]) throws(SyscallError) -> UInt64 {
        UInt64(try fsCall { () throws(LinuxErrno) in try lookup(InodeNumber(UInt32(truncatingIfNeeded: dir)), name) }.rawValue)
    }
    func nodeParent(_ vfs: VFS, _ dir: UInt64) throws(SyscallError) -> UInt64 {
        try nodeLookup(vfs, dir, [0x2E, 0x2E])
    }
    func nodeReadlink(_ vfs: VFS, _ t: GuestThread?, _ ino: UInt64) throws(SyscallError) -> [UInt8] {
        try fsCall { () throws(LinuxErrno) in try readlink(InodeNumber(UInt32(truncatingIfNeeded: ino))) }
    }
    func nodeList(_ vfs: VFS, _ dir: UInt64, from offset: UInt64,
                  _ body: ([UInt8], UInt64, UInt8, UInt64) -> Bool) throws(SyscallError) {
        try fsCall { () throws(LinuxErrno) in try list(InodeNumber(UInt32(truncatingIfNeeded: dir)), from: offset, body) }
    }
    /// Directories, regular files, and the special files any inode filesystem can hold:
    /// character devices (by rdev: Devices.swift) and FIFOs (Fifo.swift). Sockets: ENXIO.
    func openNode(_ vfs: VFS, _ t: GuestThread, _ node: VNode, _ st: KStat, flags: Int32,
                  parent: VNode?, name: [UInt8], created: Bool) throws(SyscallError) -> OpenFile {
        switch st.type {
        case Mode.S_IFDIR:
            return DirectoryFile(vfs: vfs, node: node, flags: flags)
        case Mode.S_IFREG:
            if flags & OpenFlags.O_TRUNC != 0 && !created && st.size > 0 {
                let fs = try vfs.writableFS(t, node)
                try fsCall { () throws(LinuxErrno) in try fs.truncate(VFS.inode(node), to: 0) }
                vfs.imageChanged(vfs.mount(of: node), .inode(VFS.inode(node), offset: 0, length: 0))
            }
            return RegularFile(vfs: vfs, node: node, flags: flags, parent: parent, name: name)
        case Mode.S_IFCHR:
            return try vfs.openDevice(t, rdev: st.rdev, node: node, flags: flags, parent: parent, name: name)
        case Mode.S_IFIFO:
            guard let hook = vfs.openFifo else { throw .errno(.ENXIO) }
            return try hook(t, node, flags)
        default:
            throw .errno(.ENXIO)
        }
    }
}

extension SharedFS: InodeFileSystem {
    func kstat(_ ino: InodeNumber) throws(LinuxErrno) -> KStat { KStat(try attributes(ino)) }
    func list(_ dir: InodeNumber, from offset: UInt64, _ body: ([UInt8], UInt64, UInt8, UInt64) -> Bool) throws(LinuxErrno) {
        try readDirectory(dir, from: offset) { e in body(e.name, UInt64(e.ino.rawValue), e.type?.direntType ?? 0, e.nextOffset) }
    }
    func updateAttributes(_ ino: InodeNumber, _ a: SetAttributes) throws(LinuxErrno) { _ = try setAttributes(ino, a) }
    func flush(_ ino: InodeNumber) throws(LinuxErrno) {}
    var fileSizeLimit: Int64 { Int64(SharedFS.maxFileSize) }
}

/// /proc: read-only, generated from the process table (ProcFS.swift). Regular files open
/// as snapshots of their content; nothing else but directories opens.
extension ProcFS: MountedFileSystem {
    func nodeStat(_ vfs: VFS, _ t: GuestThread?, _ ino: UInt64) throws(SyscallError) -> KStat {
        try stat(vfs, t, ino)
    }
    func nodeLookup(_ vfs: VFS, _ dir: UInt64, _ name: [UInt8]) throws(SyscallError) -> UInt64 {
        try lookup(vfs, dir, name)
    }
    func nodeParent(_ vfs: VFS, _ dir: UInt64) throws(SyscallError) -> UInt64 { parent(dir) }
    func nodeReadlink(_ vfs: VFS, _ t: GuestThread?, _ ino: UInt64) throws(SyscallError) -> [UInt8] {
        try readlink(vfs, t, ino)
    }
    func nodeList(_ vfs: VFS, _ dir: UInt64, from offset: UInt64,
                  _ body: ([UInt8], UInt64, UInt8, UInt64) -> Bool) throws(SyscallError) {
        try list(vfs, dir, from: offset, body)
    }
    func openNode(_ vfs: VFS, _ t: GuestThread, _ node: VNode, _ st: KStat, flags: Int32,
                  parent: VNode?, name: [UInt8], created: Bool) throws(SyscallError) -> OpenFile {
        switch st.type {
        case Mode.S_IFDIR: return DirectoryFile(vfs: vfs, node: node, flags: flags)
        case Mode.S_IFREG: return ProcFile(vfs: vfs, node: node, flags: flags, content: try content(vfs, t, node.ino))
        default: throw .errno(.ENXIO)
        }
    }
}
