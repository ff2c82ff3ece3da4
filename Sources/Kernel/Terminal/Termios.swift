// Termios.swift: Linux's terminal settings as a guest sees them (sdk/ABI.md: asm-generic
// ioctl numbers and layouts). `struct termios` is 36 bytes: c_iflag, c_oflag, c_cflag,
// c_lflag (u32 each), c_line (u8), c_cc[19]; `struct termios2` (TCGETS2) adds c_ispeed
// and c_ospeed (u32) for 44 bytes. Flag values are Linux's octal constants; a fresh
// `Termios()` is what Linux gives a new pty slave (`stty -a`: icrnl ixon opost onlcr
// cs8 cread isig icanon echo echoe echok echoctl echoke iexten, intr ^C quit ^\ erase ^?
// kill ^U eof ^D start ^Q stop ^S susp ^Z rprnt ^R discard ^O werase ^W lnext ^V,
// min 1 time 0, 38400 baud).

public struct Termios: Equatable, Sendable {
    public var iflag: UInt32
    public var oflag: UInt32
    public var cflag: UInt32
    public var lflag: UInt32
    public var line: UInt8 = 0
    public var cc: [UInt8]
    public var ispeed: UInt32 = 38400
    public var ospeed: UInt32 = 38400

    // c_iflag
    public static let IGNBRK: UInt32 = 0o1, BRKINT: UInt32 = 0o2, IGNPAR: UInt32 = 0o4, PARMRK: UInt32 = 0o10
    public static let INPCK: UInt32 = 0o20, ISTRIP: UInt32 = 0o40, INLCR: UInt32 = 0o100, IGNCR: UInt32 = 0o200
    public static let ICRNL: UInt32 = 0o400, IUCLC: UInt32 = 0o1000, IXON: UInt32 = 0o2000, IXANY: UInt32 = 0o4000
    public static let IXOFF: UInt32 = 0o10000, IMAXBEL: UInt32 = 0o20000, IUTF8: UInt32 = 0o40000
    // c_oflag
    public static let OPOST: UInt32 = 0o1, OLCUC: UInt32 = 0o2, ONLCR: UInt32 = 0o4, OCRNL: UInt32 = 0o10
    public static let ONOCR: UInt32 = 0o20, ONLRET: UInt32 = 0o40, TABDLY: UInt32 = 0o14000, XTABS: UInt32 = 0o14000
    // c_cflag
    public static let CBAUD: UInt32 = 0o10017, B38400: UInt32 = 0o17, CSIZE: UInt32 = 0o60, CS8: UInt32 = 0o60
    public static let CREAD: UInt32 = 0o200, HUPCL: UInt32 = 0o2000, CLOCAL: UInt32 = 0o4000
    // c_lflag
    public static let ISIG: UInt32 = 0o1, ICANON: UInt32 = 0o2, ECHO: UInt32 = 0o10, ECHOE: UInt32 = 0o20
    public static let ECHOK: UInt32 = 0o40, ECHONL: UInt32 = 0o100, NOFLSH: UInt32 = 0o200, TOSTOP: UInt32 = 0o400
    public static let ECHOCTL: UInt32 = 0o1000, ECHOPRT: UInt32 = 0o2000, ECHOKE: UInt32 = 0o4000
    public static let FLUSHO: UInt32 = 0o10000, PENDIN: UInt32 = 0o40000, IEXTEN: UInt32 = 0o100000
    // c_cc indices
    public static let VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSWTC = 7
    public static let VSTART = 8, VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12, VDISCARD = 13
    public static let VWERASE = 14, VLNEXT = 15, VEOL2 = 16
    public static let NCCS = 19
    /// `struct termios` and `struct termios2` sizes.
    public static let size = 36, size2 = 44
    /// Linux's "disabled" control character value.
    public static let disabled: UInt8 = 0

    public init() {
        iflag = Termios.ICRNL | Termios.IXON
        oflag = Termios.OPOST | Termios.ONLCR
        cflag = Termios.B38400 | Termios.CS8 | Termios.CREAD
        lflag = Termios.ISIG | Termios.ICANON | Termios.ECHO | Termios.ECHOE | Termios.ECHOK
            | Termios.ECHOCTL | Termios.ECHOKE | Termios.IEXTEN
        cc = [UInt8](repeating: 0, count: Termios.NCCS)
        cc[Termios.VINTR] = 0x03; cc[Termios.VQUIT] = 0x1c; cc[Termios.VERASE] = 0x7f; cc[Termios.VKILL] = 0x15
        cc[Termios.VEOF] = 0x04; cc[Termios.VTIME] = 0; cc[Termios.VMIN] = 1; cc[Termios.VSTART] = 0x11
        cc[Termios.VSTOP] = 0x13; cc[Termios.VSUSP] = 0x1a; cc[Termios.VREPRINT] = 0x12
        cc[Termios.VDISCARD] = 0x0f; cc[Termios.VWERASE] = 0x17; cc[Termios.VLNEXT] = 0x16
    }

