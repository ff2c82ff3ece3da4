// Operations.swift: the namespace and attribute operations behind the file syscalls, with
// Linux's permission rules and errno order. Syscalls/Files*.swift decode arguments and
// call these; tests call them directly.
import VFSImage

extension VFS {
    // MARK: helpers

    @inline(__always) static func inode(_ n: VNode) -> InodeNumber { InodeNumber(UInt32(truncatingIfNeeded: n.ino)) }

    /// The filesystem `t` may change `n` in: EROFS for /proc, read-only mounts, and the
    /// image and host directories of a `--read-only` launch.
    func writableFS(_ t: GuestThread, _ n: VNode) throws(SyscallError) -> any InodeFileSystem {
        let m = mount(of: n)
        guard let fs = m.backend, !m.isReadOnly(for: t.process) else { throw .errno(.EROFS) }
        return fs
    }

    /// `name` in `dir` without crossing mounts, or nil when it does not exist.
    func existing(_ dir: VNode, _ name: [UInt8]) throws(SyscallError) -> VNode? {
        do { return try lookupRaw(dir, name) } catch {
            if case .errno(let e) = error, e == .ENOENT { return nil }
            throw error
        }
    }

    /// Owner of a new inode in `dir`: fsuid, and the directory's group when it is setgid.
    func newOwner(_ t: GuestThread, _ dirStat: KStat) -> (uid: UInt32, gid: UInt32, inheritSetgid: Bool) {
        let c = t.process.cred
        if dirStat.mode & Mode.S_ISGID != 0 { return (c.euid, dirStat.gid, true) }
        return (c.euid, c.egid, false)
    }

    static func isDot(_ name: [UInt8]) -> Bool { name == [0x2E] || name == [0x2E, 0x2E] }

    /// Linux check_sticky: in a sticky directory only the owner of the entry, the owner of
    /// the directory and root may remove or rename it.
    func checkSticky(_ t: GuestThread, dir: KStat, victim: KStat) throws(SyscallError) {
        let c = t.process.cred
        if dir.mode & Mode.S_ISVTX != 0 && !c.isRoot && c.euid != victim.uid && c.euid != dir.uid {
            throw .errno(.EPERM)
        }
    }

    func notifyEntry(_ dir: VNode, _ name: [UInt8]) {
        let m = mount(of: dir)
        imageChanged(m, .entry(parent: VFS.inode(dir), name: name))
    }

    func notifyDelete(_ dir: VNode, _ child: VNode, _ name: [UInt8]) {
        let m = mount(of: dir)
        imageChanged(m, .delete(parent: VFS.inode(dir), child: VFS.inode(child), name: name))
    }

    func notifyAttributes(_ n: VNode) {
        let m = mount(of: n)
        imageChanged(m, .inode(VFS.inode(n), offset: -1, length: 0))
    }

    // MARK: open

