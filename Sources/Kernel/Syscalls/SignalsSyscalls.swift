// SignalsSyscalls.swift: dispositions, masks, sending, and delivery through the
// guest's signal word (sdk/ABI.md §6). The kernel never runs guest code: it marks the
// thread's word, the guest's libc asks kandelo_sigdequeue for the signal after the
// syscall returns and runs the handler itself.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

public enum Signal {
    public static let SIGHUP: Int32 = 1, SIGINT: Int32 = 2, SIGQUIT: Int32 = 3, SIGILL: Int32 = 4
    public static let SIGABRT: Int32 = 6, SIGFPE: Int32 = 8, SIGKILL: Int32 = 9, SIGSEGV: Int32 = 11
    public static let SIGPIPE: Int32 = 13, SIGALRM: Int32 = 14, SIGTERM: Int32 = 15, SIGCHLD: Int32 = 17
    public static let SIGCONT: Int32 = 18, SIGSTOP: Int32 = 19, SIGTSTP: Int32 = 20, SIGTTIN: Int32 = 21
    public static let SIGTTOU: Int32 = 22, SIGURG: Int32 = 23, SIGWINCH: Int32 = 28

    public enum DefaultAction { case terminate, core, ignore, stop, resume }
    public static func defaultAction(_ sig: Int32) -> DefaultAction {
        switch sig {
        case SIGCHLD, SIGURG, SIGWINCH: .ignore
        case SIGCONT: .resume
        case SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: .stop
        case 3, 4, 5, 6, 7, 8, 11, 24, 25, 31: .core
        default: .terminate
        }
    }
    @inline(__always) static func bit(_ sig: Int32) -> UInt64 { 1 << UInt64(sig - 1) }
    static let unblockable: UInt64 = bit(SIGKILL) | bit(SIGSTOP)
}

extension Kernel {
    static let SA_SIGINFO: UInt32 = 4, SA_RESTART: UInt32 = 0x1000_0000
    static let SA_NODEFER: UInt32 = 0x4000_0000, SA_RESETHAND: UInt32 = 0x8000_0000
    static let SI_USER: Int32 = 0, SI_TKILL: Int32 = -6

    /// rt_sigaction(2): reads or sets a signal's disposition.
    static func sys_rt_sigaction(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let sig = t.arg(0), act = t.uarg(1), old = t.uarg(2)
        if sig < 1 || sig > 64 || t.arg(3) != 8 { throw .errno(.EINVAL) }
        if act != 0 && (sig == Signal.SIGKILL || sig == Signal.SIGSTOP) { throw .errno(.EINVAL) }
        var newAction: SignalState.Action? = nil
        if act != 0 {
            var a = SignalState.Action()
            a.handler = try t.memory.load(act)
            a.flags = try t.memory.load(t.memory.field(act, 4))
            a.restorer = try t.memory.load(t.memory.field(act, 8))
            a.mask = try t.memory.load(t.memory.field(act, 12)) & ~Signal.unblockable
            newAction = a
        }
        if old != 0 {
            let a = t.process.signals.actions[Int(sig)]
            try t.memory.store(old, a.handler)
            try t.memory.store(t.memory.field(old, 4), a.flags)
            try t.memory.store(t.memory.field(old, 8), a.restorer)
            try t.memory.store(t.memory.field(old, 12), a.mask)
        }
        if let a = newAction {
            t.process.signals.actions[Int(sig)] = a
            // Setting SIG_IGN (or SIG_DFL for an ignored-by-default signal) discards it.
            if k.isIgnored(t.process, sig) { t.process.signals.pending &= ~Signal.bit(sig) }
        }
        return 0
    }

    /// rt_sigprocmask(2): reads or changes the thread's blocked set.
    static func sys_rt_sigprocmask(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let how = t.arg(0), set = t.uarg(1), old = t.uarg(2)
        if t.arg(3) != 8 { throw .errno(.EINVAL) }
        var newMask: UInt64? = nil
        if set != 0 {
            let s: UInt64 = try t.memory.load(set)
            switch how {
            case 0: newMask = t.sigmask | s
            case 1: newMask = t.sigmask & ~s
            case 2: newMask = s
            default: throw .errno(.EINVAL)
            }
        }
        if old != 0 { try t.memory.store(old, t.sigmask) }
        if let m = newMask {
            t.sigmask = m & ~Signal.unblockable
            try k.checkSignals(t)
        }
        return 0
    }

