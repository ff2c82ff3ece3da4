// Directories.swift: opendir, readdir, readdirplus, releasedir (fsyncdir is Files.fsync).
//
// Offsets are SharedFS's: the byte offset of the record after each entry in the
// directory's stream, so a listing resumed at an offset continues where it stopped while
// names come and go elsewhere, as getdents(2) callers (rm -rf) need. 0 is the start.
//
// readdirplus hands the kernel one entry reply per name, and the kernel counts one lookup
// for each except "." and ".." (fs/fuse/readdir.c, fuse_direntplus_link), so we do too.
// Directory handles open with cache_readdir: the kernel keeps the listing in the
// directory's page cache and drops it when the directory changes through it.

import CFuse3
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FuseServer {
    /// FUSE `opendir`: Linux `openat(2)` of a directory.
    func opendir(_ nodeid: fuse_ino_t, _ fi: fuse_file_info) throws(LinuxErrno) -> Reply {
        let ino = try InodeTable.inode(nodeid)
        guard try fs.attributes(ino).type == .directory else { throw .ENOTDIR }
        openHandle(ino)
        var fi = fi
        fi.fh = UInt64(ino.rawValue)
        fi.cache_readdir = 1
        fi.keep_cache = 1
        return .open(fi)
    }

    /// FUSE `releasedir`.
    func releasedir(_ fi: fuse_file_info) -> Reply { release(fi) }

    /// FUSE `readdir` / `readdirplus`: Linux `getdents64(2)`, from `offset`, as many entries
    /// as fit in `size` bytes.
    func readdir(_ req: fuse_req_t, _ nodeid: fuse_ino_t, _ size: Int, _ offset: off_t, plus: Bool) throws(LinuxErrno) -> Reply {
        let dir = try InodeTable.inode(nodeid)
        let d = try fs.attributes(dir)
        guard d.type == .directory else { throw .ENOTDIR }
        // A removed directory (still open, or someone's cwd) lists nothing, as in Linux.
        guard d.linkCount > 0, offset >= 0 else { return .buffer(nil, 0) }
        let cap = min(size, listBufferSize)
        var used = 0
        var counted: [InodeNumber] = []
        var failure: LinuxErrno? = nil
        try fs.readDirectory(dir, from: UInt64(offset)) { e in
            let isDot = e.name == [0x2E] || e.name == [0x2E, 0x2E]
            let name = e.name.map { CChar(bitPattern: $0) } + [0]
            let room = cap - used
            let need: Int
            if plus {
                var ep = fuse_entry_param()
                if isDot {
                    // Not linked by the kernel: only the dirent's ino and type are used.
                    ep.attr.st_ino = ino_t(e.ino.rawValue)
                    ep.attr.st_mode = FileType.directory.rawValue
                } else {
                    let a: InodeAttributes
                    do throws(LinuxErrno) { a = try fs.attributes(e.ino) } catch { failure = error; return false }
                    ep.ino = InodeTable.nodeid(e.ino)
                    ep.generation = a.generation
                    ep.attr = hostStat(a)
                    ep.attr_timeout = cacheTimeout
                    ep.entry_timeout = cacheTimeout
                }
                need = fuse_add_direntry_plus(req, listBuffer.advanced(by: used).assumingMemoryBound(to: CChar.self),
                                              room, name, &ep, off_t(e.nextOffset))
                if need <= room && !isDot {
                    table.noteLookup(e.ino)
                    counted.append(e.ino)
                }
            } else {
                var st = stat()
                st.st_ino = ino_t(e.ino.rawValue)
                st.st_mode = e.type?.rawValue ?? 0
                need = fuse_add_direntry(req, listBuffer.advanced(by: used).assumingMemoryBound(to: CChar.self),
                                         room, name, &st, off_t(e.nextOffset))
            }
            guard need <= room else { return false }
            used += need
            return true
        }
        // An entry we could not describe: report it unless earlier entries already fit
        // (the next call resumes at the failing entry and reports it then).
        if let failure, used == 0 { throw failure }
        return plus ? .listing(listBuffer, used, counted: counted) : .buffer(listBuffer, used)
    }
}
