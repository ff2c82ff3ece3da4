// Locks.swift: FUSE getlk, setlk and flock: the host's fcntl and flock locks on the mount,
// kept in the same FileLocks table the service's guests use (Launcher/Service.swift hands
// the kernel this server's table), so host tools and guests exclude each other.
//
// Owners. The host kernel names a lock's owner by `lock_owner` (a hash of the locking
// process's files table for POSIX locks, of the open file for OFD and flock locks); we keep
// it as `.fuse(owner)`, a case guests never use. The kernel releases a POSIX owner's locks
// with a FLUSH carrying its lock_owner at each close, and flock locks with a RELEASE that has
// flock_release set. Host OFD locks arrive as POSIX-style setlk from a per-file owner, and
// the kernel sends no unlock for them at close (it keeps no local lock context for a FUSE
// file that does its own locking). So each handle remembers the owners that locked through
// it; a FLUSH through the handle shows an owner to be a process's (POSIX: its locks went at
// that close), and what is left when the handle is released (every descriptor of the open
// file closed, each close having flushed) are the open file's own OFD owners: released then.
//
// Waiting. A setlk with `sleep` (F_SETLKW, or flock without LOCK_NB) that cannot be granted
// is not answered: a `PendingLock` registers with the table and retries when the file's
// locks change, replying then. The request loop goes on serving. FUSE_INTERRUPT (the host
// process got a signal) cancels the wait and answers EINTR.
//
// The holder's pid a host getlk sees: the guest's runner process for guest holders (the host
// process that runs it), the host process for host holders.

import CFuse3
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A setlk/flock request waiting for its lock (one reply, sent by `finish`).
final class PendingLock {
    let req: fuse_req_t
    let key: FileLockKey
    let request: FileLock
    var token: UInt64 = 0
    var finished = false
    unowned let server: FuseServer

    init(req: fuse_req_t, key: FileLockKey, request: FileLock, server: FuseServer) {
        self.req = req; self.key = key; self.request = request; self.server = server
    }

    /// Tries again; replies when granted (or on deadlock), else waits once more.
    func attempt() {
        guard !finished else { return }
        let locks = server.locks
        guard locks.set(key, request) != nil else { return finish(0) }
        if locks.wouldDeadlock(key, request) { return finish(EDEADLK) }
        token = locks.wait(key, for: request) { [weak self] in self?.attempt() }
    }

    /// Cancels the wait and sends the one reply.
    func finish(_ error: Int32) {
        guard !finished else { return }
        finished = true
        server.locks.cancelWait(key, token: token, owner: request.owner)
        server.pendingLocks[ObjectIdentifier(self)] = nil
        fuse_reply_err(req, error)
    }
}

extension FuseServer {
    func lockKey(_ nodeid: fuse_ino_t) throws(LinuxErrno) -> FileLockKey {
        let ino = try InodeTable.inode(nodeid)
        return FileLockKey(fs: ObjectIdentifier(fs), ino: UInt64(ino.rawValue))
    }

    /// A struct flock from the host kernel (always SEEK_SET; l_len 0 = to EOF) as a request.
    func lockRequest(_ lock: flock, owner: UInt64, kind: FileLock.Kind) -> FileLock {
        let end = lock.l_len == 0 ? Int64.max : Int64(lock.l_start) + Int64(lock.l_len) - 1
        return FileLock(owner: .fuse(owner), kind: kind, exclusive: Int32(lock.l_type) == F_WRLCK,
                        start: Int64(lock.l_start), end: end, pid: 0, hostPid: lock.l_pid)
    }

    /// FUSE `getlk`: fcntl(F_GETLK) on the host.
    func getlk(_ nodeid: fuse_ino_t, _ fi: fuse_file_info, _ lock: flock) throws(LinuxErrno) -> Reply {
        let key = try lockKey(nodeid)
        var out = lock
        if let holder = locks.conflict(key, lockRequest(lock, owner: fi.lock_owner, kind: .posix)) {
            out.l_type = Int16(holder.exclusive ? F_WRLCK : F_RDLCK)
            out.l_whence = Int16(SEEK_SET)
            out.l_start = off_t(holder.start)
            out.l_len = holder.end == Int64.max ? 0 : off_t(holder.end - holder.start + 1)
            out.l_pid = holder.hostPid
        } else {
            out.l_type = Int16(F_UNLCK)
        }
        return .lock(out)
    }

