// EpollFlags.swift: epoll(7)'s flag bits and limits (the event bits are `Events`).

public enum EpollFlags {
    public static let EPOLLEXCLUSIVE: UInt32 = 1 << 28, EPOLLWAKEUP: UInt32 = 1 << 29
    public static let EPOLLONESHOT: UInt32 = 1 << 30, EPOLLET: UInt32 = 1 << 31
    /// Bits that are not events (Linux's EP_PRIVATE_BITS).
    public static let privateBits: UInt32 = EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET
    /// What EPOLLEXCLUSIVE may be combined with (Linux's EPOLLEXCLUSIVE_OK_BITS).
    public static let exclusiveOK: UInt32 = Events.readable | Events.writable | Events.err | Events.hup
        | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE
    /// Nesting limit of epoll instances inside epoll instances (Linux's EP_MAX_NESTS).
    static let maxNests = 4
}
