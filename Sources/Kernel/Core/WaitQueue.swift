// WaitQueue.swift: where blocked syscalls wait, and how files announce readiness.
//
// Two kinds of entry share one queue (the model of Linux's wait queues and gVisor's
// waiter.Queue):
//
// - A blocked call: a handler that cannot finish throws `.block(queue)`; the kernel parks
//   the thread with `add(owner, wake)`, a one-shot entry with the full mask. Any
//   notification removes it and re-runs the handler, which re-checks its condition (the
//   xv6 sleep/wakeup discipline: simple and never loses a wake-up, at the price of a few
//   spurious retries).
// - A `Waiter` (poll, select, epoll): an entry with an event mask that stays until it is
//   removed. A file calls `notify(events)` with what happened (POLLIN when data arrived,
//   POLLOUT when space freed up, POLLHUP when the other end closed); only entries whose
//   mask intersects are called.
//
// Exclusive waiters (EPOLLEXCLUSIVE): of the exclusive entries that match one
// notification, only the first is called (and moved to the back, so the next
// notification reaches another); non-exclusive entries are all called.
//
// Owner: the kernel's loop thread, like every kernel object (no locking).

/// Readiness events: poll(2) and epoll(7) share these bits.
public enum Events {
    public static let `in`: UInt32 = 0x001, pri: UInt32 = 0x002, out: UInt32 = 0x004
    public static let err: UInt32 = 0x008, hup: UInt32 = 0x010, nval: UInt32 = 0x020
    public static let rdnorm: UInt32 = 0x040, rdband: UInt32 = 0x080
    public static let wrnorm: UInt32 = 0x100, wrband: UInt32 = 0x200
    public static let msg: UInt32 = 0x400, rdhup: UInt32 = 0x2000
    /// Everything a file may report (a blocked call's entry matches any notification).
    public static let all: UInt32 = 0xffff
    /// What "readable" and "writable" mean to a reader of the poll bits.
    public static let readable: UInt32 = Events.in | Events.rdnorm
    public static let writable: UInt32 = Events.out | Events.wrnorm
}

/// A persistent entry on one or more wait queues: called with the events that happened
/// whenever they intersect `mask`, until removed from the queue.
public final class Waiter {
    public var mask: UInt32
    public let exclusive: Bool
    let callback: (UInt32) -> Void
    /// Queues this waiter is on (removal undoes every registration).
    fileprivate var queues: [WaitQueue] = []

    public init(mask: UInt32, exclusive: Bool = false, _ callback: @escaping (UInt32) -> Void) {
        self.mask = mask
        self.exclusive = exclusive
        self.callback = callback
    }

    /// Takes the waiter off every queue it is on.
    public func removeFromAll() {
        let qs = queues
        for q in qs { q.remove(self) }
    }
}

public final class WaitQueue {
    private var entries: [Waiter] = []
    /// One-shot entries of blocked calls, by owner.
    private var blocked: [(id: ObjectIdentifier, wake: () -> Void)] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty && blocked.isEmpty }

    /// The union of the masks of the persistent entries (what someone waits for).
    public var wantedEvents: UInt32 { entries.reduce(0) { $0 | $1.mask } }

    /// Parks a blocked call: `wake` runs once, at the next notification of any kind.
    public func add(_ owner: AnyObject, _ wake: @escaping () -> Void) {
        blocked.append((ObjectIdentifier(owner), wake))
    }

    public func remove(_ owner: AnyObject) {
        let id = ObjectIdentifier(owner)
        blocked.removeAll { $0.id == id }
    }

    public func add(_ w: Waiter) {
        guard !entries.contains(where: { $0 === w }) else { return }
        entries.append(w)
        w.queues.append(self)
    }

    public func remove(_ w: Waiter) {
        entries.removeAll { $0 === w }
        w.queues.removeAll { $0 === self }
    }

    /// `events` happened: wakes every blocked call, and the waiters whose mask intersects
    /// (of the exclusive ones, only the first).
    public func notify(_ events: UInt32) {
        if !blocked.isEmpty {
            let current = blocked
            blocked = []
            for b in current { b.wake() }
        }
        guard !entries.isEmpty else { return }
        var exclusiveWoken = false
        // A snapshot: callbacks may add or remove entries; one removed meanwhile is skipped.
        for w in entries where w.mask & events != 0 {
            guard entries.contains(where: { $0 === w }) else { continue }
            if w.exclusive {
                if exclusiveWoken { continue }
                exclusiveWoken = true
                entries.removeAll { $0 === w }
                entries.append(w)
            }
            w.callback(events & w.mask)
        }
    }

    /// Something changed without a precise event (a hangup, a foreground change): every
    /// entry looks again.
    public func wakeAll() { notify(Events.all) }
}
