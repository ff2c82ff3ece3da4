// ImageMemory.swift: the SharedFS bytes (Layer 2 of the image), in host memory.
//
// One anonymous mapping is reserved for the image's whole capacity up front (MAP_NORESERVE,
// so untouched pages cost nothing), which keeps the base address stable while the
// filesystem grows: FUSE replies and the kernel may hold pointers into it between calls.
// A long-lived writer may have the pages past the end faulted in ahead of growth by a
// background thread (`prefaultsAhead`, Populator at the end of this file).
//
// Every mutating accessor marks the 4 KiB block it touches as dirty. The journal
// (Persistence/Journal.swift) writes exactly the dirty blocks on `sync`, so the cost of a
// sync follows what changed, not the size of the image. Accessors do not check bounds
// beyond a precondition: callers validate image-derived numbers first (see
// SharedFS.blockOffset), so a corrupt image becomes an error there, never a wild access.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public let blockSize = 4096

final class ImageMemory {
    /// Base of the reservation; stable for the object's life.
    let base: UnsafeMutableRawPointer
    /// Bytes reserved (the most `length` may grow to).
    let capacity: Int
    /// Current SAB length (the container's `sabLen`).
    private(set) var length: Int
    /// One bit per block: modified since the last `takeDirtyBlocks()`.
    private var dirty: [UInt64]
    private(set) var dirtyCount = 0

    init(length: Int, capacity: Int) throws(ImageError) {
        precondition(length <= capacity)
        let cap = max(capacity, blockSize)
        let p = mmap(nil, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else {
            throw .io("cannot reserve \(cap) bytes of memory for the image", errno: errno)
        }
        base = p
        self.capacity = cap
        self.length = length
        dirty = Array(repeating: 0, count: (cap / blockSize + 63) / 64)
    }

    deinit {
        populator?.stop()
        munmap(base, capacity)
    }

    /// Grows the SAB to `newLength` (zero bytes appear: fresh anonymous pages).
    func grow(to newLength: Int) {
        precondition(newLength <= capacity && newLength >= length)
        length = newLength
        noteGrowth()
    }

    // MARK: prefaulting

    /// Fault in memory past the end of the image, ahead of its growth, on a thread of its
    /// own (Populator, below). Off unless a long-lived writer (the FUSE mount) turns it on.
    var prefaultsAhead: Bool {
        get { populator != nil }
        set {
            if newValue, populator == nil { populator = Populator(base: base, from: length) }
            if !newValue, let p = populator { p.stop(); populator = nil }
        }
    }
    private var populator: Populator?

    private func noteGrowth() {
        populator?.extend(to: min(capacity, length + Populator.ahead))
    }

    // MARK: dirty tracking

    @inline(__always) func markDirty(block: Int) {
        let w = block >> 6, bit = UInt64(1) << UInt64(block & 63)
        if dirty[w] & bit == 0 { dirty[w] |= bit; dirtyCount += 1 }
    }

    @inline(__always) func markDirty(offset: Int, count: Int) {
        guard count > 0 else { return }
        var b = offset / blockSize
        let last = (offset + count - 1) / blockSize
        while b <= last { markDirty(block: b); b += 1 }
    }

    func markAllDirty() {
        for b in 0..<(length / blockSize) { markDirty(block: b) }
    }

    /// The dirty block numbers in ascending order; clears the set.
    func takeDirtyBlocks() -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(dirtyCount)
        for (w, word) in dirty.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                let t = bits.trailingZeroBitCount
                out.append(w * 64 + t)
                bits &= bits - 1
            }
            dirty[w] = 0
        }
        dirtyCount = 0
        return out
    }

    // MARK: little-endian accessors

    @inline(__always) func u16(_ off: Int) -> UInt16 {
        precondition(off >= 0 && off + 2 <= length, "image read out of range")
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: off, as: UInt16.self))
    }
    @inline(__always) func u32(_ off: Int) -> UInt32 {
        precondition(off >= 0 && off + 4 <= length, "image read out of range")
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: off, as: UInt32.self))
    }
    @inline(__always) func u64(_ off: Int) -> UInt64 {
        precondition(off >= 0 && off + 8 <= length, "image read out of range")
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: off, as: UInt64.self))
    }
    @inline(__always) func setU16(_ off: Int, _ v: UInt16) {
        precondition(off >= 0 && off + 2 <= length, "image write out of range")
        base.storeBytes(of: v.littleEndian, toByteOffset: off, as: UInt16.self)
        markDirty(block: off / blockSize)
    }
    @inline(__always) func setU32(_ off: Int, _ v: UInt32) {
        precondition(off >= 0 && off + 4 <= length, "image write out of range")
        base.storeBytes(of: v.littleEndian, toByteOffset: off, as: UInt32.self)
        markDirty(block: off / blockSize)
    }
    @inline(__always) func setU64(_ off: Int, _ v: UInt64) {
        precondition(off >= 0 && off + 8 <= length, "image write out of range")
        base.storeBytes(of: v.littleEndian, toByteOffset: off, as: UInt64.self)
        markDirty(block: off / blockSize)
    }

    func copyIn(_ src: UnsafeRawBufferPointer, at off: Int) {
        precondition(off >= 0 && off + src.count <= length, "image write out of range")
        guard let s = src.baseAddress, src.count > 0 else { return }
        (base + off).copyMemory(from: s, byteCount: src.count)
        markDirty(offset: off, count: src.count)
    }

    func copyOut(at off: Int, into dst: UnsafeMutableRawPointer, count: Int) {
        precondition(off >= 0 && off + count <= length, "image read out of range")
        dst.copyMemory(from: base + off, byteCount: count)
    }

    func zero(at off: Int, count: Int) {
        precondition(off >= 0 && off + count <= length, "image write out of range")
        guard count > 0 else { return }
        memset(base + off, 0, count)
        markDirty(offset: off, count: count)
    }

    func bytes(at off: Int, count: Int) -> [UInt8] {
        precondition(off >= 0 && off + count <= length, "image read out of range")
        return Array(UnsafeRawBufferPointer(start: base + off, count: count))
    }

    func isZero(at off: Int, count: Int) -> Bool {
        let p = UnsafeRawBufferPointer(start: base + off, count: count)
        return p.allSatisfy { $0 == 0 }
    }
}

