// TerminalTests.swift: the line discipline (pure: bytes in, echo and data out), the
// kernel's pseudo-terminal through the syscall handlers, and a real guest
// (Tests/GuestCorpus/tty_session.c, built with kandelo-cc) run on the pty by a kernel
// with runners while the test types at the master side. The expected echoes and the
// session transcript are what a Linux pty gives for the same keystrokes (observed with a
// host pty: write to the master, read the master and the slave).
#if canImport(Glibc)
import Glibc
#endif
import struct Foundation.URL
import struct Foundation.Data
import struct Foundation.Date
import class Foundation.FileManager
import func Foundation.NSTemporaryDirectory
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Feeds `typed` and collects the echo and every read until nothing is left.
private func run(_ typed: String, _ setup: (inout Termios) -> Void = { _ in }) -> (echo: String, reads: [String], fx: LineDiscipline.Effect) {
    var t = Termios()
    setup(&t)
    var d = LineDiscipline(termios: t)
    let fx = d.input(b(typed))
    var reads: [String] = []
    while let r = d.read(max: 4096) {
        reads.append(String(decoding: r, as: UTF8.self))
        if reads.count > 20 { break }
    }
    return (String(decoding: fx.echo, as: UTF8.self), reads, fx)
}

@Suite struct TerminalTests {
    @Test func defaultsAreAFreshLinuxPty() {
        let t = Termios()
        #expect(t.iflag == 0o2400)
        #expect(t.oflag == 0o5)
        #expect(t.cflag == 0o277)
        #expect(t.lflag == 0o105073)
        #expect(t.cc == [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0])
        let bytes = t.encode()
        #expect(bytes.count == 36)
        #expect(Array(bytes[0..<4]) == [0x00, 0x05, 0, 0])   // 0o2400 little-endian
        #expect(bytes[16] == 0)                               // c_line
        #expect(bytes[17] == 3 && bytes[18] == 28 && bytes[23] == 1)   // VINTR, VQUIT, VMIN
        #expect(Termios(decoding: bytes) == t)
        let two = t.encode(version2: true)
        #expect(two.count == 44)
        #expect(Array(two[36..<40]) == [0x00, 0x96, 0, 0])    // 38400
        #expect(Termios(decoding: two, version2: true) == t)
        #expect(Termios(decoding: Array(bytes[0..<35])) == nil)
    }

    @Test func canonicalEditing() {
        // erase, a tab, erasing the tab back to where it started
        let r = run("ab\u{7f}c\tx\u{7f}\u{7f}\n")
        #expect(r.echo == "ab\u{8} \u{8}c\tx\u{8} \u{8}" + String(repeating: "\u{8}", count: 6) + "\r\n")
        #expect(r.reads == ["ac\n"])
        let tab = run("abc\tde\u{7f}\u{7f}\u{7f}\n")
        #expect(tab.echo == "abc\tde\u{8} \u{8}\u{8} \u{8}" + String(repeating: "\u{8}", count: 5) + "\r\n")
        #expect(tab.reads == ["abc\n"])
        let tabs = run("\tab\t\u{7f}\u{7f}\n")
        #expect(tabs.echo == "\tab\t" + String(repeating: "\u{8}", count: 6) + "\u{8} \u{8}\r\n")
        #expect(tabs.reads == ["\ta\n"])
        // a control character echoes as ^A and takes two erasures on screen
        #expect(run("a\u{1}\u{7f}\u{7f}").echo == "a^A\u{8} \u{8}\u{8} \u{8}\u{8} \u{8}")
        // erasing at the start of a line echoes nothing
        #expect(run("\u{7f}\u{7f}a\n").echo == "a\r\n")
    }

    @Test func wordAndLineErase() {
        let w = run("foo-bar--\u{17}x\n")
        #expect(w.echo == "foo-bar--" + String(repeating: "\u{8} \u{8}", count: 5) + "x\r\n")
        #expect(w.reads == ["foo-x\n"])
        let k = run("abc\u{15}d\n")
        #expect(k.echo == "abc" + String(repeating: "\u{8} \u{8}", count: 3) + "d\r\n")
        #expect(k.reads == ["d\n"])
        let noKE = run("abc\u{15}d\n") { $0.lflag &= ~Termios.ECHOKE }
        #expect(noKE.echo == "abc^U\r\nd\r\n")
        #expect(noKE.reads == ["d\n"])
        let noE = run("abc\u{7f}d\n") { $0.lflag &= ~Termios.ECHOE }
        #expect(noE.echo == "abc^?d\r\n")
        #expect(noE.reads == ["abd\n"])
        let noCtl = run("a\u{1}\u{7f}\u{7f}b\n") { $0.lflag &= ~Termios.ECHOCTL }
        #expect(noCtl.echo == "a\u{1}\u{8} \u{8}b\r\n")
        #expect(noCtl.reads == ["b\n"])
    }

