// FileLocks.swift: the advisory lock table of one service: POSIX record locks, OFD locks
// and flock locks, for every file guests or host tools lock through us.
//
// Why here, in VFSImage: both the kernel (guest fcntl/flock) and FuseMount (the host's
// getlk/setlk/flock on the mount) must consult the same table, and FuseMount may not import
// Kernel. VFSImage is the module both already import; the table needs nothing from either.
// The service creates one table and hands it to both (Launcher/Service.swift).
//
// Model (Linux fs/locks.c semantics, our own code):
//   - A file is named by a `FileLockKey`: the identity of its filesystem object (the image's
//     SharedFS, a tmpfs SharedFS, a HostDirFS, ...) and its inode number there. FUSE and the
//     kernel name an image file the same way because they share the SharedFS object.
//   - Two lists per file. `records` holds POSIX and OFD locks, which conflict with each
//     other; `whole` holds flock locks, which conflict only among themselves.
//   - Owners: a guest process (POSIX), a guest open file description (OFD, flock), or a
//     FUSE lock_owner (host POSIX/OFD/flock through the mount). The enum keeps host owners
//     from ever colliding with guest ones.
//   - A record lock covers [start, end], end inclusive, `Int64.max` meaning "to EOF and
//     beyond". One owner's locks never overlap each other: setting a range first cuts the
//     owner's old locks out of it, then the new lock merges with touching locks of the same
//     type (what F_GETLK then reports is the merged range).
//   - Waiting: a caller that must wait registers a wake closure on the file; every change
//     that may free something (unlock, downgrade, release) calls and drops all of the
//     file's closures, and each waiter retries (the kernel's re-run model; FUSE retries the
//     request). Waiting POSIX owners are recorded with what they wait for, which is the
//     wait-for graph EDEADLK detection walks.
//
// Threads: one owner thread (the service's loop), like the SharedFS.

public struct FileLockKey: Hashable, Sendable {
    public var fs: ObjectIdentifier
    public var ino: UInt64
    public init(fs: ObjectIdentifier, ino: UInt64) { self.fs = fs; self.ino = ino }
}

public enum FileLockOwner: Hashable, Sendable, CustomStringConvertible {
    /// A guest process's POSIX locks (its pid: the kernel releases them before the pid can
    /// be reused).
    case process(Int32)
    /// A guest open file description's OFD or flock locks (an id the kernel allocates).
    case description(UInt64)
    /// A host lock owner through FUSE (`fuse_file_info.lock_owner`, or the setlk owner).
    case fuse(UInt64)

    public var description: String {
        switch self {
        case .process(let p): "pid \(p)"
        case .description(let d): "description \(d)"
        case .fuse(let o): "fuse owner \(o)"
        }
    }
}

public struct FileLock: Equatable, Sendable {
    public enum Kind: Sendable { case posix, ofd, flock }
    public var owner: FileLockOwner
    public var kind: Kind
    public var exclusive: Bool
    public var start: Int64
    /// Inclusive; Int64.max = to EOF, whatever the file's size becomes.
    public var end: Int64
    /// The holder as a guest's F_GETLK reports it: the guest pid for guest POSIX locks, -1
    /// for OFD locks (Linux), 0 for host holders (a process outside the caller's pid
    /// namespace reads as 0 on Linux, and guests are such a namespace).
    public var pid: Int32
    /// The holder as the host sees it (FUSE getlk): the guest's runner for guest holders
    /// (the host process that runs it), the host process for host holders.
    public var hostPid: Int32

    public init(owner: FileLockOwner, kind: Kind, exclusive: Bool, start: Int64, end: Int64,
                pid: Int32, hostPid: Int32) {
        self.owner = owner; self.kind = kind; self.exclusive = exclusive
        self.start = start; self.end = end; self.pid = pid; self.hostPid = hostPid
    }

    func overlaps(_ s: Int64, _ e: Int64) -> Bool { start <= e && s <= end }
    func conflicts(with other: FileLock) -> Bool {
        owner != other.owner && (exclusive || other.exclusive) && overlaps(other.start, other.end)
    }
}

