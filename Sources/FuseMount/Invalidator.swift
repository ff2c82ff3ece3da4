// Invalidator.swift: telling the kernel to forget what it cached, for changes that did not
// come through FUSE (guest writes, once the kernel issue lands).
//
// Why a thread of its own. fuse_lowlevel_notify_inval_entry writes to /dev/fuse, and the
// kernel handles that write synchronously: it takes the parent directory's inode lock.
// fuse_lowlevel.h forbids calling it "in the execution path of a related filesystem
// operation or within any code that could hold a lock that could be needed to execute such
// an operation". With one loop thread, *every* operation needs that thread: if a lookup in
// the same directory is already queued in the kernel (it holds the directory lock, shared,
// waiting for our reply), a notify written from the loop thread blocks on the lock, the loop
// never reads the lookup, and both wait forever — even between requests, not only inside a
// handler. notify_inval_inode can block too (it waits for writeback of dirty pages, which
// needs WRITE requests served). So the loop only queues notifications; this thread writes
// them while the loop keeps serving, and a notify that has to wait for an in-flight
// request simply waits until the loop has answered it.
//
// Ordering: notifications go out in the order they were queued. The kernel answers ENOENT
// for an inode or name it does not hold; that is not an error.
//
// Waiting for delivery without blocking the loop. A guest's write must show on the mount
// when the guest's call returns, so the service holds the call's answer (not the loop)
// until the notifications it caused are written. Every queued notification gets a number
// (`queued` after queuing it is its ticket); this thread counts what it has written
// (`delivered`, in queue order) and, when it reaches the lowest ticket someone waits for
// (`wakeAt`), writes `eventFD`. The loop polls that eventfd and runs the waiters whose
// tickets are reached (`releaseWaiters`). Notifications dropped by `stop` count as
// delivered: the connection they were for is gone.

import CFuse3
import Logging
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One cache invalidation, in FUSE node ids (InodeTable maps image inodes to them).
public enum Invalidation: Sendable, Equatable {
    /// Drop cached attributes and, unless `offset` < 0, cached data from `offset` for
    /// `length` bytes (0 = to the end) of an inode.
    case inode(UInt64, offset: Int64, length: Int64)
    /// Drop the cached name `name` in directory `parent` (and the directory's attributes).
    case entry(parent: UInt64, name: [UInt8])
    /// Like `entry`, and tell inotify watchers that `child` was deleted.
    case delete(parent: UInt64, child: UInt64, name: [UInt8])
}

final class Invalidator: @unchecked Sendable {
    // `session` is only read; libfuse's notify calls are one writev each, safe beside the
    // loop's replies. `lock` guards everything below it.
    private let session: OpaquePointer
    private let log: Logger
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let ready = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [Invalidation] = []
    private var stopping = false
    private var thread: pthread_t? = nil
    /// Notifications written (any result), for tests and diagnostics.
    private var sentCount = 0
    /// Notifications queued so far, and written (or dropped by `stop`) so far.
    private var queuedCount: UInt64 = 0
    private var deliveredCount: UInt64 = 0
    /// The lowest ticket a waiter of the loop needs; `.max` when nobody waits.
    private var wakeAt: UInt64 = .max
    /// Readable when waiters may be released (EFD_NONBLOCK; the loop polls it).
    let eventFD: Int32
    /// Loop thread only: (ticket, what to run once it is delivered).
    private var waiters: [(ticket: UInt64, body: () -> Void)] = []
    /// Loop thread only: the same number as `queuedCount`, read without the lock.
    private(set) var queued: UInt64 = 0

    init(session: OpaquePointer, log: Logger) {
        self.session = session
        self.log = log
        pthread_mutex_init(lock, nil)
        pthread_cond_init(ready, nil)
        eventFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(eventFD >= 0, "Invalidator: eventfd failed: \(errnoText(errno))")
    }

    deinit {
        precondition(thread == nil, "Invalidator: deinit while its thread runs; call stop() first")
        pthread_cond_destroy(ready); ready.deallocate()
        pthread_mutex_destroy(lock); lock.deallocate()
        close(eventFD)
    }

