// LineDiscipline.swift: what sits between a terminal's keyboard and the programs reading
// it, Linux's N_TTY semantics for the termios subset real programs use. Pure state, no
// I/O: `input` takes what the user typed and returns what must be echoed and which
// signals the foreground process group must get; `read` hands out what a reader may
// have; `output` applies output processing to what programs write. PseudoTerminal owns
// one and does the waiting, queueing and signalling, so every rule here is testable by
// feeding bytes in and looking at bytes out.
//
// Input, in Linux's order: ISTRIP; a pending VLNEXT takes the byte literally; IXON
// swallows VSTOP/VSTART (and stops/restarts output); ISIG turns VINTR/VQUIT/VSUSP into
// SIGINT/SIGQUIT/SIGTSTP (flushing both queues unless NOFLSH) and echoes them as ^C;
// IGNCR/ICRNL/INLCR map CR and NL; in canonical mode VERASE, VKILL, VWERASE (IEXTEN),
// VLNEXT (IEXTEN), VREPRINT (IEXTEN) edit the line, and NL, VEOL, VEOL2 and VEOF end it.
// A line ended by VEOF carries no terminator; an empty one is an end of file for one
// read. Control characters echo as ^X with ECHOCTL (TAB never does, nor a NL ending a
// line, nor in raw mode a NL made from CR by ICRNL), erase echoes
// "\b \b" with ECHOE (two of them for a ^X, the tab's width for a tab, from the column
// the line started at), VKILL erases visually with ECHOKE and otherwise echoes ^U and,
// with ECHOK, a newline. A control character value of 0 is disabled, as on Linux.
//
// Echoes go through output processing like written bytes (OPOST: ONLCR, OCRNL, ONOCR,
// ONLRET, XTABS, OLCUC) and keep the output column, which tab erasure needs.
//
// Buffering follows Linux's 4095-byte input buffer: non-canonical input stops being
// taken when it is full; canonical input stops being taken while completed lines fill
// it, and a line being edited that fills it drops further ordinary characters (line
// ends, erase and signal characters still work). `input` returns how many bytes it took,
// so the writer of the master side keeps the rest, as a pty master's write blocks.

public struct LineDiscipline {
    public private(set) var termios = Termios()
    /// Canonical mode: completed lines, oldest first.
    private var lines: [[UInt8]] = []
    /// Bytes of `lines[0]` already read.
    private var lineOffset = 0
    /// Canonical mode: the line being edited.
    private var edit: [UInt8] = []
    /// Non-canonical input.
    private var raw: [UInt8] = []
    private var rawHead = 0
    /// VLNEXT was typed: the next byte is taken literally.
    private var literalNext = false
    /// Output column (for tab erasure), and where the line being edited started.
    public private(set) var column = 0
    private var lineStartColumn = 0
    /// VSTOP (or TCOOFF) stopped output; VSTART (TCOON) restarts it.
    public var outputStopped = false

    public static let bufferLimit = 4095

    public init(termios: Termios = Termios()) { self.termios = termios }

    /// What one `input` call did.
    public struct Effect: Equatable {
        /// Bytes to send to the terminal (echo, after output processing).
        public var echo: [UInt8] = []
        /// Signals for the foreground process group, in order.
        public var signals: [Int32] = []
        /// A signal character flushed the queues: output not yet sent must be discarded
        /// (the echo above comes after the flush).
        public var flushOutput = false
        /// How many input bytes were taken (the rest did not fit).
        public var consumed = 0
        public init() {}
    }

    // MARK: reading

    private var completedBytes: Int { lines.reduce(0) { $0 + $1.count } - lineOffset }
    private var rawCount: Int { raw.count - rawHead }

    /// FIONREAD: bytes a reader may take now (canonical mode: in completed lines).
    public var available: Int { termios.canonical ? completedBytes : rawCount }
    /// Canonical mode: a completed line (possibly an end of file) is waiting.
    public var hasLine: Bool { !lines.isEmpty }
    /// Bytes in the input buffer, including a line being edited.
    public var buffered: Int { completedBytes + edit.count + rawCount }