    /// rt_sigpending(2): blocked signals that are pending.
    static func sys_rt_sigpending(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if t.arg(1) != 8 { throw .errno(.EINVAL) }
        try t.memory.store(t.uarg(0), (t.process.signals.pending | t.pending) & t.sigmask)
        return 0
    }

    /// rt_sigsuspend(2): waits for a signal with a temporary mask.
    static func sys_rt_sigsuspend(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if t.arg(1) != 8 { throw .errno(.EINVAL) }
        let m: UInt64 = try t.memory.load(t.uarg(0))
        if t.savedSigmask == nil { t.savedSigmask = t.sigmask }
        t.sigmask = m & ~Signal.unblockable
        if k.deliverable(t) != 0 {
            try k.checkSignals(t)
            throw .errno(.EINTR)
        }
        throw .block(t.signalQueue)
    }

    /// sigaltstack(2): reads or sets the alternate signal stack.
    static func sys_sigaltstack(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let ss = t.uarg(0), old = t.uarg(1)
        if old != 0 {
            let a = t.process.signals.altstack
            try t.memory.store(old, a.sp)
            try t.memory.store(t.memory.field(old, 4), a.flags)
            try t.memory.store(t.memory.field(old, 8), a.size)
        }
        if ss != 0 {
            let sp: UInt32 = try t.memory.load(ss), flags: UInt32 = try t.memory.load(t.memory.field(ss, 4))
            let size: UInt32 = try t.memory.load(t.memory.field(ss, 8))
            if flags & ~UInt32(2) != 0 { throw .errno(.EINVAL) }
            if flags == 0 && size < 2048 { throw .errno(.ENOMEM) }
            t.process.signals.altstack = (sp, flags, size)
        }
        return 0
    }

    /// kill(2): sends a signal to a process, a group or every process allowed.
    static func sys_kill(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let pid = t.arg(0), sig = t.arg(1)
        if sig < 0 || sig > 64 { throw .errno(.EINVAL) }
        // Linux (kernel/signal.c kill_something_info): -INT_MIN names no group.
        if pid == Int32.min { throw .errno(.ESRCH) }
        let targets: [Process]
        if pid > 0 {
            guard let p = k.processes[pid], p.state == .running else { throw .errno(.ESRCH) }
            targets = [p]
        } else if pid == -1 {
            // Every process the caller may signal except itself and its init: a
            // launch is its own little system (its top process is its init), so other
            // launches of a service are never reached. EPERM only if none could be.
            let me = t.process
            let all = k.processes.values.filter {
                $0.state == .running && $0 !== me && $0.reaper == me.reaper && $0.pid != me.reaper
            }
            if all.isEmpty { throw .errno(.ESRCH) }
            let allowed = all.filter { k.maySignal(me, $0) }
            if allowed.isEmpty { throw .errno(.EPERM) }
            if sig != 0 { for p in allowed { k.send(sig, to: p, from: me) } }
            return 0
        } else {
            let group = pid == 0 ? t.process.pgid : -pid
            targets = k.processes.values.filter { $0.state == .running && $0.pgid == group }
            if targets.isEmpty { throw .errno(.ESRCH) }
        }
        for p in targets where !k.maySignal(t.process, p) { throw .errno(.EPERM) }
        if sig != 0 { for p in targets { k.send(sig, to: p, from: t.process) } }
        return 0
    }

    /// tkill(2): sends a signal to one thread.
    static func sys_tkill(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try k.threadKill(t, tgid: nil, tid: t.arg(0), sig: t.arg(1))
    }

    /// tgkill(2): sends a signal to one thread of a given process.
    static func sys_tgkill(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try k.threadKill(t, tgid: t.arg(0), tid: t.arg(1), sig: t.arg(2))
    }

    /// rt_sigqueueinfo(2): queues a signal with the caller's siginfo.
    static func sys_rt_sigqueueinfo(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try k.queueInfo(t, pid: t.arg(0), sig: t.arg(1), info: t.uarg(2))
    }

    /// rt_tgsigqueueinfo(2): rt_sigqueueinfo(2) aimed at a thread.
    static func sys_rt_tgsigqueueinfo(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try k.queueInfo(t, pid: t.arg(0), sig: t.arg(2), info: t.uarg(3))
    }

    /// kandelo_sigreturn: restores the mask saved when a handler was entered.
    static func sys_kandelo_sigreturn(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let mask: UInt64 = try t.memory.load(t.memory.field(t.uarg(0), 20))
        t.sigmask = mask & ~Signal.unblockable
        try k.checkSignals(t)
        return 0
    }