    /// openat(2). `mode` is used when a file is created (masked with the umask here).
    public func open(_ t: GuestThread, dirfd: Int32, path: [UInt8], flags rawFlags: Int32, mode: UInt32) throws(SyscallError) -> OpenFile {
        var flags = rawFlags
        let O = OpenFlags.self
        if flags & O.O_PATH != 0 {
            flags &= O.O_PATH | O.O_DIRECTORY | O.O_NOFOLLOW | O.O_CLOEXEC
        }
        if flags & O.O_TMPFILE == O.O_TMPFILE {
            return try openTmpfile(t, dirfd: dirfd, path: path, flags: flags, mode: mode)
        }
        if flags & O.O_CREAT != 0 && flags & O.O_DIRECTORY != 0 { throw .errno(.EINVAL) }
        let accmode = flags & O.O_ACCMODE
        var node: VNode
        var parent: VNode? = nil
        var name: [UInt8] = []
        var created = false
        if flags & O.O_CREAT != 0 {
            (node, parent, name, created) = try openCreate(t, dirfd: dirfd, path: path, flags: flags, mode: mode)
        } else {
            let w = try resolveWalk(t, dirfd: dirfd, path: path, followFinal: flags & O.O_NOFOLLOW == 0)
            (node, parent, name) = (w.node, w.parent, w.name)
        }
        // /proc/PID/fd/N of a file without a node: the open description itself.
        if flags & O.O_PATH == 0, let f = procTargetFile(node) {
            if flags & O.O_DIRECTORY != 0 { throw .errno(.ENOTDIR) }
            if (accmode != O.O_WRONLY && !f.canRead) || (accmode != O.O_RDONLY && !f.canWrite) {
                throw .errno(.EACCES)
            }
            return f
        }
        let st = try stat(t, node)
        if st.isSymlink && flags & O.O_PATH == 0 { throw .errno(.ELOOP) }
        if flags & O.O_DIRECTORY != 0 && !st.isDirectory { throw .errno(.ENOTDIR) }
        if flags & O.O_PATH != 0 {
            return PathFile(vfs: self, node: node, flags: flags, parent: parent, name: name)
        }
        let wantsWrite = accmode != O.O_RDONLY || flags & O.O_TRUNC != 0
        if st.isDirectory && wantsWrite { throw .errno(.EISDIR) }
        if !created {
            var mask: UInt32 = 0
            switch accmode {
            case O.O_RDONLY: mask = Access.R
            case O.O_WRONLY: mask = Access.W
            default: mask = Access.R | Access.W
            }
            if flags & O.O_TRUNC != 0 { mask |= Access.W }
            try checkAccess(st, mask, t.process.cred)
            // O_NOATIME: only the file's owner (or root) may ask for it.
            if flags & O.O_NOATIME != 0 && st.uid != t.process.cred.euid && !t.process.cred.isRoot {
                throw .errno(.EPERM)
            }
            if wantsWrite && (st.isRegular || st.isDirectory) && mount(of: node).isReadOnly(for: t.process) {
                throw .errno(.EROFS)
            }
        }
        // The kind of description is the filesystem's (FileSystem.swift).
        return try mount(of: node).files.openNode(self, t, node, st, flags: flags, parent: parent, name: name,
                                                   created: created)
    }

    /// O_CREAT: finds or makes the file, following a final symlink (even a dangling one,
    /// whose target is then created) unless O_EXCL or O_NOFOLLOW.
    private func openCreate(_ t: GuestThread, dirfd: Int32, path: [UInt8], flags: Int32, mode: UInt32)
        throws(SyscallError) -> (VNode, VNode?, [UInt8], Bool) {
        let O = OpenFlags.self
        var (dir, name, trailing) = try resolveParent(t, dirfd: dirfd, path: path)
        var hops = 0
        while true {
            if name.isEmpty || VFS.isDot(name) {
                // "/", "." or "..": an existing directory.
                throw .errno(.EISDIR)
            }
            let dirStat = try stat(t, dir)
            try checkAccess(dirStat, Access.X, t.process.cred)
            if let raw = try existing(dir, name) {
                let n = crossDown(raw)
                if flags & O.O_EXCL != 0 { throw .errno(.EEXIST) }
                let st = try stat(t, n)
                if st.isSymlink {
                    if flags & O.O_NOFOLLOW != 0 { throw .errno(.ELOOP) }
                    hops += 1
                    if hops > 40 { throw .errno(.ELOOP) }
                    if let magic = try magicTarget(t, n) {
                        if trailing, !(try stat(t, magic).isDirectory) { throw .errno(.ENOTDIR) }
                        if procTargetFile(magic) == nil, try stat(t, magic).isDirectory { throw .errno(.EISDIR) }
                        if let f = mount(of: n).proc?.linkedFile(self, n.ino) as? VFSFile {
                            return (magic, f.parentDir, f.name, false)
                        }
                        return (magic, nil, [], false)
                    }
                    let target = try readlink(t, n)
                    guard !target.isEmpty else { throw .errno(.ENOENT) }
                    // Resolve the target's parent from the link's directory.
                    var tp = target[...]
                    var tTrailing = false
                    while tp.count > 1 && tp.last == 0x2F { tp.removeLast(); tTrailing = true }
                    if tp.allSatisfy({ $0 == 0x2F }) { throw .errno(.EISDIR) }
                    let slash = tp.lastIndex(of: 0x2F)
                    let newName = Array(slash.map { tp[($0 + 1)...] } ?? tp)
                    if let slash {
                        let dirPath = Array(tp[...slash])
                        dir = try walk(t, start: dir, root: t.process.root, path: dirPath, followFinal: true,
                                       cred: t.process.cred, hops: &hops).node
                    }
                    name = newName
                    trailing = trailing || tTrailing
                    continue
                }
                if st.isDirectory { throw .errno(.EISDIR) }
                if trailing { throw .errno(.ENOTDIR) }
                return (n, dir, name, false)
            }
            if trailing { throw .errno(.EISDIR) }
            guard name.count <= 255 else { throw .errno(.ENAMETOOLONG) }
            let fs = try writableFS(t, dir)
            try checkAccess(dirStat, Access.W | Access.X, t.process.cred)
            let owner = newOwner(t, dirStat)
            let perm = mode & 0o7777 & ~t.process.umask
            let ino = try fsCall { () throws(LinuxErrno) in try fs.create(VFS.inode(dir), name, mode: perm, uid: owner.uid, gid: owner.gid) }
            notifyEntry(dir, name)
            return (VNode(mountID: dir.mountID, ino: UInt64(ino.rawValue)), dir, name, true)
        }
    }

