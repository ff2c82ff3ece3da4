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