    func threadKill(_ t: GuestThread, tgid: Int32?, tid: Int32, sig: Int32) throws(SyscallError) -> Int32 {
        if sig < 0 || sig > 64 || tid <= 0 { throw .errno(.EINVAL) }
        guard let th = threads.first(where: { $0.tid == tid }), tgid == nil || th.process.pid == tgid else {
            throw .errno(.ESRCH)
        }
        if !maySignal(t.process, th.process) { throw .errno(.EPERM) }
        if sig != 0 { send(sig, to: th.process, from: t.process, code: Kernel.SI_TKILL, thread: th) }
        return 0
    }

    func maySignal(_ from: Process, _ to: Process) -> Bool {
        let a = from.cred, b = to.cred
        return a.isRoot || a.euid == b.uid || a.euid == b.suid || a.uid == b.uid || a.uid == b.suid
    }

    func isIgnored(_ p: Process, _ sig: Int32) -> Bool {
        let h = p.signals.actions[Int(sig)].handler
        return h == 1 || (h == 0 && [.ignore, .resume, .stop].contains(Signal.defaultAction(sig)))
    }

    /// Sends `sig` to a process: default actions happen here (termination ends the runner
    /// at once, even in a CPU loop); signals with handlers become pending and reach a
    /// thread through its signal word.
    /// With `thread` (tkill, tgkill), the signal is pending for that thread alone.
    public func send(_ sig: Int32, to p: Process, from: Process? = nil, code: Int32 = 0 /* SI_USER */, value: Int32 = 0,
                     thread: GuestThread? = nil) {
        guard p.state == .running, sig > 0, sig <= 64 else { return }
        if jobControlSend(sig, to: p) { return }   // stop/continue: JobControl.swift
        let action = p.signals.actions[Int(sig)]
        // A fatal default action happens as soon as one thread that may receive the signal
        // does not block it (Linux's complete_signal), not only when none blocks it:
        // checkSignals relies on this when a thread unblocks a pending fatal signal.
        let receivers = thread.map { [$0] } ?? p.threads
        let unblocked = receivers.isEmpty || receivers.contains { $0.sigmask & Signal.bit(sig) == 0 }
        if sig == Signal.SIGKILL || (action.handler == 0 && [.terminate, .core].contains(Signal.defaultAction(sig))
                                     && unblocked) {
            let core: Int32 = Signal.defaultAction(sig) == .core ? 0x80 : 0
            // (A forked child not yet started has no host pid: kill(0) would signal our
            // own process group. Its hello is answered with exit instead: ForkExecSyscalls.)
            if let r = p.runner, r.hostPid > 0 { HostSystem.signalRunner(r.hostPid, SIGKILL) }
            exitProcess(p, waitStatus: sig | core)
            return
        }
        // An ignored signal is discarded, unless it is blocked: then it stays pending (the
        // disposition may change before it is unblocked), as on Linux.
        if isIgnored(p, sig) && !p.threads.contains(where: { $0.sigmask & Signal.bit(sig) != 0 }) { return }
        let sender = SignalState.Sender(code: code, pid: from?.pid ?? 0, uid: from?.cred.uid ?? 0, value: value)
        if let th = thread, sig < 32 {
            if th.pending & Signal.bit(sig) == 0 { th.senders[sig] = sender }
            th.pending |= Signal.bit(sig)
            th.signalQueue.wakeAll()
            p.signalEvents.notify(Events.readable)   // signalfd
            if th.sigmask & Signal.bit(sig) == 0 { try? checkSignals(th) }
            return
        }
        if sig >= 32 {
            p.signals.queued[sig, default: []].append(sender)
        } else if p.signals.pending & Signal.bit(sig) == 0 {
            p.signals.senders[Int(sig)] = sender
        }
        p.signals.pending |= Signal.bit(sig)
        for t in p.threads { t.signalQueue.wakeAll() }   // sigtimedwait
        p.signalEvents.notify(Events.readable)            // signalfd
        for t in p.threads where t.sigmask & Signal.bit(sig) == 0 {
            try? checkSignals(t)
            break
        }
    }

    /// The lowest pending signal the thread does not block, 0 if none. Pending signals
    /// that are unblocked but ignored (they were left pending while blocked) are discarded
    /// here, as Linux discards them when dequeuing.
    func deliverable(_ t: GuestThread) -> Int32 {
        var ready = (t.process.signals.pending | t.pending) & ~t.sigmask
        while ready != 0 {
            let sig = Int32(ready.trailingZeroBitCount + 1)
            if stopOnDelivery(t, sig) { ready &= ~Signal.bit(sig); continue }   // JobControl.swift
            guard isIgnored(t.process, sig) else { break }
            t.process.signals.pending &= ~Signal.bit(sig)
            t.pending &= ~Signal.bit(sig)
            ready &= ~Signal.bit(sig)
        }
        return ready == 0 ? 0 : Int32(ready.trailingZeroBitCount + 1)
    }

