// RequestLoop.swift: the loop that reads FUSE requests and serves them, one at a time.
//
// We do not use fuse_session_loop_mt: the loop is ours, so the service can fold it into its
// own event loop. Today it is poll(2) over three descriptors:
//
//   the FUSE device (fuse_session_fd, non-blocking)   → fuse_session_receive_buf, then
//                                                       fuse_session_process_buf, until EAGAIN
//   an eventfd                                         → `perform` work and `requestStop`
//   a signalfd (optional: SIGINT, SIGTERM)             → stop; the caller unmounts and checkpoints
//
// plus a timeout for the commit timer (journal changes `commitInterval` seconds after the
// first unsynced one). One thread is enough: every operation is a memory operation on
// SharedFS, except fsync, which waits for one fdatasync of the journal.
//
// Spinning before sleeping. A request costs two wake-ups: the kernel wakes us, we reply and
// it wakes the caller. A program working through a tree (tar -x, cp -r, git checkout)
// sends its next request a few microseconds after our reply, so after the last request
// we keep reading the (non-blocking) device for `spinMicroseconds` (default 50) before we
// poll and sleep. On this 2-CPU VM a wake-up costs ~40 µs: spinning made untar of 10,000
// files 3.3x faster and 4 KiB O_DIRECT reads 2.8x faster (scripts/bench-fuse.sh), at the
// cost of at most 50 µs of CPU per idle period. `-o spin=0` turns it off.
//
// The service does not use this loop: it serves the mount from its own io_uring loop
// through ExternalLoop.swift (a poll on `fileDescriptor`, then `serveAvailableRequests()`
// on the one thread that owns the SharedFS). The operations are the same in both.
//
// Why invalidations never run on this thread: see Invalidator.swift.

import CFuse3
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FuseServer {
    public enum StopReason: Equatable, Sendable {
        /// The kernel ended the session: fusermount3 -u, umount, or an aborted connection.
        case unmounted
        /// `requestStop` was called.
        case stopped
        /// One of the signals given to `run` arrived.
        case signal(Int32)
        /// Reading the FUSE device failed (errno).
        case failed(Int32)
    }

    /// Serves requests until the session ends, `requestStop`, or one of `signals` arrives.
    /// The signals are blocked in the calling thread (and the threads it starts later) and
    /// read from a signalfd, so the caller's shutdown runs in order, not in a handler.
    public func run(stopSignals signals: [Int32] = []) -> StopReason {
        var sfd: Int32 = -1
        if !signals.isEmpty {
            var mask = sigset_t()
            sigemptyset(&mask)
            for s in signals { sigaddset(&mask, s) }
            pthread_sigmask(SIG_BLOCK, &mask, nil)
            sfd = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        }
        defer { if sfd >= 0 { close(sfd) } }
        startServing()   // after the mask: the invalidation thread inherits it

        var fds = [pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        if sfd >= 0 { fds.append(pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)) }

        while true {
            // Journals what is due, and sleeps no longer than until the next commit.
            let timeout = commitIfDue().map { Int32(min($0, 3_600_000)) } ?? -1
            for i in fds.indices { fds[i].revents = 0 }
            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 {
                if errno == EINTR { continue }
                return .failed(errno)
            }
            if fds[0].revents != 0 {
                if let end = serveAvailableRequests() { return end }
            }
            if fds[1].revents != 0, let end = runQueuedWork() { return end }
            if sfd >= 0, fds[2].revents != 0 {
                var info = signalfd_siginfo()
                if Glibc.read(sfd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
                    return .signal(Int32(info.ssi_signo))
                }
            }
        }
    }

    /// Serves every request waiting on the FUSE device (at most 256, so other sources get a
    /// turn). Returns why the session ended, or nil while it goes on.
    @discardableResult
    public func serveAvailableRequests() -> StopReason? {
        serveAvailableRequests(&loopBuffer)
    }

    func serveAvailableRequests(_ buf: inout fuse_buf) -> StopReason? {
        guard let se = session else { return .unmounted }
        let spin = UInt64(options.spinMicroseconds)
        var spinUntil: UInt64 = 0
        var served = 0
        while served < 256 {
            let res = fuse_session_receive_buf(se, &buf)
            if res == -EAGAIN || res == -EINTR {
                // Nothing waiting: keep looking for up to `spin` µs before going to sleep.
                guard spin > 0 else { return nil }
                let now = monotonicMicroseconds()
                if spinUntil == 0 { spinUntil = now + spin } else if now >= spinUntil { return nil }
                continue
            }
            spinUntil = 0
            if fuse_session_exited(se) != 0 || res == 0 || res == -ENODEV {
                // libfuse turns ENODEV (unmounted, or aborted in /sys/fs/fuse) into an exit.
                connectionEnded = true
                return .unmounted
            }
            if res < 0 { return .failed(-res) }
            fuse_session_process_buf(se, &buf)
            served += 1
        }
        return nil
    }

    /// Runs `perform` work; returns `.stopped` after `requestStop`.
    private func runQueuedWork() -> StopReason? {
        var counter: UInt64 = 0
        _ = Glibc.read(wakeFD, &counter, 8)
        pthread_mutex_lock(workLock)
        let work = workQueue
        workQueue.removeAll()
        let stop = stopRequested
        pthread_mutex_unlock(workLock)
        for w in work { w(self) }
        return stop ? .stopped : nil
    }
}
