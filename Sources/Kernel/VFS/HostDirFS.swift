// HostDirFS.swift: a host directory mounted into the guest's namespace
// (`kandelo-launch --bind HOSTDIR:GUESTDIR[:ro]`), an InodeFileSystem (FileSystem.swift).
//
// Confinement. A guest must never reach a host file outside HOSTDIR. The design:
//   - the VFS walks guest paths itself, one name at a time, and resolves every symlink it
//     meets by reading the link and walking its target in the *guest* namespace
//     (PathWalk.swift). So a link in HOSTDIR to "/etc/passwd" or "../../etc" names the
//     guest's /etc, never the host's; this filesystem is only ever asked about one name
//     in one directory and never follows a link;
//   - a node is remembered as (parent node, name) up to the root of the bind; to act on
//     it, its parent directory is opened from a descriptor of HOSTDIR with openat2
//     RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: a ".." or a symlink
//     (say one a host process swapped in meanwhile) anywhere on that path fails the call
//     instead of leaving HOSTDIR. (Not RESOLVE_NO_XDEV: file systems mounted below HOSTDIR
//     on the host are inside it, and are shown, as a bind mount shows them.) Where openat2
//     does not exist (ENOSYS, old kernels, seccomp) the same walk is done one component at
//     a time with O_NOFOLLOW;
//   - the last name is then used with *at calls that do not follow it (AT_SYMLINK_NOFOLLOW,
//     O_NOFOLLOW, O_EXCL creation, fchmodat2), and names with "/", "." or ".." are refused;
//   - `..` of the bind's root is the guest directory it covers (VFS.parent), never the
//     host's parent;
//   - guests cannot plant what would be dangerous on the host: device nodes are refused
//     (EPERM, like a nodev mount; guest device nodes are emulated by rdev anyway) and
//     set-user-ID/set-group-ID bits are dropped from regular files (nosuid).
//
// Identity. Guest inode numbers are ours (32-bit, stable for the mount's life), mapped to
// the host's (st_dev, st_ino), so a name looked up twice, a listing and a stat agree; a
// lookup refreshes where the node was last seen (hard links). A node whose name now holds
// another host file (changed behind our back) is stale: ENOENT. Open files keep a host
// descriptor, so an unlinked file stays readable, as on Linux.
//
// Ownership: files show their host owner; guest-created files belong to the launcher's
// host user, or to the guest's ids when the launcher runs as root. Permissions are the
// VFS's checks on the host modes and owners, and then the host's own.
//
// I/O: a guest's read and write of an open file go through the kernel's Ring on the held
// descriptor (RegularFile.hostIO suspends the call); the rest (mmap's copy, sendfile and
// copy_file_range, namespace operations) is synchronous on the loop thread, where the
// page cache answers almost every call.
//
// The host calls themselves are in Host/HostDirectory.swift (which also says when a host
// EBADF is the guest's: never, because the descriptors' access is checked here first).
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

public final class HostDirFS: InodeFileSystem {
    /// The host directory, as given.
    public let hostPath: String
    public let readOnly: Bool
    let rootFD: HostFD
    var fileSizeLimit: Int64 { Int64.max }

    private struct HostID: Hashable { var dev: UInt64; var ino: UInt64 }
    private struct Node {
        var parent: UInt32
        var name: [UInt8]
        var id: HostID
        /// False once its last known name was removed (it may live on through open files
        /// or other hard links, which a lookup re-attaches).
        var attached = true
    }
    private static let rootIno = InodeNumber.root.rawValue
    private var nodes: [UInt32: Node] = [:]
    private var byHost: [HostID: UInt32] = [:]
    private var nextIno: UInt32 = InodeNumber.root.rawValue + 1
    /// How a held descriptor was opened: regular files O_RDWR (or O_RDONLY when the host
    /// lets us only read), everything else (and files the host lets us not even read) O_PATH.
    /// An I/O call on a descriptor not opened for it would make the host answer EBADF, which
    /// is ours (HostDirectory.swift): every I/O path checks this first.
    enum Access { case readWrite, readOnly, path }
    private struct Held { var fd: HostFD; var count: Int; var access: Access }
    /// Host descriptors of open files.
    private var held: [UInt32: Held] = [:]
    private let hostIsRoot = geteuid() == 0
    private var openat2Works = true

