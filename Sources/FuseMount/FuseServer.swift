// FuseServer.swift: one mounted image: the libfuse session, the state the operations
// share, connection setup (INIT), and shutdown.
//
// Lifecycle:
//   init        fuse_session_new (options checked by libfuse) + fuse_session_mount
//   run         the request loop (RequestLoop.swift) until unmounted, stopped or signalled
//   finish      unmount if still mounted, stop the invalidation thread, drop the kernel's
//               pins, ImageFile.close() (checkpoint), fuse_session_destroy
//
// Threads: everything here runs on the thread that calls `run` (the loop thread), which
// owns the SharedFS. The exceptions are `perform` and `requestStop` (any thread) and the
// invalidation thread (Invalidator.swift), which touches only the libfuse session.
//
// Caching (why the kernel may keep what it keeps):
//   - Entry and attribute timeouts are long (`cacheTimeout`): the image changes only
//     through this server, and fuse_lowlevel.h asks for "a very large value" when attributes
//     change only by requests that come through the kernel. Changes that do not (guest
//     writes, once the kernel issue lands) must call `invalidate(inode:)` / `invalidate(entry:)`.
//   - Negative lookups are cached for the same time (the kernel drops them itself when a
//     name is created through it).
//   - Files open with keep_cache, and FUSE_CAP_EXPLICIT_INVAL_DATA stops the kernel from
//     dropping a file's pages when it merely sees a new size or mtime: page cache survives
//     across opens and our own writes; only an explicit invalidation drops it.
//   - Directories open with cache_readdir; the kernel drops a cached listing itself when
//     the directory changes through it.
//   - Symlink targets are cached (FUSE_CAP_CACHE_SYMLINKS).
//   - No writeback cache: with it the kernel owns size and mtime and holds dirty pages we
//     have not seen, so an fsync-durability promise, a checkpoint at SIGTERM, and guest
//     writes to the same file would all need a writeback round first. Writes are
//     write-through instead (max_write 1 MiB keeps sequential writes fast).

