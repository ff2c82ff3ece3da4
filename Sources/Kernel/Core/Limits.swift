// Limits.swift: resource limits (getrlimit/setrlimit/prlimit64) and where each is enforced.
//
//   RLIMIT_CPU    (0)  a ring timer per limited process reads its runner's CPU clock:
//                      SIGXCPU at the soft limit and once a second after it, SIGKILL at
//                      the hard limit (Linux's posix-cpu-timers rule), even in a loop
//                      without syscalls.
//   RLIMIT_FSIZE  (1)  writes and truncates of regular files: a write starting at or past
//                      the limit gets SIGXFSZ and EFBIG, one crossing it is cut short;
//                      truncate/fallocate past it: SIGXFSZ and EFBIG (OpenFiles.swift,
//                      Operations.swift, Files.swift).
//   RLIMIT_DATA   (2)  } the guest's linear memory may not grow past the smaller of the two
//   RLIMIT_AS     (9)  } (brk and mmap get ENOMEM): a wasm32 guest's address space is its
//                      linear memory, which holds its data, heap, stacks and mappings.
//   RLIMIT_NPROC  (6)  fork/clone of a non-root guest (ForkExecSyscalls.swift).
//   RLIMIT_NOFILE (7)  the fd table's size (FileTable.limit).
// Other resources are stored and reported (getrlimit) but have nothing to act on here.
#if canImport(Glibc)
import Glibc
#endif
import VFSImage

extension Process {
    /// RLIMIT_FSIZE's soft limit in bytes (Int64.max when unlimited).
    var fileSizeLimit: Int64 {
        guard let l = limits[1] else { return Int64.max }
        return l.cur >= UInt64(Int64.max) ? Int64.max : Int64(l.cur)
    }
}

extension Kernel {
    static let RLIMIT_CPU: Int32 = 0, RLIMIT_FSIZE: Int32 = 1, RLIMIT_DATA: Int32 = 2, RLIMIT_AS: Int32 = 9
    static let SIGXCPU: Int32 = 24, SIGXFSZ: Int32 = 25

    func rlimit(_ p: Process, _ res: Int32) -> (cur: UInt64, max: UInt64) {
        if let l = p.limits[res] { return l }
        switch res {
        case 7: return (UInt64(p.files.limit), 4096)                 // RLIMIT_NOFILE
        case 3: return (8 << 20, Kernel.RLIM_INFINITY64)            // RLIMIT_STACK (advisory)
        case 2, 9: let m = UInt64(p.maxMemoryPages) * 65536          // RLIMIT_DATA, RLIMIT_AS
            return (m, m)
        case 4: return (0, Kernel.RLIM_INFINITY64)                  // RLIMIT_CORE
        case 6: return (4096, 4096)                                  // RLIMIT_NPROC
        case 8: return (0, 0)                    // RLIMIT_MEMLOCK: nothing can be locked (mlock is EPERM)
        default: return (Kernel.RLIM_INFINITY64, Kernel.RLIM_INFINITY64)
        }
    }

    /// prlimit64's permission rule (Linux check_prlimit_permission): another process's
    /// limits only with all of its uids and gids equal to the caller's real ids, or as root.
    func mayChangeLimits(of p: Process, by caller: Process) -> Bool {
        if p === caller || caller.cred.isRoot { return true }
        let c = caller.cred, tc = p.cred
        return c.uid == tc.uid && c.uid == tc.euid && c.uid == tc.suid
            && c.gid == tc.gid && c.gid == tc.egid && c.gid == tc.sgid
    }

    /// Sets `p`'s limit; raising a hard limit needs the *caller* to be root.
    func setRlimit(_ p: Process, _ res: Int32, _ l: (cur: UInt64, max: UInt64), by caller: Process) throws(SyscallError) {
        if l.cur > l.max { throw .errno(.EINVAL) }
        let old = rlimit(p, res)
        if l.max > old.max && !caller.cred.isRoot { throw .errno(.EPERM) }
        if res == 7 {
            if l.cur > 4096 && !caller.cred.isRoot { throw .errno(.EPERM) }
            p.files.limit = Int32(min(l.cur, 1 << 20))
        }
        p.limits[res] = l
        if res == Kernel.RLIMIT_CPU { watchCPULimit(p) }
    }

    /// The most linear memory `p` may have: --memory, RLIMIT_AS and RLIMIT_DATA.
    func memoryCeiling(_ p: Process) -> UInt64 {
        var cap = UInt64(p.maxMemoryPages) * 65536
        for res in [Kernel.RLIMIT_AS, Kernel.RLIMIT_DATA] { if let l = p.limits[res] { cap = min(cap, l.cur) } }
        return cap
    }

    /// RLIMIT_FSIZE for a write of `count` bytes at `start` to a regular file: how many
    /// may be written; past the limit the writer gets SIGXFSZ and EFBIG.
    func fileSizeCheck(_ t: GuestThread, start: Int64, count: Int) throws(SyscallError) -> Int {
        let limit = t.process.fileSizeLimit
        guard limit != Int64.max, count > 0 else { return count }
        if start >= limit {
            send(Kernel.SIGXFSZ, to: t.process)
            throw .errno(.EFBIG)
        }
        return Int(min(Int64(count), limit - start))
    }

    /// Truncate/fallocate to `size`: SIGXFSZ and EFBIG past RLIMIT_FSIZE.
    func fileSizeCheck(_ t: GuestThread, size: Int64) throws(SyscallError) {
        if size > t.process.fileSizeLimit {
            send(Kernel.SIGXFSZ, to: t.process)
            throw .errno(.EFBIG)
        }
    }

    /// RLIMIT_CPU: checks `p`'s CPU time ten times a second while its soft limit is finite.
    func watchCPULimit(_ p: Process) {
        guard !p.cpuLimitWatched, let l = p.limits[Kernel.RLIMIT_CPU], l.cur != Kernel.RLIM_INFINITY64 else { return }
        p.cpuLimitWatched = true
        _ = ring.timeout(nanoseconds: 100_000_000) { [weak self, weak p] _ in
            guard let self, let p else { return }
            p.cpuLimitWatched = false
            guard p.state == .running, let l = p.limits[Kernel.RLIMIT_CPU], l.cur != Kernel.RLIM_INFINITY64 else { return }
            let seconds = self.cpuTime(p) / 1_000_000_000
            if seconds >= l.max {
                self.send(Signal.SIGKILL, to: p)
                return
            }
            if seconds >= l.cur && seconds >= p.nextXCPU {
                p.nextXCPU = seconds + 1
                self.send(Kernel.SIGXCPU, to: p)
            }
            self.watchCPULimit(p)
        }
    }
}