    private func openTmpfile(_ t: GuestThread, dirfd: Int32, path: [UInt8], flags: Int32, mode: UInt32) throws(SyscallError) -> OpenFile {
        let accmode = flags & OpenFlags.O_ACCMODE
        guard accmode == OpenFlags.O_WRONLY || accmode == OpenFlags.O_RDWR else { throw .errno(.EINVAL) }
        let dir = try resolve(t, dirfd: dirfd, path: path, followFinal: true)
        let dirStat = try stat(t, dir)
        guard dirStat.isDirectory else { throw .errno(.ENOTDIR) }
        let fs = try writableFS(t, dir)
        try checkAccess(dirStat, Access.W | Access.X, t.process.cred)
        let owner = newOwner(t, dirStat)
        var n = 0
        while true {
            n += 1
            let name = Array(".kandelo-tmpfile-\(t.process.pid)-\(n)".utf8)
            if try existing(dir, name) != nil { continue }
            let ino = try fsCall { () throws(LinuxErrno) in
                try fs.create(VFS.inode(dir), name, mode: mode & 0o7777 & ~t.process.umask, uid: owner.uid, gid: owner.gid)
            }
            let node = VNode(mountID: dir.mountID, ino: UInt64(ino.rawValue))
            let f = RegularFile(vfs: self, node: node, flags: flags & ~OpenFlags.O_DIRECTORY, parent: dir, name: name)
            try? fsCall { () throws(LinuxErrno) in try fs.unlink(VFS.inode(dir), name) }
            return f
        }
    }

    // MARK: creating names

    /// The directory and new name for mkdir/mknod/symlink/link: EEXIST for "/", "." and
    /// ".." and names in use; search and write permission on the directory.
    private func prepareCreate(_ t: GuestThread, dirfd: Int32, path: [UInt8]) throws(SyscallError)
        -> (dir: VNode, name: [UInt8], dirStat: KStat, fs: any InodeFileSystem, trailing: Bool) {
        let (dir, name, trailing) = try resolveParent(t, dirfd: dirfd, path: path)
        if name.isEmpty || VFS.isDot(name) { throw .errno(.EEXIST) }
        let dirStat = try stat(t, dir)
        try checkAccess(dirStat, Access.X, t.process.cred)
        if try existing(dir, name) != nil { throw .errno(.EEXIST) }
        let fs = try writableFS(t, dir)
        try checkAccess(dirStat, Access.W | Access.X, t.process.cred)
        return (dir, name, dirStat, fs, trailing)
    }

