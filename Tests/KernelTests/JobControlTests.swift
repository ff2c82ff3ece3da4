// JobControlTests.swift: stop and continue, their wait4 reports and SIGCHLDs, pending
// stop/continue signals, orphaned groups: the kernel's bookkeeping, with processes that
// have no runner (the host SIGSTOP/SIGCONT part runs in the guest corpus: job_*.c).
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

private final class Family {
    let h: Harness
    let parent: Process
    var slots: [UnsafeMutablePointer<kch_slot>] = []

    init() throws {
        h = try Harness()
        parent = h.process
        h.kernel.processes[parent.pid] = parent
    }

    deinit { for s in slots { s.deallocate() } }

    /// A child of the harness process in group `pgid` (its own by default).
    func child(_ pid: Int32, pgid: Int32? = nil, ppid: Int32? = nil) -> (Process, GuestThread) {
        let p = Process(pid: pid, ppid: ppid ?? parent.pid, cred: parent.cred, files: FileTable(),
                        cwd: h.vfs.rootNode, root: h.vfs.rootNode, memory: h.memory, startTime: 0)
        p.pgid = pgid ?? parent.pgid
        p.sid = parent.sid
        let s = UnsafeMutablePointer<kch_slot>.allocate(capacity: 1)
        UnsafeMutableRawPointer(s).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<kch_slot>.size)
        slots.append(s)
        let th = GuestThread(tid: pid, process: p, slot: s)
        p.threads = [th]
        h.kernel.processes[pid] = p
        if let pp = h.kernel.processes[p.ppid] { pp.children.append(pid) }
        return (p, th)
    }

    /// wait4(pid, &status, options): (result, status).
    func wait(_ pid: Int32 = -1, _ options: Int32) -> (Int32, Int32) {
        let st = h.alloc(4, fill: 0)
        let r = h.sys(__NR_wait4, pid, Harness.a(st), options, 0)
        return (r, h.i32(st))
    }

    func pending(_ p: Process, _ sig: Int32) -> Bool { p.signals.pending & Signal.bit(sig) != 0 }
    func handle(_ p: Process, _ sig: Int32, flags: UInt32 = 0) {
        p.signals.actions[Int(sig)].handler = 5
        p.signals.actions[Int(sig)].flags = flags
    }
}

private let WNOHANG: Int32 = 1, WUNTRACED: Int32 = 2, WCONTINUED: Int32 = 8

