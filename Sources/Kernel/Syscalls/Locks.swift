// Locks.swift (syscalls): advisory locks: fcntl's F_GETLK/F_SETLK/F_SETLKW (POSIX record
// locks, owned by the process), F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW (owned by the open file
// description), and flock(2) (whole-file, owned by the open file description). The table is
// VFSImage's FileLocks, one per service, shared with the FUSE mount (vfs.locks).
//
// Lifetimes, as on Linux:
//   - POSIX locks go when their process closes ANY descriptor of the file (FileTable.onClose,
//     wired by `watchCloses` for every process) and at exit (which closes everything).
//   - OFD and flock locks go with the description's last close (the same hook sees the
//     last reference go); fork and dup share the description, so they keep the locks.
//   - A blocked F_SETLKW/F_OFD_SETLKW/flock waits on a queue the table wakes when the file's
//     locks change, and is re-run then (no side effect before blocking, except flock's
//     conversion, which Linux also does in two steps). A signal ends the wait with EINTR,
//     or ERESTART under SA_RESTART (signal(7) lists both calls as restartable).
//   - EDEADLK: a POSIX F_SETLKW whose wait would close a cycle in the wait-for graph of
//     POSIX owners (FileLocks.wouldDeadlock), across processes and host FUSE owners.
//
// Files on a `--bind` host directory also take the host kernel's lock (HostLocks below), so
// host tools exclude guests there too: flock → flock(2) and OFD → F_OFD_SETLK on a host
// descriptor of the guest's description; a guest POSIX lock → an OFD lock on one host
// descriptor per (process, file), whose close at the process's close-any-fd/exit mirrors
// POSIX lifetimes. Partial: the host sees guest POSIX locks as OFD locks (l_pid -1 in a host
// F_GETLK), a guest waiting on a host holder retries every 20 ms (the host has no wake-up
// for us) and EDEADLK is not detected through host holders.
//
// struct flock on wasm32 (musl): { i16 type @0; i16 whence @2; i64 start @8; i64 len @16;
// i32 pid @24 }, 32 bytes; musl sends F_GETLK/SETLK/SETLKW as 12/13/14 (the 64-bit forms).
// Commands 5/6/7 take Linux's 32-bit struct flock { i16, i16, i32 start @4, i32 len @8,
// i32 pid @12 }, which musl never sends but another libc may.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import KandeloABI
import VFSImage

extension Kernel {
    static let F_RDLCK: Int16 = 0, F_WRLCK: Int16 = 1, F_UNLCK: Int16 = 2

    /// A decoded fcntl lock command.
    struct LockCommand {
        var get: Bool
        var wait: Bool
        var ofd: Bool
        /// The 32-bit struct flock (commands 5/6/7).
        var narrow: Bool

        init?(_ cmd: Int32) {
            switch cmd {
            case 5, 6, 7: (get, wait, ofd, narrow) = (cmd == 5, cmd == 7, false, true)
            case 12, 13, 14: (get, wait, ofd, narrow) = (cmd == 12, cmd == 14, false, false)
            case 36, 37, 38: (get, wait, ofd, narrow) = (cmd == 36, cmd == 38, true, false)
            default: return nil
            }
        }
    }

