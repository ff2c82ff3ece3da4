// MemorySyscalls.swift: brk, mmap2, munmap, mremap, mprotect and friends.
//
// Guest memory is one wasm linear memory that only grows. The kernel keeps the map of
// 4 KiB pages (AddressSpace): the break area [brkStart, mmapBase) and mappings above it.
// When a call needs memory beyond the current size, the kernel asks the runner to grow
// it (KCH_ACT_GROW) and the runner re-posts the same call, which then finds the room:
// so handlers decide everything before their first side effect.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

extension Kernel {
    static let pageSize: UInt32 = 4096
    /// Room reserved for brk between the static data and the mmap area.
    static let brkReserve: UInt32 = 16 << 20

    /// munmap(2): removes mappings from the address-space map.
    static func sys_munmap(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let addr = t.uarg(0), len = t.uarg(1)
        if addr % pageSize != 0 || len == 0 { throw .errno(.EINVAL) }
        k.prepareAddressSpace(t)
        t.process.addressSpace.remove(addr, roundUp(UInt64(len)))
        return 0
    }

    /// mprotect(2): checks the alignment; wasm memory has no page protection.
    static func sys_mprotect(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if t.uarg(0) % pageSize != 0 { throw .errno(.EINVAL) }
        return 0
    }

    /// madvise(2): hints succeed; MADV_DONTNEED and MADV_FREE act; what cannot be honoured is EINVAL.
    static func sys_madvise(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let addr = t.uarg(0), advice = t.arg(2)
        if addr % pageSize != 0 { throw .errno(.EINVAL) }
        let end = roundUp(UInt64(addr) + UInt64(t.uarg(1)))
        switch advice {
        case 0, 1, 2, 3, 16, 17, 20, 21, 22, 23:
            // NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTDUMP, DODUMP, COLD, PAGEOUT,
            // POPULATE_READ/WRITE: hints about paging and core dumps. Guest memory is always
            // resident and no core is dumped, so following the hint is doing nothing.
            break
        case 4, 8:
            // DONTNEED: the next read of private anonymous memory finds zeros, so zero it now.
            // FREE: the kernel may drop the pages until they are written again; keeping the
            // contents is one of the outcomes Linux allows.
            break
        case 9, 10, 11, 12, 13, 14, 15, 18, 19:
            // REMOVE (shared mappings only: there are none), DONTFORK/DOFORK and
            // WIPEONFORK/KEEPONFORK (a host fork copies all of guest memory), MERGEABLE/
            // UNMERGEABLE (no KSM), HUGEPAGE/NOHUGEPAGE (no THP): Linux without the feature.
            throw .errno(.EINVAL)
        default:
            throw .errno(.EINVAL)
        }
        if end == UInt64(addr) { return 0 }
        k.prepareAddressSpace(t)
        if !t.process.addressSpace.covers(addr, end) { throw .errno(.ENOMEM) }
        if advice == 4 { try t.memory.zero(addr, count: Int(min(end, t.memory.size) - UInt64(addr))) }
        return 0
    }

    /// mlock(2): EPERM: guest pages belong to the runner and cannot be pinned from here.
    static func sys_mlock(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try k.checkLockRange(t)
        throw .errno(.EPERM)
    }

    /// munlock(2): nothing is ever locked, so there is nothing to unlock: checks the range.
    static func sys_munlock(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        try k.checkLockRange(t)
        return 0
    }

    /// mlockall(2): EPERM after the flag check, as for mlock.
    static func sys_mlockall(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let MCL_CURRENT: UInt32 = 1, MCL_FUTURE: UInt32 = 2, MCL_ONFAULT: UInt32 = 4
        let flags = t.uarg(0)
        if flags == 0 || flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 || flags == MCL_ONFAULT {
            throw .errno(.EINVAL)
        }
        throw .errno(.EPERM)
    }

    /// munlockall(2): nothing is ever locked: succeeds.
    static func sys_munlockall(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        0
    }

    /// mlock/munlock's range: ENOMEM where any page of it is not mapped (Linux's order).
    func checkLockRange(_ t: GuestThread) throws(SyscallError) {
        let start = UInt64(t.uarg(0)) & ~UInt64(Kernel.pageSize - 1)
        let end = Kernel.roundUp(UInt64(t.uarg(0)) + UInt64(t.uarg(1)))
        if end == start { return }
        prepareAddressSpace(t)
        if !t.process.addressSpace.covers(UInt32(start), end) { throw .errno(.ENOMEM) }
    }

    /// msync(2): checks the alignment; private mappings have nothing to write back.
    static func sys_msync(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        if t.uarg(0) % pageSize != 0 { throw .errno(.EINVAL) }
        return 0
    }

    static func roundUp(_ v: UInt64, _ to: UInt64 = UInt64(pageSize)) -> UInt64 { (v + to - 1) / to * to }

    /// The highest address a mapping may end at: never the last page below the limit.
    func memoryTop(_ p: Process) -> UInt64 {
        UInt64(p.maxMemoryPages) * 65536 - UInt64(Kernel.pageSize)
    }