import CFuse3
import Logging
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class FuseServer {
    public let image: ImageFile
    public var fs: SharedFS { image.fs }
    public let mountPoint: String
    public let options: MountOptions
    let table: InodeTable
    let log: Logger

    /// libfuse's `struct fuse_session *`; nil after `finish`.
    private(set) var session: OpaquePointer?
    /// The kernel side of the session went away (unmounted, or aborted).
    var connectionEnded = false
    var invalidator: Invalidator?

    /// Advisory locks taken through the mount (Operations/Locks.swift). The service gives
    /// its kernel this same table, so guests and host tools exclude each other.
    public let locks = FileLocks()
    /// setlk/flock requests waiting for their lock (each answers itself when granted).
    var pendingLocks: [ObjectIdentifier: PendingLock] = [:]
    /// Owners that took a POSIX-style lock through each open handle and have not flushed
    /// through it: the open file's OFD owners, released with the handle (Locks.swift).
    var lockOwnersByHandle: [UInt64: Set<UInt64>] = [:]
    /// Open handles per inode (files and directories): each holds one `SharedFS.retain`.
    var openHandles: [UInt32: Int] = [:]
    /// A mutating request was served since the last journal sync.
    var unsynced = false
    /// When the first unsynced change happened (monotonic milliseconds).
    var unsyncedSince: UInt64 = 0

    /// Scratch buffers for read replies and directory listings (one request at a time).
    let readBuffer: UnsafeMutableRawPointer
    let readBufferSize = FuseServer.maxWrite + 4096
    let listBuffer: UnsafeMutableRawPointer
    let listBufferSize = 1 << 20

    /// Seconds the kernel may trust entries and attributes (see the file comment).
    let cacheTimeout: Double = 86_400
    static let maxWrite = 1 << 20

    // Cross-thread work (perform / requestStop), guarded by `workLock`.
    let workLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    var workQueue: [(FuseServer) -> Void] = []
    var stopRequested = false
    /// eventfd that wakes the loop for `perform` and `requestStop`.
    let wakeFD: Int32
    /// libfuse's request buffer when an outer loop drives us (ExternalLoop.swift): kept,
    /// so its megabyte is not mapped and faulted in again for every batch.
    var loopBuffer = fuse_buf()

    /// Mounts `image` on `mountPoint` (absolute; checked by Preflight). The kernel's INIT and
    /// every later request are served by `run`.
    public init(image: ImageFile, mountPoint: String, options: MountOptions,
                logger: Logger = Logger(label: "kandelo-mount")) throws(MountError) {
        self.image = image
        self.mountPoint = mountPoint
        self.options = options
        self.log = logger
        table = InodeTable(fs: image.fs)
        // Writing a big new file grows the image into fresh memory; a background thread
        // faults it in ahead of the writes (ImageMemory.swift, Populator). Lazy: it starts
        // at the first growth, which only serving requests causes (after daemonizing).
        image.fs.prefaultsAhead = !options.readOnly
        readBuffer = UnsafeMutableRawPointer.allocate(byteCount: FuseServer.maxWrite + 4096, alignment: 4096)
        listBuffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        pthread_mutex_init(workLock, nil)
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wakeFD >= 0 else { throw .fuse("eventfd: \(errnoText(errno))") }

        // libfuse parses the options (and rejects unknown ones) from an argv.
        var argv = ["kandelo-mount", "-o", options.fuseOptionString(imagePath: image.path)]
        if options.debug { argv.append("-d") }
        let cArgs = argv.map { strdup($0) }
        defer { cArgs.forEach { free($0) } }
        var ptrs: [UnsafeMutablePointer<CChar>?] = cArgs + [nil]
        var ops = FuseServer.operations()
        let se: OpaquePointer? = ptrs.withUnsafeMutableBufferPointer { p in
            var args = fuse_args(argc: Int32(argv.count), argv: p.baseAddress, allocated: 0)
            defer { fuse_opt_free_args(&args) }
            return fuse_session_new(&args, &ops, MemoryLayout<fuse_lowlevel_ops>.size,
                                    Unmanaged.passUnretained(self).toOpaque())
        }
        guard let se else {
            throw .usage("libfuse refused the mount options \(argv[2]) (see its message above)")
        }
        guard fuse_session_mount(se, mountPoint) == 0 else {
            fuse_session_destroy(se)
            throw .fuse("mounting on \(mountPoint) failed (see the message above)")
        }
        session = se
        let fd = fuse_session_fd(se)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        free(loopBuffer.mem)
        readBuffer.deallocate()
        listBuffer.deallocate()
        pthread_mutex_destroy(workLock)
        workLock.deallocate()
        if wakeFD >= 0 { close(wakeFD) }
    }

    static func from(_ userdata: UnsafeMutableRawPointer?) -> FuseServer {
        guard let userdata else { preconditionFailure("libfuse passed no userdata") }
        return Unmanaged<FuseServer>.fromOpaque(userdata).takeUnretainedValue()
    }

    /// The FUSE device descriptor: readable when a request waits (for an outer event loop).
    public var fileDescriptor: Int32 { session.map { fuse_session_fd($0) } ?? -1 }

    // MARK: INIT

    /// Negotiates the connection (the `init` op). See the file comment for the cache choices.
    func initialize(_ conn: UnsafeMutablePointer<fuse_conn_info>) {
        var c = conn.pointee
        // 1 MiB requests: libfuse derives max_pages from max_write (256 pages of 4 KiB),
        // and its receive buffer is FUSE_MAX_MAX_PAGES pages, so this is the largest it takes.
        c.max_write = UInt32(FuseServer.maxWrite)
        var want = c.want
        // Requests land in a memory buffer we read in place: no pipes.
        want &= ~UInt32(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE)
        want &= ~UInt32(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_AUTO_INVAL_DATA)
        for cap in [FUSE_CAP_EXPLICIT_INVAL_DATA, FUSE_CAP_CACHE_SYMLINKS, FUSE_CAP_ATOMIC_O_TRUNC,
                    FUSE_CAP_READDIRPLUS, FUSE_CAP_READDIRPLUS_AUTO, FUSE_CAP_PARALLEL_DIROPS, FUSE_CAP_ASYNC_READ,
                    FUSE_CAP_POSIX_LOCKS, FUSE_CAP_FLOCK_LOCKS]   // locks: Operations/Locks.swift
        where c.capable & UInt32(cap) != 0 {
            want |= UInt32(cap)
        }
        c.want = want
        // The image keeps times in milliseconds; the kernel truncates the same way.
        c.time_gran = 1_000_000
        conn.pointee = c
    }

    // MARK: shared helpers for the operations

    /// Called by every operation that changed the image (for the commit timer).
    @inline(__always) func noteChange() {
        if !unsynced { unsynced = true; unsyncedSince = monotonicMilliseconds() }
    }

    /// Journals every change so far (fsync, fsyncdir, commit timer). Errors are EIO.
    func syncImage() throws(LinuxErrno) {
        do { try image.sync() } catch {
            log.error("journal write for \(image.path) failed: \(error)")
            throw .EIO
        }
        unsynced = false
    }

    // MARK: cross-thread requests

    /// Runs `work` on the loop thread at its next turn. Safe from any thread.
    public func perform(_ work: @escaping (FuseServer) -> Void) {
        pthread_mutex_lock(workLock)
        workQueue.append(work)
        pthread_mutex_unlock(workLock)
        wake()
    }

    /// Makes `run` return (then call `finish`). Safe from any thread.
    public func requestStop() {
        pthread_mutex_lock(workLock)
        stopRequested = true
        pthread_mutex_unlock(workLock)
        wake()
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    // MARK: shutdown

    /// Unmounts (if the kernel has not already), drops every reference the kernel and open
    /// handles held, and checkpoints the image. Call once, on the loop thread, after `run`.
    public func finish() throws(ImageError) {
        guard let se = session else { return }
        if !connectionEnded { fuse_session_unmount(se) }
        invalidator?.stop()
        invalidator = nil
        for (ino, n) in openHandles { for _ in 0..<n { fs.release(InodeNumber(ino)) } }
        openHandles.removeAll()
        table.releaseAll()
        defer {
            fuse_session_destroy(se)
            session = nil
        }
        try image.close()
    }
}

func monotonicMicroseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
}

func monotonicMilliseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}
