// Client.swift: `kandelo-launch` when a service (kandelo-mount) has the image: the guest
// runs in the service, on the live image the mount shows; this process only passes its
// stdin/stdout/stderr over (SCM_RIGHTS), forwards its signals and window size, and exits
// with the guest's status. Control.swift has the protocol.
//
// With a terminal (-t, the default when stdin is one) the guest gets the kernel's pty and
// this process puts its own terminal in raw mode for the duration (restored on every way
// out), so ^C, ^Z and line editing are the guest terminal's business.
#if canImport(Glibc)
import Glibc
#endif
import CHost

public enum Client {
    /// The control socket to use: the service of `image`, or of the mount `mount`. nil
    /// when no service runs for the image (then the launcher runs standalone).
    public static func findService(image: String?, mount: String?) -> Result<String?, LaunchError> {
        if let mount {
            guard let img = Control.image(mountedOn: mount) else {
                return .failure(LaunchError("\(mount) is not a kandelo-mount mount point"))
            }
            guard let path = Control.liveSocket(forImage: img) else {
                return .failure(LaunchError("no service answers for \(mount) (tried \(Control.socketPaths(forImage: img).joined(separator: ", "))); "
                                            + "if its kandelo-mount died, `kandelo-mount \(img) \(mount)` recovers the image and serves it again"))
            }
            return .success(path)
        }
        guard let image else { return .failure(LaunchError("give --image IMAGE or --mount DIR")) }
        return .success(Control.liveSocket(forImage: image))
    }

    static func connect(_ socket: String) -> Int32? {
        let fd = Control.connect(socket)
        if fd < 0 {
            Launcher.say("cannot reach the service at \(socket): \(String(cString: strerror(-fd)))")
            return nil
        }
        return fd
    }

    /// Reads frames until one of `ops` arrives (blocking). nil if the service hung up.
    static func waitFor(_ fd: Int32, _ reader: ControlReader, _ ops: Set<String>, _ each: (ControlMessage) -> Void = { _ in }) -> ControlMessage? {
        while true {
            for (m, fds) in reader.read() {
                for f in fds { close(f) }
                if ops.contains(m.op) { return m }
                each(m)
            }
            if reader.closed { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, -1)
        }
    }

    /// Sends one request and reads until its `ok` or `error`, handing the messages before
    /// it to `each`. nil when the service cannot be reached or hangs up (said on stderr).
    static func request(_ socket: String, _ m: ControlMessage,
                        _ each: (ControlMessage) -> Void = { _ in }) -> ControlMessage? {
        guard let fd = connect(socket) else { return nil }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        Control.send(fd, m)
        let end = waitFor(fd, ControlReader(socket: fd), ["ok", "error"], each)
        if end == nil { Launcher.say("the service hung up") }
        return end
    }

    /// `--list`: the service's guest processes.
    public static func list(socket: String) -> Int32 {
        print("PID\tPPID\tLAUNCH\tUID\tSTATE\tCOMMAND")
        let end = request(socket, ControlMessage("list")) { m in
            if m.op == "process", let line = m.string("line") { print(line) }
        }
        guard let end else { return Launcher.statusLauncherFailed }
        if end.op == "error" {
            Launcher.say(end.string("message") ?? "refused")
            return Launcher.statusLauncherFailed
        }
        return 0
    }

    /// `--kill PID`: a signal to one guest process.
    public static func kill(socket: String, pid: Int32, signal: Int32) -> Int32 {
        var m = ControlMessage("kill")
        m.add("pid", Int(pid))
        m.add("sig", Int(signal))
        guard let r = request(socket, m) else { return Launcher.statusLauncherFailed }
        if r.op == "error" {
            Launcher.say(r.string("message") ?? "refused")
            return 1
        }
        return 0
    }

