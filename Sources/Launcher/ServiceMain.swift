// ServiceMain.swift: what `kandelo-mount IMAGE DIR` does, start to finish. The mount is
// also the service: guests launched with `kandelo-launch --image IMAGE` or `--mount DIR`
// run in this process, on the image the mount shows (Service.swift).
//
//   1. preflight: /dev/fuse, the mount point, the image file   (refusals touch nothing;
//      a dead mount of this image left by a kandelo-mount that died is detached first,
//      Recovery.swift)
//   2. ImageFile.open: lock IMAGE.journal, load, replay the journal, fsck; remove a stale
//      control socket
//   3. FuseServer: fuse_session_new + mount
//   4. detach from the terminal (unless -f or debug)
//   5. the service: kernel, control socket IMAGE.control; one loop serves FUSE, guests and
//      clients until fusermount3 -u / umount, SIGTERM, SIGINT or SIGHUP
//   6. end the guests, unmount if still mounted, ImageFile.close (checkpoint, remove
//      journal and lock)
//
// Exit status: 0 mounted (the parent of the daemon) or served and checkpointed (-f);
// 1 any refusal or failure, with one line on stderr (syslog once detached).
#if canImport(Glibc)
import Glibc
#endif
import FuseMount
import Kernel
import Logging
import VFSImage

public enum ServiceMain {
    public static func run(imagePath: String, mountPoint: String, foreground: Bool, options: MountOptions,
                           binds: [Bind] = [], announce: Bool = false) -> Int32 {
        let log = Logger(label: "kandelo-mount")
        signal(SIGPIPE, SIG_IGN)
        // Inside its own mount (or over its own file): say so, not "already served".
        if let e = Preflight.ownMountRefusal(image: imagePath, mountPoint: mountPoint) {
            log.error("\(e)")
            return 1
        }
        // Already served? Say where, rather than "locked".
        if Control.liveSocket(forImage: imagePath) != nil {
            let image = Control.absolute(imagePath)
            log.error("\(imagePath) is already mounted and served by kandelo-mount; run guests with kandelo-launch --image \(image), or unmount it first")
            return 1
        }
        // Host directories for the guests: absolute now (the daemon runs in /), and checked
        // before anything is mounted.
        var binds = binds
        for i in binds.indices {
            binds[i].host = Control.absolute(binds[i].host)
            var st = stat()
            if stat(binds[i].host, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR {
                log.error("--bind \(binds[i].host): not a directory")
                return 1
            }
        }
        let detach = !foreground && !options.debug
        if detach { Daemon.closeInheritedDescriptors() }
        let image: ImageFile
        let server: FuseServer
        do {
            try Preflight.checkFuseDevice()
            try Preflight.checkAllowOther(options)
            // A dead mount of this image left by a kandelo-mount that died: detach it.
            try Recovery.clearDeadMount(mountPoint, imagePath: imagePath, log: log)
            let dir = try Preflight.checkMountPoint(mountPoint)
            let path = try Preflight.checkImage(imagePath)
            try Preflight.checkMountPointAgainstImage(image: path, mountPoint: dir)
            do { image = try ImageFile.open(path, readOnly: options.readOnly, verify: true) }
            catch { throw MountError.image("\(imagePath): \(error)") }
            if let why = ImageABI.refusal(image.fs, image: imagePath) {
                try? image.close()
                throw MountError.image(why)
            }
            if image.replayedRecords > 0 {
                log.notice("\(imagePath): applied \(image.replayedRecords) journal record(s) left by an earlier run")
            }
            Recovery.removeStaleSockets(imagePath: path, log: log)
            do { server = try FuseServer(image: image, mountPoint: dir, options: options, logger: log) }
            catch {
                try? image.close()
                throw error
            }
        } catch {
            log.error("\(error)")
            return 1
        }
        if announce { ServiceAnnouncement.print(image: image.path, mountPoint: server.mountPoint) }
        if detach {
            do { try Daemon.detach() } catch {
                log.error("\(error)")
                server.requestStop()
            }
        }
        // The kernel and its io_uring are made after the fork of detaching.
        let service: Service
        do {
            var kopts = Kernel.Options()
            kopts.log = { msg in log.warning("\(msg)") }
            service = try Service(image: image, server: server, log: log, kernelOptions: kopts)
            do { try Bind.mount(binds, on: service.kernel.vfs) } catch { throw MountError.image(error.description) }
        } catch {
            log.error("cannot start the service: \(error); unmounting")
            try? server.finish()
            return 1
        }
        let reason = service.run()
        if case .failed(let e) = reason { log.error("reading /dev/fuse failed: \(String(cString: strerror(e))); unmounting") }
        do { try server.finish() } catch {
            log.error("writing \(image.path) failed: \(error); the journal beside it keeps every synced change")
            return 1
        }
        if case .failed = reason { return 1 }
        return 0
    }
}
