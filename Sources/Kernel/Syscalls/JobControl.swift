// JobControl.swift: stopping and continuing processes, the reports wait4 gives about
// it, orphaned process groups, and the session/controlling-terminal bookkeeping that
// goes with them. The syscall code calls in here through small hooks: `send` (signal
// sending), `deliverable` (a blocked stop signal becoming deliverable), `wait4`
// (WUNTRACED/WCONTINUED), the loop (a stopped process's requests wait), `exitProcess`
// (orphaned groups, a session leader's terminal).
//
// A guest process is a runner host process, so stopping a guest is stopping its runner
// with a host SIGSTOP: every thread of it stops wherever it is, in guest code or waiting
// for a syscall answer; SIGCONT lets it go on. The kernel never waits for a stopped
// runner: an answer to a call it had made simply waits in the channel slot, and requests
// it posts (a host signal takes effect a moment after kill() returns) are not served
// until it is continued. A forked child that has not said hello yet has no host pid: its
// hello request is what waits.
//
// Linux's rules kept here:
// - SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU with the default action stop the process (a
//   blocked one stays pending and stops it when unblocked); SIGTSTP/SIGTTIN/SIGTTOU are
//   discarded instead when the process's group is orphaned. Any stop signal discards a
//   pending SIGCONT.
// - SIGCONT continues a stopped process whatever its disposition or mask, and discards
//   pending stop signals; then it is delivered like any signal (default: ignored).
// - A stop and a continue each notify the parent once: SIGCHLD with CLD_STOPPED /
//   CLD_CONTINUED (unless the parent's SIGCHLD action has SA_NOCLDSTOP), and one wait4
//   report: WUNTRACED gives 0x7f | sig << 8, WCONTINUED gives 0xffff. A newer change
//   replaces a report not yet taken.
// - SIGKILL (and any fatal signal) ends a stopped process: the host SIGKILL works on a
//   stopped runner.
// - A process group that becomes orphaned (no member has a parent in another group of
//   the same session) while it has a stopped member gets SIGHUP, then SIGCONT. Unlike
//   Linux, pid 1 is not special: here it is the launcher's first guest, which is an
//   ordinary parent.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

/// A process's job-control state.
public struct JobState: Equatable, Sendable {
    /// The signal that stopped the process; 0 while it runs.
    public var stopSignal: Int32 = 0
    public var isStopped: Bool { stopSignal != 0 }
    /// A change the parent's wait4 has not reported yet.
    public enum Report: Equatable, Sendable { case stopped(Int32), continued }
    public var report: Report? = nil
    public init() {}
}

extension Kernel {
    static let SI_KERNEL: Int32 = 0x80
    static let CLD_STOPPED: Int32 = 5, CLD_CONTINUED: Int32 = 6
    static let SA_NOCLDSTOP: UInt32 = 1
    static let WUNTRACED: Int32 = 2, WCONTINUED: Int32 = 8
    static let stopSignals: UInt64 = Signal.bit(Signal.SIGSTOP) | Signal.bit(Signal.SIGTSTP)
        | Signal.bit(Signal.SIGTTIN) | Signal.bit(Signal.SIGTTOU)

    static func isStopSignal(_ sig: Int32) -> Bool {
        sig > 0 && sig < 64 && stopSignals & Signal.bit(sig) != 0
    }

    /// Hook at the start of `send`: the job-control side effects of sending `sig`.
    /// Returns true when the signal has been dealt with entirely (a stop by default
    /// action, or one discarded because the group is orphaned).
    func jobControlSend(_ sig: Int32, to p: Process) -> Bool {
        if sig == Signal.SIGCONT {
            p.signals.pending &= ~Kernel.stopSignals
            for t in p.threads { t.pending &= ~Kernel.stopSignals }
            continueProcess(p)
            return false
        }
        guard Kernel.isStopSignal(sig) else { return false }
        p.signals.pending &= ~Signal.bit(Signal.SIGCONT)
        for t in p.threads { t.pending &= ~Signal.bit(Signal.SIGCONT) }
        guard p.signals.actions[Int(sig)].handler == 0 else { return false }
        // Blocked by every thread: pending until unblocked (`stopOnDelivery`).
        if sig != Signal.SIGSTOP && !p.threads.isEmpty
            && p.threads.allSatisfy({ $0.sigmask & Signal.bit(sig) != 0 }) { return false }
        if sig != Signal.SIGSTOP && isOrphanedGroup(p.pgid) { return true }
        stopProcess(p, sig)
        return true
    }

    /// Hook in `deliverable`: a pending stop signal with the default action that a
    /// thread no longer blocks stops the process now. Returns true if it did (the signal
    /// is then no longer pending).
    func stopOnDelivery(_ t: GuestThread, _ sig: Int32) -> Bool {
        let p = t.process
        guard Kernel.isStopSignal(sig), p.signals.actions[Int(sig)].handler == 0 else { return false }
        p.signals.pending &= ~Signal.bit(sig)
        t.pending &= ~Signal.bit(sig)
        if sig == Signal.SIGSTOP || !isOrphanedGroup(p.pgid) { stopProcess(p, sig) }
        return true
    }