    public func mkdir(_ t: GuestThread, dirfd: Int32, path: [UInt8], mode: UInt32) throws(SyscallError) {
        let p = try prepareCreate(t, dirfd: dirfd, path: path)
        let owner = newOwner(t, p.dirStat)
        var perm = mode & 0o1777 & ~t.process.umask
        if owner.inheritSetgid { perm |= Mode.S_ISGID }
        let ino = try fsCall { () throws(LinuxErrno) in try p.fs.mkdir(VFS.inode(p.dir), p.name, mode: perm, uid: owner.uid, gid: owner.gid) }
        if perm & Mode.S_ISGID != 0 { try? fsCall { () throws(LinuxErrno) in try p.fs.chmod(ino, perm) } }
        notifyEntry(p.dir, p.name)
    }

    /// mknodat: regular files, FIFOs and sockets for anyone; devices for root.
    public func mknod(_ t: GuestThread, dirfd: Int32, path: [UInt8], mode: UInt32, dev: UInt32) throws(SyscallError) {
        var type = mode & Mode.S_IFMT
        if type == 0 { type = Mode.S_IFREG }
        switch type {
        case Mode.S_IFREG, Mode.S_IFIFO, Mode.S_IFSOCK: break
        case Mode.S_IFCHR, Mode.S_IFBLK:
            if !t.process.cred.isRoot { throw .errno(.EPERM) }
        case Mode.S_IFDIR: throw .errno(.EPERM)
        default: throw .errno(.EINVAL)
        }
        let p = try prepareCreate(t, dirfd: dirfd, path: path)
        if p.trailing { throw .errno(.ENOENT) }
        let owner = newOwner(t, p.dirStat)
        let perm = mode & 0o7777 & ~t.process.umask
        let isDevice = type == Mode.S_IFCHR || type == Mode.S_IFBLK
        _ = try fsCall { () throws(LinuxErrno) in
            try p.fs.mknod(VFS.inode(p.dir), p.name, mode: type | perm, rdev: isDevice ? dev : 0,
                           uid: owner.uid, gid: owner.gid)
        }
        notifyEntry(p.dir, p.name)
    }

    public func symlink(_ t: GuestThread, target: [UInt8], dirfd: Int32, path: [UInt8]) throws(SyscallError) {
        guard !target.isEmpty else { throw .errno(.ENOENT) }
        let p = try prepareCreate(t, dirfd: dirfd, path: path)
        if p.trailing { throw .errno(.ENOENT) }
        let owner = newOwner(t, p.dirStat)
        _ = try fsCall { () throws(LinuxErrno) in try p.fs.symlink(VFS.inode(p.dir), p.name, target: target, uid: owner.uid, gid: owner.gid) }
        notifyEntry(p.dir, p.name)
    }

    /// linkat: AT_SYMLINK_FOLLOW follows a final symlink of the source; AT_EMPTY_PATH links
    /// the file open on olddirfd (root only, as Linux wants CAP_DAC_READ_SEARCH).
    public func link(_ t: GuestThread, olddirfd: Int32, oldpath: [UInt8], newdirfd: Int32, newpath: [UInt8],
                     flags: Int32) throws(SyscallError) {
        if flags & ~(AtFlags.SYMLINK_FOLLOW | AtFlags.EMPTY_PATH) != 0 { throw .errno(.EINVAL) }
        let emptyOK = flags & AtFlags.EMPTY_PATH != 0
        if emptyOK && oldpath.isEmpty && !t.process.cred.isRoot { throw .errno(.ENOENT) }
        let src = try resolve(t, dirfd: olddirfd, path: oldpath, followFinal: flags & AtFlags.SYMLINK_FOLLOW != 0,
                              allowEmpty: emptyOK)
        if procTargetFile(src) != nil { throw .errno(.EXDEV) }
        let (dir, name, trailing) = try resolveParent(t, dirfd: newdirfd, path: newpath)
        if name.isEmpty || VFS.isDot(name) { throw .errno(.EEXIST) }
        let dirStat = try stat(t, dir)
        try checkAccess(dirStat, Access.X, t.process.cred)
        if try existing(dir, name) != nil { throw .errno(.EEXIST) }
        if trailing { throw .errno(.ENOENT) }
        if src.mountID != dir.mountID { throw .errno(.EXDEV) }
        let fs = try writableFS(t, dir)
        try checkAccess(dirStat, Access.W | Access.X, t.process.cred)
        let srcStat = try stat(t, src)
        if srcStat.isDirectory { throw .errno(.EPERM) }
        try fsCall { () throws(LinuxErrno) in try fs.link(VFS.inode(src), VFS.inode(dir), name) }
        notifyEntry(dir, name)
        notifyAttributes(src)
    }

