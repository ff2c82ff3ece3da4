// MiscCallTests.swift: identity, system information, scheduling queries, personality,
// membarrier and sigaltstack through their handlers.
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import Testing
@testable import Kernel

@Suite struct MiscCallTests {
    @Test func identityCalls() throws {
        let h = try Harness(uid: 1000, gid: 1000)
        #expect(h.sys(__NR_getpid) == 7 && h.sys(__NR_gettid) == 7 && h.sys(__NR_getppid) == 1)
        #expect(h.sys(__NR_getuid) == 1000 && h.sys(__NR_geteuid) == 1000)
        #expect(h.sys(__NR_getgid) == 1000 && h.sys(__NR_getegid) == 1000)
        let ids = h.alloc(12)
        #expect(h.sys(__NR_getresuid, Harness.a(ids), Harness.a(ids + 4), Harness.a(ids + 8)) == 0)
        #expect(h.u32(ids) == 1000 && h.u32(ids + 4) == 1000 && h.u32(ids + 8) == 1000)
        #expect(h.sys(__NR_getresgid, Harness.a(ids), Harness.a(ids + 4), Harness.a(ids + 8)) == 0)
        #expect(h.u32(ids + 8) == 1000)
        #expect(h.sys(__NR_getgroups, 0, 0) == 1)
        #expect(h.sys(__NR_getgroups, 1, Harness.a(ids)) == 1 && h.u32(ids) == 1000)
        #expect(h.sys(__NR_setgroups, 1, Harness.a(ids)) == err(.EPERM))
        // An unprivileged user may only shuffle its own ids.
        #expect(h.sys(__NR_setreuid, -1, 1000) == 0)
        #expect(h.sys(__NR_setresuid, 0, -1, -1) == err(.EPERM))
        #expect(h.sys(__NR_setregid, 0, -1) == err(.EPERM))
        #expect(h.sys(__NR_setresgid, 1000, 1000, 1000) == 0)
        let root = try Harness()
        #expect(root.sys(__NR_setresuid, 5, 6, 7) == 0)
        #expect(h.sys(__NR_getresuid, Harness.a(ids), Harness.a(ids + 4), Harness.a(ids + 8)) == 0)
        #expect(root.process.cred.uid == 5 && root.process.cred.euid == 6 && root.process.cred.suid == 7)
    }

    @Test func unameAndSysinfo() throws {
        let h = try Harness()
        let u = h.alloc(6 * 65)
        #expect(h.sys(__NR_uname, Harness.a(u)) == 0)
        func field(_ i: Int) -> String { String(decoding: h.read(u + UInt32(i * 65), 65).prefix { $0 != 0 }, as: UTF8.self) }
        #expect(field(0) == "Linux" && field(4) == "wasm32")
        let s = h.alloc(64)
        #expect(h.sys(__NR_sysinfo, Harness.a(s)) == 0)
        #expect(h.u32(s + 52) == 1024 && h.u32(s + 16) > 0)   // mem_unit KiB, totalram
        let cpu = h.alloc(8, fill: 0xff)
        #expect(h.sys(__NR_getcpu, Harness.a(cpu), Harness.a(cpu + 4), 0) == 0 && h.u32(cpu) == 0 && h.u32(cpu + 4) == 0)
        let ru = h.alloc(72)
        #expect(h.sys(__NR_getrusage, -1, Harness.a(ru)) == 0 && h.u32(ru) == 0)   // RUSAGE_CHILDREN: zero (partial)
        #expect(h.sys(__NR_getrusage, 5, Harness.a(ru)) == err(.EINVAL))
    }

    @Test func schedulingQueries() throws {
        let h = try Harness()
        #expect(h.sys(__NR_sched_yield) == 0)
        #expect(h.sys(__NR_sched_getscheduler, 0) == 0)   // SCHED_OTHER
        let p = h.alloc(4)
        #expect(h.sys(__NR_sched_getparam, 0, Harness.a(p)) == 0 && h.i32(p) == 0)
        #expect(h.sys(__NR_sched_get_priority_max, 0) == 0 && h.sys(__NR_sched_get_priority_max, 1) == 99)
        #expect(h.sys(__NR_sched_get_priority_min, 0) == 0 && h.sys(__NR_sched_get_priority_min, 2) == 1)
    }

