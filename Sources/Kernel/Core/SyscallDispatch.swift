// SyscallDispatch.swift: the shape of the generated syscall table (Syscalls/SyscallTable.swift,
// written by scripts/gen-syscalls.py from abi.h and scripts/syscalls.txt) and the dispatch
// arrays Kernel.init builds from it. Documentation/syscalls.md is the same table for readers.

/// What the kernel does with one number.
enum SyscallStatus {
    /// The handler does the call's job as Linux does.
    case supported(Kernel.Handler)
    /// The handler does part of the job; the note says what is missing.
    case partial(Kernel.Handler, String)
    /// Answered inside the runner (Sources/Engine): the kernel never sees it.
    case runner(String)
    /// No handler: ENOSYS, for this reason.
    case enosys(String)

    var handler: Kernel.Handler? {
        switch self {
        case .supported(let h), .partial(let h, _): h
        case .runner, .enosys: nil
        }
    }
}

/// One row of the table: a guest syscall number (abi.h) or a runner request (KCH_NR_*).
/// Sendable because every handler in the table is a static function that captures nothing.
struct SyscallEntry: @unchecked Sendable {
    let nr: Int32
    let name: String
    let status: SyscallStatus
    init(_ nr: Int32, _ name: String, _ status: SyscallStatus) {
        self.nr = nr
        self.name = name
        self.status = status
    }
}

/// The table in the form dispatch reads: handlers by number (the guest range as an array,
/// the runner requests far above it in a dictionary), and why each other number is ENOSYS.
struct SyscallDispatch {
    var handlers: [Kernel.Handler?]
    var runnerHandlers: [Int32: Kernel.Handler] = [:]
    var unsupported: [Int32: String] = [:]

    /// Builds the dispatch; a number that appears twice is a broken table and stops start-up
    /// (the old per-family tables let the last one win without a word).
    init(_ table: [SyscallEntry], arraySize: Int) {
        handlers = [Kernel.Handler?](repeating: nil, count: arraySize)
        var seen = [Int32: String]()
        for e in table {
            if let other = seen.updateValue(e.name, forKey: e.nr) {
                preconditionFailure("syscall table: number \(e.nr) is both \(other) and \(e.name)")
            }
            switch e.status {
            case .runner(let why): unsupported[e.nr] = "served in the runner: " + why
            case .enosys(let why): unsupported[e.nr] = why
            case .supported, .partial: break
            }
            guard let h = e.status.handler else { continue }
            if e.nr >= 0 && Int(e.nr) < arraySize { handlers[Int(e.nr)] = h } else { runnerHandlers[e.nr] = h }
        }
    }

    func handler(_ nr: Int32) -> Kernel.Handler? {
        nr >= 0 && Int(nr) < handlers.count ? handlers[Int(nr)] : runnerHandlers[nr]
    }
}
