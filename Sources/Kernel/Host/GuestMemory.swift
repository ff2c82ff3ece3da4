// GuestMemory.swift: a guest's linear memory as the kernel reaches it: in the runner
// process, at a fixed host address, copied with process_vm_readv/writev. Every guest
// address range is checked against the memory's current size first: a bad pointer from a
// guest is EFAULT, never a fault in the kernel.
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

public final class GuestMemory {
    /// Host process that owns the memory (the runner).
    public let pid: pid_t
    /// Host address of guest address 0 inside that process.
    public var base: UInt64
    /// Current size in bytes; the runner reports it with every syscall.
    public var size: UInt64

    public init(pid: pid_t, base: UInt64, size: UInt64) {
        self.pid = pid
        self.base = base
        self.size = size
    }

    /// The guest address `offset` bytes past `addr` (a field of a struct at `addr`). A struct
    /// that would wrap past the 4 GiB address space is EFAULT, as Linux's access_ok says,
    /// never a trap in the kernel (found by the syscall fuzzer: kandelo_sigreturn(-1)).
    @inline(__always)
    public func field(_ addr: UInt32, _ offset: UInt32) throws(SyscallError) -> UInt32 {
        let (a, overflow) = addr.addingReportingOverflow(offset)
        if overflow { throw .errno(.EFAULT) }
        return a
    }

    @inline(__always)
    public func check(_ addr: UInt32, _ count: Int) throws(SyscallError) {
        if count < 0 || UInt64(addr) + UInt64(count) > size { throw .errno(.EFAULT) }
    }

    /// Copies `buffer.count` bytes at guest `addr` into `buffer`.
    public func read(_ addr: UInt32, into buffer: UnsafeMutableRawBufferPointer) throws(SyscallError) {
        try check(addr, buffer.count)
        if buffer.isEmpty { return }
        let n = chost_vm_read(pid, buffer.baseAddress, base + UInt64(addr), buffer.count)
        if n != buffer.count { throw .errno(.EFAULT) }
    }

    /// Copies `bytes` to guest `addr`.
    public func write(_ addr: UInt32, from bytes: UnsafeRawBufferPointer) throws(SyscallError) {
        try check(addr, bytes.count)
        if bytes.isEmpty { return }
        let n = chost_vm_write(pid, bytes.baseAddress, base + UInt64(addr), bytes.count)
        if n != bytes.count { throw .errno(.EFAULT) }
    }

    public func read(_ addr: UInt32, count: Int) throws(SyscallError) -> [UInt8] {
        try check(addr, count)
        var out = [UInt8](repeating: 0, count: count)
        let ok: Bool = out.withUnsafeMutableBytes { b in
            do { try read(addr, into: b); return true } catch { return false }
        }
        if !ok { throw .errno(.EFAULT) }
        return out
    }

    public func write(_ addr: UInt32, _ bytes: [UInt8]) throws(SyscallError) {
        let ok: Bool = bytes.withUnsafeBytes { b in
            do { try write(addr, from: b); return true } catch { return false }
        }
        if !ok { throw .errno(.EFAULT) }
    }

    /// Writes `count` zero bytes.
    public func zero(_ addr: UInt32, count: Int) throws(SyscallError) {
        try check(addr, count)
        var done = 0
        let chunk = [UInt8](repeating: 0, count: min(count, 1 << 16))
        while done < count {
            let n = min(chunk.count, count - done)
            try write(addr + UInt32(done), Array(chunk[0..<n]))
            done += n
        }
    }

    /// Reads a trivially-copyable value (little endian, as the guest stores it).
    public func load<T: FixedWidthInteger>(_ addr: UInt32, as: T.Type = T.self) throws(SyscallError) -> T {
        var v = T.zero
        let ok: Bool = withUnsafeMutableBytes(of: &v) { b in
            do { try read(addr, into: b); return true } catch { return false }
        }
        if !ok { throw .errno(.EFAULT) }
        return T(littleEndian: v)
    }

    public func store<T: FixedWidthInteger>(_ addr: UInt32, _ value: T) throws(SyscallError) {
        var v = value.littleEndian
        let ok: Bool = withUnsafeBytes(of: &v) { b in
            do { try write(addr, from: b); return true } catch { return false }
        }
        if !ok { throw .errno(.EFAULT) }
    }

    /// A NUL-terminated string at `addr`, without the NUL. ENAMETOOLONG when no NUL is
    /// found within `limit` bytes (PATH_MAX for paths), EFAULT when memory ends first.
    public func cString(_ addr: UInt32, limit: Int = 4096) throws(SyscallError) -> [UInt8] {
        var out: [UInt8] = []
        var cursor = UInt64(addr)
        while out.count < limit {
            if cursor >= size { throw .errno(.EFAULT) }
            // Read up to the end of the current 256-byte chunk, never past the memory.
            let chunk = Int(min(256 - (cursor & 255), size - cursor, UInt64(limit - out.count)))
            let bytes = try read(UInt32(cursor), count: chunk)
            if let nul = bytes.firstIndex(of: 0) {
                out.append(contentsOf: bytes[0..<nul])
                return out
            }
            out.append(contentsOf: bytes)
            cursor += UInt64(chunk)
        }
        throw .errno(.ENAMETOOLONG)
    }

    /// A NULL-terminated array of string pointers (argv, envp), at most `maxCount` entries
    /// and `maxBytes` bytes in all (E2BIG beyond, as execve).
    public func cStringArray(_ addr: UInt32, maxCount: Int = 65536, maxBytes: Int = 2 << 20) throws(SyscallError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var total = 0
        if addr == 0 { return [] }
        var p = addr
        while true {
            let ptr: UInt32 = try load(p)
            if ptr == 0 { return out }
            let s = try cString(ptr, limit: 131072)
            total += s.count + 1
            if out.count >= maxCount || total > maxBytes { throw .errno(.E2BIG) }
            out.append(s)
            p &+= 4
        }
    }
}
