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
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

/// Behind _GNU_SOURCE in glibc, so not in Swift's Glibc module (x86_64 and aarch64 value).
private let O_PATH: Int32 = 0o10000000

public final class HostDirFS: InodeFileSystem {
    /// The host directory, as given.
    public let hostPath: String
    public let readOnly: Bool
    let rootFD: Int32
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
    /// Host descriptors of open files: regular files O_RDWR (or O_RDONLY), others O_PATH.
    private var held: [UInt32: (fd: Int32, count: Int, writable: Bool)] = [:]
    private let hostIsRoot = geteuid() == 0
    private var openat2Works = true

    static let RESOLVE_NO_MAGICLINKS: UInt64 = 0x02
    static let RESOLVE_NO_SYMLINKS: UInt64 = 0x04
    static let RESOLVE_BENEATH: UInt64 = 0x08
    static let confined = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS

    /// Opens `hostPath` (which must be a directory; it is opened once, so renaming it on
    /// the host later does not move the mount).
    public init(hostPath: String, readOnly: Bool = false) throws(LinuxErrno) {
        let fd = open(hostPath, O_PATH | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw LinuxErrno(rawValue: errno) }
        var st = Glibc.stat()
        if fstat(fd, &st) != 0 { let e = errno; close(fd); throw LinuxErrno(rawValue: e) }
        self.hostPath = hostPath
        self.readOnly = readOnly
        self.rootFD = fd
        let id = HostID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
        nodes[HostDirFS.rootIno] = Node(parent: HostDirFS.rootIno, name: [], id: id)
        byHost[id] = HostDirFS.rootIno
    }

    deinit {
        for h in held.values { close(h.fd) }
        close(rootFD)
    }

    // MARK: finding things on the host

