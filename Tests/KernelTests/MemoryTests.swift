// MemoryTests.swift: madvise, mlock and msync through their handlers, on an address space
// set up by hand (the harness has no runner to size one).
import KandeloABI
import Testing
@testable import Kernel

@Suite struct MemoryTests {
    /// One mapping [0x300000, 0x304000) and nothing above it.
    static func mapped() throws -> Harness {
        let h = try Harness()
        var a = AddressSpace()
        a.brkStart = 0x100000; a.brk = 0x100000; a.mmapBase = 0x200000
        a.highWater = 0x304000
        a.mappings = [(0x300000, 0x304000)]
        h.process.addressSpace = a
        return h
    }

    @Test func madviseHintsAndDontneed() throws {
        let h = try MemoryTests.mapped()
        for i in 0..<4 { h.store(0x300000 + UInt32(i) * 4096, UInt32(0xdead_0000 + UInt32(i))) }
        #expect(h.sys(__NR_madvise, 0x300000, 0x4000, 3) == 0)             // WILLNEED: a hint
        #expect(h.sys(__NR_madvise, 0x300000, 0x4000, 8) == 0)             // FREE: contents may stay
        #expect(h.u32(0x301000) == 0xdead_0001)
        #expect(h.sys(__NR_madvise, 0x301000, 0x2000, 4) == 0)             // DONTNEED: zeros
        #expect(h.u32(0x300000) == 0xdead_0000 && h.u32(0x301000) == 0 && h.u32(0x302000) == 0)
        #expect(h.u32(0x303000) == 0xdead_0003)
        #expect(h.sys(__NR_madvise, 0x300001, 0x1000, 4) == err(.EINVAL))  // unaligned
        #expect(h.sys(__NR_madvise, 0x303000, 0x2000, 4) == err(.ENOMEM))  // runs past the mapping
        #expect(h.u32(0x303000) == 0xdead_0003)                            // and changed nothing
        for advice: Int32 in [9, 10, 12, 14, 18, 999] {                    // REMOVE, DONTFORK, MERGEABLE, HUGEPAGE, WIPEONFORK
            #expect(h.sys(__NR_madvise, 0x300000, 0x1000, advice) == err(.EINVAL), "advice \(advice)")
        }
    }

    @Test func lockingIsRefusedHonestly() throws {
        let h = try MemoryTests.mapped()
        #expect(h.sys(__NR_mlock, 0x300000, 0x1000) == err(.EPERM))
        #expect(h.sys(__NR_mlock, 0x380000, 0x1000) == err(.ENOMEM))
        #expect(h.sys(__NR_munlock, 0x300000, 0x1000) == 0)
        #expect(h.sys(__NR_munlock, 0x380000, 0x1000) == err(.ENOMEM))
        #expect(h.sys(__NR_mlockall, 0) == err(.EINVAL))
        #expect(h.sys(__NR_mlockall, 4) == err(.EINVAL))                   // MCL_ONFAULT alone
        #expect(h.sys(__NR_mlockall, 1 | 2) == err(.EPERM))
        #expect(h.sys(__NR_munlockall) == 0)
        let l = h.alloc(16, fill: 0xff)
        #expect(h.sys(__NR_prlimit64, 0, 8, 0, Harness.a(l)) == 0)          // RLIMIT_MEMLOCK
        #expect(h.u64(l) == 0 && h.u64(l + 8) == 0)
    }

    @Test func msyncChecksAlignment() throws {
        let h = try MemoryTests.mapped()
        #expect(h.sys(__NR_msync, 0x300001, 0x1000, 4) == err(.EINVAL))
        #expect(h.sys(__NR_msync, 0x300000, 0x1000, 4) == 0)
    }
}