    /// Opens `hostPath` (which must be a directory; it is opened once, so renaming it on
    /// the host later does not move the mount).
    public init(hostPath: String, readOnly: Bool = false) throws(LinuxErrno) {
        let (fd, st) = try HostDirectory.openRoot(hostPath)
        self.hostPath = hostPath
        self.readOnly = readOnly
        self.rootFD = fd
        let id = HostID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
        nodes[HostDirFS.rootIno] = Node(parent: HostDirFS.rootIno, name: [], id: id)
        byHost[id] = HostDirFS.rootIno
    }

    deinit {
        for h in held.values { h.fd.close() }
        rootFD.close()
    }

    // MARK: finding things on the host

    /// A name this filesystem may be asked about: one component, not "." or "..".
    private static func validName(_ name: [UInt8]) throws(LinuxErrno) {
        if name.isEmpty || name.contains(0x2F) || name.contains(0) { throw .EINVAL }
        if name == [0x2E] || name == [0x2E, 0x2E] { throw .EINVAL }
        if name.count > 255 { throw .ENAMETOOLONG }
    }

    private func node(_ ino: InodeNumber) throws(LinuxErrno) -> Node {
        guard let n = nodes[ino.rawValue] else { throw LinuxErrno(rawValue: 116) }   // ESTALE
        return n
    }

