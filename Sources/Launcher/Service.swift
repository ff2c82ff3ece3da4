// Service.swift: one process per image that owns it, mounts it with FUSE and runs guests
// on it, all on one thread and one io_uring loop (the kernel's, Kernel.run):
//
//   source                         on the ring as                 served by
//   FUSE requests (/dev/fuse)      poll, re-armed after a batch   FuseServer.serveAvailableRequests
//   guest syscalls                 the kernel's doorbell          Kernel (serveRequests)
//   clients (control socket)       poll on the listener and on    this file (Control.swift: frames)
//                                  each connection
//   SIGTERM / SIGINT / SIGHUP      signalfd read                  stop: end guests, unmount, checkpoint
//   commit timer                   1 s timeout                    FuseServer.commitIfDue
//
// One view. Host tools and guests reach the same SharedFS: what FUSE writes is what the
// next guest read sees (nothing is cached on the guest side), and every change a guest
// makes (VFS.onImageChange) becomes an invalidation of the host kernel's caches, written
// by FuseMount's invalidation thread so the loop never blocks on the kernel's inode locks
// (Invalidator.swift). The guest's call that made the change is answered only once those
// invalidations are written (Kernel.answerGate): when its write returns, the host sees it.
// Meanwhile only that guest thread waits; the loop serves FUSE and every other guest.
//
// Launches. Each `op=launch` from a client becomes a guest process in a session of its
// own, with the client's stdin/stdout/stderr (passed with SCM_RIGHTS) as fds 0-2. Its
// descendants have it as their reaper (orphans go to it); when it exits, what it left
// running is killed, and once every runner of the launch is gone the client gets the
// status and the connection closes.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import FuseMount
import Kernel
import Logging
import VFSImage

