// Events.swift: the readiness bits files report and waiters ask for.

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