    /// Whether a read would return without waiting for input, poll's POLLIN: a line in
    /// canonical mode; otherwise at least VMIN bytes when VTIME is 0 and VMIN > 0, else
    /// at least one byte.
    public var readable: Bool {
        if termios.canonical { return hasLine }
        let vmin = termios.vmin
        return rawCount >= (termios.cc[Termios.VTIME] == 0 && vmin > 0 ? vmin : 1)
    }

    /// Takes up to `max` bytes: in canonical mode from the first completed line only
    /// (an empty array is its end of file), otherwise from the queue. nil when nothing
    /// is there (canonical: no completed line).
    public mutating func read(max: Int) -> [UInt8]? {
        if termios.canonical {
            guard let first = lines.first else { return nil }
            let n = Swift.min(max, first.count - lineOffset)
            let out = Array(first[lineOffset..<lineOffset + n])
            lineOffset += n
            if lineOffset == first.count {
                lines.removeFirst()
                lineOffset = 0
            }
            return out
        }
        guard rawCount > 0 else { return nil }
        let n = Swift.min(max, rawCount)
        let out = Array(raw[rawHead..<rawHead + n])
        rawHead += n
        if rawHead == raw.count {
            raw.removeAll(keepingCapacity: true)
            rawHead = 0
        } else if rawHead > 4096 {
            raw.removeFirst(rawHead)
            rawHead = 0
        }
        return out
    }

    /// TCFLSH(TCIFLUSH), TCSETSF, a signal character without NOFLSH.
    public mutating func flushInput() {
        lines = []
        lineOffset = 0
        edit = []
        raw = []
        rawHead = 0
        literalNext = false
    }

    /// TCSETS: new settings. Leaving canonical mode makes everything typed so far
    /// readable (a line being edited included); entering it makes pending raw input one
    /// completed line.
    public mutating func setTermios(_ new: Termios) {
        let wasCanonical = termios.canonical
        termios = new
        if wasCanonical && !new.canonical {
            var bytes: [UInt8] = []
            if let first = lines.first { bytes += first[lineOffset...] }
            for l in lines.dropFirst() { bytes += l }
            bytes += edit
            raw = Array(raw[rawHead...]) + bytes
            rawHead = 0
            lines = []
            lineOffset = 0
            edit = []
        } else if !wasCanonical && new.canonical && rawCount > 0 {
            lines.append(Array(raw[rawHead...]))
            raw = []
            rawHead = 0
        }
        literalNext = false
    }

    // MARK: input

    /// Processes what the user typed.
    public mutating func input(_ bytes: [UInt8]) -> Effect {
        var fx = Effect()
        for b in bytes {
            if termios.canonical ? completedBytes >= LineDiscipline.bufferLimit
                                 : rawCount >= LineDiscipline.bufferLimit { break }
            fx.consumed += 1
            receive(b, &fx)
        }
        return fx
    }

    private static func isControl(_ c: UInt8) -> Bool { c < 0x20 || c == 0x7f }