    /// FUSE `setlk`: F_SETLK / F_SETLKW (and unlocks) on the host. Answers itself when it
    /// must wait (returns nil), else returns the reply.
    func setlk(_ req: fuse_req_t, _ nodeid: fuse_ino_t, _ fi: fuse_file_info, _ lock: flock, sleep: Bool) throws(LinuxErrno) -> Reply? {
        let key = try lockKey(nodeid)
        let request = lockRequest(lock, owner: fi.lock_owner, kind: .posix)
        if Int32(lock.l_type) == F_UNLCK {
            locks.unlock(key, owner: request.owner, start: request.start, end: request.end)
            return .ok
        }
        lockOwnersByHandle[fi.fh, default: []].insert(fi.lock_owner)
        return try acquire(req, key, request, sleep: sleep)
    }

    /// FUSE `flock`: flock(2) on the host (LOCK_SH 1, LOCK_EX 2, LOCK_UN 8, LOCK_NB 4).
    func flock(_ req: fuse_req_t, _ nodeid: fuse_ino_t, _ fi: fuse_file_info, _ op: Int32) throws(LinuxErrno) -> Reply? {
        let key = try lockKey(nodeid)
        let owner = FileLockOwner.fuse(fi.lock_owner)
        let kind = op & ~LOCK_NB
        if kind == LOCK_UN {
            locks.unlockWhole(key, owner: owner)
            return .ok
        }
        guard kind == LOCK_SH || kind == LOCK_EX else { throw .EINVAL }
        let exclusive = kind == LOCK_EX
        if let held = locks.wholeLock(key, owner: owner) {
            if held.exclusive == exclusive { return .ok }
            locks.unlockWhole(key, owner: owner)   // conversion is not atomic, as on Linux
        }
        let request = FileLock(owner: owner, kind: .flock, exclusive: exclusive, start: 0, end: Int64.max,
                               pid: 0, hostPid: fuse_req_ctx(req).pointee.pid)
        return try acquire(req, key, request, sleep: op & LOCK_NB == 0)
    }

    private func acquire(_ req: fuse_req_t, _ key: FileLockKey, _ request: FileLock, sleep: Bool) throws(LinuxErrno) -> Reply? {
        guard locks.set(key, request) != nil else { return .ok }
        if !sleep { throw .EAGAIN }
        if locks.wouldDeadlock(key, request) { throw LinuxErrno(rawValue: EDEADLK) }
        let pending = PendingLock(req: req, key: key, request: request, server: self)
        pendingLocks[ObjectIdentifier(pending)] = pending
        pending.attempt()
        // FUSE_INTERRUPT for this request: stop waiting, answer EINTR (called at once if the
        // interrupt already came).
        if !pending.finished {
            fuse_req_interrupt_func(req, { _, data in
                guard let data else { return }
                Unmanaged<PendingLock>.fromOpaque(data).takeUnretainedValue().finish(EINTR)
            }, Unmanaged.passUnretained(pending).toOpaque())
        }
        return nil
    }

    /// FUSE `flush` (each close on the host): the closing process's POSIX locks go.
    func flushLocks(_ nodeid: fuse_ino_t, _ fi: fuse_file_info) {
        lockOwnersByHandle[fi.fh]?.remove(fi.lock_owner)   // a process's owner, not the file's
        guard let key = try? lockKey(nodeid), locks.hasLocks(key) else { return }
        locks.release(key, owner: .fuse(fi.lock_owner))
    }

    /// FUSE `release` (the open file's last descriptor closed on the host): its flock lock
    /// goes (flock_release), and so do its OFD locks (the owners that locked through this
    /// handle and never flushed through it: see the header).
    func releaseLocks(_ nodeid: fuse_ino_t, _ fi: fuse_file_info) {
        let owners = lockOwnersByHandle.removeValue(forKey: fi.fh) ?? []
        guard let key = try? lockKey(nodeid) else { return }
        if fi.flock_release != 0 { locks.unlockWhole(key, owner: .fuse(fi.lock_owner)) }
        for owner in owners { locks.release(key, owner: .fuse(owner)) }
    }
}
