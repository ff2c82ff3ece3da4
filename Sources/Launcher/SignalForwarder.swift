// SignalForwarder.swift: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the launcher reach
// the guest. A signalfd read on the kernel's ring delivers them in the loop. With a
// terminal session (standalone -t), SIGWINCH resizes the guest's pty.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import Kernel

final class SignalForwarder {
    let kernel: Kernel
    let target: Process
    let fd: Int32
    var set = sigset_t()
    var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128, alignment: 8)
    var stopped = false
    let onWindowChange: (() -> Void)?

    init(kernel: Kernel, target: Process, onWindowChange: (() -> Void)? = nil) {
        self.kernel = kernel
        self.target = target
        self.onWindowChange = onWindowChange
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&set, s) }
        if onWindowChange != nil { sigaddset(&set, SIGWINCH) }
        sigprocmask(SIG_BLOCK, &set, nil)
        fd = chost_signalfd(&set)
        arm()
    }

    func arm() {
        guard fd >= 0 else { return }
        kernel.ring.read(fd: fd, into: buffer) { [weak self] r in
            guard let self, !self.stopped, r >= 4 else { return }
            let sig = Int32(bitPattern: self.buffer.load(as: UInt32.self))
            if sig == SIGWINCH { self.onWindowChange?() } else { self.kernel.send(sig, to: self.target) }
            self.arm()
        }
    }

    func stop() {
        stopped = true
        if fd >= 0 { close(fd) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }
}
