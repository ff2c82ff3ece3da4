// Files.swift: open files. open, create, read, write, flush, release, fsync.
//
// A handle is the inode number in `fi->fh`; each open handle holds one SharedFS.retain, so
// a file unlinked while open stays readable and writable until its last release.
// Handles open with keep_cache (page cache survives reopening: only we change files, and
// changes beside FUSE invalidate). Not noflush: nothing is buffered per handle, but the
// FLUSH each close(2) sends carries the closing process's lock_owner, and it is how a host
// process's POSIX locks go at close (Locks.swift); noflush would keep them forever.
//
// Writes are write-through: the kernel sends each write(2) (up to max_write, 1 MiB) and we
// copy it into the image memory before replying. O_APPEND positions are the kernel's: it
// serializes writers of one inode and sends the offset of the current end.

import CFuse3
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FuseServer {
    func openHandle(_ ino: InodeNumber) {
        fs.retain(ino)
        openHandles[ino.rawValue, default: 0] += 1
    }

    /// Drops a handle's retain; an unlinked inode whose last holder this was is freed.
    func closeHandle(_ ino: InodeNumber) {
        guard let n = openHandles[ino.rawValue] else {
            preconditionFailure("FuseServer: release of \(ino), which has no open handle")
        }
        if n == 1 { openHandles[ino.rawValue] = nil } else { openHandles[ino.rawValue] = n - 1 }
        fs.release(ino)
        if !options.readOnly { noteChange() }
    }

    /// The handle fields both `open` and `create` reply with.
    func fileHandle(_ ino: InodeNumber, _ fi: fuse_file_info) -> fuse_file_info {
        var fi = fi
        fi.fh = UInt64(ino.rawValue)
        fi.keep_cache = 1
        fi.direct_io = 0
        return fi
    }

    /// FUSE `open`: Linux `openat(2)` of an existing regular file. With ATOMIC_O_TRUNC the
    /// kernel leaves O_TRUNC to us.
    func open(_ nodeid: fuse_ino_t, _ fi: fuse_file_info) throws(LinuxErrno) -> Reply {
        let ino = try InodeTable.inode(nodeid)
        let a = try fs.attributes(ino)
        switch a.type {
        case .regular: break
        case .directory: throw .EISDIR
        default: throw .ENXIO  // FIFOs and devices are opened by the kernel, never sent here
        }
        let writable = fi.flags & O_ACCMODE != O_RDONLY
        if writable && options.readOnly { throw .EROFS }
        if fi.flags & O_TRUNC != 0 && writable {
            try fs.truncate(ino, to: 0)
            noteChange()
        }
        openHandle(ino)
        return .open(fileHandle(ino, fi))
    }

    /// FUSE `create`: Linux `openat(2)` with O_CREAT of a name that does not exist.
    func create(_ parent: fuse_ino_t, _ name: [UInt8], _ mode: mode_t, _ fi: fuse_file_info,
                _ ctx: fuse_ctx) throws(LinuxErrno) -> Reply {
        let dir = try InodeTable.inode(parent)
        let (uid, gid, m) = try newOwner(dir, mode: mode, ctx)
        let ino = try fs.create(dir, name, mode: m, uid: uid, gid: gid)
        noteChange()
        guard case .entry(let e) = try entry(ino) else { preconditionFailure("entry() returns .entry") }
        openHandle(ino)
        return .create(e, fileHandle(ino, fi))
    }

    /// FUSE `read`: Linux `pread(2)`. A lazy file whose content was never fetched is EIO.
    func read(_ nodeid: fuse_ino_t, _ size: Int, _ offset: off_t) throws(LinuxErrno) -> Reply {
        guard offset >= 0 else { throw .EINVAL }
        let n = try fs.read(try InodeTable.inode(nodeid), at: UInt64(offset),
                            into: UnsafeMutableRawBufferPointer(start: readBuffer, count: min(size, readBufferSize)))
        return .buffer(readBuffer, n)
    }

    /// FUSE `write`: Linux `pwrite(2)`. When the image fills up part way, the short count
    /// goes back (the caller's next write gets ENOSPC); none at all is ENOSPC.
    func write(_ nodeid: fuse_ino_t, _ data: UnsafeRawBufferPointer, _ offset: off_t) throws(LinuxErrno) -> Reply {
        guard offset >= 0 else { throw .EINVAL }
        let n = try fs.write(try InodeTable.inode(nodeid), at: UInt64(offset), from: data)
        noteChange()
        return .write(n)
    }

    /// FUSE `release`: the last close of a handle.
    func release(_ fi: fuse_file_info) -> Reply {
        closeHandle(InodeNumber(UInt32(truncatingIfNeeded: fi.fh)))
        return .ok
    }

    /// FUSE `fsync` / `fsyncdir`: Linux `fsync(2)`. Every change so far (not only this
    /// file's) is in the journal, on disk, when the reply goes out.
    func fsync() throws(LinuxErrno) -> Reply {
        try syncImage()
        return .ok
    }
}
