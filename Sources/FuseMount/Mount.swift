// Mount.swift: what `kandelo-mount IMAGE DIR` does, start to finish.
//
//   1. preflight: /dev/fuse, the mount point, the image file   (refusals touch nothing)
//   2. ImageFile.open: lock IMAGE.journal, load, replay the journal, fsck
//   3. FuseServer: fuse_session_new + mount
//   4. detach from the terminal (unless -f or debug)
//   5. serve until fusermount3 -u / umount, SIGTERM, SIGINT or SIGHUP
//   6. unmount if still mounted, ImageFile.close (checkpoint, remove journal and lock)
//
// Exit status: 0 mounted (the parent of the daemon) or served and checkpointed (-f);
// 1 any refusal or failure, with one line on stderr (syslog once detached).

import Logging
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum KandeloMount {
    /// Mounts `imagePath` on `mountPoint` and serves it; returns the exit status.
    public static func run(imagePath: String, mountPoint: String, foreground: Bool,
                           options: MountOptions) -> Int32 {
        let log = Logger(label: "kandelo-mount")
        signal(SIGPIPE, SIG_IGN)
        let detach = !foreground && !options.debug
        if detach { Daemon.closeInheritedDescriptors() }
        let image: ImageFile
        let server: FuseServer
        do {
            try Preflight.checkFuseDevice()
            let dir = try Preflight.checkMountPoint(mountPoint)
            let path = try Preflight.checkImage(imagePath)
            do { image = try ImageFile.open(path, readOnly: options.readOnly, verify: true) }
            catch { throw MountError.image("\(imagePath): \(error)") }
            if image.replayedRecords > 0 {
                log.notice("\(imagePath): applied \(image.replayedRecords) journal record(s) left by an earlier run")
            }
            do { server = try FuseServer(image: image, mountPoint: dir, options: options, logger: log) }
            catch {
                try? image.close()
                throw error
            }
        } catch {
            log.error("\(error)")
            return 1
        }

        if detach {
            do { try Daemon.detach() } catch {
                log.error("\(error)")
                server.requestStop()
            }
        }
        let reason = server.run(stopSignals: [SIGINT, SIGTERM, SIGHUP])
        switch reason {
        case .unmounted, .stopped: break
        case .signal(let s): log.info("signal \(s): unmounting \(server.mountPoint) and writing the image")
        case .failed(let e): log.error("reading /dev/fuse failed: \(errnoText(e)); unmounting")
        }
        do { try server.finish() } catch {
            log.error("writing \(image.path) failed: \(error); the journal beside it keeps every synced change")
            return 1
        }
        if case .failed = reason { return 1 }
        return 0
    }
}