    // MARK: removing and renaming

    /// unlinkat; `removeDir` for AT_REMOVEDIR (rmdir).
    public func unlink(_ t: GuestThread, dirfd: Int32, path: [UInt8], removeDir: Bool) throws(SyscallError) {
        let (dir, name, trailing) = try resolveParent(t, dirfd: dirfd, path: path)
        if removeDir {
            if name.isEmpty { throw .errno(.EBUSY) }
            if name == [0x2E] { throw .errno(.EINVAL) }
            if name == [0x2E, 0x2E] { throw .errno(.ENOTEMPTY) }
        } else if name.isEmpty || VFS.isDot(name) {
            throw .errno(.EISDIR)
        }
        let dirStat = try stat(t, dir)
        try checkAccess(dirStat, Access.X, t.process.cred)
        let fs = try writableFS(t, dir)
        guard let victim = try existing(dir, name) else { throw .errno(.ENOENT) }
        let victimStat = try stat(t, victim)
        if !removeDir && trailing { throw .errno(victimStat.isDirectory ? .EISDIR : .ENOTDIR) }
        try checkAccess(dirStat, Access.W | Access.X, t.process.cred)
        try checkSticky(t, dir: dirStat, victim: victimStat)
        if removeDir {
            guard victimStat.isDirectory else { throw .errno(.ENOTDIR) }
            if isMountpoint(victim) || victim == t.process.root || mountRooted(at: victim) != nil {
                throw .errno(.EBUSY)
            }
            try fsCall { () throws(LinuxErrno) in try fs.rmdir(VFS.inode(dir), name) }
        } else {
            if victimStat.isDirectory { throw .errno(.EISDIR) }
            try fsCall { () throws(LinuxErrno) in try fs.unlink(VFS.inode(dir), name) }
        }
        notifyDelete(dir, victim, name)
    }

    /// renameat2 with RENAME_NOREPLACE (1) and RENAME_EXCHANGE (2).
    public func rename(_ t: GuestThread, olddirfd: Int32, oldpath: [UInt8], newdirfd: Int32, newpath: [UInt8],
                       flags: UInt32) throws(SyscallError) {
        let noReplace: UInt32 = 1, exchange: UInt32 = 2
        if flags & ~(noReplace | exchange) != 0 { throw .errno(.EINVAL) }
        if flags & noReplace != 0 && flags & exchange != 0 { throw .errno(.EINVAL) }
        let (odir, oname, otrail) = try resolveParent(t, dirfd: olddirfd, path: oldpath)
        let (ndir, nname, ntrail) = try resolveParent(t, dirfd: newdirfd, path: newpath)
        if odir.mountID != ndir.mountID { throw .errno(.EXDEV) }
        if oname.isEmpty || VFS.isDot(oname) { throw .errno(.EBUSY) }
        if nname.isEmpty || VFS.isDot(nname) { throw .errno(flags & noReplace != 0 ? .EEXIST : .EBUSY) }
        let fs = try writableFS(t, odir)
        let odirStat = try stat(t, odir), ndirStat = try stat(t, ndir)
        try checkAccess(odirStat, Access.X, t.process.cred)
        try checkAccess(ndirStat, Access.X, t.process.cred)
        guard let src = try existing(odir, oname) else { throw .errno(.ENOENT) }
        let srcStat = try stat(t, src)
        let dst = try existing(ndir, nname)
        if flags & exchange != 0 && dst == nil { throw .errno(.ENOENT) }
        if flags & noReplace != 0 && dst != nil { throw .errno(.EEXIST) }
        let dstStat = try dst.map { d throws(SyscallError) in try stat(t, d) }
        if flags & exchange == 0 {
            if (otrail || ntrail) && !srcStat.isDirectory { throw .errno(.ENOTDIR) }
        } else {
            if otrail && !srcStat.isDirectory { throw .errno(.ENOTDIR) }
            if ntrail && !(dstStat?.isDirectory ?? false) { throw .errno(.ENOTDIR) }
        }
        if dst == src { return }
        try checkAccess(odirStat, Access.W | Access.X, t.process.cred)
        try checkAccess(ndirStat, Access.W | Access.X, t.process.cred)
        try checkSticky(t, dir: odirStat, victim: srcStat)
        if let dstStat { try checkSticky(t, dir: ndirStat, victim: dstStat) }
        for n in [src, dst].compactMap({ $0 }) where isMountpoint(n) {
            throw .errno(.EBUSY)
        }
        if odir != ndir && !t.process.cred.isRoot {
            // Moving a directory rewrites its "..": write permission on it is needed.
            if srcStat.isDirectory { try checkAccess(srcStat, Access.W, t.process.cred) }
            if flags & exchange != 0, let dstStat, dstStat.isDirectory { try checkAccess(dstStat, Access.W, t.process.cred) }
        }
        var rf: RenameFlags = []
        if flags & noReplace != 0 { rf.insert(.noReplace) }
        if flags & exchange != 0 { rf.insert(.exchange) }
        try fsCall { () throws(LinuxErrno) in try fs.rename(VFS.inode(odir), oname, VFS.inode(ndir), nname, flags: rf) }
        if flags & exchange != 0 {
            notifyEntry(odir, oname)
        } else {
            notifyDelete(odir, src, oname)
        }
        notifyEntry(ndir, nname)
    }