    /// Stops `p` (its runner, with a host SIGSTOP) and tells its parent.
    public func stopProcess(_ p: Process, _ sig: Int32) {
        guard p.state == .running, !p.job.isStopped else { return }
        p.job.stopSignal = sig
        p.job.report = .stopped(sig)
        if let r = p.runner, r.hostPid > 0 { HostSystem.signalRunner(r.hostPid, SIGSTOP) }
        notifyParent(p, code: Kernel.CLD_STOPPED, status: sig)
    }

    /// Continues a stopped `p` (host SIGCONT to its runner) and tells its parent.
    public func continueProcess(_ p: Process) {
        guard p.state == .running, p.job.isStopped else { return }
        p.job.stopSignal = 0
        p.job.report = .continued
        if let r = p.runner, r.hostPid > 0 { HostSystem.signalRunner(r.hostPid, SIGCONT) }
        // Calls waiting to be continued (a background terminal access) try again.
        for t in p.threads { t.signalQueue.wakeAll() }
        notifyParent(p, code: Kernel.CLD_CONTINUED, status: Signal.SIGCONT)
    }

    private func notifyParent(_ p: Process, code: Int32, status: Int32) {
        guard let parent = processes[p.ppid], parent.state == .running else { return }
        parent.childEvents.wakeAll()
        if parent.signals.actions[Int(Signal.SIGCHLD)].flags & Kernel.SA_NOCLDSTOP == 0 {
            send(Signal.SIGCHLD, to: parent, from: p, code: code, value: status)
        }
    }

    /// Hook in wait4 (after zombies, before WNOHANG and blocking): reports, once, a
    /// stopped child (WUNTRACED) or a continued one (WCONTINUED). Returns its pid, or
    /// nil when there is nothing to report.
    func reportJobChange(_ t: GuestThread, _ candidates: [Process], options: Int32,
                         status statusAddr: UInt32, rusage: UInt32) throws(SyscallError) -> Int32? {
        guard let (c, report) = pendingJobReport(candidates, options: options) else { return nil }
        let status: Int32
        switch report {
        case .stopped(let sig): status = 0x7f | sig << 8
        case .continued: status = 0xffff
        }
        if statusAddr != 0 { try t.memory.store(statusAddr, status) }
        if rusage != 0 { try t.memory.write(rusage, [UInt8](repeating: 0, count: 72)) }
        c.job.report = nil
        return c.pid
    }

    /// The first of `candidates` with a stop (WUNTRACED, which is waitid's WSTOPPED) or a
    /// continue (WCONTINUED) that `options` asks for and its parent has not been told of.
    func pendingJobReport(_ candidates: [Process], options: Int32) -> (Process, JobState.Report)? {
        for c in candidates where c.state == .running {
            switch c.job.report {
            case .stopped(let sig) where options & Kernel.WUNTRACED != 0 && c.job.isStopped:
                return (c, .stopped(sig))
            case .continued where options & Kernel.WCONTINUED != 0:
                return (c, .continued)
            default:
                continue
            }
        }
        return nil
    }

    // MARK: process groups

    /// POSIX: a group is orphaned when no member has a parent in a different group of
    /// the same session. `ignoring` counts as gone (it is exiting).
    func isOrphanedGroup(_ pgid: Int32, ignoring: Process? = nil) -> Bool {
        for p in processes.values where p.pgid == pgid && p.state == .running && p !== ignoring {
            if let parent = processes[p.ppid], parent !== ignoring, parent.state == .running,
               parent.pgid != pgid, parent.sid == p.sid {
                return false
            }
        }
        return true
    }

    func hasStoppedMember(_ pgid: Int32) -> Bool {
        processes.values.contains { $0.pgid == pgid && $0.state == .running && $0.job.isStopped }
    }

    /// Sends `sig` to every live process of group `pgid` (as the kernel: a terminal's
    /// signal characters, hangups).
    func signalGroup(_ pgid: Int32, _ sig: Int32) {
        let members = processes.values.filter { $0.pgid == pgid && $0.state == .running }.sorted { $0.pid < $1.pid }
        for p in members { send(sig, to: p, code: Kernel.SI_KERNEL) }
    }

    /// The groups `p`'s exit may orphan (its own and its children's) that are not orphaned
    /// yet: hook at the start of exitProcess, handed to `jobControlAfterExit`.
    func jobControlBeforeExit(_ p: Process) -> [Int32] {
        var groups = [p.pgid]
        for c in p.children {
            if let child = processes[c], !groups.contains(child.pgid) { groups.append(child.pgid) }
        }
        return groups.filter { !isOrphanedGroup($0) }
    }

    /// Hook at the end of exitProcess: groups orphaned by the exit that have a stopped
    /// member get SIGHUP and SIGCONT; an exiting session leader's terminal hangs up.
    func jobControlAfterExit(_ p: Process, _ groups: [Int32]) {
        if p.pid == p.sid, let tty = p.controllingTerminal { tty.sessionLeaderExited(p) }
        for g in groups where isOrphanedGroup(g) && hasStoppedMember(g) {
            signalGroup(g, Signal.SIGHUP)
            signalGroup(g, Signal.SIGCONT)
        }
    }

    // MARK: controlling terminals

    /// The controlling terminal of session `sid`: it hangs off the session leader.
    func controllingTerminal(of sid: Int32) -> PseudoTerminal? {
        guard let leader = processes[sid], leader.state == .running, let tty = leader.controllingTerminal,
              tty.session == sid else { return nil }
        return tty
    }

    public func controllingTerminal(of p: Process) -> PseudoTerminal? { controllingTerminal(of: p.sid) }
}