    private static func check(_ r: Int32) throws(LinuxErrno) {
        if r < 0 { throw LinuxErrno(rawValue: errno) }
    }

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
    private func openDir(_ ino: UInt32, flags: Int32 = O_PATH) throws(LinuxErrno) -> Int32 {
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
            let fd = path.withUnsafeBufferPointer { p in
                hd_openat2(rootFD, UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self), oflags, 0, HostDirFS.confined)
            }
            if fd >= 0 { return fd }
            if fd != -ENOSYS { throw HostDirFS.walkError(-fd) }
            openat2Works = false
        }
        // One component at a time, never following a link.
        var cur = rootFD
        for p in parts + (parts.isEmpty ? [[0x2E]] : []) {
            let next = (p + [0]).withUnsafeBufferPointer { b in
                openat(cur, UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self), O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
            }
            let e = errno
            if cur != rootFD { close(cur) }
            if next < 0 { throw HostDirFS.walkError(e) }
            cur = next
        }
        if flags != O_PATH {
            let fd = openat(cur, ".", oflags)
            let e = errno
            if cur != rootFD { close(cur) }
            if fd < 0 { throw LinuxErrno(rawValue: e) }
            return fd
        }
        return cur
    }

    /// A path we remember that no longer leads to a directory (a link swapped in, a
    /// directory removed or moved on the host): the node is gone for us.
    private static func walkError(_ e: Int32) -> LinuxErrno {
        switch e {
        case ELOOP, EXDEV, ENOTDIR: .ENOENT
        default: LinuxErrno(rawValue: e)
        }
    }

    /// Runs `body` with the directory descriptor and name that stand for node `ino` ("."
    /// in the root's descriptor for the root).
    private func locate<T>(_ ino: UInt32, _ body: (Int32, UnsafePointer<CChar>) throws(LinuxErrno) -> T) throws(LinuxErrno) -> T {
        if ino == HostDirFS.rootIno { return try body(rootFD, ".") }
        let n = try node(InodeNumber(ino))
        guard n.attached else { throw .ENOENT }
        return try inDir(n.parent, n.name, body)
    }

    /// Runs `body` with directory `dir`'s descriptor and `name` as a C string.
    private func inDir<T>(_ dir: UInt32, _ name: [UInt8], _ body: (Int32, UnsafePointer<CChar>) throws(LinuxErrno) -> T) throws(LinuxErrno) -> T {
        let fd = try openDir(dir)
        defer { if fd != rootFD { close(fd) } }
        let c = (name + [0]).map { CChar(bitPattern: $0) }
        let r: Result<T, LinuxErrno> = c.withUnsafeBufferPointer { p in
            do throws(LinuxErrno) { return .success(try body(fd, p.baseAddress!)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    private static func statAt(_ fd: Int32, _ name: UnsafePointer<CChar>) throws(LinuxErrno) -> Glibc.stat {
        var st = Glibc.stat()
        try check(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW))
        return st
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
            var st = Glibc.stat()
            try HostDirFS.check(fstat(h.fd, &st))
            return kstat(st, ino: ino.rawValue)
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
        try locate(ino.rawValue) { fd, name throws(LinuxErrno) in
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBytes { readlinkat(fd, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
            if n < 0 { throw LinuxErrno(rawValue: errno) }
            return Array(buf[0..<n])
        }
    }

    func list(_ dir: InodeNumber, from offset: UInt64, _ body: ([UInt8], UInt64, UInt8, UInt64) -> Bool) throws(LinuxErrno) {
        let parent = try node(dir).parent
        let fd = try openDir(dir.rawValue, flags: O_RDONLY)
        guard let d = fdopendir(fd) else { let e = errno; close(fd); throw LinuxErrno(rawValue: e) }
        defer { closedir(d) }
        if offset > 0 { seekdir(d, Int(bitPattern: UInt(offset))) }
        while true {
            errno = 0
            guard let e = readdir(d) else {
                if errno != 0 { throw LinuxErrno(rawValue: errno) }
                return
            }
            let name: [UInt8] = withUnsafeBytes(of: &e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            let next = UInt64(bitPattern: Int64(e.pointee.d_off))
            let ino: UInt32
            var type = e.pointee.d_type
            if name == [0x2E] {
                ino = dir.rawValue
            } else if name == [0x2E, 0x2E] {
                ino = parent
            } else {
                var st = Glibc.stat()
                let r = withUnsafeBytes(of: &e.pointee.d_name) { raw in
                    fstatat(dirfd(d), raw.baseAddress!.assumingMemoryBound(to: CChar.self), &st, AT_SYMLINK_NOFOLLOW)
                }
                if r != 0 { continue }          // removed on the host meanwhile
                ino = intern(HostDirFS.id(st), parent: dir.rawValue, name: name)
                type = UInt8((st.st_mode & Mode.S_IFMT) >> 12)
            }
            if !body(name, UInt64(ino), type, next) { return }
        }
    }

    /// The mode a guest may give a host file: no set-id bits on regular files.
    private static func hostMode(_ mode: UInt32, regular: Bool) -> UInt32 {
        regular ? mode & ~(Mode.S_ISUID | Mode.S_ISGID) & 0o7777 : mode & 0o7777
    }

    /// After creating `name` in `fd`: exact mode (the launcher's umask must not apply
    /// twice), owner when we may, and the new node's number.
    private func finishCreate(_ dir: UInt32, _ name: [UInt8], _ fd: Int32, _ cname: UnsafePointer<CChar>,
                              mode: UInt32?, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber {
        if let mode { _ = hd_chmod_nofollow(fd, cname, mode) }
        if hostIsRoot { _ = fchownat(fd, cname, uid, gid, AT_SYMLINK_NOFOLLOW) }
        let st = try HostDirFS.statAt(fd, cname)
        return InodeNumber(intern(HostDirFS.id(st), parent: dir, name: name))
    }

    func create(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber {
        try writable()
        try HostDirFS.validName(name)
        let perm = HostDirFS.hostMode(mode, regular: true)
        return try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) in
            let f = openat(fd, cname, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, perm)
            if f < 0 { throw LinuxErrno(rawValue: errno) }
            let ino: InodeNumber
            do throws(LinuxErrno) { ino = try finishCreate(dir.rawValue, name, fd, cname, mode: perm, uid: uid, gid: gid) } catch {
                close(f)
                throw error
            }
            // The creator may write even without write permission: the first open gets this.
            if held[ino.rawValue] == nil { held[ino.rawValue] = (f, 0, true) } else { close(f) }
            return ino
        }
    }

    func mkdir(_ dir: InodeNumber, _ name: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber {
        try writable()
        try HostDirFS.validName(name)
        let perm = HostDirFS.hostMode(mode, regular: false)
        return try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) in
            try HostDirFS.check(mkdirat(fd, cname, perm))
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
            try HostDirFS.check(mknodat(fd, cname, (type == 0 ? Mode.S_IFREG : type) | perm, 0))
            return try finishCreate(dir.rawValue, name, fd, cname, mode: perm, uid: uid, gid: gid)
        }
    }

    func symlink(_ dir: InodeNumber, _ name: [UInt8], target: [UInt8], uid: UInt32, gid: UInt32) throws(LinuxErrno) -> InodeNumber {
        try writable()
        try HostDirFS.validName(name)
        if target.contains(0) { throw .EINVAL }
        let ctarget = (target + [0]).map { CChar(bitPattern: $0) }
        return try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) in
            try HostDirFS.check(symlinkat(ctarget, fd, cname))
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
                try HostDirFS.check(linkat(sfd, sname, dfd, dname, 0))
            }
        }
    }

    func unlink(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) {
        try writable()
        try HostDirFS.validName(name)
        let id = try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) -> HostID? in
            let id = (try? HostDirFS.statAt(fd, cname)).map(HostDirFS.id)
            try HostDirFS.check(unlinkat(fd, cname, 0))
            return id
        }
        detach(id, dir.rawValue, name)
    }

    func rmdir(_ dir: InodeNumber, _ name: [UInt8]) throws(LinuxErrno) {
        try writable()
        try HostDirFS.validName(name)
        let id = try inDir(dir.rawValue, name) { fd, cname throws(LinuxErrno) -> HostID? in
            let id = (try? HostDirFS.statAt(fd, cname)).map(HostDirFS.id)
            try HostDirFS.check(unlinkat(fd, cname, AT_REMOVEDIR))
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
                let r = hd_renameat2(ofd, oname, nfd, nname, flags.rawValue)
                if r < 0 { throw LinuxErrno(rawValue: -r) }
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
        try locate(ino.rawValue) { fd, name throws(LinuxErrno) in
            let r = hd_chmod_nofollow(fd, name, perm)
            if r < 0 { throw LinuxErrno(rawValue: -r) }
        }
    }

    func chown(_ ino: InodeNumber, uid: UInt32, gid: UInt32) throws(LinuxErrno) {
        try writable()
        try locate(ino.rawValue) { fd, name throws(LinuxErrno) in
            try HostDirFS.check(fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW))
        }
    }

    func updateAttributes(_ ino: InodeNumber, _ a: SetAttributes) throws(LinuxErrno) {
        try writable()
        if let mode = a.mode { try chmod(ino, mode) }
        if a.uid != nil || a.gid != nil { try chown(ino, uid: a.uid ?? UInt32.max, gid: a.gid ?? UInt32.max) }
        if let size = a.size { try truncate(ino, to: size) }
        if a.atime != nil || a.mtime != nil {
            func ts(_ t: Timestamp?) -> timespec {
                guard let t else { return timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2 /* UTIME_OMIT */) }
                return timespec(tv_sec: Int(t.seconds), tv_nsec: Int(t.nanoseconds))
            }
            let times = [ts(a.atime), ts(a.mtime)]
            try locate(ino.rawValue) { fd, name throws(LinuxErrno) in
                try HostDirFS.check(utimensat(fd, name, times, AT_SYMLINK_NOFOLLOW))
            }
        } else if a.mode == nil && a.uid == nil && a.gid == nil && a.size == nil {
            try chown(ino, uid: UInt32.max, gid: UInt32.max)       // only ctime changes
        }
    }

    /// Opens node `ino` itself (never following it); -1 with the errno thrown otherwise.
    private func openNode(_ ino: UInt32, _ flags: Int32) throws(LinuxErrno) -> Int32 {
        let n = try node(InodeNumber(ino))
        if ino == HostDirFS.rootIno {
            if flags & O_PATH == 0 { return try openDir(ino, flags: O_RDONLY) }
            let fd = fcntl(rootFD, F_DUPFD_CLOEXEC, 0)     // the caller closes it: never rootFD itself
            if fd < 0 { throw LinuxErrno(rawValue: errno) }
            return fd
        }
        return try locate(ino) { fd, name throws(LinuxErrno) in
            let f = hd_openat2(fd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0, HostDirFS.confined)
            let r = f == -ENOSYS ? openat(fd, name, flags | O_NOFOLLOW | O_CLOEXEC) : f
            if r < 0 { throw LinuxErrno(rawValue: f == -ENOSYS ? errno : -f) }
            var st = Glibc.stat()
            if fstat(r, &st) != 0 || HostDirFS.id(st) != n.id {
                close(r)
                throw .ENOENT
            }
            return r
        }
    }

    /// The host descriptor an open guest file of `ino` holds (the kernel reads and writes
    /// it through the Ring, see RegularFile), and whether it was opened for writing.
    func heldDescriptor(_ ino: InodeNumber) -> (fd: Int32, writable: Bool)? {
        held[ino.rawValue].map { ($0.fd, $0.writable) }
    }

    func truncate(_ ino: InodeNumber, to size: UInt64) throws(LinuxErrno) {
        try writable()
        if let h = held[ino.rawValue], h.writable {
            try HostDirFS.check(ftruncate(h.fd, off_t(size)))
            return
        }
        let fd = try openNode(ino.rawValue, O_WRONLY | O_NONBLOCK)
        defer { close(fd) }
        try HostDirFS.check(ftruncate(fd, off_t(size)))
    }

    func read(_ ino: InodeNumber, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        if let h = held[ino.rawValue] {
            let n = pread(h.fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 { throw LinuxErrno(rawValue: errno == EBADF ? EISDIR : errno) }
            return n
        }
        let fd = try openNode(ino.rawValue, O_RDONLY | O_NONBLOCK)
        defer { close(fd) }
        let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
        if n < 0 { throw LinuxErrno(rawValue: errno) }
        return n
    }

    func write(_ ino: InodeNumber, at offset: UInt64, from data: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        try writable()
        if let h = held[ino.rawValue] {
            // Opened read-only on the host: the host user may not write it.
            guard h.writable else { throw .EACCES }
            let n = pwrite(h.fd, data.baseAddress, data.count, off_t(offset))
            if n < 0 { throw LinuxErrno(rawValue: errno) }
            return n
        }
        let fd = try openNode(ino.rawValue, O_WRONLY | O_NONBLOCK)
        defer { close(fd) }
        let n = pwrite(fd, data.baseAddress, data.count, off_t(offset))
        if n < 0 { throw LinuxErrno(rawValue: errno) }
        return n
    }

    func readAll(_ ino: InodeNumber) throws(LinuxErrno) -> [UInt8] {
        let fd = try openNode(ino.rawValue, O_RDONLY | O_NONBLOCK)
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw LinuxErrno(rawValue: errno) }
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
        var fd: Int32 = -1
        var canWrite = false
        if st.isRegular {
            if !readOnly, let f = try? openNode(ino.rawValue, O_RDWR | O_NONBLOCK) {
                fd = f
                canWrite = true
            } else if let f = try? openNode(ino.rawValue, O_RDONLY | O_NONBLOCK) {
                fd = f
            }
        }
        if fd < 0, let f = try? openNode(ino.rawValue, O_PATH) { fd = f }
        if fd >= 0 { held[ino.rawValue] = (fd, 1, canWrite) }
    }

    func release(_ ino: InodeNumber) {
        guard var h = held[ino.rawValue] else { return }
        h.count -= 1
        if h.count <= 0 {
            close(h.fd)
            held[ino.rawValue] = nil
        } else {
            held[ino.rawValue] = h
        }
    }

    func flush(_ ino: InodeNumber) throws(LinuxErrno) {
        guard let h = held[ino.rawValue], h.writable else { return }
        try HostDirFS.check(fsync(h.fd))
    }

    /// statfs of the host file system holding the directory.
    func hostStatistics() -> statvfs? {
        var s = statvfs()
        let fd = openat(rootFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return fstatvfs(fd, &s) == 0 ? s : nil
    }
}

extension HostDirFS {
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
        return s
    }
}