    // MARK: links and attributes

    public func readlink(_ t: GuestThread, dirfd: Int32, path: [UInt8]) throws(SyscallError) -> [UInt8] {
        let n = try resolve(t, dirfd: dirfd, path: path, followFinal: false, allowEmpty: true)
        let st = try stat(t, n)
        guard st.isSymlink else { throw .errno(path.isEmpty ? .ENOENT : .EINVAL) }
        return try readlink(t, n)
    }

    /// What a *at() call with these flags operates on: a node, or an open file with none.
    public enum Target {
        case node(VNode)
        case file(OpenFile)
    }

    public func target(_ t: GuestThread, dirfd: Int32, path: [UInt8], follow: Bool, emptyPath: Bool) throws(SyscallError) -> Target {
        if path.isEmpty && emptyPath && dirfd != AtFlags.FDCWD {
            let f = try t.process.files.get(dirfd)
            if let n = f.node { return .node(n) }
            return .file(f)
        }
        let n = try resolve(t, dirfd: dirfd, path: path, followFinal: follow, allowEmpty: emptyPath)
        if let f = procTargetFile(n) { return .file(f) }
        return .node(n)
    }

    public func stat(_ t: GuestThread, _ target: Target) throws(SyscallError) -> KStat {
        switch target {
        case .node(let n): return try stat(t, n)
        case .file(let f): return try f.stat(t)
        }
    }

    public func chmod(_ t: GuestThread, _ n: VNode, mode: UInt32) throws(SyscallError) {
        if procTargetFile(n) != nil { return }
        let st = try stat(t, n)
        let fs = try writableFS(t, n)
        let c = t.process.cred
        if !c.isRoot && c.euid != st.uid { throw .errno(.EPERM) }
        var m = mode & 0o7777
        if !c.isRoot && !c.inGroup(st.gid) { m &= ~Mode.S_ISGID }
        try fsCall { () throws(LinuxErrno) in try fs.chmod(VFS.inode(n), m) }
        notifyAttributes(n)
    }