public final class FileLocks {
    struct FileState {
        var records: [FileLock] = []
        var whole: [FileLock] = []
        var waiters: [(id: UInt64, wake: () -> Void)] = []
        var isEmpty: Bool { records.isEmpty && whole.isEmpty && waiters.isEmpty }
    }
    private var files: [FileLockKey: FileState] = [:]
    /// POSIX owners that wait, and for what (the wait-for graph's edges start here).
    private var waiting: [FileLockOwner: (key: FileLockKey, request: FileLock)] = [:]
    private var nextWaiter: UInt64 = 1

    public init() {}

    /// The locks held on `key` (records first, then flock), for /proc/locks and tests.
    public func locks(on key: FileLockKey) -> [FileLock] {
        guard let s = files[key] else { return [] }
        return s.records + s.whole
    }

    /// Every file with a lock, and its locks.
    public var all: [(key: FileLockKey, locks: [FileLock])] {
        files.compactMap { k, s in s.records.isEmpty && s.whole.isEmpty ? nil : (k, s.records + s.whole) }
    }

    /// Whether anything is recorded for `key` (a fast path for close).
    public func hasLocks(_ key: FileLockKey) -> Bool {
        guard let s = files[key] else { return false }
        return !s.records.isEmpty || !s.whole.isEmpty
    }

    // MARK: testing and setting

    /// The first lock that keeps `request` from being granted (F_GETLK, and the check every
    /// set makes). flock requests are checked against flock locks, the rest against records.
    public func conflict(_ key: FileLockKey, _ request: FileLock) -> FileLock? {
        guard let s = files[key] else { return nil }
        let list = request.kind == .flock ? s.whole : s.records
        return list.first { $0.conflicts(with: request) }
    }

    /// Grants `request` if nothing conflicts (returning nil), else returns the conflicting
    /// lock and changes nothing. A record request replaces its owner's locks in the range.
    public func set(_ key: FileLockKey, _ request: FileLock) -> FileLock? {
        if let c = conflict(key, request) { return c }
        var s = files[key] ?? FileState()
        if request.kind == .flock {
            s.whole.removeAll { $0.owner == request.owner }
            s.whole.append(request)
        } else {
            s.records = FileLocks.replace(s.records, owner: request.owner, start: request.start,
                                          end: request.end, with: request)
        }
        files[key] = s
        wake(key)   // a downgrade (exclusive to shared) may let readers in
        return nil
    }

    /// Removes `owner`'s record locks in [start, end] (F_UNLCK), splitting what straddles.
    public func unlock(_ key: FileLockKey, owner: FileLockOwner, start: Int64, end: Int64) {
        guard var s = files[key] else { return }
        guard s.records.contains(where: { $0.owner == owner && $0.overlaps(start, end) }) else { return }
        s.records = FileLocks.replace(s.records, owner: owner, start: start, end: end, with: nil)
        store(key, s)
        wake(key)
    }

    /// Removes `owner`'s flock lock on `key` (LOCK_UN, and the first half of a conversion).
    public func unlockWhole(_ key: FileLockKey, owner: FileLockOwner) {
        guard var s = files[key], s.whole.contains(where: { $0.owner == owner }) else { return }
        s.whole.removeAll { $0.owner == owner }
        store(key, s)
        wake(key)
    }

    /// The flock lock `owner` holds on `key`, if any.
    public func wholeLock(_ key: FileLockKey, owner: FileLockOwner) -> FileLock? {
        files[key]?.whole.first { $0.owner == owner }
    }

    /// Drops every lock of `owner` on `key` (a process closing a descriptor of the file; an
    /// open file description's last close; FUSE flush/release).
    public func release(_ key: FileLockKey, owner: FileLockOwner) {
        guard var s = files[key] else { return }
        let n = s.records.count + s.whole.count
        s.records.removeAll { $0.owner == owner }
        s.whole.removeAll { $0.owner == owner }
        if s.records.count + s.whole.count == n { return }
        store(key, s)
        wake(key)
    }

