// Recovery.swift: what `kandelo-mount IMAGE DIR` clears up after a kandelo-mount of the
// same image that died (kill -9, a crash, the OOM killer), so that mounting again is all it
// takes to recover:
//
//   left behind                              the next kandelo-mount
//   DIR as a dead FUSE mount ("Transport     detaches it (lazy unmount: umount2 MNT_DETACH
//   endpoint is not connected")              as root, else fusermount3 -u -z) with a notice,
//                                            if mountinfo says it is fuse.kandelo from this
//                                            very image and statfs says it is dead; any other
//                                            mount is refused by Preflight, naming the
//                                            command that clears it
//   IMAGE.control (or the runtime-directory  removed with a notice once the image's lock is
//   socket) that nobody answers              ours (a live service would hold that lock, and
//                                            one that answers is never touched)
//   IMAGE.journal                            replayed by ImageFile.open (every fsync, and
//                                            every change older than the commit= window),
//                                            then the image is fsck'd before it is served
//
// The guests that ran in the dead service end on their own: a runner waiting for its
// kernel checks once a second that the kernel process still exists (Engine/Runner.swift).
#if canImport(Glibc)
import Glibc
#endif
import CHost
import FuseMount
import Logging

enum Recovery {
    /// If the top mount on `mountPoint` is a FUSE mount of `imagePath` whose kandelo-mount
    /// died, detaches it and says so in one line. Call after checking that no service
    /// answers for the image (a stopped one would make statfs wait). Its death shows as
    /// ENOTCONN (or ECONNABORTED, when the kernel saw the connection aborted) from statfs(2),
    /// which the kernel always sends to the server; stat may not: the root's attributes
    /// stay cached for a day (FuseServer.cacheTimeout).
    static func clearDeadMount(_ mountPoint: String, imagePath: String, log: Logger) throws(MountError) {
        let image = Control.absolute(imagePath)
        var path = absoluteKeepingLast(mountPoint)
        if let real = realpath(mountPoint, nil) {
            path = String(cString: real)
            free(real)
        }
        // Mounts can stack (a dead one over another dead one): clear them one at a time.
        for _ in 0..<8 {
            guard let entry = Preflight.mountEntry(at: path), entry.type == "fuse.kandelo", entry.source == image else { return }
            var sfs = statvfs()
            let e = statvfs(path, &sfs) == 0 ? 0 : errno
            guard e == ENOTCONN || e == ECONNABORTED else { return }
            if let failure = lazyUnmount(path) {
                throw .mountPoint("mount point \(mountPoint) is a dead mount of \(image) left by a kandelo-mount "
                                  + "that died, and detaching it failed (\(failure)): run fusermount3 -u -z \(path)")
            }
            log.notice("\(path) was a dead mount of \(image) left by a kandelo-mount that died: detached it")
            awaitTeardown(imagePath: imagePath, log: log)
        }
    }

    /// After a service died: the host kernel closes what its io_uring still referenced (a
    /// poll on the control socket, a write to the journal) in deferred work after the process
    /// is reaped, so for a moment its control socket may still accept connections and the
    /// image's journal lock may still be held. Waits (up to 5 s) for both to go, so recovery
    /// does not mistake the dead service for a live one.
    static func awaitTeardown(imagePath: String, log: Logger) {
        let journal = imagePath + ".journal"
        func settled() -> Bool {
            for path in Control.socketPaths(forImage: imagePath) {
                let fd = Control.connect(path)
                if fd >= 0 { close(fd); return false }
            }
            let fd = open(journal, O_RDONLY | O_CLOEXEC)
            if fd < 0 { return true }
            defer { close(fd) }
            guard chost_flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
            _ = chost_flock(fd, LOCK_UN)
            return true
        }
        for i in 0..<100 {
            if settled() {
                if i > 0 { log.notice("waited \(i * 50) ms for the dead service's host resources to be released") }
                return
            }
            usleep(50_000)
        }
    }

    /// Once the image's lock is ours: a control socket for the image that nobody answers
    /// was left by a service that died. Removes it, saying so. (A socket someone answers
    /// is left alone: Service.openControlSocket refuses it.)
    static func removeStaleSockets(imagePath: String, log: Logger) {
        for path in Control.socketPaths(forImage: imagePath) {
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK else { continue }
            let fd = Control.connect(path)
            if fd >= 0 { close(fd); continue }
            if unlink(path) == 0 {
                log.notice("removed the stale control socket \(path) left by a kandelo-mount that died")
            }
        }
    }

    // MARK: helpers

    /// `path` made absolute with its directory resolved but not its last component: the
    /// mount point of a dead mount cannot be stat'ed, so realpath(3) fails on it.
    static func absoluteKeepingLast(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return Control.absolute(".") + "/" + p }
        let dir = slash == p.startIndex ? "/" : String(p[..<slash])
        let base = String(p[p.index(after: slash)...])
        let absDir = Control.absolute(dir)
        return absDir == "/" ? "/" + base : absDir + "/" + base
    }

    /// Detaches the mount on `path`: umount2(MNT_DETACH) as root, else `fusermount3 -u -z`
    /// (setuid; it lets a user unmount the FUSE mounts they made). nil when it worked.
    static func lazyUnmount(_ path: String) -> String? {
        if geteuid() == 0 {
            if umount2(path, 2 /* MNT_DETACH */) == 0 { return nil }
            return "umount2: \(String(cString: strerror(errno)))"
        }
        var pid: pid_t = 0
        let argv = ["fusermount3", "-u", "-z", path]
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        let r = posix_spawnp(&pid, "fusermount3", nil, nil, &cargs, environ)
        if r != 0 { return "fusermount3: \(String(cString: strerror(r)))" }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status == 0 ? nil : "fusermount3 -u -z exited with status \((status >> 8) & 0xff)"
    }
}