    @Test func endOfFileLiteralNextReprint() {
        let eof = run("ab\u{4}\u{4}cd\n")
        #expect(eof.echo == "abcd\r\n")
        #expect(eof.reads == ["ab", "", "cd\n"])
        let lnext = run("a\u{16}\u{3}b\n")
        #expect(lnext.echo == "a^\u{8}^Cb\r\n")
        #expect(lnext.reads == ["a\u{3}b\n"])
        #expect(lnext.fx.signals.isEmpty)
        let reprint = run("ab\u{12}c\n")
        #expect(reprint.echo == "ab^R\r\nabc\r\n")
        #expect(reprint.reads == ["abc\n"])
        // NUL is data (a disabled VEOL never matches)
        let nul = run("a\u{0}b\n")
        #expect(nul.echo == "a^@b\r\n")
        #expect(nul.reads == ["a\u{0}b\n"])
        // VEOL ends a line and stays in it
        let eol = run("ab;cd") { $0.cc[Termios.VEOL] = 0x3b }
        #expect(eol.reads == ["ab;"])
    }

    @Test func signalCharacters() {
        let intr = run("abc\u{3}d\n")
        #expect(intr.fx.signals == [Signal.SIGINT])
        #expect(intr.fx.flushOutput)
        #expect(intr.echo == "^Cd\r\n", "the flush discards the echo before it")
        #expect(intr.reads == ["d\n"])
        let noflsh = run("abc\u{3}d\n") { $0.lflag |= Termios.NOFLSH }
        #expect(noflsh.echo == "abc^Cd\r\n")
        #expect(noflsh.reads == ["abcd\n"])
        #expect(!noflsh.fx.flushOutput)
        #expect(run("\u{1c}").fx.signals == [Signal.SIGQUIT])
        #expect(run("\u{1c}").echo == "^\\")
        #expect(run("\u{1a}").fx.signals == [Signal.SIGTSTP])
        #expect(run("\u{1a}").echo == "^Z")
        let off = run("a\u{3}\n") { $0.lflag &= ~Termios.ISIG }
        #expect(off.fx.signals.isEmpty)
        #expect(off.reads == ["a\u{3}\n"])
        // raw mode keeps ISIG
        #expect(run("\u{3}") { $0.lflag &= ~Termios.ICANON }.fx.signals == [Signal.SIGINT])
    }

