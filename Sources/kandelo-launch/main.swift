// kandelo-launch: run a wasm guest program from a Kandelo image.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Launcher

struct KandeloLaunch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kandelo-launch",
        abstract: "Run a wasm32 guest program from a Kandelo VFS image.",
        discussion: """
            The program runs under Kandelo's kernel with the image as its root filesystem \
            (/dev, /proc and a tmpfs on /tmp are mounted over it), the caller's stdin, stdout \
            and stderr, and the environment PATH, HOME and the caller's TERM/LANG plus every \
            -e. Changes the program makes to the image are written back when it exits.

            When kandelo-mount has the image mounted, the program runs in that service, on \
            the live image the mount shows: host tools and the guest see each other's \
            changes at once. Name the image (--image) or the mount point (--mount); without \
            a service, --image runs standalone in this process. With a terminal on stdin the \
            guest gets a pseudo-terminal of its own (-t, the default; -T turns it off): line \
            editing, ^C, ^Z and window size are the guest's. --list and --kill manage the \
            service's guests.

            Exit status: the program's own; 128+N if signal N ended it; 127 if the program \
            is not in the image; 126 if it is there but cannot run (not executable, not a \
            Kandelo wasm module, fails validation); 125 if the launcher itself failed (bad \
            image, image locked by another process, runner missing); 64 bad arguments.
            """)

    @Option(name: [.customShort("i"), .long], help: ArgumentHelp("The image (rootfs.vfs or .vfs.zst).", valueName: "image"))
    var image: String?

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("Run in the service of the image mounted on this directory (kandelo-mount).", valueName: "dir"))
    var mount: String?

    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Give the guest a pseudo-terminal of the kernel's on this terminal (the default when stdin is a terminal).")
    var tty = false

    @Flag(name: [.customShort("T"), .customLong("no-tty")], help: "No pseudo-terminal: the guest's fds 0-2 are this process's stdin, stdout and stderr.")
    var noTTY = false

    @Flag(help: "Run in this process even when a service has the image (fails if the image is busy).")
    var standalone = false

    @Flag(help: "List the service's guest processes and exit.")
    var list = false

    @Option(help: ArgumentHelp("Send a signal to a guest process of the service and exit.", valueName: "pid"))
    var kill: Int32?

    @Option(name: [.customShort("s"), .long], help: ArgumentHelp("The signal for --kill, by number (default 15, SIGTERM).", valueName: "signal"))
    var signal: Int32 = 15

    @Option(name: .short, help: ArgumentHelp("Set a variable in the guest's environment (repeatable).", valueName: "VAR=VALUE"))
    var e: [String] = []

    @Option(name: .short, help: ArgumentHelp("Working directory inside the image (default /).", valueName: "dir"))
    var w: String = "/"

    @Option(help: ArgumentHelp("Run as this user id inside the guest (default 0).", valueName: "uid"))
    var uid: UInt32 = 0

    @Option(help: ArgumentHelp("Run with this group id inside the guest (default 0).", valueName: "gid"))
    var gid: UInt32 = 0

    @Option(help: ArgumentHelp("Guest memory limit in MiB (default 1024).", valueName: "MiB"))
    var memory: Int = 1024

    @Flag(help: "Open the image read-only: the guest's writes fail with EROFS.")
    var readOnly = false

    @Option(help: ArgumentHelp("Mount host directory HOSTDIR over directory GUESTDIR of the image (repeatable); the guest cannot reach outside HOSTDIR; ':ro' makes it read-only.", valueName: "HOSTDIR:GUESTDIR[:ro]"))
    var bind: [String] = []

    @Argument(help: "The program's path inside the image (default: the login shell of --uid in the image's /etc/passwd, else /bin/sh).")
    var program: String?

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the program.")
    var arguments: [String] = []

    func validate() throws {
        if image == nil && mount == nil { throw ValidationError("give the image (--image IMAGE) or a mount point (--mount DIR)") }
        if image != nil && mount != nil { throw ValidationError("give --image or --mount, not both") }
        if tty && noTTY { throw ValidationError("-t and -T contradict each other") }
        if standalone && mount != nil {
            throw ValidationError("--standalone runs an image in this process (--image IMAGE); a mounted image is served by its kandelo-mount")
        }
        if signal < 0 || signal > 64 { throw ValidationError("--signal must be 0-64") }
        for v in e where !v.contains("=") || v.hasPrefix("=") {
            throw ValidationError("-e takes VAR=VALUE, got '\(v)'")
        }
        if memory < 1 || memory > 4095 { throw ValidationError("--memory must be between 1 and 4095 MiB") }
        for b in bind {
            if case .failure(let e) = Bind.parse(b) { throw ValidationError(e.description) }
        }
    }

    func run() throws {
        var service: String? = nil
        if !standalone || mount != nil || list || kill != nil {
            switch Client.findService(image: image, mount: mount) {
            case .success(let s): service = s
            case .failure(let e):
                Launcher.say("\(e)")
                throw ExitCode(Launcher.statusLauncherFailed)
            }
        }
        if list || kill != nil {
            guard let service else {
                Launcher.say("no service runs for \(image ?? "?") (mount it with kandelo-mount)")
                throw ExitCode(Launcher.statusLauncherFailed)
            }
            throw ExitCode(list ? Client.list(socket: service) : Client.kill(socket: service, pid: kill!, signal: signal))
        }
        // No program: the image's login shell (its /etc/passwd entry for --uid, else /bin/sh).
        let program = self.program ?? ""
        var req = LaunchRequest(imagePath: image ?? "", program: program,
                                arguments: arguments.first == "--" ? Array(arguments.dropFirst()) : arguments)
        req.environment = e
        req.workingDirectory = w
        req.uid = uid
        req.gid = gid
        req.readOnly = readOnly
        req.maxMemoryMiB = memory
        req.binds = bind.compactMap { try? Bind.parse($0).get() }
        if let service {
            if !bind.isEmpty {
                Launcher.say("--bind is for standalone runs; a service's guests get host directories from kandelo-mount --bind")
                throw ExitCode(64)
            }
            throw ExitCode(Client.launch(req, socket: service, tty: !noTTY && (tty || isatty(0) == 1)))
        }
        req.terminal = !noTTY && (tty || isatty(0) == 1)
        let status = Launcher.runStandalone(req)
        throw ExitCode(status)
    }
}

KandeloLaunch.main()
