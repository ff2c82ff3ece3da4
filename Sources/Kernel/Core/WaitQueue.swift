// WaitQueue.swift: where blocked syscalls wait. A handler that cannot finish throws
// `.block(queue)`; the kernel parks the thread here and re-runs the handler when someone
// calls `wakeAll()` (data arrived, a child exited, a timer fired). Waking everybody and
// letting each handler re-check is the xv6 sleep/wakeup discipline: simple and never
// loses a wake-up, at the price of a few spurious retries.
public final class WaitQueue: @unchecked Sendable {
    private var waiters: [(id: ObjectIdentifier, wake: () -> Void)] = []

    public init() {}

    public var isEmpty: Bool { waiters.isEmpty }

    public func add(_ owner: AnyObject, _ wake: @escaping () -> Void) {
        waiters.append((ObjectIdentifier(owner), wake))
    }

    public func remove(_ owner: AnyObject) {
        let id = ObjectIdentifier(owner)
        waiters.removeAll { $0.id == id }
    }

    public func wakeAll() {
        if waiters.isEmpty { return }
        let current = waiters
        waiters = []
        for w in current { w.wake() }
    }
}