    @Test func inputMapping() {
        let noICRNL = run("ab\rcd\n") { $0.iflag &= ~Termios.ICRNL }
        #expect(noICRNL.echo == "ab^Mcd\r\n")
        #expect(noICRNL.reads == ["ab\rcd\n"])
        let igncr = run("ab\rcd\n") { $0.iflag |= Termios.IGNCR }
        #expect(igncr.echo == "abcd\r\n")
        #expect(igncr.reads == ["abcd\n"])
        let inlcr = run("ab\ncd\r") { $0.iflag |= Termios.INLCR; $0.iflag &= ~Termios.ICRNL }
        #expect(inlcr.echo == "ab^Mcd^M")
        #expect(inlcr.reads.isEmpty)
        let strip = run("\u{e1}\n") { $0.iflag |= Termios.ISTRIP }   // 0xc3 0xa1 -> 0x43 0x21
        #expect(strip.reads == ["C!\n"])
        let echonl = run("ab\ncd\n") { $0.lflag &= ~Termios.ECHO; $0.lflag |= Termios.ECHONL }
        #expect(echonl.echo == "\r\n\r\n")
        #expect(echonl.reads == ["ab\n", "cd\n"])
        // IXON: ^S and ^Q are not data and not echoed; they stop and restart output
        var d = LineDiscipline()
        let fx = d.input(b("a\u{13}b"))
        #expect(d.outputStopped)
        _ = d.input(b("\u{11}c\n"))
        #expect(!d.outputStopped)
        #expect(fx.echo == b("ab"))
        #expect(d.read(max: 100) == b("abc\n"))
        // IUTF8: one erase removes a whole character
        #expect(run("\u{e9}\u{7f}\n") { $0.iflag |= Termios.IUTF8 }.reads == ["\n"])
        #expect(run("\u{e9}\u{7f}\n").reads.map { Array($0.utf8) } == [[0xef, 0xbf, 0xbd, 0x0a]],
                "without IUTF8 only the last byte goes (0xc3 alone decodes as U+FFFD)")
        #expect(run("\u{e9}\u{7f}\n") { $0.iflag |= Termios.IUTF8 }.echo == "\u{e9}\u{8} \u{8}\r\n")
    }

    @Test func rawMode() {
        // A typed NL echoes as ^J; a CR turned into NL by ICRNL echoes as a newline.
        let r = run("a\nb\r\u{1}") { $0.lflag &= ~Termios.ICANON }
        #expect(r.echo == "a^Jb\r\n^A")
        #expect(r.reads == ["a\nb\n\u{1}"])
        // No line editing: erase and EOF are data.
        let raw = run("ab\u{7f}\u{4}") { $0.lflag &= ~(Termios.ICANON | Termios.ECHO) }
        #expect(raw.echo == "")
        #expect(raw.reads == ["ab\u{7f}\u{4}"])
    }

    @Test func readableFollowsModeAndVMIN() {
        var t = Termios()
        var d = LineDiscipline(termios: t)
        _ = d.input(b("partial"))
        #expect(!d.readable && d.available == 0 && d.buffered == 7)
        #expect(d.read(max: 10) == nil)
        // Leaving canonical mode makes the partial line readable.
        t.lflag &= ~Termios.ICANON
        t.cc[Termios.VMIN] = 10
        d.setTermios(t)
        #expect(d.available == 7)
        #expect(!d.readable, "VMIN 10 with VTIME 0: poll waits for 10 bytes")
        _ = d.input(b("abc"))
        #expect(d.readable)
        #expect(d.read(max: 4) == b("part"))
        // Back to canonical: what is pending becomes a completed line.
        t.lflag |= Termios.ICANON
        d.setTermios(t)
        #expect(d.hasLine && d.available == 6)
        #expect(d.read(max: 100) == b("ialabc"))
        // A short read leaves the rest of the line; one read never crosses a line end.
        _ = d.input(b("one\ntwo\n"))
        #expect(d.read(max: 2) == b("on"))
        #expect(d.read(max: 100) == b("e\n"))
        #expect(d.read(max: 100) == b("two\n"))
    }

    @Test func bufferLimits() {
        var t = Termios()
        t.lflag &= ~(Termios.ICANON | Termios.ECHO)
        var d = LineDiscipline(termios: t)
        let big = [UInt8](repeating: 0x61, count: 5000)
        #expect(d.input(big).consumed == 4095)
        #expect(d.read(max: 100)?.count == 100)
        #expect(d.input(big).consumed == 100)
        // Canonical: a line keeps 4095 characters plus its newline; the rest is dropped,
        // but the newline still ends it.
        var c = LineDiscipline()
        #expect(c.input(big).consumed == 5000)
        _ = c.input([0x0a])
        let line = c.read(max: 10000)
        #expect(line?.count == 4096)
        #expect(line?.last == 0x0a)
    }

    @Test func outputProcessing() {
        var d = LineDiscipline()
        #expect(d.output(b("a\nb")) == b("a\r\nb"))
        #expect(d.column == 1)
        var t = Termios()
        t.oflag |= Termios.XTABS
        d.setTermios(t)
        #expect(d.output(b("\rab\tc")) == b("\rab      c"))
        t.oflag = Termios.OPOST | Termios.OCRNL | Termios.ONOCR
        var fresh = LineDiscipline(termios: t)
        #expect(fresh.output(b("\r\rx\r")) == b("x\n"), "ONOCR drops a CR at column 0; OCRNL makes CR a NL")
        t.oflag = Termios.OPOST | Termios.OLCUC | Termios.ONLCR
        d.setTermios(t)
        #expect(d.output(b("hi\n")) == b("HI\r\n"))
        t.oflag = 0
        d.setTermios(t)
        #expect(d.output(b("a\nb")) == b("a\nb"))
    }
}

// MARK: the pty through syscalls

private extension Harness {
    /// A pty whose slave is fd 10 of the harness process, its session's terminal.
    func terminal() throws -> PseudoTerminal {
        kernel.processes[process.pid] = process
        let pty = PseudoTerminal(kernel: kernel, index: 4, owner: 1000)
        _ = try process.files.install(pty.openSlave(), at: 10, cloexec: false)
        try pty.makeControllingTerminal(of: process)
        return pty
    }

    func ioctl(_ fd: Int32, _ req: UInt32, _ arg: UInt32) -> Int32 {
        sys(__NR_ioctl, fd, Int32(bitPattern: req), Harness.a(arg))
    }

    func getattr(_ fd: Int32 = 10) -> Termios? {
        let buf = alloc(36)
        guard ioctl(fd, TerminalIoctl.TCGETS, buf) == 0 else { return nil }
        return Termios(decoding: read(buf, 36))
    }

    @discardableResult
    func setattr(_ t: Termios, _ req: UInt32 = TerminalIoctl.TCSETS, fd: Int32 = 10) -> Int32 {
        ioctl(fd, req, bytes(t.encode()))
    }

