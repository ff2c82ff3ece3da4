// TerminalSession.swift: a guest run with a terminal (`kandelo-launch -t`). The kernel's
// PseudoTerminal (Kernel/Terminal) does everything a terminal does — line editing, echo,
// ^C/^Z/^\ to the foreground process group, termios, window size; this file only moves
// bytes between its master side and the client's real terminal, both ways through the
// kernel's io_uring:
//
//   client tty (input fd)  --read-->  pty.input()     (what pty.input could not take yet
//                                                       waits for onInputSpace)
//   pty.takeOutput()       --write--> client tty (output fd)
//
// The client has put its terminal in raw mode (Client.swift), so its host line discipline
// adds nothing. Closing hangs the pty up (SIGHUP to the session) and cancels the read still
// pending on the client's terminal, so the client's shell gets its next keystroke; our
// copies of the client's descriptors close once no operation of the Ring uses them (with
// the plain-syscall Ring, a descriptor number closed under a pending operation could be
// reused by anything).
#if canImport(Glibc)
import Glibc
#endif
import Kernel
import VFSImage

final class TerminalSession {
    let kernel: Kernel
    let pty: PseudoTerminal
    let inputFD: Int32
    let outputFD: Int32
    private var readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
    private var writeBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    private var pendingInput: [UInt8] = []
    private var readToken: UInt64 = 0
    private var writing = false
    private var closed = false
    private var descriptorsOpen = true

    init(kernel: Kernel, index: Int32, input: Int32, output: Int32, rows: Int, cols: Int) throws {
        let i = fcntl(input, F_DUPFD_CLOEXEC, 10)
        let o = fcntl(output, F_DUPFD_CLOEXEC, 10)
        guard i >= 0, o >= 0 else {
            if i >= 0 { Glibc.close(i) }
            throw SyscallError.errno(LinuxErrno(rawValue: errno))
        }
        self.kernel = kernel
        inputFD = i
        outputFD = o
        let size = WindowSize(rows: UInt16(clamping: max(rows, 1)), cols: UInt16(clamping: max(cols, 1)))
        pty = PseudoTerminal(kernel: kernel, index: index, size: size)
        pty.onOutput = { [unowned self] in self.flush() }
        pty.onInputSpace = { [unowned self] in self.offerInput() }
    }

    deinit {
        readBuffer.deallocate()
        writeBuffer.deallocate()
    }

    /// The guest's fds 0, 1 and 2.
    func guestFiles() -> [OpenFile] { [pty.openSlave(), pty.openSlave(), pty.openSlave()] }

    /// `p` (a new session's leader) gets the terminal as its controlling terminal; input
    /// starts flowing.
    func attach(_ p: Process) {
        try? pty.makeControllingTerminal(of: p)
        armRead()
    }

    func resize(rows: Int, cols: Int) {
        pty.resize(WindowSize(rows: UInt16(clamping: max(rows, 1)), cols: UInt16(clamping: max(cols, 1))))
    }

    private func armRead() {
        guard !closed, pendingInput.isEmpty else { return }
        readToken = kernel.ring.read(fd: inputFD, into: readBuffer) { [self] r in
            readToken = 0
            if closed { closeDescriptorsIfIdle(); return }
            guard r > 0 else { return }   // end of input: the terminal stays, unread
            pendingInput += readBuffer.prefix(Int(r))
            offerInput()
        }
    }

    /// Offers waiting input to the line discipline; reads more once it took everything.
    private func offerInput() {
        guard !closed else { return }
        if !pendingInput.isEmpty {
            let taken = pty.input(pendingInput)
            pendingInput.removeFirst(taken)
        }
        if pendingInput.isEmpty && readToken == 0 { armRead() }
    }

    /// Writes what the guests wrote (and the echo) to the client's terminal.
    private func flush() {
        guard !writing, !closed else { return }
        let bytes = pty.takeOutput(max: writeBuffer.count)
        guard !bytes.isEmpty else { return }
        writing = true
        writeBuffer.copyBytes(from: bytes)
        write(from: 0, count: bytes.count)
    }

    private func write(from offset: Int, count: Int) {
        let chunk = UnsafeRawBufferPointer(rebasing: writeBuffer[offset..<(offset + count)])
        kernel.ring.write(fd: outputFD, from: chunk) { [self] r in
            if r > 0 && Int(r) < count && !closed {
                write(from: offset + Int(r), count: count - Int(r))
                return
            }
            writing = false
            if closed { closeDescriptorsIfIdle(); return }
            // An error (the client's terminal went away) drops the output, as a hung-up
            // terminal does; the guest learns of it through the hangup.
            flush()
        }
    }

    /// The client is gone or the launch is over. Call before telling the client the
    /// status: what the guests wrote last reaches the terminal first.
    func close() {
        guard !closed else { return }
        // Whatever is still queued goes out now, synchronously, after a write in flight
        // (a terminal write of a few KiB does not block for long).
        if !writing {
            var rest = pty.takeOutput()
            while !rest.isEmpty {
                let n = rest.withUnsafeBytes { Glibc.write(outputFD, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                rest.removeFirst(n)
            }
        }
        closed = true
        pty.hangup()
        if readToken != 0 { kernel.ring.cancel(readToken) }
        closeDescriptorsIfIdle()
    }

    /// Closed, and no operation of the Ring uses our descriptors any more.
    var isIdle: Bool { !descriptorsOpen }

    private func closeDescriptorsIfIdle() {
        guard closed, descriptorsOpen, readToken == 0, !writing else { return }
        descriptorsOpen = false
        Glibc.close(inputFD)
        Glibc.close(outputFD)
    }
}
