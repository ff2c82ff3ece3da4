// EpollItem.swift: one entry of an epoll interest list (Epoll.swift says how they move).

final class EpollItem {
    weak var epoll: EpollFile?
    let file: OpenFile
    let fd: Int32
    var events: UInt32
    var data: UInt64
    var waiter: Waiter!
    var onReadyList = false

    init(epoll: EpollFile, file: OpenFile, fd: Int32, events: UInt32, data: UInt64) {
        self.epoll = epoll
        self.file = file
        self.fd = fd
        self.events = events
        self.data = data
    }

    /// The events reported for this item: its mask plus POLLERR and POLLHUP, which are
    /// always reported; nothing while an EPOLLONESHOT item is disabled.
    var wanted: UInt32 {
        let e = events & ~EpollFlags.privateBits
        return e == 0 ? 0 : e | Events.err | Events.hup
    }
}