    /// Another process of the harness's session (sharing its descriptors), pid `pid`.
    func member(_ pid: Int32, pgid: Int32, ppid: Int32? = nil) -> (Process, GuestThread) {
        let p = Process(pid: pid, ppid: ppid ?? process.pid, cred: process.cred, files: process.files.copy(),
                        cwd: vfs.rootNode, root: vfs.rootNode, memory: memory, startTime: 0)
        p.pgid = pgid
        p.sid = process.sid
        let s = UnsafeMutablePointer<kch_slot>.allocate(capacity: 1)
        UnsafeMutableRawPointer(s).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<kch_slot>.size)
        let th = GuestThread(tid: pid, process: p, slot: s)
        p.threads = [th]
        kernel.processes[pid] = p
        if p.ppid == process.pid { process.children.append(pid) }
        return (p, th)
    }

    /// Runs handler `nr` on thread `th`.
    func call(_ th: GuestThread, _ nr: Int32, _ a: Int32...) -> Int32 {
        var args = a
        while args.count < 6 { args.append(0) }
        th.nr = nr
        th.inCall = true
        th.args = (args[0], args[1], args[2], args[3], args[4], args[5])
        defer { kernel.runCleanups(th) }
        do {
            return try handlers[nr]!(kernel, th)
        } catch {
            switch error {
            case .errno(let e): return -e.rawValue
            case .block: return -10_000
            case .suspended: return -10_001
            }
        }
    }

    func handle(_ p: Process, _ sig: Int32, flags: UInt32 = 0) {
        p.signals.actions[Int(sig)].handler = 5
        p.signals.actions[Int(sig)].flags = flags
    }
    func ignore(_ p: Process, _ sig: Int32) { p.signals.actions[Int(sig)].handler = 1 }
}

private let blocked: Int32 = -10_000