    func start() {
        guard thread == nil else { return }
        var t = pthread_t()
        let me = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&t, nil, { arg in
            let me = Unmanaged<Invalidator>.fromOpaque(arg!).takeRetainedValue()
            me.drain()
            return nil
        }, me)
        precondition(rc == 0, "Invalidator: pthread_create failed: \(errnoText(rc))")
        thread = t
    }

    func enqueue(_ item: Invalidation) {
        pthread_mutex_lock(lock)
        queue.append(item)
        queuedCount += 1
        pthread_cond_signal(ready)
        pthread_mutex_unlock(lock)
        queued += 1
    }

    /// Loop thread. Keeps `body` to run (from `releaseWaiters`) once every notification up
    /// to `ticket` was written, and returns true; returns false, keeping nothing, when they
    /// already were.
    func whenDelivered(_ ticket: UInt64, _ body: @escaping () -> Void) -> Bool {
        pthread_mutex_lock(lock)
        let done = deliveredCount >= ticket
        if !done { wakeAt = min(wakeAt, ticket) }
        pthread_mutex_unlock(lock)
        if !done { waiters.append((ticket, body)) }
        return !done
    }

    /// Loop thread, when `eventFD` is readable: runs the waiters whose tickets were reached.
    func releaseWaiters() {
        var count: UInt64 = 0
        _ = read(eventFD, &count, 8)
        var runnable: [() -> Void] = []
        while true {
            pthread_mutex_lock(lock)
            let done = deliveredCount
            pthread_mutex_unlock(lock)
            waiters.removeAll { w in
                if w.ticket <= done { runnable.append(w.body); return true }
                return false
            }
            guard let next = waiters.map(\.ticket).min() else { break }
            // Ask to be woken for the next one, unless the thread got there meanwhile.
            pthread_mutex_lock(lock)
            let reached = deliveredCount >= next
            if !reached { wakeAt = min(wakeAt, next) }
            pthread_mutex_unlock(lock)
            if !reached { break }
        }
        for body in runnable { body() }
    }

    var sent: Int {
        pthread_mutex_lock(lock); defer { pthread_mutex_unlock(lock) }
        return sentCount
    }

    /// Waits until every queued notification has been written (tests).
    func waitUntilIdle() {
        while true {
            pthread_mutex_lock(lock)
            let empty = deliveredCount == queuedCount
            pthread_mutex_unlock(lock)
            if empty { return }
            usleep(1000)
        }
    }

    /// Stops the thread, dropping what is still queued (the connection is going away).
    /// Call after unmounting, so a notify blocked on a dead connection has returned.
    func stop() {
        guard let t = thread else { return }
        pthread_mutex_lock(lock)
        stopping = true
        queue.removeAll()
        pthread_cond_signal(ready)
        pthread_mutex_unlock(lock)
        pthread_join(t, nil)
        thread = nil
        pthread_mutex_lock(lock)
        deliveredCount = queuedCount
        pthread_mutex_unlock(lock)
        wakeLoop()
    }

    private func wakeLoop() {
        var one: UInt64 = 1
        _ = write(eventFD, &one, 8)
    }

    private func drain() {
        while true {
            pthread_mutex_lock(lock)
            while queue.isEmpty && !stopping { pthread_cond_wait(ready, lock) }
            if stopping { pthread_mutex_unlock(lock); return }
            let item = queue.removeFirst()
            pthread_mutex_unlock(lock)

            let rc = send(item)
            if rc != 0 && rc != -ENOENT && rc != -ENOTCONN && rc != -ENODEV {
                log.warning("cache invalidation \(item) failed: \(errnoText(-rc))")
            }
            pthread_mutex_lock(lock)
            sentCount += 1
            deliveredCount += 1
            let wake = deliveredCount >= wakeAt
            if wake { wakeAt = .max }
            pthread_mutex_unlock(lock)
            if wake { wakeLoop() }
        }
    }

    private func send(_ item: Invalidation) -> Int32 {
        switch item {
        case .inode(let ino, let off, let len):
            return fuse_lowlevel_notify_inval_inode(session, ino, off_t(off), off_t(len))
        case .entry(let parent, let name):
            // libfuse sends namelen + 1 bytes: the name must be NUL-terminated.
            let z = name + [0]
            return z.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { c in
                    fuse_lowlevel_notify_inval_entry(session, parent, c.baseAddress, name.count)
                }
            }
        case .delete(let parent, let child, let name):
            let z = name + [0]
            return z.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { c in
                    fuse_lowlevel_notify_delete(session, parent, child, c.baseAddress, name.count)
                }
            }
        }
    }
}

// MARK: the public API (loop thread)

extension FuseServer {
    /// Drops the kernel's cached attributes of `ino` and its cached data from `offset` for
    /// `length` bytes (0: to the end; a negative offset keeps the data, attributes only).
    /// Call on the loop thread after changing the inode beside FUSE; returns at once.
    public func invalidate(inode ino: InodeNumber, offset: Int64 = 0, length: Int64 = 0) {
        guard table.isKnown(ino) else { return }  // nothing cached
        invalidator?.enqueue(.inode(InodeTable.nodeid(ino), offset: offset, length: length))
    }

    /// Drops the kernel's cached entry `name` in directory `parent` (created, removed or
    /// renamed beside FUSE) and the directory's attributes and cached listing.
    public func invalidate(entry name: [UInt8], in parent: InodeNumber) {
        guard table.isKnown(parent) else { return }
        invalidator?.enqueue(.entry(parent: InodeTable.nodeid(parent), name: name))
        invalidator?.enqueue(.inode(InodeTable.nodeid(parent), offset: 0, length: 0))
    }

    /// Like `invalidate(entry:in:)` for a name removed beside FUSE that named `child`; also
    /// wakes inotify watchers of the name.
    public func invalidate(deleted name: [UInt8], in parent: InodeNumber, child: InodeNumber) {
        guard table.isKnown(parent) else { return }
        invalidator?.enqueue(.delete(parent: InodeTable.nodeid(parent), child: InodeTable.nodeid(child), name: name))
        invalidator?.enqueue(.inode(InodeTable.nodeid(parent), offset: 0, length: 0))
    }

    /// Blocks until every queued invalidation was written to the kernel. Not on the loop
    /// thread (a notify may wait for a request only the loop can serve).
    public func waitForInvalidations() { invalidator?.waitUntilIdle() }

    /// The number of invalidations queued so far: a change made before reading it is
    /// visible on the mount once `afterInvalidations(through:)` says so.
    public var invalidationTicket: UInt64 { invalidator?.queued ?? 0 }

    /// Loop thread. Runs `body` from `releaseInvalidationWaiters` once every invalidation
    /// up to `ticket` was written to the kernel, and returns true; returns false (body
    /// dropped) when that is already so. Never blocks.
    public func afterInvalidations(through ticket: UInt64, _ body: @escaping () -> Void) -> Bool {
        invalidator?.whenDelivered(ticket, body) ?? false
    }

    /// Readable when `releaseInvalidationWaiters` has work (the loop's owner polls it);
    /// -1 before `startServing`.
    public var invalidationEventFD: Int32 { invalidator?.eventFD ?? -1 }

    /// Loop thread, when `invalidationEventFD` is readable.
    public func releaseInvalidationWaiters() { invalidator?.releaseWaiters() }
}
