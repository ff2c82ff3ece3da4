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

            Exit status: the program's own; 128+N if signal N ended it; 127 if the program \
            is not in the image; 126 if it is there but cannot run (not executable, not a \
            Kandelo wasm module, fails validation); 125 if the launcher itself failed (bad \
            image, image locked by another process, runner missing); 64 bad arguments.
            """)

    @Option(name: [.customShort("i"), .long], help: ArgumentHelp("The image (rootfs.vfs or .vfs.zst).", valueName: "image"))
    var image: String

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

    @Argument(help: "The program's path inside the image.")
    var program: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the program.")
    var arguments: [String] = []

    func validate() throws {
        for v in e where !v.contains("=") || v.hasPrefix("=") {
            throw ValidationError("-e takes VAR=VALUE, got '\(v)'")
        }
        if memory < 1 || memory > 4095 { throw ValidationError("--memory must be between 1 and 4095 MiB") }
    }

    func run() throws {
        var req = LaunchRequest(imagePath: image, program: program,
                                arguments: arguments.first == "--" ? Array(arguments.dropFirst()) : arguments)
        req.environment = e
        req.workingDirectory = w
        req.uid = uid
        req.gid = gid
        req.readOnly = readOnly
        req.maxMemoryMiB = memory
        let status = Launcher.runStandalone(req)
        throw ExitCode(status)
    }
}

KandeloLaunch.main()