    /// Sets up the break and mmap area from the runner's __heap_base on first use.
    func prepareAddressSpace(_ t: GuestThread) {
        let a = t.process.addressSpace
        guard a.brkStart == 0, let runner = t.process.runner else { return }
        let heapBase = UInt64(runner.header.pointee.heap_base)
        let start = UInt32(Kernel.roundUp(max(heapBase, 1 << 20)))
        t.process.addressSpace.brkStart = start
        t.process.addressSpace.brk = start
        t.process.addressSpace.highWater = start
        t.process.addressSpace.mmapBase = UInt32(Kernel.roundUp(UInt64(start) + UInt64(Kernel.brkReserve), 65536))
    }

    /// Makes sure guest memory reaches `end`: if not, asks the runner to grow it and
    /// re-post the call (never returns normally in that case).
    func ensureMemory(_ t: GuestThread, upTo end: UInt64) throws(SyscallError) {
        if end <= t.memory.size { return }
        if end > memoryCeiling(t.process) { throw .errno(.ENOMEM) }
        complete(t, 0, action: KCH_ACT_GROW.rawValue, actionArgs: [Kernel.roundUp(end, 65536)])
        throw .suspended
    }

    /// Zeroes [start, end) where it was handed out before (fresh wasm pages are zero).
    func zeroReused(_ t: GuestThread, _ start: UInt64, _ end: UInt64) throws(SyscallError) {
        let hw = UInt64(t.process.addressSpace.highWater)
        if start < hw {
            try t.memory.zero(UInt32(start), count: Int(min(end, hw) - start))
        }
        if end > hw { t.process.addressSpace.highWater = UInt32(end) }
    }

    /// brk(2): moves the program break; returns the break in effect.
    static func sys_brk(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        k.prepareAddressSpace(t)
        let a = t.process.addressSpace
        let want = UInt64(t.uarg(0))
        if want < UInt64(a.brkStart) || want > UInt64(a.mmapBase) { return Int32(bitPattern: a.brk) }
        let oldEnd = roundUp(UInt64(a.brk)), newEnd = roundUp(want)
        if newEnd > oldEnd {
            if a.overlaps(UInt32(oldEnd), newEnd) { return Int32(bitPattern: a.brk) }
            do { try k.ensureMemory(t, upTo: newEnd) } catch {
                if case .suspended = error { throw error }
                return Int32(bitPattern: a.brk)
            }
            try k.zeroReused(t, oldEnd, newEnd)
        }
        t.process.addressSpace.brk = UInt32(want)
        return Int32(bitPattern: UInt32(want))
    }