    /// chown: 0xFFFFFFFF leaves an id unchanged. Non-root owners may only change the group,
    /// to one of their groups.
    public func chown(_ t: GuestThread, _ n: VNode, uid: UInt32, gid: UInt32) throws(SyscallError) {
        if procTargetFile(n) != nil { return }
        let st = try stat(t, n)
        let fs = try writableFS(t, n)
        let c = t.process.cred
        let none: UInt32 = 0xFFFF_FFFF
        if !c.isRoot {
            if uid != none && uid != st.uid { throw .errno(.EPERM) }
            if gid != none && gid != st.gid && (c.euid != st.uid || !c.inGroup(gid)) { throw .errno(.EPERM) }
        }
        if uid == none && gid == none {
            try fsCall { () throws(LinuxErrno) in try fs.updateAttributes(VFS.inode(n), SetAttributes()) }
        } else {
            try fsCall { () throws(LinuxErrno) in try fs.chown(VFS.inode(n), uid: uid, gid: gid) }
        }
        notifyAttributes(n)
    }

    public enum TimeSetting: Equatable, Sendable {
        case now, omit
        case set(sec: Int64, nsec: Int64)
    }

    /// utimensat. Explicit times need ownership (or root); "now" needs ownership or write
    /// permission.
    public func setTimes(_ t: GuestThread, _ n: VNode, atime: TimeSetting, mtime: TimeSetting,
                         now: (sec: Int64, nsec: UInt32)) throws(SyscallError) {
        if atime == .omit && mtime == .omit { return }
        if procTargetFile(n) != nil { return }
        let st = try stat(t, n)
        let fs = try writableFS(t, n)
        let c = t.process.cred
        let explicit: Bool = {
            if case .set = atime { return true }
            if case .set = mtime { return true }
            return false
        }()
        if !c.isRoot && c.euid != st.uid {
            if explicit { throw .errno(.EPERM) }
            if !VFS.permits(st, Access.W, c) { throw .errno(.EACCES) }
        }
        func ts(_ s: TimeSetting) -> Timestamp? {
            switch s {
            case .omit: nil
            case .now: Timestamp(seconds: now.sec, nanoseconds: Int64(now.nsec))
            case .set(let sec, let nsec): Timestamp(seconds: sec, nanoseconds: nsec)
            }
        }
        try fsCall { () throws(LinuxErrno) in try fs.updateAttributes(VFS.inode(n), SetAttributes(atime: ts(atime), mtime: ts(mtime))) }
        notifyAttributes(n)
    }

    /// truncate(2) by path: write permission on a regular file.
    public func truncate(_ t: GuestThread, _ n: VNode, length: Int64) throws(SyscallError) {
        if length < 0 { throw .errno(.EINVAL) }
        let st = try stat(t, n)
        if st.isDirectory { throw .errno(.EISDIR) }
        guard st.isRegular else { throw .errno(.EINVAL) }
        let fs = try writableFS(t, n)
        try checkAccess(st, Access.W, t.process.cred)
        try kernel?.fileSizeCheck(t, size: length)   // RLIMIT_FSIZE
        try fsCall { () throws(LinuxErrno) in try fs.truncate(VFS.inode(n), to: UInt64(length)) }
        imageChanged(mount(of: n), .inode(VFS.inode(n), offset: 0, length: 0))
    }

    /// faccessat2: checks with the real ids unless AT_EACCESS.
    public func access(_ t: GuestThread, dirfd: Int32, path: [UInt8], mode: UInt32, flags: Int32) throws(SyscallError) {
        if mode & ~7 != 0 { throw .errno(.EINVAL) }
        if flags & ~(AtFlags.EACCESS | AtFlags.SYMLINK_NOFOLLOW | AtFlags.EMPTY_PATH) != 0 { throw .errno(.EINVAL) }
        var cred = t.process.cred
        if flags & AtFlags.EACCESS == 0 {
            cred.euid = cred.uid
            cred.egid = cred.gid
        }
        let emptyOK = flags & AtFlags.EMPTY_PATH != 0
        let target: Target
        if path.isEmpty && emptyOK {
            target = try self.target(t, dirfd: dirfd, path: path, follow: true, emptyPath: true)
        } else {
            let n = try resolveWalk(t, dirfd: dirfd, path: path, followFinal: flags & AtFlags.SYMLINK_NOFOLLOW == 0,
                                    cred: cred).node
            if let f = procTargetFile(n) { target = .file(f) } else { target = .node(n) }
        }
        if mode == 0 { return }
        let st = try stat(t, target)
        if mode & Access.W != 0, case .node(let n) = target, mount(of: n).isReadOnly(for: t.process),
           st.isRegular || st.isDirectory || st.isSymlink {
            throw .errno(.EROFS)
        }
        if !VFS.permits(st, mode, cred) { throw .errno(.EACCES) }
    }

