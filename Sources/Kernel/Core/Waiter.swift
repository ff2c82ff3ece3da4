// Waiter.swift: a masked, persistent entry on wait queues (WaitQueue.swift says how
// notifications reach it).

/// A persistent entry on one or more wait queues: called with the events that happened
/// whenever they intersect `mask`, until removed from the queue.
public final class Waiter {
    public var mask: UInt32
    public let exclusive: Bool
    let callback: (UInt32) -> Void
    /// Queues this waiter is on (removal undoes every registration).
    var queues: [WaitQueue] = []

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