    private mutating func receive(_ byte: UInt8, _ fx: inout Effect) {
        let t = termios
        var c = byte
        if t.has(i: Termios.ISTRIP) { c &= 0x7f }
        if literalNext {
            literalNext = false
            ordinary(c, &fx)
            return
        }
        if t.has(i: Termios.IXON) {
            if t.isChar(c, Termios.VSTOP) { outputStopped = true; return }
            if t.isChar(c, Termios.VSTART) { outputStopped = false; return }
            if t.has(i: Termios.IXANY) { outputStopped = false }
        }
        if t.has(l: Termios.ISIG) {
            var sig: Int32 = 0
            if t.isChar(c, Termios.VINTR) { sig = Signal.SIGINT }
            else if t.isChar(c, Termios.VQUIT) { sig = Signal.SIGQUIT }
            else if t.isChar(c, Termios.VSUSP) { sig = Signal.SIGTSTP }
            if sig != 0 {
                fx.signals.append(sig)
                if !t.has(l: Termios.NOFLSH) {
                    flushInput()
                    fx.flushOutput = true
                    fx.echo = []
                }
                if t.has(i: Termios.IXON) { outputStopped = false }
                if t.has(l: Termios.ECHO) { echoChar(c, &fx) }
                return
            }
        }
        let wasCR = c == 0x0d
        if c == 0x0d {
            if t.has(i: Termios.IGNCR) { return }
            if t.has(i: Termios.ICRNL) { c = 0x0a }
        } else if c == 0x0a && t.has(i: Termios.INLCR) {
            c = 0x0d
        }
        if t.canonical {
            let extended = t.has(l: Termios.IEXTEN)
            if t.isChar(c, Termios.VERASE) { erase(.char, &fx); return }
            if t.isChar(c, Termios.VKILL) { erase(.line, &fx); return }
            if extended && t.isChar(c, Termios.VWERASE) { erase(.word, &fx); return }
            if extended && t.isChar(c, Termios.VLNEXT) {
                literalNext = true
                if t.has(l: Termios.ECHO) && t.has(l: Termios.ECHOCTL) {
                    if edit.isEmpty { lineStartColumn = column }
                    emit([0x5e, 0x08], &fx)   // "^\b": the next character overwrites it
                }
                return
            }
            if extended && t.isChar(c, Termios.VREPRINT) {
                if t.has(l: Termios.ECHO) {
                    echoChar(c, &fx)
                    emit([0x0a], &fx)
                    lineStartColumn = column
                    for e in edit { echoChar(e, &fx) }
                }
                return
            }
            if c == 0x0a {
                if t.has(l: Termios.ECHO) || t.has(l: Termios.ECHONL) { emit([0x0a], &fx) }
                finishLine(with: c)
                return
            }
            if t.isChar(c, Termios.VEOF) {
                finishLine(with: nil)
                return
            }
            if t.isChar(c, Termios.VEOL) || t.isChar(c, Termios.VEOL2) {
                if t.has(l: Termios.ECHO) {
                    if edit.isEmpty { lineStartColumn = column }
                    echoChar(c, &fx)
                }
                finishLine(with: c)
                return
            }
        }
        ordinary(c, &fx, plainNewline: wasCR)
    }

    /// A byte that is data: echoed and queued (canonical: dropped when the line is full).
    /// Non-canonical echo shows a typed NL as ^J (with ECHOCTL) but a CR that ICRNL made
    /// a NL as a newline, as Linux does (only the CR goes through its special path).
    private mutating func ordinary(_ c: UInt8, _ fx: inout Effect, plainNewline: Bool = false) {
        if termios.canonical {
            if completedBytes + edit.count >= LineDiscipline.bufferLimit { return }
            if termios.has(l: Termios.ECHO) {
                if edit.isEmpty { lineStartColumn = column }
                echoChar(c, &fx)
            }
            edit.append(c)
        } else {
            if termios.has(l: Termios.ECHO) {
                if c == 0x0a && plainNewline { emit([0x0a], &fx) } else { echoChar(c, &fx) }
            }
            raw.append(c)
        }
    }

    private mutating func finishLine(with terminator: UInt8?) {
        if let terminator { edit.append(terminator) }
        lines.append(edit)
        edit = []
    }

    /// Echoes `c`, as ^X for a control character with ECHOCTL (TAB excepted; a line's
    /// NL never comes here).
    private mutating func echoChar(_ c: UInt8, _ fx: inout Effect) {
        if termios.has(l: Termios.ECHOCTL) && LineDiscipline.isControl(c) && c != 0x09 {
            emit([0x5e, c ^ 0x40], &fx)
        } else {
            emit([c], &fx)
        }
    }

    private mutating func emit(_ bytes: [UInt8], _ fx: inout Effect) {
        fx.echo += output(bytes)
    }

    // MARK: erasing

    private enum EraseKind { case char, word, line }

    private func isContinuation(_ c: UInt8) -> Bool {
        termios.has(i: Termios.IUTF8) && c & 0xc0 == 0x80
    }

    /// Columns the echo of `c` took, given the column it started at.
    private func width(_ c: UInt8, at col: Int) -> Int {
        if c == 0x09 { return 8 - (col & 7) }
        if LineDiscipline.isControl(c) { return termios.has(l: Termios.ECHOCTL) ? 2 : 0 }
        return isContinuation(c) ? 0 : 1
    }

