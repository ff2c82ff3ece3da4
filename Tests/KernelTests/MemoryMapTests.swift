// MemoryMapTests.swift: mmap of files through the kind of open file (OpenFile.mapInto):
// a --bind host file maps with its content and mmap answers the address (it once answered
// the host read's byte count); files with no mmap (pipes, terminals, directories, most
// devices) fail with ENODEV before anything changes, even under MAP_FIXED over a live
// mapping. And the process's memory size, which threads report with every call, never
// shrinks while one image runs.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KandeloABI
import Testing
@testable import Kernel
import VFSImage

@Suite struct MemoryMapTests {
    static let PROT_READ: Int32 = 1, MAP_PRIVATE: Int32 = 2, MAP_FIXED: Int32 = 0x10

    /// A page-aligned spot in the harness's guest memory, well above its allocations.
    static let target: UInt32 = 2 << 20

    /// mmap2(target, length, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0)
    func mapFixed(_ h: Harness, _ fd: Int32, length: Int32 = 4096) -> Int32 {
        return h.sys(__NR_mmap2, Harness.a(MemoryMapTests.target), length, MemoryMapTests.PROT_READ,
                     MemoryMapTests.MAP_PRIVATE | MemoryMapTests.MAP_FIXED, fd, 0)
    }

    /// Fills the target page with `byte`, as memory handed out before (mmap zeroes such
    /// pages; fresh wasm pages above the high-water mark are zero already).
    func fill(_ h: Harness, _ byte: UInt8) {
        (h.buffer + Int(MemoryMapTests.target)).initializeMemory(as: UInt8.self, repeating: byte, count: 4 * 4096)
        h.process.addressSpace.highWater = MemoryMapTests.target + 4 * 4096
    }

    @Test func aBoundHostFileMapsWithItsContentAndAnswersTheAddress() throws {
        let f = try HostDirTests.Fixture()
        let h = f.h
        let fd = h.open("/mnt/hello.txt", O_RDONLY)
        #expect(fd >= 0)
        fill(h, 0xEE)
        let r = mapFixed(h, fd)
        #expect(r == Harness.a(MemoryMapTests.target), "mmap answers the address, not the bytes read (\(r))")
        #expect(String(decoding: h.read(MemoryMapTests.target, 17), as: UTF8.self) == "hi from the host\n")
        #expect(h.read(MemoryMapTests.target + 17, 4096 - 17).allSatisfy { $0 == 0 }, "past the end: zeros")
        // A bigger file, across the bounce buffer's chunks and at an offset.
        var big = [UInt8](repeating: 0, count: 3 * 4096 + 100)
        for i in big.indices { big[i] = UInt8(truncatingIfNeeded: i * 7 + i / 4096) }
        try Data(big).write(to: URL(fileURLWithPath: f.bind + "/big.bin"))
        let bfd = h.open("/mnt/big.bin", O_RDONLY)
        let r2 = h.sys(__NR_mmap2, Harness.a(MemoryMapTests.target), 3 * 4096, MemoryMapTests.PROT_READ,
                       MemoryMapTests.MAP_PRIVATE | MemoryMapTests.MAP_FIXED, bfd, 1)   // offset: 1 page
        #expect(r2 == Harness.a(MemoryMapTests.target))
        #expect(h.read(MemoryMapTests.target, 2 * 4096 + 100) == Array(big[4096...]))
        #expect(h.read(MemoryMapTests.target + 2 * 4096 + 100, 4096 - 100).allSatisfy { $0 == 0 })
    }

    @Test func filesWithoutMmapFailWithENODEVAndChangeNothing() throws {
        let h = try Harness()
        let fds = h.alloc(8)
        #expect(h.sys(__NR_pipe2, Harness.a(fds), 0) == 0)
        let readEnd = h.i32(fds), writeEnd = h.i32(fds + 4)
        let pty = PseudoTerminal(kernel: h.kernel, index: 3)
        _ = try h.process.files.install(pty.openSlave(), at: 20, cloexec: false)
        let dir = h.open("/etc", O_RDONLY | O_DIRECTORY)
        let null = h.open("/dev/null", O_RDONLY)
        let path = h.open("/etc/motd", OpenFlags.O_PATH)
        for (what, fd, want) in [("pipe", readEnd, LinuxErrno.ENODEV), ("tty", 20, .ENODEV),
                                 ("directory", dir, .ENODEV), ("/dev/null", null, .ENODEV),
                                 ("pipe's write end", writeEnd, .EACCES), ("O_PATH", path, .EBADF)] {
            fill(h, 0x5A)
            h.process.addressSpace.insert(MemoryMapTests.target, UInt64(MemoryMapTests.target) + 4096)
            #expect(mapFixed(h, fd) == -want.rawValue, "\(what)")
            #expect(h.read(MemoryMapTests.target, 4096).allSatisfy { $0 == 0x5A }, "\(what): memory untouched")
            #expect(h.process.addressSpace.overlaps(MemoryMapTests.target, UInt64(MemoryMapTests.target) + 4096),
                    "\(what): the old mapping is still there")
        }
        // /dev/zero maps, as zeroes.
        let zero = h.open("/dev/zero", O_RDONLY)
        fill(h, 0x5A)
        #expect(mapFixed(h, zero) == Harness.a(MemoryMapTests.target))
        #expect(h.read(MemoryMapTests.target, 4096).allSatisfy { $0 == 0 })
    }

    /// Two threads post; the one that posted before the other grew memory reports the old
    /// size. The process's size must stay the larger one (it once took the last report,
    /// and a call in the grown part then failed with EFAULT).
    @Test func aStaleSizeFromAnotherThreadNeverShrinksMemory() throws {
        let h = try Harness()
        let slot2 = UnsafeMutablePointer<kch_slot>.allocate(capacity: 1)
        defer { slot2.deallocate() }
        UnsafeMutableRawPointer(slot2).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<kch_slot>.size)
        let t2 = GuestThread(tid: 8, process: h.process, slot: slot2, slotIndex: 1)
        h.process.threads.append(t2)
        h.kernel.threads = [h.thread, t2]
        let full = UInt64(Harness.memorySize), stale = UInt64(1 << 20)
        for (s, size) in [(h.slot, full), (slot2, stale)] {
            s.pointee.nr = __NR_getpid
            s.pointee.memory_base = h.memory.base
            s.pointee.memory_size = size
            kch_store(UnsafeMutableRawPointer(s).assumingMemoryBound(to: UInt32.self), KCH_REQUEST.rawValue)
        }
        #expect(h.kernel.serveRequests() == 2)
        #expect(h.process.memory.size == full)
        // A call in the part above the stale size still works.
        let fd = h.open("/etc/motd", O_RDONLY)
        let buf = UInt32(3 << 20)
        #expect(h.sys(__NR_read, fd, Harness.a(buf), 13) == 13)
        #expect(String(decoding: h.read(buf, 13), as: UTF8.self) == "hello, world\n")
        h.kernel.threads = []
    }
}