    /// The path of a node below the root ([] for the root); ENOENT when it (or a parent)
    /// has lost its name.
    private func components(_ ino: UInt32) throws(LinuxErrno) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var i = ino
        var steps = 0
        while i != HostDirFS.rootIno {
            guard let n = nodes[i], n.attached else { throw .ENOENT }
            parts.append(n.name)
            i = n.parent
            steps += 1
            if steps > 4096 { throw .ELOOP }
        }
        return parts.reversed()
    }

    /// Opens directory `ino` beneath the root (O_PATH unless `flags` says otherwise). The
    /// caller closes the result unless it is `rootFD`.
    private func openDir(_ ino: UInt32, flags: Int32 = O_PATH) throws(LinuxErrno) -> HostFD {
        let parts = try components(ino)
        if parts.isEmpty && flags == O_PATH { return rootFD }
        let oflags = flags | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW
        if openat2Works {
            var path: [UInt8] = []
            for (i, p) in parts.enumerated() {
                if i > 0 { path.append(0x2F) }
                path += p
            }
            if path.isEmpty { path = [0x2E] }
            path.append(0)
            let r: Result<HostFD, LinuxErrno> = path.withUnsafeBufferPointer { p in
                do throws(LinuxErrno) {
                    return .success(try HostDirectory.openConfined(rootFD, UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self), oflags))
                } catch { return .failure(error) }
            }
            switch r {
            case .success(let fd): return fd
            case .failure(let e) where e == .ENOSYS: openAt2Unavailable()
            case .failure(let e): throw HostDirFS.walkError(e)
            }
        }
        // One component at a time, never following a link.
        var cur = rootFD
        for p in parts + (parts.isEmpty ? [[0x2E]] : []) {
            let next: Result<HostFD, LinuxErrno> = (p + [0]).withUnsafeBufferPointer { b in
                do throws(LinuxErrno) {
                    return .success(try HostDirectory.open(cur, UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self),
                                                           O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW))
                } catch { return .failure(error) }
            }
            if cur != rootFD { cur.close() }
            switch next {
            case .success(let fd): cur = fd
            case .failure(let e): throw HostDirFS.walkError(e)
            }
        }
        if flags != O_PATH {
            defer { if cur != rootFD { cur.close() } }
            return try HostDirectory.open(cur, ".", oflags)
        }
        return cur
    }

    /// A path we remember that no longer leads to a directory (a link swapped in, a
    /// directory removed or moved on the host): the node is gone for us.
    private static func walkError(_ e: LinuxErrno) -> LinuxErrno {
        switch e {
        case .ELOOP, .EXDEV, .ENOTDIR: .ENOENT
        default: e
        }
    }

    private func openAt2Unavailable() { openat2Works = false }

    /// Runs `body` with the directory descriptor and name that stand for node `ino` ("."
    /// in the root's descriptor for the root).
    private func locate<T>(_ ino: UInt32, _ body: (HostFD, UnsafePointer<CChar>) throws(LinuxErrno) -> T) throws(LinuxErrno) -> T {
        if ino == HostDirFS.rootIno { return try body(rootFD, ".") }
        let n = try node(InodeNumber(ino))
        guard n.attached else { throw .ENOENT }
        return try inDir(n.parent, n.name, body)
    }

    /// Runs `body` with directory `dir`'s descriptor and `name` as a C string.
    private func inDir<T>(_ dir: UInt32, _ name: [UInt8], _ body: (HostFD, UnsafePointer<CChar>) throws(LinuxErrno) -> T) throws(LinuxErrno) -> T {
        let fd = try openDir(dir)
        defer { if fd != rootFD { fd.close() } }
        let c = (name + [0]).map { CChar(bitPattern: $0) }
        let r: Result<T, LinuxErrno> = c.withUnsafeBufferPointer { p in
            do throws(LinuxErrno) { return .success(try body(fd, p.baseAddress!)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    private static func statAt(_ fd: HostFD, _ name: UnsafePointer<CChar>) throws(LinuxErrno) -> Glibc.stat {
        try HostDirectory.stat(fd, name)
    }

    private static func id(_ st: Glibc.stat) -> HostID { HostID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino)) }

    /// Our number for host file `id`, found as `name` in `dir`.
    private func intern(_ id: HostID, parent dir: UInt32, name: [UInt8]) -> UInt32 {
        if let ino = byHost[id] {
            if ino != HostDirFS.rootIno {
                nodes[ino]?.parent = dir
                nodes[ino]?.name = name
                nodes[ino]?.attached = true
            }
            return ino
        }
        let ino = nextIno
        nextIno += 1
        nodes[ino] = Node(parent: dir, name: name, id: id)
        byHost[id] = ino
        return ino
    }

    /// Forgets that host file `id` is `name` in `dir` (it was just removed there).
    private func detach(_ id: HostID?, _ dir: UInt32, _ name: [UInt8]) {
        guard let id, let ino = byHost[id], ino != HostDirFS.rootIno, let n = nodes[ino],
              n.parent == dir, n.name == name else { return }
        nodes[ino]?.attached = false
    }

    private func writable() throws(LinuxErrno) {
        if readOnly { throw .EROFS }
    }

    private func kstat(_ st: Glibc.stat, ino: UInt32) -> KStat {
        var k = KStat()
        k.ino = UInt64(ino)
        k.mode = st.st_mode
        k.nlink = UInt32(truncatingIfNeeded: st.st_nlink)
        k.uid = st.st_uid
        k.gid = st.st_gid
        k.rdev = UInt64(st.st_rdev)
        k.size = Int64(st.st_size)
        k.blksize = Int32(truncatingIfNeeded: st.st_blksize)
        k.blocks = Int64(st.st_blocks)
        k.atime = (Int64(st.st_atim.tv_sec), UInt32(st.st_atim.tv_nsec))
        k.mtime = (Int64(st.st_mtim.tv_sec), UInt32(st.st_mtim.tv_nsec))
        k.ctime = (Int64(st.st_ctim.tv_sec), UInt32(st.st_ctim.tv_nsec))
        return k
    }

    // MARK: InodeFileSystem

    func kstat(_ ino: InodeNumber) throws(LinuxErrno) -> KStat {
        let n = try node(ino)
        if let h = held[ino.rawValue] {
            return kstat(try h.fd.stat(), ino: ino.rawValue)     // fstat works on O_PATH too
        }
        let st = try locate(ino.rawValue) { fd, name throws(LinuxErrno) in try HostDirFS.statAt(fd, name) }
        if HostDirFS.id(st) != n.id { throw .ENOENT }     // another file took its name on the host
        return kstat(st, ino: ino.rawValue)
    }

    func lookup(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) -> InodeNumber {
        if name == [0x2E] { return dir }
        if name == [0x2E, 0x2E] { return InodeNumber(try node(dir).parent) }
        try HostDirFS.validName(name)
        let st = try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) in try HostDirFS.statAt(fd, cname) }
        return InodeNumber(intern(HostDirFS.id(st), parent: dir.rawValue, name: name))
    }

    func readlink(_ ino: InodeNumber) throws(LinuxErrno) -> [UInt8] {
        try locate(ino.rawValue) { fd, name throws(LinuxErrno) in try HostDirectory.readLink(fd, name) }
    }

    func list(_ dir: InodeNumber, from offset: UInt64, _ body: ([UInt8], UInt64, UInt8, UInt64) -> Bool) throws(LinuxErrno) {
        let parent = try node(dir).parent
        let fd = try openDir(dir.rawValue, flags: O_RDONLY)
        try HostDirectory.list(fd, from: offset) { name, next, hostType, st in
            let ino: UInt32
            var type = hostType
            if name == [0x2E] {
                ino = dir.rawValue
            } else if name == [0x2E, 0x2E] {
                ino = parent
            } else {
                guard let st else { return true }
                ino = intern(HostDirFS.id(st), parent: dir.rawValue, name: name)
                type = UInt8((st.st_mode & Mode.S_IFMT) >> 12)
            }
            return body(name, UInt64(ino), type, next)
        }
    }

    /// The mode a guest may give a host file: no set-id bits on regular files.
    private static func hostMode(_ mode: UInt32, regular: Bool) -> UInt32 {
        regular ? mode & ~(Mode.S_ISUID | Mode.S_ISGID) & 0o7777 : mode & 0o7777
    }

    /// After creating `name` in `fd`: exact mode (the launcher's umask must not apply
    /// twice), owner when we may, and the new node's number.
    private func finishCreate(_ dir: UInt32, _ name: [UInt8], _ fd: HostFD, _ cname: UnsafePointer<CChar>,
                              mode: UInt32?, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber {
        // Best effort, as before: the file exists either way, and its stat below says what
        // the host made of it.
        if let mode { _ = try? HostDirectory.changeMode(fd, cname, mode) }
        if hostIsRoot { _ = try? HostDirectory.changeOwner(fd, cname, uid: uid, gid: gid) }
        let st = try HostDirFS.statAt(fd, cname)
        return InodeNumber(intern(HostDirFS.id(st), parent: dir, name: name))
    }

    func create(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber {
        try writable()
        try HostDirFS.validName(name)
        let perm = HostDirFS.hostMode(mode, regular: true)
        return try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) in
            let f = try HostDirectory.open(fd, cname, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, mode: perm)
            let ino: InodeNumber
            do throws(LinuxErrno) { ino = try finishCreate(dir.rawValue, name, fd, cname, mode: perm, uid: uid, gid: gid) } catch {
                f.close()
                throw error
            }
            // The creator may write even without write permission: the first open gets this.
            if held[ino.rawValue] == nil { held[ino.rawValue] = Held(fd: f, count: 0, access: .readWrite) } else { f.close() }
            return ino
        }
    }

    func mkdir(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber {
        try writable()
        try HostDirFS.validName(name)
        let perm = HostDirFS.hostMode(mode, regular: false)
        return try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) in
            try HostDirectory.makeDirectory(fd, cname, perm)
            return try finishCreate(dir.rawValue, name, fd, cname, mode: perm, uid: uid, gid: gid)
        }
    }

    func mknod(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, rdev: UInt32, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber {
        try writable()
        try HostDirFS.validName(name)
        let type = mode & Mode.S_IFMT
        guard type == Mode.S_IFREG || type == Mode.S_IFIFO || type == Mode.S_IFSOCK || type == 0 else { throw .EPERM }
        let perm = HostDirFS.hostMode(mode, regular: type != Mode.S_IFIFO && type != Mode.S_IFSOCK)
        return try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) in
            try HostDirectory.makeNode(fd, cname, (type == 0 ? Mode.S_IFREG : type) | perm)
            return try finishCreate(dir.rawValue, name, fd, cname, mode: perm, uid: uid, gid: gid)
        }
    }

    func symlink(_ dir: InodeNumber, _ name: [UInt8], target: [UInt8], uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber {
        try writable()
        try HostDirFS.validName(name)
        if target.contains(0) { throw .EINVAL }
        return try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) in
            try HostDirectory.makeSymlink(target, fd, cname)
            return try finishCreate(dir.rawValue, name, fd, cname, mode: nil, uid: uid, gid: gid)
        }
    }

    func link(_ ino: InodeNumber, _ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) {
        try writable()
        try HostDirFS.validName(name)
        if ino.rawValue == HostDirFS.rootIno { throw .EPERM }
        let n = try node(ino)
        try locate(ino.rawValue) { sfd, sname throws(LinuxErrno) in
            if HostDirFS.id(try HostDirFS.statAt(sfd, sname)) != n.id { throw .ENOENT }
            try inDir(dir.rawValue, name) { dfd, dname throws(LinuxErrno) in
                try HostDirectory.link(sfd, sname, to: dfd, dname)
            }
        }
    }

    func unlink(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) {
        try writable()
        try HostDirFS.validName(name)
        let id = try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) -> HostID? in
            let id = (try? HostDirFS.statAt(fd, cname)).map(HostDirFS.id)
            try HostDirectory.remove(fd, cname, directory: false)
            return id
        }
        detach(id, dir.rawValue, name)
    }

    func rmdir(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) {
        try writable()
        try HostDirFS.validName(name)
        let id = try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) -> HostID? in
            let id = (try? HostDirFS.statAt(fd, cname)).map(HostDirFS.id)
            try HostDirectory.remove(fd, cname, directory: true)
            return id
        }
        detach(id, dir.rawValue, name)
    }

    func rename(_ dir: InodeNumber, _ name: [UInt8], _ newDir: InodeNumber, _ newName: [UInt8], flags: RenameFlags) throws(LinuxErrno) {
        try writable()
        try HostDirFS.validName(name)
        try HostDirFS.validName(newName)
        let src = try lookup(dir, name)
        let dst = try? lookup(newDir, newName)
        try inDir(dir.rawValue, name) { ofd, oname throws(LinuxErrno) in
            try inDir(newDir.rawValue, newName) { nfd, nname throws(LinuxErrno) in
                try HostDirectory.rename(ofd, oname, nfd, nname, flags: flags.rawValue)
            }
        }
        if let dst, dst != src {
            if flags.contains(.exchange) {
                nodes[dst.rawValue]?.parent = dir.rawValue
                nodes[dst.rawValue]?.name = name
            } else {
                nodes[dst.rawValue]?.attached = false
            }
        }
        nodes[src.rawValue]?.parent = newDir.rawValue
        nodes[src.rawValue]?.name = newName
    }

    func chmod(_ ino: InodeNumber, _ mode: UInt32) throws(LinuxErrno) {
        try writable()
        let st = try kstat(ino)
        let perm = HostDirFS.hostMode(mode, regular: st.isRegular)
        try locate(ino.rawValue) { fd, name throws(LinuxErrno) in try HostDirectory.changeMode(fd, name, perm) }
    }

    func chown(_ ino: InodeNumber, uid: UInt32, gid: UInt32) throws(LinuxErrno) {
        try writable()
        try locate(ino.rawValue) { fd, name throws(LinuxErrno) in
            try HostDirectory.changeOwner(fd, name, uid: uid, gid: gid)
        }
    }

    func updateAttributes(_ ino: InodeNumber, _ a: SetAttributes) throws(LinuxErrno) {
        try writable()
        if let mode = a.mode { try chmod(ino, mode) }
        if a.uid != nil || a.gid != nil { try chown(ino, uid: a.uid ?? UInt32.max, gid: a.gid ?? UInt32.max) }
        if let size = a.size { try truncate(ino, to: size) }
        if a.atime != nil || a.mtime != nil {
            try locate(ino.rawValue) { fd, name throws(LinuxErrno) in
                try HostDirectory.setTimes(fd, name, access: a.atime, modification: a.mtime)
            }
        } else if a.mode == nil && a.uid == nil && a.gid == nil && a.size == nil {
            try chown(ino, uid: UInt32.max, gid: UInt32.max)       // only ctime changes
        }
    }

    /// Opens node `ino` itself (never following it); the caller closes it.
    private func openNode(_ ino: UInt32, _ flags: Int32) throws(LinuxErrno) -> HostFD {
        let n = try node(InodeNumber(ino))
        if ino == HostDirFS.rootIno {
            if flags & O_PATH == 0 { return try openDir(ino, flags: O_RDONLY) }
            return try HostFD.duplicate(rootFD.rawValue, minimum: 0)    // the caller closes it: never rootFD itself
        }
        return try locate(ino) { fd, name throws(LinuxErrno) in
            let r: HostFD
            do throws(LinuxErrno) {
                r = try HostDirectory.openConfined(fd, name, flags | O_NOFOLLOW | O_CLOEXEC)
            } catch where error == .ENOSYS {
                r = try HostDirectory.open(fd, name, flags | O_NOFOLLOW | O_CLOEXEC)
            }
            guard let st = try? r.stat(), HostDirFS.id(st) == n.id else {
                r.close()
                throw .ENOENT
            }
            return r
        }
    }

    /// The host descriptor an open guest file of `ino` holds (the kernel reads and writes
    /// it through the Ring, see RegularFile), and whether it was opened for writing; nil
    /// when none is held or it is O_PATH (a pread on it would be the host's EBADF, which
    /// the Ring's completion treats as our bug: HostDirectory.swift's header).
    func heldDescriptor(_ ino: InodeNumber) -> (fd: Int32, writable: Bool)? {
        guard let h = held[ino.rawValue], h.access != .path else { return nil }
        return (h.fd.rawValue, h.access == .readWrite)
    }

    /// Why node `ino`, held O_PATH, cannot be read: a directory is EISDIR; anything else
    /// the host would not open for reading even for us (EACCES).
    private func unreadable(_ h: Held) -> LinuxErrno {
        (try? h.fd.stat()).map { $0.st_mode & S_IFMT == S_IFDIR } == true ? .EISDIR : .EACCES
    }

    func truncate(_ ino: InodeNumber, to size: UInt64) throws(LinuxErrno) {
        try writable()
        if let h = held[ino.rawValue], h.access == .readWrite {
            try h.fd.truncate(Int64(truncatingIfNeeded: size))
            return
        }
        let fd = try openNode(ino.rawValue, O_WRONLY | O_NONBLOCK)
        defer { fd.close() }
        try fd.truncate(Int64(truncatingIfNeeded: size))
    }

    func read(_ ino: InodeNumber, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        if let h = held[ino.rawValue] {
            // O_PATH: the host would answer EBADF, which is the guest's here (it read a
            // directory, or a file the host does not let us read), so answer for it.
            if h.access == .path { throw unreadable(h) }
            return try h.fd.read(at: offset, into: buffer)
        }
        let fd = try openNode(ino.rawValue, O_RDONLY | O_NONBLOCK)
        defer { fd.close() }
        return try fd.read(at: offset, into: buffer)
    }

    func write(_ ino: InodeNumber, at offset: UInt64, from data: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        try writable()
        if let h = held[ino.rawValue] {
            // Opened read-only on the host: the host user may not write it.
            // (A pwrite on it would be the host's EBADF, the guest's here, not ours.)
            guard h.access == .readWrite else { throw .EACCES }
            return try h.fd.write(at: offset, from: data)
        }
        let fd = try openNode(ino.rawValue, O_WRONLY | O_NONBLOCK)
        defer { fd.close() }
        return try fd.write(at: offset, from: data)
    }

    func readAll(_ ino: InodeNumber) throws(LinuxErrno) -> [UInt8] {
        let fd = try openNode(ino.rawValue, O_RDONLY | O_NONBLOCK)
        defer { fd.close() }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let r: Result<Int, LinuxErrno> = chunk.withUnsafeMutableBytes { b in
                do throws(LinuxErrno) { return .success(try fd.read(into: b)) } catch { return .failure(error) }
            }
            let n = try r.get()
            if n == 0 { return out }
            out += chunk[0..<n]
        }
    }

    func retain(_ ino: InodeNumber) {
        if var h = held[ino.rawValue] {
            h.count += 1
            held[ino.rawValue] = h
            return
        }
        guard let st = try? kstat(ino) else { return }
        var h: Held?
        if st.isRegular {
            if !readOnly, let f = try? openNode(ino.rawValue, O_RDWR | O_NONBLOCK) {
                h = Held(fd: f, count: 1, access: .readWrite)
            } else if let f = try? openNode(ino.rawValue, O_RDONLY | O_NONBLOCK) {
                h = Held(fd: f, count: 1, access: .readOnly)
            }
        }
        if h == nil, let f = try? openNode(ino.rawValue, O_PATH) { h = Held(fd: f, count: 1, access: .path) }
        if let h { held[ino.rawValue] = h }
    }

    func release(_ ino: InodeNumber) {
        guard var h = held[ino.rawValue] else { return }
        h.count -= 1
        if h.count <= 0 {
            h.fd.close()
            held[ino.rawValue] = nil
        } else {
            held[ino.rawValue] = h
        }
    }

    func flush(_ ino: InodeNumber) throws(LinuxErrno) {
        if let h = held[ino.rawValue], h.access == .readWrite {
            try h.fd.syncStrictly()
            return
        }
        // A directory (rename, then fsync of the directory) or a file the host lets us only
        // read: the held descriptor may be O_PATH, which fsync refuses, so open the node.
        let fd = try openNode(ino.rawValue, O_RDONLY | O_NONBLOCK)
        defer { fd.close() }
        try fd.syncStrictly()
    }

    /// statfs of the host file system holding the directory.
    func hostStatistics() -> statvfs? {
        guard let fd = try? HostDirectory.open(rootFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) else { return nil }
        defer { fd.close() }
        return try? fd.filesystemStatistics()
    }
}

