// ImageMemory.swift: the SharedFS bytes (Layer 2 of the image), in host memory.
//
// One anonymous mapping is reserved for the image's whole capacity up front (MAP_NORESERVE,
// so untouched pages cost nothing), which keeps the base address stable while the
// filesystem grows: FUSE replies and the kernel may hold pointers into it between calls.
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

    deinit { munmap(base, capacity) }

    /// Grows the SAB to `newLength` (zero bytes appear: fresh anonymous pages).
    func grow(to newLength: Int) {
        precondition(newLength <= capacity && newLength >= length)
        length = newLength
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