    @inline(__always) public func has(i: UInt32) -> Bool { iflag & i != 0 }
    @inline(__always) public func has(o: UInt32) -> Bool { oflag & o != 0 }
    @inline(__always) public func has(l: UInt32) -> Bool { lflag & l != 0 }
    /// Whether `c` is the (enabled) control character at index `i`.
    @inline(__always) public func isChar(_ c: UInt8, _ i: Int) -> Bool { cc[i] != Termios.disabled && cc[i] == c }

    public var canonical: Bool { has(l: Termios.ICANON) }
    public var vmin: Int { Int(cc[Termios.VMIN]) }
    /// VTIME in nanoseconds (the field counts tenths of a second).
    public var vtimeNanos: UInt64 { UInt64(cc[Termios.VTIME]) * 100_000_000 }

    /// The guest's bytes: `struct termios` (36) or, with `version2`, `struct termios2` (44).
    public func encode(version2: Bool = false) -> [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(Termios.size2)
        func put(_ v: UInt32) { for i in 0..<4 { b.append(UInt8((v >> (8 * UInt32(i))) & 0xff)) } }
        put(iflag); put(oflag); put(cflag); put(lflag)
        b.append(line)
        b.append(contentsOf: cc)
        if version2 { put(ispeed); put(ospeed) }
        return b
    }

    /// Parses what `encode` writes; nil when `bytes` is too short.
    public init?(decoding bytes: [UInt8], version2: Bool = false) {
        guard bytes.count >= (version2 ? Termios.size2 : Termios.size) else { return nil }
        func word(_ o: Int) -> UInt32 {
            UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        iflag = word(0); oflag = word(4); cflag = word(8); lflag = word(12)
        line = bytes[16]
        cc = Array(bytes[17..<17 + Termios.NCCS])
        if version2 {
            ispeed = word(36); ospeed = word(40)
        } else {
            // The speed is in c_cflag (CBAUD); B38400 is the only one a pty reports.
            ispeed = 38400; ospeed = 38400
        }
    }
}

/// `struct winsize`: rows, columns, and pixel sizes (u16 each).
public struct WindowSize: Equatable, Sendable {
    public var rows: UInt16
    public var cols: UInt16
    public var xpixel: UInt16 = 0
    public var ypixel: UInt16 = 0
    public init(rows: UInt16, cols: UInt16, xpixel: UInt16 = 0, ypixel: UInt16 = 0) {
        self.rows = rows; self.cols = cols; self.xpixel = xpixel; self.ypixel = ypixel
    }
    public func encode() -> [UInt8] {
        [rows, cols, xpixel, ypixel].flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
    }
    public init?(decoding b: [UInt8]) {
        guard b.count >= 8 else { return nil }
        func half(_ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
        rows = half(0); cols = half(2); xpixel = half(4); ypixel = half(6)
    }
}

/// The terminal ioctl numbers (asm-generic).
public enum TerminalIoctl {
    public static let TCGETS: UInt32 = 0x5401, TCSETS: UInt32 = 0x5402, TCSETSW: UInt32 = 0x5403, TCSETSF: UInt32 = 0x5404
    public static let TCSBRK: UInt32 = 0x5409, TCXONC: UInt32 = 0x540A, TCFLSH: UInt32 = 0x540B
    public static let TIOCEXCL: UInt32 = 0x540C, TIOCNXCL: UInt32 = 0x540D, TIOCSCTTY: UInt32 = 0x540E
    public static let TIOCGPGRP: UInt32 = 0x540F, TIOCSPGRP: UInt32 = 0x5410, TIOCOUTQ: UInt32 = 0x5411
    public static let TIOCSTI: UInt32 = 0x5412, TIOCGWINSZ: UInt32 = 0x5413, TIOCSWINSZ: UInt32 = 0x5414
    public static let FIONREAD: UInt32 = 0x541B, TIOCNOTTY: UInt32 = 0x5422, TIOCSETD: UInt32 = 0x5423
    public static let TIOCGETD: UInt32 = 0x5424, TCSBRKP: UInt32 = 0x5425, TIOCGSID: UInt32 = 0x5429
    public static let TCGETS2: UInt32 = 0x802C_542A, TCSETS2: UInt32 = 0x402C_542B
    public static let TCSETSW2: UInt32 = 0x402C_542C, TCSETSF2: UInt32 = 0x402C_542D
    public static let TIOCGPTN: UInt32 = 0x8004_5430
}
