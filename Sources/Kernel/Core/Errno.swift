// Errno.swift: the errno values the kernel returns beyond those VFSImage already names,
// and the one error type every syscall handler throws.
import VFSImage

public typealias Errno = LinuxErrno

extension LinuxErrno {
    public static let ESRCH = LinuxErrno(rawValue: 3)
    public static let EINTR = LinuxErrno(rawValue: 4)
    public static let E2BIG = LinuxErrno(rawValue: 7)
    public static let ENOEXEC = LinuxErrno(rawValue: 8)
    public static let ECHILD = LinuxErrno(rawValue: 10)
    public static let EFAULT = LinuxErrno(rawValue: 14)
    public static let ENOTBLK = LinuxErrno(rawValue: 15)
    public static let ENODEV = LinuxErrno(rawValue: 19)
    public static let ENFILE = LinuxErrno(rawValue: 23)
    public static let EMFILE = LinuxErrno(rawValue: 24)
    public static let ENOTTY = LinuxErrno(rawValue: 25)
    public static let ETXTBSY = LinuxErrno(rawValue: 26)
    public static let ESPIPE = LinuxErrno(rawValue: 29)
    public static let EPIPE = LinuxErrno(rawValue: 32)
    public static let EDOM = LinuxErrno(rawValue: 33)
    public static let EDEADLK = LinuxErrno(rawValue: 35)
    public static let ENOLCK = LinuxErrno(rawValue: 37)
    public static let ENOSYS = LinuxErrno(rawValue: 38)
    public static let ENOTSUP = LinuxErrno(rawValue: 95)
    public static let ETIMEDOUT = LinuxErrno(rawValue: 110)
    public static let ENOTSOCK = LinuxErrno(rawValue: 88)
    public static let EAFNOSUPPORT = LinuxErrno(rawValue: 97)
    /// Not an errno a guest ever sees unless a signal handler with SA_RESTART is pending:
    /// libc re-issues the call (sdk/ABI.md §6).
    public static let ERESTART = LinuxErrno(rawValue: 512)
}

/// Why a syscall handler did not produce a value.
public enum SyscallError: Error {
    /// The call failed: the guest gets -errno.
    case errno(LinuxErrno)
    /// The call cannot complete now. The kernel parks the thread on the queue and runs the
    /// same handler again, with the same arguments, when the queue is woken (or a signal
    /// interrupts the wait). Handlers must therefore have no side effects before they block.
    case block(WaitQueue)
    /// The handler took charge of the thread: it will answer later through
    /// `Kernel.complete(_:_:)` (asynchronous host I/O, exit, exec).
    case suspended
}

extension SyscallError {
    public static func from(_ e: LinuxErrno) -> SyscallError { .errno(e) }
}

/// Runs `body`, turning a LinuxErrno into a SyscallError, so VFSImage calls read cleanly
/// inside handlers: `let ino = try fsCall { try fs.lookup(dir, name) }`.
@inline(__always)
public func fsCall<T>(_ body: () throws(LinuxErrno) -> T) throws(SyscallError) -> T {
    do { return try body() } catch { throw .errno(error) }
}
