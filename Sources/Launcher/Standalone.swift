// Standalone.swift: `kandelo-launch --image IMAGE PROGRAM ...` without a service: this
// process opens the image, becomes the kernel, starts one runner for the program and
// serves it until it exits. It is the same kernel the service (kandelo-mount) runs on its
// loop. With a terminal (-t, the default when stdin is one) the guest gets the kernel's
// pty exactly as through the service: this process's terminal is in raw mode meanwhile,
// so ^C, ^Z and ^\ reach the guest's foreground process group by the kernel's rules
// (runners are in sessions of their own and never see the host terminal's signals).
#if canImport(Glibc)
import Glibc
#endif
import Kernel
import VFSImage

public struct LaunchRequest {
    public var imagePath: String
    public var program: String
    public var arguments: [String]
    public var environment: [String] = []
    public var workingDirectory: String = "/"
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var readOnly = false
    /// Standalone: give the guest the kernel's pty on this process's terminal (-t).
    public var terminal = false
    public var maxMemoryMiB: Int = 1024
    /// Host directories bound into the guest's namespace (--bind), mounted in this order.
    public var binds: [Bind] = []
    public init(imagePath: String, program: String, arguments: [String]) {
        self.imagePath = imagePath
        self.program = program
        self.arguments = arguments
    }
}

/// `--bind HOSTDIR:GUESTDIR[:ro]`: HOSTDIR (which must exist) is mounted over GUESTDIR
/// (which must be a directory in the image); the guest cannot reach outside HOSTDIR.
public struct Bind: Equatable, Sendable {
    public var host: String
    public var guest: String
    public var readOnly: Bool
    public init(host: String, guest: String, readOnly: Bool = false) {
        self.host = host; self.guest = guest; self.readOnly = readOnly
    }

    /// Parses HOSTDIR:GUESTDIR[:ro|:rw]; a failure says what is wrong.
    public static func parse(_ spec: String) -> Result<Bind, BindError> {
        var parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var ro = false
        if parts.count == 3 {
            switch parts[2] {
            case "ro": ro = true
            case "rw": ro = false
            default: return .failure(BindError("--bind \(spec): the option after the second ':' must be ro or rw"))
            }
            parts.removeLast()
        }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            return .failure(BindError("--bind takes HOSTDIR:GUESTDIR[:ro], got '\(spec)'"))
        }
        guard parts[1].hasPrefix("/") else { return .failure(BindError("--bind \(spec): GUESTDIR must be an absolute path")) }
        return .success(Bind(host: parts[0], guest: parts[1], readOnly: ro))
    }
}

extension Bind {
    /// Mounts each bind over its GUESTDIR (standalone: kandelo-launch --bind; the service:
    /// kandelo-mount --bind). The error names the bind and which side is wrong.
    static func mount(_ binds: [Bind], on vfs: VFS) throws(BindError) {
        for b in binds {
            do {
                let fs = try HostDirFS(hostPath: b.host, readOnly: b.readOnly)
                try vfs.mount(host: fs, at: b.guest)
            } catch let e as LinuxErrno {
                throw BindError("--bind \(b.host):\(b.guest): \(b.host): \(e)")
            } catch let e as VFS.MountError {
                throw BindError("--bind \(b.host):\(b.guest): \(b.guest) in the image: \(e) (GUESTDIR must be an existing directory)")
            } catch {
                throw BindError("--bind \(b.host):\(b.guest): \(error)")
            }
        }
    }
}

public struct BindError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

public enum Launcher {
    /// Exit statuses of the launcher itself (the guest's own status passes through).
    public static let statusLauncherFailed: Int32 = 125
    public static let statusCannotExecute: Int32 = 126
    public static let statusNotFound: Int32 = 127