    /// If a signal is deliverable to `t`, raise its signal word and interrupt what it waits on.
    func checkSignals(_ t: GuestThread) throws(SyscallError) {
        let sig = deliverable(t)
        guard sig != 0 else { return }
        let action = t.process.signals.actions[Int(sig)]
        if action.handler == 0 && [.terminate, .core].contains(Signal.defaultAction(sig)) {
            // Was blocked, now unblocked: the default action happens now.
            t.process.signals.pending &= ~Signal.bit(sig)
            t.pending &= ~Signal.bit(sig)
            send(sig, to: t.process)
            return
        }
        if t.sigword != 0 { try? t.memory.store(t.sigword, UInt32(1)) }
        // A thread waiting in the kernel gets EINTR, or ERESTART with SA_RESTART.
        let restart = action.flags & Kernel.SA_RESTART != 0
        if let q = t.blockedOn, t.inCall {
            q.remove(t)
            t.blockedOn = nil
            let neverRestarted: [Int32] = [__NR_rt_sigsuspend, __NR_clock_nanosleep_time64, __NR_ppoll_time64,
                                           __NR_pselect6_time64, __NR_rt_sigtimedwait_time64,
                                           __NR_epoll_pwait, __NR_epoll_pwait2]
            let restartable = restart && !neverRestarted.contains(t.nr)
            if let p = t.partial, p.serial == t.serial, p.done > 0 {
                // A write interrupted after moving some bytes returns that count (Linux).
                t.partial = nil
                complete(t, Int32(p.done))
            } else {
                complete(t, restartable ? -LinuxErrno.ERESTART.rawValue : -LinuxErrno.EINTR.rawValue)
            }
        } else if let stop = t.interrupt, t.inCall {
            t.interrupt = nil
            stop(-LinuxErrno.EINTR.rawValue)
        } else if !t.inCall, let r = t.process.runner, r.hostPid > 0 {
            // Running guest code, or waiting on a guest futex inside the runner: knock the
            // host thread out of the wait (Engine/Runner.swift); it sees the signal word.
            let hostTid = Int32(bitPattern: t.slot.pointee.host_tid)
            if hostTid > 0 { _ = kch_tgkill(r.hostPid, hostTid, SIGURG) }
        }
        t.signalQueue.wakeAll()
    }

    /// Takes `sig` off the thread's or else the process's pending set and returns who
    /// sent it (real-time signals queue).
    func takePending(_ t: GuestThread, _ sig: Int32) -> SignalState.Sender {
        if t.pending & Signal.bit(sig) != 0 {
            t.pending &= ~Signal.bit(sig)
            return t.senders.removeValue(forKey: sig) ?? SignalState.Sender()
        }
        return takePending(t.process, sig)
    }

    func takePending(_ p: Process, _ sig: Int32) -> SignalState.Sender {
        if sig >= 32, var q = p.signals.queued[sig], !q.isEmpty {
            let first = q.removeFirst()
            p.signals.queued[sig] = q.isEmpty ? nil : q
            if q.isEmpty { p.signals.pending &= ~Signal.bit(sig) }
            return first
        }
        p.signals.pending &= ~Signal.bit(sig)
        return p.signals.senders[Int(sig)]
    }

    /// Linux's 32-bit siginfo: si_signo 0, si_errno 4, si_code 8, then (kill, tkill,
    /// sigqueue) si_pid 12, si_uid 16, si_value 20.
    static func siginfo(_ sig: Int32, _ s: SignalState.Sender) -> [UInt8] {
        var info = [UInt8](repeating: 0, count: 128)
        for (off, v) in [(0, UInt32(bitPattern: sig)), (8, UInt32(bitPattern: s.code)),
                         (12, UInt32(bitPattern: s.pid)), (16, s.uid), (20, UInt32(bitPattern: s.value))] {
            for i in 0..<4 { info[off + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) }
        }
        return info
    }