    /// fcntl's lock commands (called from sys_fcntl64 for every command LockCommand knows).
    static func fcntlLock(_ k: Kernel, _ t: GuestThread, _ f: OpenFile, _ c: LockCommand) throws(SyscallError) -> Int32 {
        if f.isPath { throw .errno(.EBADF) }
        let addr = t.uarg(2)
        let type: Int16 = try t.memory.load(addr)
        let whence: Int16 = try t.memory.load(t.memory.field(addr, 2))
        let rawStart: Int64, rawLen: Int64, pid: Int32
        if c.narrow {
            rawStart = Int64(try t.memory.load(t.memory.field(addr, 4), as: Int32.self))
            rawLen = Int64(try t.memory.load(t.memory.field(addr, 8), as: Int32.self))
            pid = try t.memory.load(t.memory.field(addr, 12))
        } else {
            rawStart = try t.memory.load(t.memory.field(addr, 8))
            rawLen = try t.memory.load(t.memory.field(addr, 16))
            pid = try t.memory.load(t.memory.field(addr, 24))
        }
        guard type == F_RDLCK || type == F_WRLCK || type == F_UNLCK else { throw .errno(.EINVAL) }
        if c.get && type == F_UNLCK { throw .errno(.EINVAL) }
        if c.ofd && pid != 0 { throw .errno(.EINVAL) }
        let base: Int64
        switch whence {
        case 0: base = 0
        case 1: base = f.offset
        case 2: base = try f.stat(t).size
        default: throw .errno(.EINVAL)
        }
        let (start, end) = try lockRange(base: base, start: rawStart, length: rawLen)
        if !c.get {
            if type == F_RDLCK && !f.canRead { throw .errno(.EBADF) }
            if type == F_WRLCK && !f.canWrite { throw .errno(.EBADF) }
        }
        let key = k.lockKey(f)
        let request = FileLock(owner: c.ofd ? .description(lockID(f)) : .process(t.process.pid),
                               kind: c.ofd ? .ofd : .posix, exclusive: type == F_WRLCK,
                               start: start, end: end, pid: c.ofd ? -1 : t.process.pid,
                               hostPid: c.ofd ? -1 : (t.process.runner?.hostPid ?? 0))
        let locks = k.vfs.locks
        let host = k.hostLocks(f, key, request.owner)
        if c.get {
            guard let holder = locks.conflict(key, request) ?? host?.conflict(request) else {
                try t.memory.store(addr, F_UNLCK)
                return 0
            }
            let len: Int64 = holder.end == Int64.max ? 0 : holder.end - holder.start + 1
            try t.memory.store(addr, holder.exclusive ? F_WRLCK : F_RDLCK)
            try t.memory.store(t.memory.field(addr, 2), Int16(0))
            if c.narrow {
                guard let s = Int32(exactly: holder.start), let l = Int32(exactly: len) else { throw .errno(.EOVERFLOW) }
                try t.memory.store(t.memory.field(addr, 4), s)
                try t.memory.store(t.memory.field(addr, 8), l)
                try t.memory.store(t.memory.field(addr, 12), holder.pid)
            } else {
                try t.memory.store(t.memory.field(addr, 8), holder.start)
                try t.memory.store(t.memory.field(addr, 16), len)
                try t.memory.store(t.memory.field(addr, 24), holder.pid)
            }
            return 0
        }
        if type == F_UNLCK {
            host?.apply(request, unlock: true)
            locks.unlock(key, owner: request.owner, start: start, end: end)
            return 0
        }
        try k.acquire(t, key, request, host: host, wait: c.wait)
        return 0
    }

    /// Takes `request` now, or fails with EAGAIN (`wait` false) / EDEADLK, or parks the thread.
    func acquire(_ t: GuestThread, _ key: FileLockKey, _ request: FileLock, host: HostLock?, wait: Bool) throws(SyscallError) {
        if grant(key, request, host: host) { return }
        if !wait { throw .errno(.EAGAIN) }
        if vfs.locks.conflict(key, request) != nil {
            if vfs.locks.wouldDeadlock(key, request) { throw .errno(.EDEADLK) }
            try waitForLock(t, key, request, poll: false)
        }
        try waitForLock(t, key, request, poll: true)   // a host holder: retry on a timer
    }

    /// Grants `request` in the table and, for bind files, on the host; false if either has
    /// a conflicting holder (nothing changed then).
    private func grant(_ key: FileLockKey, _ request: FileLock, host: HostLock?) -> Bool {
        let locks = vfs.locks
        if locks.conflict(key, request) != nil { return false }
        if let host, !host.apply(request, unlock: false) { return false }
        let granted = locks.set(key, request) == nil
        assert(granted, "checked just before, on the one loop thread")
        return granted
    }

    /// [start, end] (end inclusive, Int64.max = to EOF) from l_start/l_len relative to `base`,
    /// with Linux's errors: a range starting before 0 is EINVAL, one past the largest offset
    /// EOVERFLOW; a negative length covers the bytes before start.
    static func lockRange(base: Int64, start: Int64, length: Int64) throws(SyscallError) -> (Int64, Int64) {
        var (s, o) = base.addingReportingOverflow(start)
        if o { throw .errno(.EOVERFLOW) }
        if s < 0 { throw .errno(.EINVAL) }
        var e: Int64
        if length > 0 {
            (e, o) = s.addingReportingOverflow(length - 1)
            if o { throw .errno(.EOVERFLOW) }
        } else if length < 0 {
            if s + length < 0 { throw .errno(.EINVAL) }
            e = s - 1
            s += length
        } else {
            e = Int64.max
        }
        return (s, e)
    }

    /// flock(fd, op): LOCK_SH 1, LOCK_EX 2, LOCK_UN 8, LOCK_NB 4, per open file description.
    static func sys_flock(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let f = try ioFile(t, t.arg(0))
        let op = t.arg(1)
        let kind = op & ~4
        if kind != 1 && kind != 2 && kind != 8 { throw .errno(.EINVAL) }
        let key = k.lockKey(f), owner = FileLockOwner.description(lockID(f))
        let locks = k.vfs.locks
        let host = k.hostLocks(f, key, owner)
        if kind == 8 {
            if let host { _ = host.flock(8) }
            locks.unlockWhole(key, owner: owner)
            return 0
        }
        let exclusive = kind == 2
        if let held = locks.wholeLock(key, owner: owner) {
            if held.exclusive == exclusive { return 0 }
            // A conversion drops the old lock first and may lose it (Linux does the same:
            // flock(2) says conversion is not atomic).
            if let host { _ = host.flock(8) }
            locks.unlockWhole(key, owner: owner)
        }
        let request = FileLock(owner: owner, kind: .flock, exclusive: exclusive, start: 0, end: Int64.max,
                               pid: t.process.pid, hostPid: t.process.runner?.hostPid ?? 0)
        try k.acquire(t, key, request, host: host, wait: op & 4 == 0)   // EWOULDBLOCK is EAGAIN
        return 0
    }