    public static func say(_ message: String) {
        let line = "kandelo-launch: \(message)\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }

    /// The environment a guest gets when the caller names none: a sane PATH and HOME, the
    /// caller's TERM, LANG; `-e` entries are added or replace these.
    public static func defaultEnvironment() -> [String] {
        var env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"]
        for name in ["TERM", "LANG", "LC_ALL", "TZ", "COLUMNS", "LINES"] {
            if let v = getenv(name) { env.append("\(name)=\(String(cString: v))") }
        }
        return env
    }

    static func merge(_ base: [String], _ extra: [String]) -> [String] {
        var env = base
        for e in extra {
            let name = e.split(separator: "=", maxSplits: 1).first.map(String.init) ?? e
            env.removeAll { $0 == name || $0.hasPrefix(name + "=") }
            env.append(e)
        }
        return env
    }

    /// Runs the program and returns the status to exit with: the guest's exit status,
    /// 128+N if signal N ended it, 126/127 if it could not be started, 125 if the launcher
    /// itself failed (bad image, no runner).
    public static func runStandalone(_ req: LaunchRequest) -> Int32 {
        let trace = StartupTrace()
        defer { trace.mark("end") ; trace.report() }
        let image: ImageFile
        // The full fsck costs a pass over every inode and bitmap at each launch; images
        // written by our checkpoints (or Kandelo) are consistent, and VFSImage meets any
        // corruption it walks into with EIO, never a crash. So the check runs only when a
        // journal had to be replayed (the last writer did not close the image), or on
        // request with KANDELO_VERIFY=1.
        do {
            image = try ImageFile.open(req.imagePath, readOnly: req.readOnly, verify: getenv("KANDELO_VERIFY") != nil)
            if image.replayedRecords > 0 {
                let report = image.fs.check()
                // Refuse without closing: closing would checkpoint; the journal stays for
                // `kandelo-image fsck` and the next open.
                if !report.isConsistent { throw ImageError.inconsistent(report.faults) }
            }
        } catch {
            say("\(req.imagePath): \(error)")
            return statusLauncherFailed
        }
        trace.mark("image open")
        if let why = ImageABI.refusal(image.fs, image: req.imagePath) {
            say(why)
            finish(image)
            return statusLauncherFailed
        }
        // No program: the image's login shell for the uid (LoginShell.swift).
        let program = req.program.isEmpty ? LoginShell.resolve(image.fs, uid: req.uid) : req.program
        let vfs: VFS
        do { vfs = try VFS.standard(image: image.fs) } catch {
            say("\(req.imagePath): cannot set up the filesystem: \(error)")
            return statusLauncherFailed
        }
        do { try Bind.mount(req.binds, on: vfs) } catch {
            say(error.description)
            finish(image)
            return statusLauncherFailed
        }
        vfs.onSync = { (_: GuestThread) throws(SyscallError) in
            do { try image.sync() } catch { throw .errno(.EIO) }
        }
        var options = Kernel.Options()
        options.maxMemoryPages = max(16, req.maxMemoryMiB * 16)
        if let s = getenv("KANDELO_KERNEL_SPIN_US"), let n = Int(String(cString: s)) { options.spinMicroseconds = n }
        let kernel: Kernel
        do { kernel = try Kernel(vfs: vfs, options: options) } catch {
            say("cannot start the kernel: \(error)")
            return statusLauncherFailed
        }
        trace.mark("kernel")
        if access(options.runnerPath, X_OK) != 0 {
            say("cannot find the runner at \(options.runnerPath) (set KANDELO_RUNNER)")
            return statusLauncherFailed
        }
        var session: TerminalSession? = nil
        var stdio: [OpenFile] = []
        if req.terminal && isatty(0) == 1 {
            let size = Client.windowSize()
            do {
                session = try TerminalSession(kernel: kernel, index: 0, input: 0, output: isatty(1) == 1 ? 1 : 0,
                                              rows: size.rows, cols: size.cols)
            } catch {
                say("cannot set up a terminal: \(error)")
                finish(image)
                return statusLauncherFailed
            }
            stdio = session!.guestFiles()
        }
        for fd in Int32(0)...2 where session == nil {
            let fl = fcntl(fd, F_GETFL)
            if fl < 0 {
                // A closed descriptor: the guest gets /dev/null there, as a shell would.
                let null = open("/dev/null", O_RDWR | O_CLOEXEC)
                defer { close(null) }
                guard let f = try? HostFile(kernel: kernel, fd: null, flags: OpenFlags.O_RDWR) else { return statusLauncherFailed }
                stdio.append(f)
                continue
            }
            guard let f = try? HostFile(kernel: kernel, fd: fd, flags: fl & OpenFlags.O_ACCMODE) else {
                say("cannot use descriptor \(fd)")
                return statusLauncherFailed
            }
            stdio.append(f)
        }
        var spawn = SpawnRequest(path: Array(program.utf8),
                                 argv: ([program] + req.arguments).map { Array($0.utf8) },
                                 envp: merge(defaultEnvironment(), req.environment).map { Array($0.utf8) },
                                 stdio: stdio)
        spawn.cwd = Array(req.workingDirectory.utf8)
        spawn.cred = Credentials(uid: req.uid, gid: req.gid)
        spawn.readOnly = req.readOnly
        let process: Process
        do { process = try kernel.spawn(spawn) } catch {
            session?.close()
            say(error.message)
            finish(image)
            return error.exitStatus
        }
        trace.mark("spawn")
        // SIGINT/SIGTERM/SIGHUP to the launcher go to the guest (and end it by default);
        // with a pty, SIGWINCH resizes it.
        let signals = SignalForwarder(kernel: kernel, target: process, onWindowChange: session.map { s in
            { let size = Client.windowSize(); s.resize(rows: size.rows, cols: size.cols) }
        })
        let raw = session != nil ? Client.RawMode(fd: 0) : nil
        session?.attach(process)
        kernel.run { process.state == .zombie && process.runner == nil }
        // The program is done; whatever it left running (background jobs, daemons) ends
        // with it, as when a container's init exits.
        kernel.killAll()
        kernel.run { kernel.liveRunners == 0 }
        // The guests' last output reaches the terminal before it leaves raw mode.
        if let session {
            session.close()
            kernel.run { session.isIdle }
        }
        raw?.restore()
        signals.stop()
        if let why = kernel.failures[process.pid] { say("\(program): \(why)") }
        kernel.reap(process)
        trace.mark("guest ran")
        finish(image)
        let status = process.waitStatus
        if status & 0x7f != 0 { return 128 + (status & 0x7f) }
        return (status >> 8) & 0xff
    }

    static func finish(_ image: ImageFile) {
        do {
            // Checkpoints only if something changed: a program that only reads costs no rewrite.
            try image.close()
        } catch {
            say("\(image.path): could not write the image back: \(error)")
        }
    }
}

/// KANDELO_TRACE_STARTUP=1: how long each phase of a launch took, on stderr.
final class StartupTrace {
    let enabled = getenv("KANDELO_TRACE_STARTUP") != nil
    var marks: [(String, UInt64)] = []
    init() { mark("start") }
    func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    func mark(_ name: String) { if enabled { marks.append((name, now())) } }
    func report() {
        guard enabled, let first = marks.first else { return }
        var prev = first.1
        for (name, t) in marks.dropFirst() {
            Launcher.say("trace: \(name) +\((t - prev) / 1000) us")
            prev = t
        }
        Launcher.say("trace: total \((prev - first.1) / 1000) us")
    }
}