/// Faults in the memory a growing image is about to write, ahead of it, on its own thread.
///
/// The first write to a page of the reservation costs a page fault: the kernel allocates,
/// charges and zeroes a page (on a VM the host often faults too). Writing a big new file
/// grows the image into fresh pages, and those faults were over half of kandelo-mount's CPU
/// time in a 1 GiB sequential write (0.4 s per GiB on the benchmark VM). Each growth moves
/// the target `ahead` bytes past the new end; this thread faults in the memory up to there
/// with MADV_POPULATE_WRITE, so the writer finds its pages present. Populating never
/// changes content (fresh pages are zero either way), and the thread touches no Swift
/// state of the image, only the mapping through the kernel, so the owner's accesses need
/// no lock; the cost is at most `ahead` bytes of resident memory past the image's end.
/// The thread blocks every signal (signals belong to the owner's loop) and ends with
/// `stop()`, at the latest when the ImageMemory goes away.
final class Populator: @unchecked Sendable {
    static let ahead = 32 << 20
    static let step = 1 << 20

    private let base: UnsafeMutableRawPointer
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var done: Int
    private var target: Int
    private var stopping = false
    private var started = false
    private var thread: pthread_t? = nil

    init(base: UnsafeMutableRawPointer, from offset: Int) {
        self.base = base
        done = offset / 4096 * 4096
        target = done
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        mutex.deallocate()
    }

    /// Moves the target up to `end` (bytes from the base), starting the thread on first use.
    func extend(to end: Int) {
        pthread_mutex_lock(mutex)
        var start = false
        if end > target && !stopping {
            target = end
            if !started { started = true; start = true } else { pthread_cond_signal(wake) }
        }
        pthread_mutex_unlock(mutex)
        if start { startThread() }
    }

    /// Ends the thread and waits for it.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(wake)
        let t = thread
        thread = nil
        pthread_mutex_unlock(mutex)
        if let t { pthread_join(t, nil) }
    }

    private func startThread() {
        // The thread starts with every signal blocked (it inherits the mask in effect here).
        var all = sigset_t(), old = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        let context = Unmanaged.passRetained(self).toOpaque()
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { context in
            Unmanaged<Populator>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        pthread_mutex_lock(mutex)
        if rc == 0 {
            thread = t
        } else {
            Unmanaged<Populator>.fromOpaque(context).release()
            stopping = true  // no thread: the writer takes its faults itself, as without us
        }
        pthread_mutex_unlock(mutex)
    }

    private func run() {
        pthread_mutex_lock(mutex)
        while !stopping {
            guard done < target else { pthread_cond_wait(wake, mutex); continue }
            let from = done, n = min(Populator.step, target - done)
            pthread_mutex_unlock(mutex)
            // EINVAL: a kernel before 5.14; ENOMEM/EFAULT: no memory now. Either way, stop
            // and leave the faults to the writer.
            let ok = madvise(base + from, n, 23 /* MADV_POPULATE_WRITE */) == 0
            pthread_mutex_lock(mutex)
            if !ok { stopping = true; break }
            done = from + n
        }
        pthread_mutex_unlock(mutex)
    }
}