    /// Removes the last character of the line being edited (with IUTF8, a whole UTF-8
    /// sequence) and returns its first byte.
    private mutating func removeLastChar() -> UInt8 {
        var c = edit.removeLast()
        while isContinuation(c), let prev = edit.last {
            edit.removeLast()
            c = prev
            if !isContinuation(prev) { break }
        }
        return c
    }

    private mutating func erase(_ kind: EraseKind, _ fx: inout Effect) {
        let t = termios
        if edit.isEmpty { return }
        let echo = t.has(l: Termios.ECHO)
        if !echo {
            switch kind {
            case .char: _ = removeLastChar()
            case .line: edit = []
            case .word: eraseWord(visual: false, &fx)
            }
            return
        }
        switch kind {
        case .char where !t.has(l: Termios.ECHOE):
            _ = removeLastChar()
            echoChar(t.cc[Termios.VERASE], &fx)
        case .line where !(t.has(l: Termios.ECHOE) && t.has(l: Termios.ECHOK) && t.has(l: Termios.ECHOKE)):
            edit = []
            echoChar(t.cc[Termios.VKILL], &fx)
            if t.has(l: Termios.ECHOK) { emit([0x0a], &fx) }
        case .char:
            visualErase(removeLastChar(), &fx)
        case .line:
            while !edit.isEmpty { visualErase(removeLastChar(), &fx) }
        case .word:
            eraseWord(visual: true, &fx)
        }
    }

    /// VWERASE: back over non-word characters, then over the word (letters, digits, _).
    private mutating func eraseWord(visual: Bool, _ fx: inout Effect) {
        var seenWord = false
        while let last = edit.last {
            let isWord = last == 0x5f || (last >= 0x30 && last <= 0x39) || ((last | 0x20) >= 0x61 && (last | 0x20) <= 0x7a)
            if isWord { seenWord = true } else if seenWord { break }
            let c = removeLastChar()
            if visual { visualErase(c, &fx) }
        }
    }

    /// Rubs out the echo of `c`, just removed from the end of the line.
    private mutating func visualErase(_ c: UInt8, _ fx: inout Effect) {
        if c == 0x09 {
            // The tab started where the rest of the line ends.
            var col = lineStartColumn
            for e in edit { col += width(e, at: col) }
            emit([UInt8](repeating: 0x08, count: width(0x09, at: col)), &fx)
        } else if LineDiscipline.isControl(c) {
            if termios.has(l: Termios.ECHOCTL) { emit([0x08, 0x20, 0x08, 0x08, 0x20, 0x08], &fx) }
        } else {
            emit([0x08, 0x20, 0x08], &fx)
        }
    }

    // MARK: output

    /// Output processing of what a program writes (and of echoes): OPOST with ONLCR,
    /// OCRNL, ONOCR, ONLRET, OLCUC and XTABS; keeps the column.
    public mutating func output(_ bytes: [UInt8]) -> [UInt8] {
        let t = termios
        guard t.has(o: Termios.OPOST) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        for b in bytes {
            var c = b
            switch c {
            case 0x0a:
                if t.has(o: Termios.ONLRET) { column = 0 }
                if t.has(o: Termios.ONLCR) {
                    column = 0
                    out.append(0x0d)
                }
                out.append(c)
            case 0x0d:
                if t.has(o: Termios.ONOCR) && column == 0 { continue }
                if t.has(o: Termios.OCRNL) {
                    c = 0x0a
                    if t.has(o: Termios.ONLRET) { column = 0 }
                } else {
                    column = 0
                }
                out.append(c)
            case 0x09:
                let spaces = 8 - (column & 7)
                column += spaces
                if t.oflag & Termios.TABDLY == Termios.XTABS {
                    out.append(contentsOf: repeatElement(0x20, count: spaces))
                } else {
                    out.append(c)
                }
            case 0x08:
                if column > 0 { column -= 1 }
                out.append(c)
            default:
                if !LineDiscipline.isControl(c) {
                    if t.has(o: Termios.OLCUC) && c >= 0x61 && c <= 0x7a { c -= 0x20 }
                    if !isContinuation(c) { column += 1 }
                }
                out.append(c)
            }
        }
        return out
    }
}
