// PipeInode.swift: a pipe's inode attributes, and chmod/chown/utimens of open files that have
// no VFS node.
//
// Linux gives every pipe an inode (pipefs): S_IFIFO, mode 0600, owned by the euid/egid that
// called pipe(2), times set at creation (reads and writes leave them: Linux 6.x does not
// stamp a pipe's times on I/O, which the corpus program checks against the host).
// fchmod, fchown and futimens act on it with the usual permission rules, and fstat reads
// back what they set; the same holds through /proc/PID/fd/N. A FIFO's pipe is its node's:
// those calls go to the node in its filesystem.
#if canImport(Glibc)
import Glibc
#endif
import VFSImage

extension Pipe {
    /// The pipe an open file reads or writes, if it is one.
    static func of(_ f: OpenFile) -> Pipe? { (f as? PipeEnd)?.pipe ?? (f as? FifoDuplexEnd)?.reader.pipe }

    func stat(_ t: GuestThread) throws(SyscallError) -> KStat {
        if let n = fifoNode { return try kernel.vfs.stat(t, n) }
        var s = KStat()
        s.mode = 0o010000 | mode   // S_IFIFO
        s.ino = id
        s.dev = 0x0c
        s.blksize = 4096
        s.uid = uid
        s.gid = gid
        s.atime = atime; s.mtime = mtime; s.ctime = ctime
        return s
    }

    func chmod(_ t: GuestThread, mode newMode: UInt32) throws(SyscallError) {
        let c = t.process.cred
        if !c.isRoot && c.euid != uid { throw .errno(.EPERM) }
        var m = newMode & 0o7777
        if !c.isRoot && !c.inGroup(gid) { m &= ~Mode.S_ISGID }
        mode = m
        ctime = kernel.now()
    }

    /// 0xFFFFFFFF leaves an id unchanged; non-root owners may only change the group, to one
    /// of theirs.
    func chown(_ t: GuestThread, uid newUID: UInt32, gid newGID: UInt32) throws(SyscallError) {
        let c = t.process.cred
        let none: UInt32 = 0xFFFF_FFFF
        if !c.isRoot {
            if newUID != none && newUID != uid { throw .errno(.EPERM) }
            if newGID != none && newGID != gid && (c.euid != uid || !c.inGroup(newGID)) { throw .errno(.EPERM) }
        }
        if newUID != none { uid = newUID }
        if newGID != none { gid = newGID }
        if newUID != none || newGID != none { mode &= ~(Mode.S_ISUID | Mode.S_ISGID) }
        ctime = kernel.now()
    }

    func setTimes(_ t: GuestThread, atime a: VFS.TimeSetting, mtime m: VFS.TimeSetting) throws(SyscallError) {
        if a == .omit && m == .omit { return }
        let c = t.process.cred
        let explicit: Bool = {
            if case .set = a { return true }
            if case .set = m { return true }
            return false
        }()
        if !c.isRoot && c.euid != uid {
            if explicit { throw .errno(.EPERM) }
            if !VFS.permits(try stat(t), Access.W, c) { throw .errno(.EACCES) }
        }
        let now = kernel.now()
        func value(_ s: VFS.TimeSetting, _ old: (sec: Int64, nsec: UInt32)) -> (sec: Int64, nsec: UInt32) {
            switch s {
            case .omit: old
            case .now: now
            case .set(let sec, let nsec): (sec, UInt32(nsec))
            }
        }
        atime = value(a, atime)
        mtime = value(m, mtime)
        ctime = now
    }
}

extension VFS {
    /// chmod of a path's target or an open file: an open file with a node changes the node,
    /// a pipe its own inode. Other node-less files (host stdio, terminals) keep no
    /// attributes in the kernel and are left as they are.
    public func chmod(_ t: GuestThread, _ target: Target, mode: UInt32) throws(SyscallError) {
        switch target {
        case .node(let n): try chmod(t, n, mode: mode)
        case .file(let f):
            if let n = f.node ?? Pipe.of(f)?.fifoNode { try chmod(t, n, mode: mode) }
            else if let p = Pipe.of(f) { try p.chmod(t, mode: mode) }
        }
    }

    public func chown(_ t: GuestThread, _ target: Target, uid: UInt32, gid: UInt32) throws(SyscallError) {
        switch target {
        case .node(let n): try chown(t, n, uid: uid, gid: gid)
        case .file(let f):
            if let n = f.node ?? Pipe.of(f)?.fifoNode { try chown(t, n, uid: uid, gid: gid) }
            else if let p = Pipe.of(f) { try p.chown(t, uid: uid, gid: gid) }
        }
    }

    public func setTimes(_ t: GuestThread, _ target: Target, atime: TimeSetting, mtime: TimeSetting,
                         now: (sec: Int64, nsec: UInt32)) throws(SyscallError) {
        switch target {
        case .node(let n): try setTimes(t, n, atime: atime, mtime: mtime, now: now)
        case .file(let f):
            if let n = f.node ?? Pipe.of(f)?.fifoNode { try setTimes(t, n, atime: atime, mtime: mtime, now: now) }
            else if let p = Pipe.of(f) { try p.setTimes(t, atime: atime, mtime: mtime) }
        }
    }
}
