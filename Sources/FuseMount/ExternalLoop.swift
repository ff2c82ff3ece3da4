// ExternalLoop.swift: serving the mount from someone else's event loop (the service's
// io_uring loop in Launcher/Service.swift) instead of `run`.
//
// The owner of the loop calls, all on its one thread:
//   startServing()                  once, before the first request (starts the invalidator)
//   serveAvailableRequests()        whenever `fileDescriptor` polls readable; returns why
//                                   the session ended, or nil
//   commitIfDue()                   now and then (the commit timer of `run`)
//   noteChange()                    after changing the image beside FUSE (guest writes),
//                                   together with the invalidate(...) calls
//   finish()                        at the end, as after `run`

import CFuse3
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FuseServer {
    public func startServing() {
        if invalidator == nil, let se = session {
            invalidator = Invalidator(session: se, log: log)
        }
        invalidator?.start()
    }

    /// Journals the changes made since the first unsynced one if `commitInterval` has
    /// passed since it. Returns when the next check is due (milliseconds from now), or nil
    /// when nothing waits.
    @discardableResult
    public func commitIfDue() -> UInt64? {
        guard unsynced && options.commitInterval > 0 else { return nil }
        let due = unsyncedSince + UInt64(options.commitInterval) * 1000
        let now = monotonicMilliseconds()
        if now >= due {
            try? syncImage()   // logged; the next fsync reports a failure to its caller
            unsynced = false
            return nil
        }
        return due - now
    }

    /// A change made beside FUSE (a guest's write): the commit timer covers it too.
    public func noteExternalChange() { noteChange() }
}
