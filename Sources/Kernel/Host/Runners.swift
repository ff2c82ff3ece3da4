// Runners.swift: the host calls that start, reach into and reap a runner (kandelo-runner,
// one host process per guest process; Core/Spawn.swift decides when), sorted as
// System.swift's header says.
//
// EBADF that is not ours: pidfd_getfd's target number is the runner's word (its slot's
// `runner_fd`), and a confused or hostile runner may name a descriptor it does not have;
// the host's EBADF cannot tell that from a bad pidfd, and the pidfd is held until the
// runner is reaped (watchRunner closes it only after its last use), so it is the runner's.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

extension HostSystem {
    /// posix_spawn of `path` with `args`: stdin and stdout /dev/null, `fds` on 3, 4, 5...
    /// (stderr stays ours), a clean signal mask and default dispositions for the signals the
    /// service handles, a session of its own, and our environment with Swift's crash
    /// backtracer off unless the caller asked for it. Returns the pid and its pidfd.
    /// ENOENT/EACCES (no runner there) and EAGAIN/ENOMEM (the host's limits) are what the
    /// guest's fork, exec or spawn fails with; EBADF (a bad one of `fds`) is ours.
    static func spawnRunner(_ path: String, _ args: [String], fds: [HostFD]) throws(LinuxErrno) -> (pid: pid_t, pidfd: HostFD) {
        // Sources above the target numbers, so dup2 never sees fd == target.
        var sources: [HostFD] = []
        defer { for s in sources { s.close() } }
        for fd in fds {
            let copy = fcntl(fd.rawValue, F_DUPFD_CLOEXEC, 64)
            if copy < 0 { throw lastError("fcntl(F_DUPFD_CLOEXEC)") }
            sources.append(HostFD(copy))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        for (i, s) in sources.enumerated() { posix_spawn_file_actions_adddup2(&actions, s.rawValue, Int32(3 + i)) }
        var cargs: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        // A clean signal mask and default dispositions: the service blocks the signals it
        // reads from a signalfd, and a runner must not inherit that.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        // A session of its own (no controlling terminal, no process group of the caller's):
        // the host's terminal signals (^C, ^Z, ^\ in the launcher's terminal), SIGHUP of a
        // closing terminal and job-control signals to the caller's group never reach a
        // runner. A guest's signals come only from the kernel. Forked runners inherit it.
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | CHOST_POSIX_SPAWN_SETSID))
        // A runner's death is reported as its guest's (Spawn.watchRunner); Swift's crash
        // backtracer would hold a dying runner for seconds and fill the service's log, so
        // it is off unless the caller asked for it (SWIFT_BACKTRACE set).
        var env: [UnsafeMutablePointer<CChar>?] = []
        var e = environ
        while let entry = e.pointee { env.append(entry); e += 1 }
        let quiet = strdup("SWIFT_BACKTRACE=enable=no")
        defer { free(quiet) }
        if getenv("SWIFT_BACKTRACE") == nil { env.append(quiet) }
        env.append(nil)
        var pid: pid_t = 0
        let r = posix_spawn(&pid, path, &actions, &attr, &cargs, &env)
        if r != 0 { throw guestErrno(r, "posix_spawn") }
        do throws(LinuxErrno) { return (pid, try openPidfd(pid)) } catch {
            killAndReap(pid)
            throw error
        }
    }

    /// pidfd_open of a runner. The pid may be a forked runner's word about itself
    /// (KCH_NR_HELLO), so EINVAL (not a pid) and ESRCH (no such process) are the runner's;
    /// EMFILE/ENFILE are the host's limits.
    static func openPidfd(_ pid: pid_t) throws(LinuxErrno) -> HostFD {
        let fd = chost_pidfd_open(pid)
        if fd < 0 { throw LinuxErrno(rawValue: -fd) }
        return HostFD(fd)
    }

    /// A copy of descriptor `target` of the runner behind `pidfd` (pidfd_getfd). Every
    /// error, EBADF included, is the runner's (this file's header); ESRCH: it has died.
    static func takeDescriptor(from pidfd: HostFD, _ target: Int32) throws(LinuxErrno) -> HostFD {
        let fd = chost_pidfd_getfd(pidfd.rawValue, target)
        if fd < 0 { throw LinuxErrno(rawValue: -fd) }
        return HostFD(fd)
    }

    /// How a runner whose pidfd reported readable ended: nil if it has not (a spurious
    /// wake-up). Only the first runner is our child; forked runners are children of their
    /// parent runner, which lets the host reap them (SIGCHLD ignored): for those wait4
    /// fails with ECHILD, and the pidfd tells the status where the host kernel can (6.13+;
    /// a seccomp kill is SIGSYS), else a death without exit_group counts as SIGKILL. The
    /// usage is there only for our own child.
    static func reapRunner(_ pid: pid_t, pidfd: HostFD) -> (status: Int32, usage: rusage?)? {
        var status: Int32 = 0
        var usage = rusage()
        let w = wait4(pid, &status, WNOHANG, &usage)
        if w == 0 { return nil }
        if w > 0 { return (status, usage) }
        let s = chost_pidfd_exit_status(pidfd.rawValue)
        return (s >= 0 ? s : Int32(SIGKILL), nil)
    }
}
