// kandelo-mount: mount a Kandelo VFS image read-write on the host (FuseMount does the work).

import ArgumentParser
import FuseMount
import Launcher
import Logging

struct KandeloMountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kandelo-mount",
        abstract: "Mount a Kandelo VFS image (rootfs.vfs, *.vfs.zst) on a directory, read-write.",
        discussion: """
            Options (-o, comma-separated, may repeat): ro, rw, allow_other, uid=N, gid=N \
            (show image root's files as owned by N), fsname=NAME, commit=SECONDS (journal \
            changes this long after the first one; 0: only on fsync and unmount; default 30), \
            spin=MICROSECONDS (poll for the next request this long before sleeping; default 50), debug, and libfuse's mount options (auto_unmount, nosuid, nodev, noexec, noatime, \
            max_read=N, ...). default_permissions is always on.
            Unmount with fusermount3 -u DIR or umount DIR; the image is written when \
            kandelo-mount exits (it holds IMAGE.journal until then).
            As a mount(8) helper: install a link /sbin/mount.fuse.kandelo -> kandelo-mount, \
            then `mount -t fuse.kandelo IMAGE DIR` and fstab lines of type fuse.kandelo work.
            Exit status: 0 mounted (or, with -f, served and written back); 1 refused or failed \
            (one line on stderr says why; the image is untouched); 64 bad arguments.
            """)

    @Argument(help: "The image file.") var image: String
    @Argument(help: "The directory to mount it on.") var mountPoint: String
    @Flag(name: .short, help: "Stay in the foreground (default: detach once the mount is live).")
    var foreground = false
    @Option(name: .short, help: ArgumentHelp("Mount options, comma-separated (see above).", valueName: "options"))
    var o: [String] = []
    // mount(8) helper conventions: -n (no mtab), -s (sloppy), -v (verbose), -t fuse.kandelo.
    @Flag(name: .short, help: .hidden) var n = false
    @Flag(name: .short, help: .hidden) var s = false
    @Flag(name: .short, help: .hidden) var v = false
    @Option(name: .short, help: .hidden) var t: String?
    @Flag(name: .shortAndLong, help: "Do not print where the image is served and how to run guests.")
    var quiet = false
    @Option(help: ArgumentHelp("Mount host directory HOSTDIR over directory GUESTDIR of the image for the guests this service runs (repeatable; ':ro' read-only). The host's mount of the image does not show it.", valueName: "HOSTDIR:GUESTDIR[:ro]"))
    var bind: [String] = []

    func run() throws {
        let options: MountOptions
        do { options = try MountOptions.parse(o) } catch {
            throw ValidationError("\(error)")
        }
        var binds: [Bind] = []
        for b in bind {
            switch Bind.parse(b) {
            case .success(let x): binds.append(x)
            case .failure(let e): throw ValidationError(e.description)
            }
        }
        // As mount(8)'s helper (mount.fuse.kandelo, or -t given) stay silent, as mount helpers are.
        let name = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
        let announce = !quiet && t == nil && !name.hasPrefix("mount.")
        let status = ServiceMain.run(imagePath: image, mountPoint: mountPoint, foreground: foreground, options: options,
                                     binds: binds, announce: announce)
        if status != 0 { throw ExitCode(status) }
    }
}

LoggingSystem.bootstrap { _ in DaemonLogHandler() }
KandeloMountCommand.main()