    /// Drops every lock of `owner` on every file (process exit).
    public func releaseEverywhere(_ owner: FileLockOwner) {
        for key in Array(files.keys) { release(key, owner: owner) }
    }

    /// `records` with owner's locks cut out of [start, end], then `new` (if any) added and
    /// merged with owner's touching or overlapping locks of the same type.
    static func replace(_ records: [FileLock], owner: FileLockOwner, start: Int64, end: Int64,
                        with new: FileLock?) -> [FileLock] {
        var out: [FileLock] = []
        out.reserveCapacity(records.count + 2)
        for l in records {
            guard l.owner == owner, l.overlaps(start, end) else { out.append(l); continue }
            if l.start < start { var left = l; left.end = start - 1; out.append(left) }
            if l.end > end { var right = l; right.start = end + 1; out.append(right) }
        }
        guard var n = new else { return out }
        var merged: [FileLock] = []
        merged.reserveCapacity(out.count + 1)
        for l in out {
            let touches = l.owner == owner && l.exclusive == n.exclusive && l.kind == n.kind
                && (l.overlaps(n.start, n.end)
                    || (l.end != Int64.max && l.end + 1 == n.start)
                    || (n.end != Int64.max && n.end + 1 == l.start))
            if touches {
                n.start = min(n.start, l.start)
                n.end = max(n.end, l.end)
            } else {
                merged.append(l)
            }
        }
        merged.append(n)
        return merged
    }

    private func store(_ key: FileLockKey, _ s: FileState) {
        files[key] = s.isEmpty ? nil : s
    }

    // MARK: waiting

    /// Registers `wake`, called once (then forgotten) at the next change on `key` that may
    /// grant something. A POSIX owner's request is also recorded for deadlock detection.
    /// Returns a token for `cancelWait`.
    public func wait(_ key: FileLockKey, for request: FileLock, wake: @escaping () -> Void) -> UInt64 {
        let id = nextWaiter
        nextWaiter += 1
        files[key, default: FileState()].waiters.append((id, wake))
        if request.kind == .posix { waiting[request.owner] = (key, request) }
        return id
    }

    /// Forgets a wait (granted, interrupted, or the waiter is gone).
    public func cancelWait(_ key: FileLockKey, token: UInt64, owner: FileLockOwner) {
        if var s = files[key] {
            s.waiters.removeAll { $0.id == token }
            store(key, s)
        }
        if let w = waiting[owner], w.key == key { waiting[owner] = nil }
    }

    private func wake(_ key: FileLockKey) {
        guard var s = files[key], !s.waiters.isEmpty else { return }
        let woken = s.waiters
        s.waiters = []
        store(key, s)
        for w in woken { w.wake() }
    }

    /// Whether `request` (a POSIX lock that conflicts on `key`) waiting would close a cycle
    /// in the wait-for graph: some holder of a conflicting lock waits, directly or through
    /// others, for a lock `request`'s owner holds. Only POSIX owners take part, as on Linux
    /// (OFD and flock waiters are never EDEADLK).
    public func wouldDeadlock(_ key: FileLockKey, _ request: FileLock) -> Bool {
        guard request.kind == .posix else { return false }
        var seen: Set<FileLockOwner> = []
        var frontier: [(FileLockKey, FileLock)] = [(key, request)]
        var steps = 0
        while let (k, r) = frontier.popLast() {
            steps += 1
            if steps > 10_000 { return false }   // a bound, like Linux's MAX_DEADLK_ITERATIONS
            for holder in files[k]?.records ?? [] where holder.kind == .posix && holder.conflicts(with: r) {
                if holder.owner == request.owner { return true }
                guard seen.insert(holder.owner).inserted, let next = waiting[holder.owner] else { continue }
                frontier.append((next.key, next.request))
            }
        }
        return false
    }
}