@Suite struct JobControlTests {
    @Test func stopAndContinueAreReportedOnce() throws {
        let f = try Family()
        let (c, _) = f.child(8)
        f.handle(f.parent, Signal.SIGCHLD)
        #expect(f.wait(-1, WNOHANG | WUNTRACED).0 == 0)
        f.h.kernel.send(Signal.SIGSTOP, to: c, from: f.parent)
        #expect(c.job.isStopped && c.state == .running)
        #expect(f.pending(f.parent, Signal.SIGCHLD))
        #expect(f.parent.signals.senders[Int(Signal.SIGCHLD)] == SignalState.Sender(code: 5, pid: 8, uid: 0, value: Signal.SIGSTOP),
                "CLD_STOPPED, si_status = the signal")
        #expect(f.wait(-1, WNOHANG).0 == 0, "without WUNTRACED a stop is not reported")
        #expect(f.wait(-1, WNOHANG | WUNTRACED) == (8, 0x137f))
        #expect(f.wait(-1, WNOHANG | WUNTRACED).0 == 0, "once")
        #expect(f.wait(-1, WUNTRACED).0 == -10_000, "blocks")
        // A second stop signal while stopped changes nothing.
        f.parent.signals.pending = 0
        f.h.kernel.send(Signal.SIGTSTP, to: c)
        #expect(!f.pending(f.parent, Signal.SIGCHLD))
        f.h.kernel.send(Signal.SIGCONT, to: c, from: f.parent)
        #expect(!c.job.isStopped)
        #expect(f.parent.signals.senders[Int(Signal.SIGCHLD)].code == 6, "CLD_CONTINUED")
        #expect(f.wait(-1, WNOHANG | WUNTRACED).0 == 0)
        #expect(f.wait(8, WNOHANG | WCONTINUED) == (8, 0xffff))
        #expect(f.wait(8, WNOHANG | WCONTINUED).0 == 0)
        // A stop not yet reported is replaced by the continue that follows.
        f.h.kernel.send(Signal.SIGSTOP, to: c)
        f.h.kernel.send(Signal.SIGCONT, to: c)
        #expect(f.wait(8, WNOHANG | WUNTRACED).0 == 0)
        #expect(f.wait(8, WNOHANG | WUNTRACED | WCONTINUED) == (8, 0xffff))
        // SIGKILL ends a stopped process.
        f.h.kernel.send(Signal.SIGSTOP, to: c)
        f.h.kernel.send(Signal.SIGKILL, to: c)
        #expect(c.state == .zombie)
        #expect(f.wait(8, WUNTRACED) == (8, Signal.SIGKILL))
    }

    @Test func noCldStop() throws {
        let f = try Family()
        let (c, _) = f.child(8)
        f.handle(f.parent, Signal.SIGCHLD, flags: Kernel.SA_NOCLDSTOP)
        f.h.kernel.send(Signal.SIGSTOP, to: c)
        f.h.kernel.send(Signal.SIGCONT, to: c)
        #expect(!f.pending(f.parent, Signal.SIGCHLD))
        #expect(f.wait(8, WNOHANG | WCONTINUED) == (8, 0xffff), "wait4 still reports")
    }

    @Test func dispositionsOfStopSignals() throws {
        let f = try Family()
        let (c, th) = f.child(8, pgid: 8)
        // A handler: the signal is delivered, no stop.
        f.handle(c, Signal.SIGTSTP)
        f.h.kernel.send(Signal.SIGTSTP, to: c)
        #expect(!c.job.isStopped && f.pending(c, Signal.SIGTSTP))
        c.signals.pending = 0
        // Ignored: nothing.
        c.signals.actions[Int(Signal.SIGTSTP)].handler = 1
        f.h.kernel.send(Signal.SIGTSTP, to: c)
        #expect(!c.job.isStopped && c.signals.pending == 0)
        // Default but blocked: pending; unblocking stops the process.
        c.signals.actions[Int(Signal.SIGTTOU)] = SignalState.Action()
        th.sigmask = Signal.bit(Signal.SIGTTOU)
        f.h.kernel.send(Signal.SIGTTOU, to: c)
        #expect(!c.job.isStopped && f.pending(c, Signal.SIGTTOU))
        let set = f.h.alloc(8)
        f.h.store(set, UInt64(0))
        th.nr = __NR_rt_sigprocmask
        th.args = (2, Harness.a(set), 0, 8, 0, 0)   // SIG_SETMASK, empty
        #expect(try f.h.handlers[__NR_rt_sigprocmask]!(f.h.kernel, th) == 0)
        #expect(c.job.stopSignal == Signal.SIGTTOU)
        #expect(!f.pending(c, Signal.SIGTTOU))
        // SIGCONT continues even when blocked and caught, and stays pending for the handler.
        f.handle(c, Signal.SIGCONT)
        th.sigmask = Signal.bit(Signal.SIGCONT)
        f.h.kernel.send(Signal.SIGCONT, to: c)
        #expect(!c.job.isStopped && f.pending(c, Signal.SIGCONT))
        // A stop signal discards a pending SIGCONT; SIGCONT discards pending stop signals.
        th.sigmask |= Signal.bit(Signal.SIGTSTP)
        c.signals.actions[Int(Signal.SIGTSTP)] = SignalState.Action()
        f.h.kernel.send(Signal.SIGTSTP, to: c)
        #expect(!f.pending(c, Signal.SIGCONT) && f.pending(c, Signal.SIGTSTP))
        f.h.kernel.send(Signal.SIGCONT, to: c)
        #expect(f.pending(c, Signal.SIGCONT) && !f.pending(c, Signal.SIGTSTP))
        #expect(!c.job.isStopped)
    }

    @Test func orphanedGroups() throws {
        let f = try Family()
        // Group 8's only member has its parent in another group of the session: not orphaned.
        let (c, _) = f.child(8, pgid: 8)
        #expect(!f.h.kernel.isOrphanedGroup(8))
        // A group whose members' parents are all inside it or elsewhere is orphaned:
        // terminal stop signals are discarded there, SIGSTOP still stops.
        let (o, _) = f.child(20, pgid: 20, ppid: 99)
        #expect(f.h.kernel.isOrphanedGroup(20))
        f.h.kernel.send(Signal.SIGTSTP, to: o)
        #expect(!o.job.isStopped && o.signals.pending == 0)
        f.h.kernel.send(Signal.SIGSTOP, to: o)
        #expect(o.job.isStopped)
        // The parent exits: group 8, with a stopped member, is orphaned now and gets SIGHUP
        // then SIGCONT.
        f.h.kernel.send(Signal.SIGSTOP, to: c)
        f.handle(c, Signal.SIGHUP)
        f.h.kernel.exitProcess(f.parent, waitStatus: 0)
        #expect(f.pending(c, Signal.SIGHUP))
        #expect(!c.job.isStopped)
        // Without a stopped member nothing is sent.
        let f2 = try Family()
        let (c2, _) = f2.child(8, pgid: 8)
        f2.handle(c2, Signal.SIGHUP)
        f2.h.kernel.exitProcess(f2.parent, waitStatus: 0)
        #expect(c2.signals.pending == 0)
    }
}