@Suite struct PseudoTerminalTests {
    @Test func canonicalReadAndEcho() throws {
        let h = try Harness()
        let pty = try h.terminal()
        let buf = h.alloc(64)
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == blocked)
        #expect(pty.input(b("hello wor\u{7f}\u{7f}\u{7f}\r")) == 13)
        #expect(pty.takeOutput() == b("hello wor\u{8} \u{8}\u{8} \u{8}\u{8} \u{8}\r\n"))
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == 7)
        #expect(h.read(buf, 7) == b("hello \n"))
        pty.input(b("x\u{4}"))
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == 1)
        pty.input(b("\u{4}"))
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == 0, "^D at the start of a line: end of file")
        // O_NONBLOCK
        let nb = h.alloc(4)
        h.store(nb, Int32(1))
        #expect(h.ioctl(10, 0x5421, nb) == 0)   // FIONBIO
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == err(.EAGAIN))
        // FIONREAD counts completed lines only
        pty.input(b("ab\ncd"))
        let n = h.alloc(4)
        #expect(h.ioctl(10, TerminalIoctl.FIONREAD, n) == 0)
        #expect(h.i32(n) == 3)
    }

    @Test func writeGoesThroughOutputProcessing() throws {
        let h = try Harness()
        let pty = try h.terminal()
        var ready = 0
        pty.onOutput = { ready += 1 }
        #expect(h.write(10, "one\ntwo\n") == 8)
        #expect(ready == 1)
        #expect(pty.takeOutput(max: 4) == b("one\r"))
        #expect(pty.takeOutput() == b("\ntwo\r\n"))
        #expect(pty.takeOutput().isEmpty)
        // Output fills up: writers wait for the master.
        let big = h.alloc(70000)
        #expect(h.sys(__NR_write, 10, Harness.a(big), 70000) == 65536)
        #expect(h.sys(__NR_write, 10, Harness.a(big), 10) == blocked)
        let pfd = h.alloc(8)
        h.store(pfd, Int32(10))
        h.store(pfd + 4, Int16(5))   // POLLIN | POLLOUT
        h.store(pfd + 6, Int16(0))
        let zero = h.alloc(16, fill: 0)
        #expect(h.sys(__NR_ppoll_time64, Harness.a(pfd), 1, Harness.a(zero), 0, 8) == 0)
        #expect(pty.takeOutput(max: 1000).count == 1000)
        #expect(h.sys(__NR_write, 10, Harness.a(big), 10) == 10)
        // ^S stops output for the master, ^Q restarts it.
        _ = pty.takeOutput()
        pty.input(b("\u{13}"))
        #expect(h.write(10, "held") == 4)
        #expect(pty.takeOutput().isEmpty)
        pty.input(b("\u{11}"))
        #expect(pty.takeOutput() == b("held"))
    }

    @Test func settingsAndRawReads() throws {
        let h = try Harness()
        let pty = try h.terminal()
        var t = try #require(h.getattr())
        #expect(t == Termios())
        let two = h.alloc(44)
        #expect(h.ioctl(10, TerminalIoctl.TCGETS2, two) == 0)
        #expect(Termios(decoding: h.read(two, 44), version2: true)?.ospeed == 38400)
        // cfmakeraw-like, VMIN 0 VTIME 0: a read never waits.
        t.lflag &= ~(Termios.ICANON | Termios.ECHO | Termios.ISIG | Termios.IEXTEN)
        t.iflag &= ~(Termios.ICRNL | Termios.IXON)
        t.oflag &= ~Termios.OPOST
        t.cc[Termios.VMIN] = 0
        t.cc[Termios.VTIME] = 0
        #expect(h.setattr(t) == 0)
        #expect(h.getattr() == t)
        let buf = h.alloc(64)
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == 0)
        pty.input(b("\u{3}x\r"))
        #expect(pty.takeOutput().isEmpty, "no echo")
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == 3)
        #expect(h.read(buf, 3) == b("\u{3}x\r"))
        #expect(h.write(10, "a\n") == 2)
        #expect(pty.takeOutput() == b("a\n"), "no OPOST")
        // VMIN 3: waits for three bytes (or fewer if the buffer is smaller).
        t.cc[Termios.VMIN] = 3
        h.setattr(t)
        pty.input(b("ab"))
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == blocked)
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 1) == 1)
        pty.input(b("cd"))
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == 3)
        #expect(h.read(buf, 3) == b("bcd"))
        // VMIN 0, VTIME 1: waits up to 0.1 s from the start of the call, then returns 0.
        t.cc[Termios.VMIN] = 0
        t.cc[Termios.VTIME] = 1
        h.setattr(t)
        h.thread.serial &+= 1
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == blocked)
        h.kernel.runCleanups(h.thread)
        usleep(120_000)
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == 0)
        // VMIN 2, VTIME 1: the timer runs from the last byte.
        t.cc[Termios.VMIN] = 2
        h.setattr(t)
        h.thread.serial &+= 1
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == blocked, "no byte yet: no timeout")
        pty.input(b("z"))
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == blocked)
        h.kernel.runCleanups(h.thread)
        usleep(120_000)
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == 1)
        // TCSETSF flushes pending input.
        t.cc[Termios.VMIN] = 1
        t.cc[Termios.VTIME] = 0
        pty.input(b("stale"))
        #expect(h.setattr(t, TerminalIoctl.TCSETSF) == 0)
        let n = h.alloc(4)
        #expect(h.ioctl(10, TerminalIoctl.FIONREAD, n) == 0 && h.i32(n) == 0)
        // Back to canonical mode: erase works again.
        h.setattr(Termios())
        pty.input(b("ab\u{7f}\n"))
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 64) == 2)
    }

    @Test func inputWaitsForReaders() throws {
        let h = try Harness()
        let pty = try h.terminal()
        var t = Termios()
        t.lflag &= ~(Termios.ICANON | Termios.ECHO)
        h.setattr(t)
        var space = 0
        pty.onInputSpace = { space += 1 }
        let big = [UInt8](repeating: 0x41, count: 5000)
        let taken = pty.input(big)
        #expect(taken == 4095)
        let buf = h.alloc(1000)
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 1000) == 1000)
        #expect(space == 1)
        #expect(pty.input(Array(big[taken...])) == 905)
    }

    @Test func windowSizeAndSignals() throws {
        let h = try Harness()
        let pty = try h.terminal()
        let ws = h.alloc(8)
        #expect(h.ioctl(10, TerminalIoctl.TIOCGWINSZ, ws) == 0)
        #expect(h.u16(ws) == 24 && h.u16(ws + 2) == 80)
        h.handle(h.process, Signal.SIGWINCH)
        h.handle(h.process, Signal.SIGINT)
        h.handle(h.process, Signal.SIGQUIT)
        pty.resize(WindowSize(rows: 50, cols: 132))
        #expect(h.process.signals.pending & Signal.bit(Signal.SIGWINCH) != 0)
        #expect(h.ioctl(10, TerminalIoctl.TIOCGWINSZ, ws) == 0)
        #expect(h.u16(ws) == 50 && h.u16(ws + 2) == 132)
        h.process.signals.pending = 0
        pty.resize(WindowSize(rows: 50, cols: 132))
        #expect(h.process.signals.pending == 0, "no change, no SIGWINCH")
        // TIOCSWINSZ from the guest
        let nws = h.bytes(WindowSize(rows: 10, cols: 20).encode())
        #expect(h.ioctl(10, TerminalIoctl.TIOCSWINSZ, nws) == 0)
        #expect(pty.windowSize == WindowSize(rows: 10, cols: 20))
        #expect(h.process.signals.pending & Signal.bit(Signal.SIGWINCH) != 0)
        // ^C and ^\ signal the foreground group, and their echo replaces pending output.
        #expect(h.write(10, "unsent") == 6)
        pty.input(b("\u{3}"))
        #expect(h.process.signals.pending & Signal.bit(Signal.SIGINT) != 0)
        #expect(pty.takeOutput() == b("^C"))
        pty.input(b("\u{1c}"))
        #expect(h.process.signals.pending & Signal.bit(Signal.SIGQUIT) != 0)
        // ^C with the default action ends the process.
        h.process.signals.actions[Int(Signal.SIGINT)] = SignalState.Action()
        pty.input(b("\u{3}"))
        #expect(h.process.state == .zombie)
        #expect(h.process.waitStatus == Signal.SIGINT)
    }

    @Test func sessionAndForegroundGroup() throws {
        let h = try Harness()
        let pty = try h.terminal()
        let v = h.alloc(4)
        #expect(h.ioctl(10, TerminalIoctl.TIOCGPGRP, v) == 0 && h.i32(v) == 7)
        #expect(h.ioctl(10, TerminalIoctl.TIOCGSID, v) == 0 && h.i32(v) == 7)
        h.store(v, Int32(99))
        #expect(h.ioctl(10, TerminalIoctl.TIOCSPGRP, v) == err(.ESRCH))
        h.store(v, Int32(-1))
        #expect(h.ioctl(10, TerminalIoctl.TIOCSPGRP, v) == err(.EINVAL))
        // A group of another session cannot be the foreground.
        let (other, _) = h.member(20, pgid: 20)
        other.sid = 20
        h.store(v, Int32(20))
        #expect(h.ioctl(10, TerminalIoctl.TIOCSPGRP, v) == err(.EPERM))
        let (_, _) = h.member(8, pgid: 8)
        h.store(v, Int32(8))
        #expect(h.ioctl(10, TerminalIoctl.TIOCSPGRP, v) == 0)
        #expect(pty.foreground == 8)
        // Now in the background (and orphaned: its parent is not there), the leader may
        // not change it.
        h.store(v, Int32(7))
        #expect(h.ioctl(10, TerminalIoctl.TIOCSPGRP, v) == err(.EIO))
        h.ignore(h.process, Signal.SIGTTOU)
        #expect(h.ioctl(10, TerminalIoctl.TIOCSPGRP, v) == 0, "SIGTTOU ignored: allowed")
        h.store(v, Int32(8))
        #expect(h.ioctl(10, TerminalIoctl.TIOCSPGRP, v) == 0)
        // Not the caller's controlling terminal: ENOTTY for the session ioctls.
        let pty2 = PseudoTerminal(kernel: h.kernel, index: 5)
        _ = try h.process.files.install(pty2.openSlave(), at: 11, cloexec: false)
        #expect(h.ioctl(11, TerminalIoctl.TIOCGPGRP, v) == err(.ENOTTY))
        #expect(h.ioctl(11, TerminalIoctl.TIOCGSID, v) == err(.ENOTTY))
        #expect(h.ioctl(11, TerminalIoctl.TIOCSCTTY, 0) == err(.EPERM), "already has a terminal")
        // /dev/tty is the controlling terminal.
        let fd = h.open("/dev/tty", O_RDWR)
        #expect(fd >= 0)
        let f = try h.process.files.get(fd)
        #expect((f as? TerminalFile)?.pty === pty)
        #expect(h.readlink("/proc/self/fd/\(fd)").1 == "/dev/pts/4")
        let st = h.alloc(256)
        #expect(h.sys(__NR_statx, fd, Harness.a(h.str("")), 0x1000, 0x7ff, Harness.a(st)) == 0)
        #expect(h.u16(st + 28) == 0o020620)
        #expect(h.u32(st + 128) == 136 && h.u32(st + 132) == 4, "rdev 136:4")
        // TIOCNOTTY by the leader: the session loses it; the foreground group hears of it.
        let (fg, _) = (h.kernel.processes[8]!, 0)
        h.handle(fg, Signal.SIGHUP)
        #expect(h.ioctl(10, TerminalIoctl.TIOCNOTTY, 0) == 0)
        #expect(fg.signals.pending & Signal.bit(Signal.SIGHUP) != 0)
        #expect(h.kernel.controllingTerminal(of: h.process) == nil)
        #expect(h.ioctl(10, TerminalIoctl.TIOCGPGRP, v) == err(.ENOTTY))
        // Any free terminal can be taken with TIOCSCTTY then.
        #expect(h.ioctl(11, TerminalIoctl.TIOCSCTTY, 0) == 0)
        #expect(h.kernel.controllingTerminal(of: h.process) === pty2)
        #expect(pty2.foreground == 7 && pty2.session == 7)
        // A process that is not a session leader cannot.
        h.kernel.processes[7]!.controllingTerminal = nil
        let (_, th9) = h.member(9, pgid: 7)
        #expect(h.call(th9, __NR_ioctl, 10, Int32(bitPattern: TerminalIoctl.TIOCSCTTY), 0) == err(.EPERM))
    }

    @Test func backgroundGroups() throws {
        let h = try Harness()
        let pty = try h.terminal()
        let (bg, th) = h.member(8, pgid: 8)
        let buf = h.alloc(16)
        pty.input(b("line\n"))
        // A background read stops the group with SIGTTIN and waits.
        #expect(h.call(th, __NR_read, 10, Harness.a(buf), 16) == blocked)
        #expect(bg.job.stopSignal == Signal.SIGTTIN)
        h.kernel.continueProcess(bg)
        // SIGTTIN ignored: EIO.
        h.ignore(bg, Signal.SIGTTIN)
        #expect(h.call(th, __NR_read, 10, Harness.a(buf), 16) == err(.EIO))
        // With a handler: EINTR, the signal pending; with SA_RESTART, a restart.
        h.handle(bg, Signal.SIGTTIN)
        #expect(h.call(th, __NR_read, 10, Harness.a(buf), 16) == err(.EINTR))
        #expect(bg.signals.pending & Signal.bit(Signal.SIGTTIN) != 0)
        bg.signals.pending = 0
        h.handle(bg, Signal.SIGTTIN, flags: Kernel.SA_RESTART)
        #expect(h.call(th, __NR_read, 10, Harness.a(buf), 16) == -512)
        bg.signals.pending = 0
        // Writes are allowed without TOSTOP, stop the group with it.
        #expect(h.call(th, __NR_write, 10, Harness.a(buf), 2) == 2)
        var t = Termios()
        t.lflag |= Termios.TOSTOP
        #expect(h.setattr(t) == 0)
        #expect(h.call(th, __NR_write, 10, Harness.a(buf), 2) == blocked)
        #expect(bg.job.stopSignal == Signal.SIGTTOU)
        h.kernel.continueProcess(bg)
        // SIGTTOU blocked: the write (and tcsetattr) go ahead.
        th.sigmask = Signal.bit(Signal.SIGTTOU)
        #expect(h.call(th, __NR_write, 10, Harness.a(buf), 2) == 2)
        let attr = h.bytes(Termios().encode())
        #expect(h.call(th, __NR_ioctl, 10, Int32(bitPattern: TerminalIoctl.TCSETS), Harness.a(attr)) == 0)
        th.sigmask = 0
        // tcsetpgrp from the background stops it too.
        let v = h.alloc(4)
        h.store(v, Int32(8))
        #expect(h.call(th, __NR_ioctl, 10, Int32(bitPattern: TerminalIoctl.TIOCSPGRP), Harness.a(v)) == blocked)
        #expect(bg.job.stopSignal == Signal.SIGTTOU)
        h.kernel.continueProcess(bg)
        // Once in the foreground, it reads.
        #expect(h.ioctl(10, TerminalIoctl.TIOCSPGRP, v) == 0)
        #expect(h.call(th, __NR_read, 10, Harness.a(buf), 16) == 5)
        #expect(h.read(buf, 5) == b("line\n"))
        // An orphaned background group gets EIO instead of a stop.
        let (orphan, oth) = h.member(30, pgid: 30, ppid: 99)
        #expect(h.call(oth, __NR_read, 10, Harness.a(buf), 16) == err(.EIO))
        #expect(!orphan.job.isStopped)
    }

    @Test func hangups() throws {
        let h = try Harness()
        let pty = try h.terminal()
        h.handle(h.process, Signal.SIGHUP)
        h.handle(h.process, Signal.SIGCONT)
        pty.input(b("unread\n"))
        pty.hangup()
        #expect(h.process.signals.pending & Signal.bit(Signal.SIGHUP) != 0)
        #expect(h.process.signals.pending & Signal.bit(Signal.SIGCONT) != 0)
        #expect(h.kernel.controllingTerminal(of: h.process) == nil)
        let buf = h.alloc(16)
        #expect(h.sys(__NR_read, 10, Harness.a(buf), 16) == 0)
        #expect(h.write(10, "x") == err(.EIO))
        #expect(h.ioctl(10, TerminalIoctl.TCGETS, buf) == err(.EIO))
        let f = try h.process.files.get(10)
        #expect(f.readiness(h.thread) & Events.hup != 0)
        #expect(throws: SyscallError.self) { try pty.makeControllingTerminal(of: h.process) }
    }

    @Test func sessionLeaderExitHangsUpTheForeground() throws {
        let h = try Harness()
        let pty = try h.terminal()
        let (fg, th) = h.member(8, pgid: 8)
        h.handle(fg, Signal.SIGHUP)
        let v = h.alloc(4)
        h.store(v, Int32(8))
        #expect(h.ioctl(10, TerminalIoctl.TIOCSPGRP, v) == 0)
        #expect(pty.openSlaves == 1, "one description, in both processes")
        h.kernel.exitProcess(h.process, waitStatus: 0)
        #expect(fg.signals.pending & Signal.bit(Signal.SIGHUP) != 0)
        #expect(pty.session == 0 && pty.foreground == 0)
        #expect(pty.openSlaves == 1, "still open in the member")
        let buf = h.alloc(8)
        #expect(h.call(th, __NR_read, 10, Harness.a(buf), 8) == 0, "hung up")
        // A new session may take the terminal.
        fg.sid = 8
        #expect(fg.pid == fg.sid)
        try pty.makeControllingTerminal(of: fg)
        #expect(h.kernel.controllingTerminal(of: fg) === pty)
    }
}