    /// kandelo_sigdequeue: hands the guest's libc its next deliverable signal.
    static func sys_kandelo_sigdequeue(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let si = t.uarg(0), uc = t.uarg(1), act = t.uarg(2)
        try t.memory.check(si, 128)
        try t.memory.check(uc, 164)
        try t.memory.check(act, 20)
        if t.signalChain.isEmpty {
            // Set up, as Linux does at one return to user space, a frame for every signal
            // deliverable under the mask each previous frame installs; the handlers then
            // run innermost (last set up) first.
            var mask = t.sigmask
            let restoreFirst = t.savedSigmask ?? t.sigmask
            t.savedSigmask = nil
            var chain: [(sig: Int32, sender: SignalState.Sender, action: SignalState.Action, mask: UInt64, restore: UInt64)] = []
            while true {
                let saved = t.sigmask
                t.sigmask = mask
                let sig = k.deliverable(t)
                t.sigmask = saved
                if sig == 0 { break }
                let a = t.process.signals.actions[Int(sig)]
                let sender = k.takePending(t, sig)
                var handlerMask = mask | a.mask
                if a.flags & Kernel.SA_NODEFER == 0 { handlerMask |= Signal.bit(sig) }
                handlerMask &= ~Signal.unblockable
                chain.append((sig, sender, a, handlerMask, chain.isEmpty ? restoreFirst : mask))
                if a.flags & Kernel.SA_RESETHAND != 0 { t.process.signals.actions[Int(sig)] = SignalState.Action() }
                mask = handlerMask
                if chain.count >= 64 { break }
            }
            t.signalChain = chain.reversed()
        }
        guard !t.signalChain.isEmpty else { return 0 }
        let frame = t.signalChain.removeFirst()
        let sig = frame.sig
        // The action as it was when the frame was set up (SA_RESETHAND may have reset it).
        let a = frame.action
        try t.memory.write(si, Kernel.siginfo(sig, frame.sender))
        var context = [UInt8](repeating: 0, count: 164)
        let alt = t.process.signals.altstack
        for (off, v) in [(8, alt.sp), (12, alt.flags), (16, alt.size)] {
            for i in 0..<4 { context[off + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) }
        }
        for i in 0..<8 { context[20 + i] = UInt8((frame.restore >> (8 * UInt64(i))) & 0xff) }
        try t.memory.write(uc, context)
        try t.memory.store(act, a.handler)
        try t.memory.store(t.memory.field(act, 4), a.flags)
        try t.memory.store(t.memory.field(act, 8), a.restorer)
        try t.memory.store(t.memory.field(act, 12), a.mask)
        t.sigmask = frame.mask
        return sig
    }

    /// rt_sigqueueinfo / rt_tgsigqueueinfo: a signal with the caller's si_code and value.
    func queueInfo(_ t: GuestThread, pid: Int32, sig: Int32, info: UInt32) throws(SyscallError) -> Int32 {
        if sig < 0 || sig > 64 { throw .errno(.EINVAL) }
        guard let p = processes[pid], p.state == .running else { throw .errno(.ESRCH) }
        let code: Int32 = try t.memory.load(t.memory.field(info, 8))
        let value: Int32 = try t.memory.load(t.memory.field(info, 20))
        // Only the kernel may claim si_code >= 0 (or SI_TKILL) for another process.
        if (code >= 0 || code == -6) && p !== t.process { throw .errno(.EPERM) }
        if !maySignal(t.process, p) { throw .errno(.EPERM) }
        if sig != 0 { send(sig, to: p, from: t.process, code: code, value: value) }
        return 0
    }

    /// rt_sigtimedwait(2): waits for one of a set of signals, with a timeout.
    static func sys_rt_sigtimedwait(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let setAddr = t.uarg(0), info = t.uarg(1), tmo = t.uarg(2)
        if t.arg(3) != 8 { throw .errno(.EINVAL) }
        let set: UInt64 = try t.memory.load(setAddr)
        let want = set & ~Signal.unblockable
        let timeout = tmo == 0 ? nil : try k.loadTimespec(t, tmo)
        let ready = (t.process.signals.pending | t.pending) & want
        if ready != 0 {
            let sig = Int32(ready.trailingZeroBitCount + 1)
            let sender = k.takePending(t, sig)
            if info != 0 { try t.memory.write(info, Kernel.siginfo(sig, sender)) }
            return sig
        }
        // A signal outside the set that can be delivered interrupts the wait.
        if k.deliverable(t) != 0 { throw .errno(.EINTR) }
        let deadline = k.deadline(t, timeout: timeout)
        if let deadline, k.monotonicNanos() >= deadline { throw .errno(.EAGAIN) }
        try k.waitForReadiness(t, [], deadline: deadline, also: t.signalQueue)
    }
}
