// Interrupt.swift: ^C, SIGTERM or SIGHUP while an image is being written removes the
// temporary file before the process dies of the signal, so an interrupted command leaves
// nothing half-written: the output is the old file (or absent) until the rename.
#if canImport(Glibc)
import Glibc
#endif

/// The path the handler unlinks; set before the handlers are installed, never freed while
/// they are (a signal handler may only touch what is already there).
nonisolated(unsafe) private var interruptPath: UnsafeMutablePointer<CChar>? = nil

final class InterruptCleanup {
    static let signals = [SIGINT, SIGTERM, SIGHUP]
    private var old: [sigaction] = []

    init(removing path: String) {
        interruptPath = strdup(path)
        for s in Self.signals {
            var a = sigaction()
            a.__sigaction_handler.sa_handler = { sig in
                if let p = interruptPath { unlink(p) }
                signal(sig, SIG_DFL)
                raise(sig)
            }
            sigemptyset(&a.sa_mask)
            for t in Self.signals { sigaddset(&a.sa_mask, t) }
            a.sa_flags = 0
            var prev = sigaction()
            sigaction(s, &a, &prev)
            old.append(prev)
        }
    }

    func disarm() {
        for (i, s) in Self.signals.enumerated() where i < old.count {
            var prev = old[i]
            sigaction(s, &prev, nil)
        }
        old = []
    }
}