// MARK: a guest on the pty

@Suite(.serialized) struct GuestOnTerminalTests {
    static let repo: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }   // Tests/KernelTests/Terminal/this file
        return url.path
    }()

    /// tty_session.c on the kernel's pty, typed at like a user would: a line with
    /// erasures, raw input, ^Z for the foreground child, SIGTTIN for it in the background,
    /// a line for it in the foreground again, ^C. The transcript is a Linux pty's for the
    /// same keys (the native build under a host pty), but for the window size, which a
    /// fresh host pty reports as 0x0.
    @Test func shellLikeSession() throws {
        let fm = FileManager.default
        let dir = NSTemporaryDirectory() + "kandelo-tty-\(getpid())"
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        let wasm = dir + "/tty_session"
        let args = [Self.repo + "/sdk/bin/kandelo-cc", "-O1", "-w", "-o", wasm,
                    Self.repo + "/Tests/GuestCorpus/tty_session.c", "-lm"]
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        try #require(posix_spawn(&pid, args[0], nil, nil, argv, environ) == 0, "cannot run kandelo-cc")
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        try #require(status == 0, "kandelo-cc could not build tty_session.c (status \(status))")
        let runner = Kernel.defaultRunnerPath()
        try #require(access(runner, X_OK) == 0, "kandelo-runner is not built at \(runner)")
        let module = [UInt8](try Data(contentsOf: URL(fileURLWithPath: wasm)))

        let image = try SharedFS(size: 8 << 20, maxSize: 64 << 20)
        for d in ["/dev", "/proc", "/bin", "/tmp"] {
            let (parent, name) = try image.resolveParent(d)
            _ = try image.mkdir(parent, name, mode: 0o755, uid: 0, gid: 0)
        }
        let (bin, name) = try image.resolveParent("/bin/tty_session")
        let ino = try image.create(bin, name, mode: 0o755, uid: 0, gid: 0)
        _ = try image.write(ino, at: 0, module)
        let k = try Kernel(vfs: try VFS.standard(image: image))
        let pty = PseudoTerminal(kernel: k, index: 0)
        let slave = pty.openSlave()
        let p = try k.spawn(SpawnRequest(path: Array("/bin/tty_session".utf8), argv: [Array("tty_session".utf8)],
                                         envp: [], stdio: [slave, slave, slave]))
        try pty.makeControllingTerminal(of: p)

        var script: [(prompt: String, keys: String)] = [
            ("ready> ", "hello\u{7f}\u{7f}\u{7f}p!\r"), ("raw> ", "xyz"), ("child reading\r\n", "\u{1a}"),
            ("fg again\r\n", "fg line\r"), ("sleep> ", "\u{3}"),
        ]
        var transcript: [UInt8] = []
        // A timer keeps the loop turning, so the script runs while the guests wait.
        var ticking = true
        func tick() { _ = k.ring.timeout(nanoseconds: 2_000_000) { _ in if ticking { tick() } } }
        tick()
        let start = Date()
        k.run {
            transcript += pty.takeOutput()
            if let step = script.first, String(decoding: transcript, as: UTF8.self).contains(step.prompt) {
                script.removeFirst()
                #expect(pty.input(Array(step.keys.utf8)) == step.keys.utf8.count)
            }
            return p.state == .zombie || Date().timeIntervalSince(start) > 60
        }
        k.killAll()
        k.run { k.liveRunners == 0 }
        ticking = false
        let expected = "tty: pgrp in foreground 1, session leader 1, 24x80\r\n"
            + "ready> hello\u{8} \u{8}\u{8} \u{8}\u{8} \u{8}p!\r\nline [hep!] 5 bytes\r\n"
            + "raw> raw read 3 [xyz]\r\n"
            + "child reading\r\n^Zchild stopped by SIGTSTP\r\n"
            + "child stopped by SIGTTIN\r\n"
            + "fg again\r\nfg line\r\nchild got [fg line]\r\nchild exited 0\r\n"
            + "sleep> ^CSIGINT\r\n"
        #expect(String(decoding: transcript, as: UTF8.self) == expected)
        #expect(script.isEmpty)
        #expect(p.state == .zombie && p.waitStatus == 0)
        #expect(pty.session == 0, "the session leader exited: the terminal is free")
    }
}