    @Test func personalityIsLinuxOnly() throws {
        let h = try Harness()
        #expect(h.sys(__NR_personality, -1) == 0)          // 0xffffffff: query, PER_LINUX
        #expect(h.sys(__NR_personality, 0) == 0)           // set PER_LINUX: the old one back
        #expect(h.sys(__NR_personality, 0x0040000) == err(.EINVAL))   // ADDR_NO_RANDOMIZE
        #expect(h.sys(__NR_personality, 8) == err(.EINVAL))           // PER_LINUX32
    }

    @Test func membarrierQueryAndBarriers() throws {
        let h = try Harness()
        let mask = h.sys(__NR_membarrier, 0, 0)
        #expect(h.sys(__NR_membarrier, 0, 1) == err(.EINVAL))
        #expect(h.sys(__NR_membarrier, 32, 0) == err(.EINVAL))      // PRIVATE_EXPEDITED_SYNC_CORE
        #expect(h.sys(__NR_membarrier, 128, 0) == err(.EINVAL))     // PRIVATE_EXPEDITED_RSEQ
        if mask == 0 {   // the host has no global membarrier: nothing is offered
            #expect(h.sys(__NR_membarrier, 1, 0) == err(.EINVAL))
            return
        }
        #expect(mask == 1 | 2 | 4 | 8 | 16)
        #expect(h.sys(__NR_membarrier, 1, 0) == 0)                  // GLOBAL
        #expect(h.sys(__NR_membarrier, 8, 0) == err(.EPERM))        // PRIVATE_EXPEDITED unregistered
        #expect(h.sys(__NR_membarrier, 16, 0) == 0)                 // REGISTER_PRIVATE_EXPEDITED
        #expect(h.sys(__NR_membarrier, 8, 0) == 0)
        #expect(h.sys(__NR_membarrier, 8 | 1, 0) == err(.EINVAL))   // one command at a time
    }

    @Test func sigaltstackRoundTrip() throws {
        let h = try Harness()
        let ss = h.alloc(12), old = h.alloc(12)
        h.store(ss, UInt32(0x20000)); h.store(ss + 4, UInt32(0)); h.store(ss + 8, UInt32(8192))
        #expect(h.sys(__NR_sigaltstack, Harness.a(ss), 0) == 0)
        #expect(h.sys(__NR_sigaltstack, 0, Harness.a(old)) == 0)
        #expect(h.u32(old) == 0x20000 && h.u32(old + 4) == 0 && h.u32(old + 8) == 8192)
        h.store(ss + 8, UInt32(100))
        #expect(h.sys(__NR_sigaltstack, Harness.a(ss), 0) == err(.ENOMEM))
        h.store(ss + 4, UInt32(1))
        #expect(h.sys(__NR_sigaltstack, Harness.a(ss), 0) == err(.EINVAL))
    }

    @Test func execveatRefusesWhatItCannotDo() throws {
        let h = try Harness()
        #expect(h.sys(__NR_execveat, 3, Harness.a(h.str("prog")), 0, 0, 0) == err(.ENOSYS))
        #expect(h.sys(__NR_execveat, 3, Harness.a(h.str("")), 0, 0, 0x1000) == err(.ENOSYS))
    }
}

extension MiscCallTests {
    /// A new process is a host fork: sharing what a fork cannot share is refused, not copied;
    /// a thread shares everything or is refused. All before any side effect.
    @Test func cloneRefusesWhatAHostForkCannotShare() throws {
        let h = try Harness()
        let SIGCHLD: Int32 = 17, VM: Int32 = 0x100, FS: Int32 = 0x200, FILES: Int32 = 0x400, SIGHAND: Int32 = 0x800
        let THREAD: Int32 = 0x10000, SETTLS: Int32 = 0x80000, PIDFD: Int32 = 0x1000, NEWNS: Int32 = 0x20000
        for flags in [VM | SIGCHLD, FILES | SIGCHLD, FS | SIGCHLD, VM | SIGHAND | SIGCHLD, SETTLS | SIGCHLD, PIDFD | SIGCHLD,
                      NEWNS | SIGCHLD, THREAD | SIGHAND | VM, THREAD | SIGHAND | VM | FILES, THREAD | SIGHAND | VM | FS | FILES | NEWNS] {
            #expect(h.sys(__NR_clone, flags) == err(.EINVAL), "flags \(String(flags, radix: 16))")
        }
        #expect(h.processes.count == 1 && h.kernel.processes.isEmpty)
    }
}