    /// Runs the program in the service; returns the status to exit with.
    public static func launch(_ req: LaunchRequest, socket: String, tty: Bool) -> Int32 {
        guard let fd = connect(socket) else { return Launcher.statusLauncherFailed }
        defer { close(fd) }
        var m = ControlMessage("launch")
        for a in [req.program] + req.arguments { m.add("arg", a) }
        for e in Launcher.merge(Launcher.defaultEnvironment(), req.environment) { m.add("env", e) }
        m.add("cwd", req.workingDirectory)
        m.add("uid", Int(req.uid))
        m.add("gid", Int(req.gid))
        m.add("memory", req.maxMemoryMiB)
        if req.readOnly { m.add("readonly", 1) }
        let terminal = tty && isatty(0) == 1
        var size = (rows: 24, cols: 80)
        if terminal {
            size = windowSize()
            m.add("tty", 1)
            m.add("rows", size.rows)
            m.add("cols", size.cols)
        }
        var stdio: [Int32] = []
        for n in Int32(0)...2 {
            if fcntl(n, F_GETFD) >= 0 { stdio.append(n) } else { stdio.append(open("/dev/null", O_RDWR | O_CLOEXEC)) }
        }
        // Our signals become messages: blocked here, read from a signalfd.
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH] { sigaddset(&set, s) }
        var old = sigset_t()
        sigprocmask(SIG_BLOCK, &set, &old)
        defer { sigprocmask(SIG_SETMASK, &old, nil) }
        let sfd = chost_signalfd(&set)
        defer { if sfd >= 0 { close(sfd) } }
        let raw = terminal ? RawMode(fd: 0) : nil
        defer { raw?.restore() }
        guard Control.send(fd, m, fds: stdio) else {
            Launcher.say("the service at \(socket) hung up")
            return Launcher.statusLauncherFailed
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let reader = ControlReader(socket: fd)
        while true {
            for (r, fds) in reader.read() {
                for f in fds { close(f) }
                switch r.op {
                case "exit":
                    raw?.restore()
                    if let why = r.string("message") { Launcher.say("\(req.program): \(why)") }
                    return Int32(r.int("status") ?? Int(Launcher.statusLauncherFailed))
                case "error":
                    raw?.restore()
                    Launcher.say(r.string("message") ?? "the service refused the launch")
                    return Int32(r.int("status") ?? Int(Launcher.statusLauncherFailed))
                default:
                    break
                }
            }
            if reader.closed {
                raw?.restore()
                Launcher.say("the service hung up before \(req.program) finished")
                return Launcher.statusLauncherFailed
            }
            var p = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)]
            if poll(&p, sfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR { return Launcher.statusLauncherFailed }
            if sfd >= 0 && p[1].revents != 0 {
                // struct signalfd_siginfo is 128 bytes; ssi_signo is its first u32.
                var info = [UInt32](repeating: 0, count: 32)
                if info.withUnsafeMutableBytes({ Glibc.read(sfd, $0.baseAddress, 128) }) == 128 {
                    let sig = Int32(bitPattern: info[0])
                    if sig == SIGWINCH {
                        let s = windowSize()
                        var w = ControlMessage("winsize")
                        w.add("rows", s.rows)
                        w.add("cols", s.cols)
                        Control.send(fd, w)
                    } else {
                        var s = ControlMessage("signal")
                        s.add("sig", Int(sig))
                        Control.send(fd, s)
                    }
                }
            }
        }
    }

    static func windowSize() -> (rows: Int, cols: Int) {
        var ws = winsize()
        if chost_ioctl_ptr(0, UInt(TIOCGWINSZ), &ws) == 0 && ws.ws_row > 0 { return (Int(ws.ws_row), Int(ws.ws_col)) }
        return (24, 80)
    }

    /// The client's terminal in raw mode while the guest has the pty.
    final class RawMode {
        let fd: Int32
        var saved = termios()
        var active = false
        init?(fd: Int32) {
            self.fd = fd
            guard tcgetattr(fd, &saved) == 0 else { return nil }
            var t = saved
            cfmakeraw(&t)
            guard tcsetattr(fd, TCSADRAIN, &t) == 0 else { return nil }
            active = true
        }
        func restore() {
            guard active else { return }
            active = false
            tcsetattr(fd, TCSADRAIN, &saved)
        }
        deinit { restore() }
    }
}

public struct LaunchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