    /// mmap2(2): maps anonymous memory or a private copy of a file (offset in pages).
    static func sys_mmap2(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let hint = t.uarg(0), length = UInt64(t.uarg(1)), flags = t.arg(3), fd = t.arg(4)
        let offset = UInt64(t.uarg(5)) * UInt64(pageSize)
        let MAP_SHARED: Int32 = 1, MAP_PRIVATE: Int32 = 2, MAP_FIXED: Int32 = 0x10, MAP_ANONYMOUS: Int32 = 0x20
        let MAP_FIXED_NOREPLACE: Int32 = 0x100000
        let PROT_WRITE: Int32 = 2
        let kind = flags & 3
        if length == 0 || (kind != MAP_SHARED && kind != MAP_PRIVATE && kind != 3) { throw .errno(.EINVAL) }
        k.prepareAddressSpace(t)
        let len = roundUp(length)
        var file: OpenFile? = nil
        if flags & MAP_ANONYMOUS == 0 {
            let f = try t.process.files.get(fd)
            if f.isPath { throw .errno(.EBADF) }   // Linux's fget does not see O_PATH descriptors
            if !f.canRead { throw .errno(.EACCES) }
            // Shared file mappings are copies too (sdk/ABI.md §2): acceptable read-only.
            if kind != MAP_PRIVATE && t.arg(2) & PROT_WRITE != 0 { throw .errno(.ENODEV) }
            file = f
        }
        let a = t.process.addressSpace
        let top = k.memoryTop(t.process)
        let start: UInt64
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
            if hint % pageSize != 0 { throw .errno(.EINVAL) }
            start = UInt64(hint)
            if start < UInt64(a.mmapBase) && start + len > UInt64(a.brkStart) && start < UInt64(a.mmapBase) {
                // Inside the break reservation: allowed only above the current break.
                if start < roundUp(UInt64(a.brk)) { throw .errno(.ENOMEM) }
            }
            if start < UInt64(a.brkStart) || start + len > top { throw .errno(.ENOMEM) }
            if flags & MAP_FIXED_NOREPLACE != 0 && a.overlaps(UInt32(start), start + len) { throw .errno(.EEXIST) }
        } else {
            guard let s = a.findFree(len, hint: UInt64(hint), base: UInt64(a.mmapBase), top: top) else {
                throw .errno(.ENOMEM)
            }
            start = s
        }
        // The side effects, run by the file once it has agreed to be mapped (a pipe or a
        // terminal refuses first, with nothing changed); the memory grows first.
        var committed = false
        let commit = { () throws(SyscallError) in
            try k.ensureMemory(t, upTo: start + len)
            t.process.addressSpace.remove(UInt32(start), len)
            try k.zeroReused(t, start, start + len)
            t.process.addressSpace.insert(UInt32(start), start + len)
            committed = true
        }
        guard let file else {
            try commit()
            return Int32(bitPattern: UInt32(start))
        }
        do {
            try file.mapInto(t, at: UInt32(start), length: Int(length), offset: Int64(offset), commit: commit)
        } catch {
            // A copy that failed part-way leaves no mapping behind: the call failed.
            if committed { t.process.addressSpace.remove(UInt32(start), len) }
            throw error
        }
        return Int32(bitPattern: UInt32(start))
    }

    /// mremap(2): grows, shrinks or moves a mapping.
    static func sys_mremap(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32 {
        let old = t.uarg(0), oldLen = roundUp(UInt64(t.uarg(1))), newLen = roundUp(UInt64(t.uarg(2)))
        let flags = t.arg(3)
        let MAYMOVE: Int32 = 1, FIXED: Int32 = 2
        if old % pageSize != 0 || newLen == 0 || flags & ~3 != 0 || flags & FIXED != 0 { throw .errno(.EINVAL) }
        k.prepareAddressSpace(t)
        let a = t.process.addressSpace
        let start = UInt64(old)
        if newLen <= oldLen {
            t.process.addressSpace.remove(UInt32(start + newLen), oldLen - newLen)
            return Int32(bitPattern: old)
        }
        let top = k.memoryTop(t.process)
        if start >= UInt64(a.mmapBase) && start + newLen <= top && !a.overlaps(UInt32(start + oldLen), start + newLen) {
            try k.ensureMemory(t, upTo: start + newLen)
            try k.zeroReused(t, start + oldLen, start + newLen)
            t.process.addressSpace.insert(UInt32(start), start + newLen)
            return Int32(bitPattern: old)
        }
        if flags & MAYMOVE == 0 { throw .errno(.ENOMEM) }
        guard let dest = a.findFree(newLen, hint: 0, base: UInt64(a.mmapBase), top: top) else { throw .errno(.ENOMEM) }
        try k.ensureMemory(t, upTo: dest + newLen)
        try k.zeroReused(t, dest, dest + newLen)
        var moved: UInt64 = 0
        while moved < oldLen {
            let n = Int(min(oldLen - moved, 1 << 20))
            let chunk = try t.memory.read(UInt32(start + moved), count: n)
            try t.memory.write(UInt32(dest + moved), chunk)
            moved += UInt64(n)
        }
        t.process.addressSpace.remove(UInt32(start), oldLen)
        t.process.addressSpace.insert(UInt32(dest), dest + newLen)
        return Int32(bitPattern: UInt32(dest))
    }
}

extension AddressSpace {
    /// True when every page of [start, end) is in the break area or a mapping.
    func covers(_ start: UInt32, _ end: UInt64) -> Bool {
        var cursor = UInt64(start)
        let brkEnd = (UInt64(brk) + 4095) / 4096 * 4096
        if cursor >= UInt64(brkStart) && cursor < brkEnd { cursor = brkEnd }
        for m in mappings where UInt64(m.end) > cursor {
            if cursor >= end { break }
            if UInt64(m.start) > cursor { return false }
            cursor = UInt64(m.end)
        }
        return cursor >= end
    }

    func overlaps(_ start: UInt32, _ end: UInt64) -> Bool {
        mappings.contains { UInt64($0.start) < end && UInt64($0.end) > UInt64(start) }
    }

    /// First gap of `len` bytes at or above `base` (the hint first, if it is free).
    func findFree(_ len: UInt64, hint: UInt64, base: UInt64, top: UInt64) -> UInt64? {
        if hint >= base && hint % 4096 == 0 && hint + len <= top && !overlaps(UInt32(hint), hint + len) { return hint }
        var cursor = base
        for m in mappings where UInt64(m.end) > base {
            if UInt64(m.start) >= cursor + len { break }
            cursor = max(cursor, UInt64(m.end))
        }
        return cursor + len <= top ? cursor : nil
    }

    mutating func insert(_ start: UInt32, _ end: UInt64) {
        remove(start, end - UInt64(start))
        let i = mappings.firstIndex { $0.start > start } ?? mappings.count
        mappings.insert((start, UInt32(truncatingIfNeeded: min(end, UInt64(UInt32.max)))), at: i)
    }

    mutating func remove(_ start: UInt32, _ len: UInt64) {
        let s = UInt64(start), e = s + len
        var out: [(start: UInt32, end: UInt32)] = []
        for m in mappings {
            let ms = UInt64(m.start), me = UInt64(m.end)
            if me <= s || ms >= e { out.append(m); continue }
            if ms < s { out.append((m.start, UInt32(s))) }
            if me > e { out.append((UInt32(e), m.end)) }
        }
        mappings = out
    }
}