extension HostDirFS {
    /// syncfs(2) of the host file system holding the directory (sync, syncfs).
    func syncHostFilesystem() throws(LinuxErrno) {
        let fd = try HostDirectory.open(rootFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)   // (rootFD is O_PATH)
        defer { fd.close() }
        try fd.syncFilesystem()
    }

    /// statfs(2) of a bind: the host file system's figures.
    func statfs(_ base: StatABI.StatFS) -> StatABI.StatFS {
        var s = base
        guard let h = hostStatistics() else { s.bsize = 4096; s.frsize = 4096; return s }
        s.bsize = UInt32(truncatingIfNeeded: h.f_bsize)
        s.frsize = UInt32(truncatingIfNeeded: h.f_frsize)
        s.blocks = UInt64(h.f_blocks)
        s.bfree = UInt64(h.f_bfree)
        s.bavail = UInt64(h.f_bavail)
        s.files = UInt64(h.f_files)
        s.ffree = UInt64(h.f_ffree)
        s.namelen = UInt32(truncatingIfNeeded: h.f_namemax)
        if readOnly { s.flags |= 1 }     // ST_RDONLY
        // f_type: the host filesystem's magic (ext4, xfs, tmpfs...), not one made up.
        if let fd = try? HostDirectory.open(rootFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) {
            if let type = try? fd.filesystemType() { s.type = UInt32(truncatingIfNeeded: type) }
            fd.close()
        }
        return s
    }
}