    /// Parks `t` until `key`'s locks change (and, with `poll`, at most 20 ms: a host holder
    /// tells us nothing when it lets go); the handler then runs again.
    func waitForLock(_ t: GuestThread, _ key: FileLockKey, _ request: FileLock, poll: Bool) throws(SyscallError) -> Never {
        let q = WaitQueue()
        let locks = vfs.locks
        let token = locks.wait(key, for: request) { [weak q] in q?.wakeAll() }
        t.cleanups.append { [weak locks] in locks?.cancelWait(key, token: token, owner: request.owner) }
        if poll {
            let timer = ring.timeout(nanoseconds: 20_000_000) { [weak q] _ in q?.wakeAll() }
            t.cleanups.append { [unowned self] in self.ring.cancel(timer) }
        }
        throw .block(q)
    }

    // MARK: identities and lifetimes

    /// The owner id of an open file description's OFD and flock locks. The object's address
    /// is unique while it lives, and its locks are gone before it can die (last close).
    static func lockID(_ f: OpenFile) -> UInt64 { UInt64(UInt(bitPattern: ObjectIdentifier(f))) }

    /// The file's name in the lock table: its filesystem object and inode. The image's
    /// SharedFS is the object the FUSE mount names it by too, so both see the same locks.
    /// Files outside the VFS (anonymous pipes, the client's stdio) are their own key.
    func lockKey(_ f: OpenFile) -> FileLockKey {
        guard let n = f.node else { return FileLockKey(fs: ObjectIdentifier(f), ino: 0) }
        let m = vfs.mount(of: n)
        let fs = m.shared.map(ObjectIdentifier.init) ?? m.host.map(ObjectIdentifier.init) ?? ObjectIdentifier(m)
        return FileLockKey(fs: fs, ino: n.ino)
    }

    /// Makes `p`'s descriptor table release locks as descriptors close: the process's POSIX
    /// locks on that file at any close, the description's OFD and flock locks at its last.
    func watchCloses(_ p: Process) {
        let pid = p.pid
        p.files.onClose = { [unowned self] f in
            let key = self.lockKey(f)
            let locks = self.vfs.locks
            let last = f.references == 1
            self.vfs.hostLockFDs.close(.process(pid), key)
            if last { self.vfs.hostLockFDs.close(.description(Kernel.lockID(f)), key) }
            guard locks.hasLocks(key) else { return }
            locks.release(key, owner: .process(pid))
            if last { locks.release(key, owner: .description(Kernel.lockID(f))) }
        }
    }

    /// The host side of `owner`'s locks on `f` if it is a file of a `--bind` directory
    /// (opened on first use), else nil.
    func hostLocks(_ f: OpenFile, _ key: FileLockKey, _ owner: FileLockOwner) -> HostLock? {
        guard let n = f.node, vfs.mount(of: n).kind == .hostdir, let file = f as? RegularFile,
              let (fd, _) = (file.fs as? HostDirFS)?.heldDescriptor(file.inode) else { return nil }
        return vfs.hostLockFDs.descriptor(owner, key, reopening: fd).map(HostLock.init)
    }
}

extension VFS {
    /// /proc/locks in Linux's format: "N: POSIX  ADVISORY  WRITE PID MAJ:MIN:INO START END|EOF",
    /// with OFDLCK and FLOCK kinds; holders as guests see them (OFD -1, host holders 0).
    func locksText() -> [UInt8] {
        var dev: [ObjectIdentifier: UInt64] = [:]
        for m in mounts {
            let fs = m.shared.map(ObjectIdentifier.init) ?? m.host.map(ObjectIdentifier.init) ?? ObjectIdentifier(m)
            if dev[fs] == nil { dev[fs] = m.dev }
        }
        func hex2(_ v: UInt32) -> String { v < 16 ? "0" + String(v, radix: 16) : String(v, radix: 16) }
        var out = ""
        var n = 0
        for (key, held) in locks.all.sorted(by: { $0.key.ino < $1.key.ino }) {
            let d = dev[key.fs] ?? 0
            let where_ = "\(hex2(DeviceNumber.major(d))):\(hex2(DeviceNumber.minor(d))):\(key.ino)"
            for l in held {
                n += 1
                let kind = switch l.kind { case .posix: "POSIX  ADVISORY  "; case .ofd: "OFDLCK ADVISORY  "; case .flock: "FLOCK  ADVISORY  " }
                let range = l.kind == .flock ? "0 EOF" : "\(l.start) " + (l.end == Int64.max ? "EOF" : "\(l.end)")
                out += "\(n): \(kind)\(l.exclusive ? "WRITE" : "READ") \(l.pid) \(where_) \(range)\n"
            }
        }
        return Array(out.utf8)
    }
}
