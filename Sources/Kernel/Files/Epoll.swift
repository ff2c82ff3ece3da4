// Epoll.swift: epoll(7) instances, a kind of open file.
//
// An instance holds an interest list keyed, as in Linux, by (open file description,
// descriptor number): each item has an event mask, 64 bits of user data and a Waiter on
// the watched file's readiness queue (exclusive with EPOLLEXCLUSIVE). When the file
// notifies events the item's mask covers, the item joins the ready list and the instance
// notifies its own queue (epoll_wait callers and epolls that watch this one wake).
//
// epoll_wait takes items off the ready list and asks each file its readiness now, as
// Linux's ep_send_events does: an item not ready any more is dropped silently; a reported
// level-triggered item goes back to the end of the list (so the next wait checks it
// again); an edge-triggered one stays off until the file notifies again; an EPOLLONESHOT
// item is disabled (its mask emptied) until EPOLL_CTL_MOD re-arms it.
//
// An item goes away with EPOLL_CTL_DEL, or when the last reference to the watched
// description closes (FileTable.drop), not when one descriptor of it does; all go when
// the instance's own last reference closes.
import VFSImage

public final class EpollFile: OpenFile {
    struct Key: Hashable {
        let file: ObjectIdentifier
        let fd: Int32
    }
    private(set) var items: [Key: EpollItem] = [:]
    private var readyList: [EpollItem] = []
    let queue = WaitQueue()

    override init(flags: Int32) { super.init(flags: OpenFlags.O_RDWR) }

    public override func procLinkName() -> [UInt8] { Array("anon_inode:[eventpoll]".utf8) }
    public override func stat(_ t: GuestThread) throws(SyscallError) -> KStat { AnonymousInode.stat(t, mode: 0o600) }

    func item(_ file: OpenFile, _ fd: Int32) -> EpollItem? { items[Key(file: ObjectIdentifier(file), fd: fd)] }

    /// EPOLL_CTL_ADD (the caller checked that the item is new and makes no loop).
    func add(_ t: GuestThread, file: OpenFile, fd: Int32, events: UInt32, data: UInt64) {
        let item = EpollItem(epoll: self, file: file, fd: fd, events: events, data: data)
        item.waiter = Waiter(mask: item.wanted, exclusive: events & EpollFlags.EPOLLEXCLUSIVE != 0) { [weak item] ev in
            guard let item, let ep = item.epoll else { return }
            ep.fired(item, ev)
        }
        items[Key(file: ObjectIdentifier(file), fd: fd)] = item
        file.epollWatchers.append(item)
        _ = file.watch(item.waiter, t)
        if file.readiness(t) & item.wanted != 0 { fired(item, Events.all) }
    }

    /// EPOLL_CTL_MOD: a new mask and data; ready at once if the file already is.
    func modify(_ t: GuestThread, _ item: EpollItem, events: UInt32, data: UInt64) {
        item.events = events
        item.data = data
        item.waiter.mask = item.wanted
        if item.file.readiness(t) & item.wanted != 0 { fired(item, Events.all) }
    }

    /// EPOLL_CTL_DEL, or the watched description's last close.
    func forget(_ item: EpollItem) {
        let key = Key(file: ObjectIdentifier(item.file), fd: item.fd)
        guard items[key] === item else { return }
        items[key] = nil
        item.file.unwatch(item.waiter)
        item.file.epollWatchers.removeAll { $0 === item }
        if item.onReadyList {
            item.onReadyList = false
            readyList.removeAll { $0 === item }
        }
    }

    /// The watched file notified events the item waits for (ep_poll_callback).
    private func fired(_ item: EpollItem, _ events: UInt32) {
        guard item.wanted & events != 0 else { return }
        if !item.onReadyList {
            item.onReadyList = true
            readyList.append(item)
        }
        queue.notify(Events.readable)
    }

    /// Takes up to `max` events off the ready list for `t` (ep_send_events).
    func collect(_ t: GuestThread, max: Int) -> [(events: UInt32, data: UInt64)] {
        var out: [(UInt32, UInt64)] = []
        var again: [EpollItem] = []
        while out.count < max && !readyList.isEmpty {
            let item = readyList.removeFirst()
            item.onReadyList = false
            let r = item.file.readiness(t) & item.wanted
            if r == 0 { continue }
            out.append((r, item.data))
            if item.events & EpollFlags.EPOLLONESHOT != 0 {
                item.events &= EpollFlags.privateBits
                item.waiter.mask = 0
            } else if item.events & EpollFlags.EPOLLET == 0 {
                again.append(item)
            }
        }
        for item in again where !item.onReadyList {
            item.onReadyList = true
            readyList.append(item)
        }
        return out
    }

    /// Readable while some item on the ready list is ready (what a nesting epoll or poll
    /// sees); the list itself is left as it is.
    public override func readiness(_ t: GuestThread) -> UInt32 {
        readyList.contains { $0.file.readiness(t) & $0.wanted != 0 } ? Events.readable : 0
    }
    public override var readinessQueue: WaitQueue? { queue }

    /// Whether `target` is this instance or reaches it through nested instances, or the
    /// nesting below `target` is deeper than Linux allows (ep_loop_check: ELOOP).
    func wouldLoop(adding target: EpollFile) -> Bool {
        func walk(_ e: EpollFile, _ depth: Int) -> Bool {
            if e === self || depth > EpollFlags.maxNests { return true }
            for item in e.items.values {
                if let inner = item.file as? EpollFile, walk(inner, depth + 1) { return true }
            }
            return false
        }
        return walk(target, 1)
    }

    /// Linux's ep_show_fdinfo: one "tfd:" line per item.
    public override func fdinfo() -> String {
        var s = ""
        for item in items.values.sorted(by: { $0.fd < $1.fd }) {
            let ev = String(item.events, radix: 16), data = String(item.data, radix: 16)
            s += "tfd: \(pad(String(item.fd), 8)) events: \(pad(ev, 8)) data: \(pad(data, 16))  pos:\(item.file.offset)"
                + " ino:\(String(item.file.node?.ino ?? 0, radix: 16)) sdev:0\n"
        }
        return s
    }

    private func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }

    public override func release() {
        for item in Array(items.values) { forget(item) }
        readyList = []
    }
}
