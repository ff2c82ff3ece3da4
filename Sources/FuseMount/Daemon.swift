// Daemon.swift: leaving the terminal once the mount is live, and where messages go after.
//
// kandelo-mount mounts first and detaches after (libfuse's fuse_daemonize: fork, setsid,
// chdir("/"), stdio to /dev/null; the parent exits 0 once the child runs), so its exit
// status tells mount(8), fstab and scripts whether the mount worked. Paths are made
// absolute before that (Preflight). Messages go to stderr while attached, to syslog
// (daemon facility, tag "kandelo-mount") once detached.

import CFuse3
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum Daemon {
    /// Set once we detach; read by the log handler (one thread at that point).
    nonisolated(unsafe) static var detached = false

    /// Closes every descriptor above stderr, as daemon(7) asks: a daemon must not keep its
    /// starter's pipes open (a caller reading our output to EOF would wait for us forever).
    /// Call before opening anything of our own.
    public static func closeInheritedDescriptors() {
        guard let dir = opendir("/proc/self/fd") else { return }
        let own = dirfd(dir)
        var fds: [Int32] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), fd > 2, fd != own { fds.append(fd) }
        }
        closedir(dir)
        for fd in fds { close(fd) }
    }

    /// Detaches from the terminal. Call with no other threads running.
    public static func detach() throws(MountError) {
        openlog("kandelo-mount", LOG_PID, LOG_DAEMON)
        guard fuse_daemonize(0) == 0 else { throw .fuse("could not detach from the terminal") }
        detached = true
    }
}

/// Writes "kandelo-mount: message" to stderr, or to syslog after `Daemon.detach`.
public struct DaemonLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let text = "\(event.message)"
        if Daemon.detached {
            let priority: Int32 = switch event.level {
            case .trace, .debug: LOG_DEBUG
            case .info: LOG_INFO
            case .notice: LOG_NOTICE
            case .warning: LOG_WARNING
            case .error: LOG_ERR
            case .critical: LOG_CRIT
            }
            text.withCString { c in withVaList([c]) { vsyslog(priority, "%s", $0) } }
        } else {
            writeStderr("kandelo-mount: \(text)\n")
        }
    }
}

func writeStderr(_ s: String) {
    var bytes = Array(s.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + done, $0.count - done) }
        if n < 0 { if errno == EINTR { continue }; return }
        done += n
    }
}
