// EpollSyscalls.swift: epoll_create1, epoll_ctl, epoll_pwait and epoll_pwait2 (musl's
// epoll_create and epoll_wait call the first and the third). The instance is EpollFile.
//
// struct epoll_event on wasm32: musl packs it only on x86_64, so here it is
// { u32 events; (4 bytes padding) u64 data; }: 16 bytes, data at offset 8.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

extension Kernel {
    static let EPOLL_CTL_ADD: Int32 = 1, EPOLL_CTL_DEL: Int32 = 2, EPOLL_CTL_MOD: Int32 = 3
    static let epollEventSize = 16

    /// epoll_create1(flags): a new epoll instance (EPOLL_CLOEXEC is O_CLOEXEC).
    static func sys_epoll_create1(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let flags = t.arg(0)
        if flags & ~OpenFlags.O_CLOEXEC != 0 { throw .errno(.EINVAL) }
        return try t.process.files.install(EpollFile(flags: flags), cloexec: flags != 0)
    }

    /// epoll_ctl(epfd, op, fd, event): ADD, MOD or DEL an item, with Linux's checks in
    /// Linux's order (do_epoll_ctl).
    static func sys_epoll_ctl(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let epfd = t.arg(0), op = t.arg(1), fd = t.arg(2), evAddr = t.uarg(3)
        var events: UInt32 = 0, data: UInt64 = 0
        if op != EPOLL_CTL_DEL {
            // POLLERR and POLLHUP are always reported (and fdinfo shows them in the mask).
            events = try t.memory.load(evAddr) | Events.err | Events.hup
            data = try t.memory.load(t.memory.field(evAddr, 8))
        }
        let epFile = try t.process.files.get(epfd)
        let target = try t.process.files.get(fd)
        if !target.isWatchable { throw .errno(.EPERM) }
        guard let ep = epFile as? EpollFile, epFile !== target else { throw .errno(.EINVAL) }
        if op != EPOLL_CTL_DEL && events & EpollFlags.EPOLLEXCLUSIVE != 0 {
            if op == EPOLL_CTL_MOD { throw .errno(.EINVAL) }
            if target is EpollFile || events & ~EpollFlags.exclusiveOK != 0 { throw .errno(.EINVAL) }
        }
        let existing = ep.item(target, fd)
        switch op {
        case EPOLL_CTL_ADD:
            if existing != nil { throw .errno(.EEXIST) }
            if let inner = target as? EpollFile, ep.wouldLoop(adding: inner) { throw .errno(.ELOOP) }
            ep.add(t, file: target, fd: fd, events: events, data: data)
        case EPOLL_CTL_MOD:
            guard let item = existing else { throw .errno(.ENOENT) }
            if item.events & EpollFlags.EPOLLEXCLUSIVE != 0 { throw .errno(.EINVAL) }
            ep.modify(t, item, events: events, data: data)
        case EPOLL_CTL_DEL:
            guard let item = existing else { throw .errno(.ENOENT) }
            ep.forget(item)
        default:
            throw .errno(.EINVAL)
        }
        return 0
    }

    /// epoll_pwait(epfd, events, maxevents, timeout ms, sigmask, sigsetsize).
    static func sys_epoll_pwait(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let ms = t.arg(3)
        let timeout: (sec: Int64, nsec: Int64)? = ms < 0 ? nil : (Int64(ms / 1000), Int64(ms % 1000) * 1_000_000)
        return try k.epollWait(t, timeout: timeout, mask: t.uarg(4), maskSize: t.arg(5))
    }

    /// epoll_pwait2(epfd, events, maxevents, timeout timespec or NULL, sigmask, sigsetsize).
    static func sys_epoll_pwait2(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let tmo = t.uarg(3)
        let timeout = tmo == 0 ? nil : try k.loadTimespec(t, tmo)
        return try k.epollWait(t, timeout: timeout, mask: t.uarg(4), maskSize: t.arg(5))
    }

    /// The common part of the waits: checks (do_epoll_wait's order), the temporary signal
    /// mask, events reported or a wait on the instance's queue until the deadline.
    func epollWait(_ t: GuestThread, timeout: (sec: Int64, nsec: Int64)?, mask: UInt32, maskSize: Int32) throws(SyscallError) -> Int32 {
        let epfd = t.arg(0), out = t.uarg(1), max = Int(t.arg(2))
        if max <= 0 || max > Int(Int32.max) / Kernel.epollEventSize { throw .errno(.EINVAL) }
        try t.memory.check(out, max * Kernel.epollEventSize)
        guard let ep = try t.process.files.get(epfd) as? EpollFile else { throw .errno(.EINVAL) }
        if mask != 0 {
            if maskSize != 8 { throw .errno(.EINVAL) }
            try applyTemporaryMask(t, mask)
        }
        let ready = ep.collect(t, max: max)
        let deadline = self.deadline(t, timeout: timeout)
        if !ready.isEmpty || (deadline != nil && monotonicNanos() >= deadline!) {
            for (i, e) in ready.enumerated() {
                let a = out + UInt32(i * Kernel.epollEventSize)
                try t.memory.store(a, e.events)
                try t.memory.store(t.memory.field(a, 8), e.data)
            }
            restoreTemporaryMask(t)
            return Int32(ready.count)
        }
        try waitForReadiness(t, [(ep, Events.readable)], deadline: deadline)
    }
}