public final class Service {
    let image: ImageFile
    let server: FuseServer
    let kernel: Kernel
    let log: Logger
    public private(set) var socketPath: String = ""
    var listenFD: Int32 = -1
    var signalFD: Int32 = -1
    var signalSet = sigset_t()
    var signalBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128, alignment: 8)
    var clients: [Int32: Client] = [:]
    var stopReason: FuseServer.StopReason?
    var launches = 0

    /// One client connection and, once it asked for one, its launch.
    final class Client {
        let fd: Int32
        let reader: ControlReader
        let uid: UInt32
        var top: Process?
        var exitSent = false
        var session: TerminalSession?
        init(fd: Int32, uid: UInt32) {
            self.fd = fd
            self.uid = uid
            reader = ControlReader(socket: fd)
        }
    }

    /// Sets up the kernel over the mounted image and the control socket. The FUSE session
    /// must be mounted (and the process detached, if it is going to) already.
    public init(image: ImageFile, server: FuseServer, log: Logger, kernelOptions: Kernel.Options = Kernel.Options()) throws {
        self.image = image
        self.server = server
        self.log = log
        let vfs = try VFS.standard(image: image.fs, createMountPoints: false)
        kernel = try Kernel(vfs: vfs, options: kernelOptions)
        // Guests' fsync is the image's journal sync, as FUSE's fsync is.
        vfs.onSync = { (_: GuestThread) throws(SyscallError) in
            do { try image.sync() } catch { throw .errno(.EIO) }
        }
        let kernel = self.kernel
        vfs.onImageChange = { [unowned server, unowned kernel] change in
            server.noteExternalChange()
            let before = server.invalidationTicket
            switch change {
            case .inode(let ino, let offset, let length):
                server.invalidate(inode: ino, offset: offset, length: length)
            case .entry(let parent, let name):
                server.invalidate(entry: name, in: parent)
            case .delete(let parent, let child, let name):
                server.invalidate(deleted: name, in: parent, child: child)
            }
            // The call that made the change answers once the host was told.
            let ticket = server.invalidationTicket
            if ticket != before, let t = kernel.servingThread { t.visibleAfter = ticket }
        }
        kernel.answerGate = { [unowned server] ticket, release in
            server.afterInvalidations(through: ticket, release)
        }
        try openControlSocket()
    }

    deinit { signalBuffer.deallocate() }

    /// A socket file left by a service that died: nobody answers on it, so it may go. A
    /// live one means another service has the image (its lock should have stopped us).
    func openControlSocket() throws {
        if let live = Control.liveSocket(forImage: image.path) {
            throw MountError.image("\(image.path): another service is running (\(live))")
        }
        _ = Control.runtimeDirectory(create: true)
        var failures: [String] = []
        for path in Control.socketPaths(forImage: image.path) {
            unlink(path)
            let fd = chost_unix_listen(path)
            if fd >= 0 {
                listenFD = fd
                socketPath = path
                return
            }
            failures.append("\(path): \(String(cString: strerror(-fd)))")
        }
        throw MountError.image("cannot listen for clients: \(failures.joined(separator: "; "))")
    }

    // MARK: the loop

    /// Serves until unmounted or signalled, then ends the guests, unmounts and checkpoints.
    /// Returns why it stopped.
    public func run() -> FuseServer.StopReason {
        sigemptyset(&signalSet)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signalSet, s) }
        pthread_sigmask(SIG_BLOCK, &signalSet, nil)
        signalFD = chost_signalfd(&signalSet)
        server.startServing()
        armFuse()
        armInvalidationWaiters()
        armListener()
        armSignals()
        armCommitTimer()
        kernel.onExit = { [unowned self] p in self.processExited(p) }
        kernel.onRunnerExit = { [unowned self] p in self.runnerExited(p) }
        kernel.run { self.stopReason != nil }
        shutdown()
        return stopReason ?? .stopped
    }

    func armFuse() {
        let fd = server.fileDescriptor
        guard fd >= 0 else { stopReason = .unmounted; return }
        kernel.ring.poll(fd: fd, events: UInt32(POLLIN)) { [unowned self] r in
            if r < 0 && r != -ECANCELED && r != -EINTR { self.stopReason = .failed(-r); return }
            if let end = self.server.serveAvailableRequests() {
                self.stopReason = end
                return
            }
            if self.stopReason == nil { self.armFuse() }
        }
    }

    /// Guest calls waiting for their invalidations (Kernel.answerGate) are answered here.
    func armInvalidationWaiters() {
        let fd = server.invalidationEventFD
        guard fd >= 0 else { return }
        kernel.ring.poll(fd: fd, events: UInt32(POLLIN)) { [unowned self] _ in
            self.server.releaseInvalidationWaiters()
            if self.stopReason == nil { self.armInvalidationWaiters() }
        }
    }

    func armListener() {
        kernel.ring.poll(fd: listenFD, events: UInt32(POLLIN)) { [unowned self] _ in
            guard self.stopReason == nil else { return }
            while true {
                let c = chost_accept(self.listenFD)
                if c < 0 { break }
                self.accept(c)
            }
            self.armListener()
        }
    }

    func armSignals() {
        guard signalFD >= 0 else { return }
        kernel.ring.read(fd: signalFD, into: signalBuffer) { [unowned self] r in
            guard r >= 4 else { return }
            let sig = Int32(self.signalBuffer.load(as: UInt32.self))
            self.log.info("signal \(sig): ending guests, unmounting \(self.server.mountPoint) and writing the image")
            self.stopReason = .signal(sig)
        }
    }

    /// Checks every second, and at the very moment a commit falls due, so a change is in
    /// the journal `commit=` seconds after it was made (plus one fdatasync), not up to a
    /// second later: that is the window a kill -9 of the service can lose.
    func armCommitTimer(milliseconds: UInt64 = 1000) {
        kernel.ring.timeout(nanoseconds: max(milliseconds, 1) * 1_000_000) { [unowned self] _ in
            guard self.stopReason == nil else { return }
            let due = self.server.commitIfDue()
            self.armCommitTimer(milliseconds: min(due ?? 1000, 1000))
        }
    }

    // MARK: clients

    func accept(_ fd: Int32) {
        var pid: Int32 = 0, uid: UInt32 = 0, gid: UInt32 = 0
        if chost_peer_cred(fd, &pid, &uid, &gid) != 0 || (uid != getuid() && uid != 0) {
            var m = ControlMessage("error")
            m.add("status", Int(Launcher.statusLauncherFailed))
            m.add("message", "permission denied: the service for \(image.path) belongs to uid \(getuid())")
            Control.send(fd, m)
            close(fd)
            return
        }
        let c = Client(fd: fd, uid: uid)
        clients[fd] = c
        armClient(c)
    }

    func armClient(_ c: Client) {
        kernel.ring.poll(fd: c.fd, events: UInt32(POLLIN)) { [unowned self, weak c] _ in
            guard let c, self.clients[c.fd] === c else { return }
            for (m, fds) in c.reader.read() { self.handle(c, m, fds) }
            if c.reader.closed {
                self.clientGone(c)
            } else if self.clients[c.fd] === c {
                self.armClient(c)
            }
        }
    }

    func reply(_ c: Client, _ m: ControlMessage) {
        if !Control.send(c.fd, m) { c.exitSent = true }
    }

    func handle(_ c: Client, _ m: ControlMessage, _ fds: [Int32]) {
        switch m.op {
        case "launch":
            launch(c, m, fds)
            return
        case "signal":
            if let sig = m.int("sig"), let p = c.top, p.state == .running { kernel.send(Int32(sig), to: p) }
        case "winsize":
            if let rows = m.int("rows"), let cols = m.int("cols") { c.session?.resize(rows: rows, cols: cols) }
        case "list":
            for p in kernel.processes.values.sorted(by: { $0.pid < $1.pid }) {
                var r = ControlMessage("process")
                let args = p.argv.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
                let state = p.state == .zombie ? "Z" : (p.job.isStopped ? "T" : "R")
                r.add("line", "\(p.pid)\t\(p.ppid)\t\(p.reaper)\t\(p.cred.uid)\t\(state)\t\(args)")
                reply(c, r)
            }
            reply(c, ControlMessage("ok"))
        case "kill":
            let sig = Int32(m.int("sig") ?? Int(SIGTERM))
            if let pid = m.int("pid"), let p = kernel.processes[Int32(pid)], p.state == .running, sig >= 0, sig <= 64 {
                if sig != 0 { kernel.send(sig, to: p) }
                reply(c, ControlMessage("ok"))
            } else {
                var e = ControlMessage("error")
                e.add("message", "no such guest process: \(m.string("pid") ?? "?")")
                e.add("status", 1)
                reply(c, e)
            }
        default:
            var e = ControlMessage("error")
            e.add("message", "unknown request \(m.op)")
            e.add("status", Int(Launcher.statusLauncherFailed))
            reply(c, e)
        }
        for fd in fds { close(fd) }
    }

    func fail(_ c: Client, status: Int32, _ message: String) {
        var e = ControlMessage("error")
        e.add("status", Int(status))
        e.add("message", message)
        reply(c, e)
        c.exitSent = true
    }

    func launch(_ c: Client, _ m: ControlMessage, _ fds: [Int32]) {
        defer { for fd in fds { close(fd) } }
        guard c.top == nil else { return fail(c, status: Launcher.statusLauncherFailed, "one launch per connection") }
        guard fds.count == 3 else { return fail(c, status: Launcher.statusLauncherFailed, "a launch needs stdin, stdout and stderr") }
        var argv = m.all("arg")
        // No program (an empty first argument): the live image's login shell for the uid.
        if argv.first?.isEmpty ?? true {
            argv = [Array(LoginShell.resolve(image.fs, uid: UInt32(m.int("uid") ?? 0)).utf8)] + argv.dropFirst()
        }
        let program = argv[0]
        var stdio: [OpenFile] = []
        var session: TerminalSession? = nil
        if m.int("tty") == 1 {
            do {
                session = try TerminalSession(kernel: kernel, index: Int32(launches), input: fds[0], output: fds[1],
                                              rows: m.int("rows") ?? 24, cols: m.int("cols") ?? 80)
            } catch {
                return fail(c, status: Launcher.statusLauncherFailed, "cannot set up a terminal: \(error)")
            }
            stdio = session!.guestFiles()
        } else {
            for fd in fds {
                var fl = fcntl(fd, F_GETFL)
                if fl < 0 { fl = O_RDWR }
                guard let f = try? HostFile(kernel: kernel, fd: fd, flags: fl & OpenFlags.O_ACCMODE) else {
                    return fail(c, status: Launcher.statusLauncherFailed, "cannot use the passed descriptors")
                }
                stdio.append(f)
            }
        }
        var req = SpawnRequest(path: program, argv: argv, envp: m.all("env"), stdio: stdio)
        if let cwd = m.bytes("cwd") { req.cwd = cwd }
        req.cred = Credentials(uid: UInt32(m.int("uid") ?? 0), gid: UInt32(m.int("gid") ?? 0))
        if let mib = m.int("memory"), mib >= 1, mib <= 4095 { req.maxMemoryPages = max(16, mib * 16) }
        req.readOnly = m.int("readonly") == 1
        let p: Process
        do { p = try kernel.spawn(req) } catch {
            session?.close()
            return fail(c, status: error.exitStatus, error.message)
        }
        launches += 1
        c.top = p
        c.session = session
        session?.attach(p)
        var r = ControlMessage("started")
        r.add("pid", Int(p.pid))
        reply(c, r)
    }

    func clientFor(_ p: Process) -> Client? {
        clients.values.first { $0.top === p }
    }

    func processExited(_ p: Process) {
        guard p.reaper == p.pid else { return }   // only a launch's top process matters here
        kernel.killLaunch(p.pid)
        finishLaunchIfDone(p)
    }

    func runnerExited(_ p: Process) {
        if let top = kernel.processes[p.reaper] ?? (p.reaper == p.pid ? p : nil), top.state == .zombie {
            finishLaunchIfDone(top)
        }
    }

    /// Once every runner of the launch has ended: the status to the client, the top
    /// process reaped.
    func finishLaunchIfDone(_ top: Process) {
        guard top.state == .zombie, kernel.liveRunners(ofLaunch: top.pid) == 0 else { return }
        let c = clientFor(top)
        c?.session?.close()   // the guests' last output first, then the status
        if let c, !c.exitSent {
            var m = ControlMessage("exit")
            let s = top.waitStatus
            m.add("status", Int(s & 0x7f != 0 ? 128 + (s & 0x7f) : (s >> 8) & 0xff))
            if let why = kernel.failures[top.pid] { m.add("message", why) }
            reply(c, m)
            c.exitSent = true
        }
        kernel.reap(top)
        if let c { dropClient(c) }
    }

    func clientGone(_ c: Client) {
        // The client went away (or was killed) while its guest runs: hang up, as a
        // terminal would; what survives SIGHUP is killed with the launch.
        if let p = c.top, p.state == .running {
            kernel.send(Signal.SIGHUP, to: p)
            kernel.killLaunch(p.pid)
            c.exitSent = true
            return   // dropped when the launch finishes
        }
        dropClient(c)
    }

    func dropClient(_ c: Client) {
        guard clients[c.fd] === c else { return }
        clients[c.fd] = nil
        close(c.fd)
    }

    // MARK: stopping

    func shutdown() {
        kernel.onExit = nil
        // End every guest; give the runners a moment to be reaped (SIGKILL is immediate).
        kernel.killAll()
        let deadline = kernel.monotonicNanos() + 5_000_000_000
        kernel.run { self.kernel.liveRunners == 0 || self.kernel.monotonicNanos() > deadline }
        for c in clients.values {
            if !c.exitSent {
                var m = ControlMessage("exit")
                m.add("status", 128 + Int(SIGKILL))
                m.add("message", "the service stopped")
                reply(c, m)
            }
            c.session?.close()
            close(c.fd)
        }
        clients.removeAll()
        if listenFD >= 0 { close(listenFD) }
        unlink(socketPath)
        if signalFD >= 0 { close(signalFD) }
        pthread_sigmask(SIG_UNBLOCK, &signalSet, nil)
    }
}