    // MARK: directories

    public func getcwd(_ t: GuestThread) throws(SyscallError) -> [UInt8] {
        guard let p = path(of: t.process.cwd, root: t.process.root) else { throw .errno(.ENOENT) }
        return p
    }

    public func chdir(_ t: GuestThread, _ n: VNode) throws(SyscallError) {
        let st = try stat(t, n)
        guard st.isDirectory else { throw .errno(.ENOTDIR) }
        try checkAccess(st, Access.X, t.process.cred)
        t.process.cwd = n
    }

    // MARK: statfs

    /// statfs of `n`'s mount as `reader` sees it (ST_RDONLY for a `--read-only` launch).
    public func statfs(_ n: VNode, for reader: Process? = nil) -> StatABI.StatFS {
        let m = mount(of: n)
        let ST_RDONLY: UInt32 = 1, ST_NOSUID: UInt32 = 2, ST_NODEV: UInt32 = 4, ST_NOEXEC: UInt32 = 8
        var s: StatABI.StatFS
        switch m.kind {
        case .image: s = StatABI.StatFS(type: 0xEF53)
        case .tmpfs: s = StatABI.StatFS(type: 0x0102_1994); s.flags |= ST_NOSUID | ST_NODEV
        case .devfs: s = StatABI.StatFS(type: 0x0102_1994); s.flags |= ST_NOSUID
        case .proc: s = StatABI.StatFS(type: 0x9FA0); s.flags |= ST_NOSUID | ST_NODEV | ST_NOEXEC
        case .hostdir: s = StatABI.StatFS(type: 0xEF53); s.flags |= ST_NOSUID | ST_NODEV
        }
        s.fsid = m.dev
        if let fs = m.shared {
            let st = fs.statistics()
            s.bsize = UInt32(st.blockSize)
            s.frsize = UInt32(st.blockSize)
            s.blocks = st.totalBlocks
            s.bfree = st.freeBlocks
            s.bavail = st.freeBlocks
            s.files = st.totalInodes
            s.ffree = st.freeInodes
            s.namelen = UInt32(st.maxNameLength)
            if fs.readOnly { s.flags |= ST_RDONLY }
        } else if let h = m.host {
            s = h.statfs(s)
        } else {
            s.bsize = 4096; s.frsize = 4096
        }
        if let reader, m.isReadOnly(for: reader) { s.flags |= ST_RDONLY }
        return s
    }

    // MARK: exec

    /// The executable for execve/spawn: follows symlinks; EACCES unless a regular file the
    /// credentials may execute (root: any x bit); returns its bytes and absolute path.
    public func loadExecutable(_ t: GuestThread, path: [UInt8]) throws(SyscallError)
        -> (node: VNode, bytes: [UInt8], resolvedPath: [UInt8]) {
        let w = try resolveWalk(t, dirfd: AtFlags.FDCWD, path: path, followFinal: true)
        if procTargetFile(w.node) != nil { throw .errno(.EACCES) }
        let st = try stat(t, w.node)
        guard st.isRegular else { throw .errno(.EACCES) }
        guard let fs = mount(of: w.node).backend else { throw .errno(.EACCES) }
        if !VFS.permits(st, Access.X, t.process.cred) { throw .errno(.EACCES) }
        let bytes = try fsCall { () throws(LinuxErrno) in try fs.readAll(VFS.inode(w.node)) }
        var resolved = path
        if let parent = w.parent, let dirPath = self.path(of: parent, root: t.process.root) {
            resolved = dirPath == [0x2F] ? dirPath + w.name : dirPath + [0x2F] + w.name
        }
        return (w.node, bytes, resolved)
    }
}
