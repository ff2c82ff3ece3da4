// InodeTable.swift: the only place that turns FUSE node ids into image inode numbers and
// back, and that counts the kernel's lookups.
//
// Three identifiers name a file here (compare squashfuse's ll_inode.c):
//
//   identifier          width  reserved values            where it comes from
//   image inode number  u32    0 = empty directory slot,  the image's inode bitmap (VFSImage);
//                              1 = the root directory     freed numbers are reused, each use
//                                                         gets a new u64 generation
//   FUSE node id        u64    0 = none / negative entry, what we put in entry replies; the
//   (fuse_ino_t)               1 = FUSE_ROOT_ID           kernel names the file by it until it
//                                                         forgets it (lookup count back to 0)
//   st_ino              u64    -                          what stat(2) shows: the image number
//
// The mapping is the identity: node id = image inode number. It needs no special case for
// the root only because the image's root is inode 1, which happens to equal FUSE_ROOT_ID
// (ext2's root is 2; if the format ever moves it, map it here and nowhere else).
//
// The identity is safe because of one invariant this table keeps:
//
//   An image inode the kernel knows (lookup count > 0) is pinned with `SharedFS.retain`, so
//   its number is not reused until the kernel forgets it.
//
// Without the pin, an unlinked file (or a removed directory someone still has as cwd) would
// be freed, its number handed to a new file, and the kernel would take the new file for the
// old one (same node id): stale attributes, stale page cache, and lookup counts of two
// files added together. `fuse_lowlevel.h` says the same of `forget`: unlinking does not end
// an inode while its lookup count is non-zero. Open files are also retained by the open
// handles (Files.swift); either holder keeps an unlinked inode alive.
//
// Lookup counts rise by one for every entry reply (lookup, create, mknod, mkdir, symlink,
// link, and every readdirplus entry other than "." and ".."); `forget` / `forget_multi`
// lower them. The kernel never forgets the root, and we never count it.
// At unmount the kernel sends no forgets, so `releaseAll` drops the remaining pins before
// the image is checkpointed (unlinked-but-known inodes are then freed).
//
// Owner: the request loop's thread, like the SharedFS it wraps.

import CFuse3
import VFSImage

final class InodeTable {
    private let fs: SharedFS
    /// Lookup count of every non-root inode the kernel knows. Absent = 0 = not pinned.
    private var lookups: [UInt32: UInt64] = [:]

    init(fs: SharedFS) { self.fs = fs }

    // MARK: numbers

    /// The image inode a node id from the kernel names. Node ids we never issued (above
    /// u32, or 0) cannot name an inode: ENOENT, as for a stale handle.
    @inline(__always)
    static func inode(_ nodeid: fuse_ino_t) throws(LinuxErrno) -> InodeNumber {
        guard nodeid != 0, nodeid <= fuse_ino_t(UInt32.max) else { throw .ENOENT }
        return InodeNumber(UInt32(nodeid))
    }

    /// The node id the kernel will know `ino` by.
    @inline(__always)
    static func nodeid(_ ino: InodeNumber) -> fuse_ino_t { fuse_ino_t(ino.rawValue) }

    static let root = fuse_ino_t(FUSE_ROOT_ID)

    // MARK: lookup counts

    /// Counts one entry reply for `ino`; the first one pins the inode.
    func noteLookup(_ ino: InodeNumber) {
        guard ino != .root else { return }
        let n = lookups[ino.rawValue, default: 0]
        if n == 0 { fs.retain(ino) }
        lookups[ino.rawValue] = n + 1
    }

    /// The kernel dropped `count` references to `nodeid`; at zero the pin goes.
    func forget(_ nodeid: fuse_ino_t, _ count: UInt64) {
        guard nodeid != InodeTable.root else { return }
        guard let ino = try? InodeTable.inode(nodeid), let n = lookups[ino.rawValue] else {
            preconditionFailure("InodeTable: the kernel forgot node \(nodeid) ×\(count), which it never looked up")
        }
        precondition(n >= count, "InodeTable: the kernel forgot node \(nodeid) ×\(count), but it holds only \(n) lookups")
        if n == count {
            lookups[ino.rawValue] = nil
            fs.release(ino)
        } else {
            lookups[ino.rawValue] = n - count
        }
    }

    /// Whether the kernel currently knows `ino` (so a cache invalidation could matter).
    func isKnown(_ ino: InodeNumber) -> Bool { ino == .root || lookups[ino.rawValue] != nil }

    /// Number of inodes the kernel holds (for tests and diagnostics).
    var knownCount: Int { lookups.count }

    /// Drops every pin (unmount: the kernel has let go of everything without forgets).
    func releaseAll() {
        for ino in lookups.keys { fs.release(InodeNumber(ino)) }
        lookups.removeAll()
    }
}
