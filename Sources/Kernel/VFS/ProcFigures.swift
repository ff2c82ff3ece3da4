// ProcFigures.swift: the figures /proc and sysinfo show, and where each comes from.
//
// The guests run as host processes (runners) on the host's CPUs, so machine-wide figures
// are the host's, read from the host's own /proc: uptime and idle time (/proc/uptime; the
// guests' boot is the host's boot, so /proc/PID/stat start times count from it), the cpu
// lines, ctxt, btime and processes of /proc/stat, and the three load averages of
// /proc/loadavg. What the kernel knows better is its own: the running/total and last-pid
// fields of loadavg and procs_running/procs_blocked of /proc/stat count guest threads;
// MemTotal is the reading process's memory limit (--memory), and MemFree/MemAvailable what
// is left of it (never more than the host has available). /proc/cpuinfo lists the CPUs
// without clock figures the kernel does not know.
#if canImport(Glibc)
import Glibc
#endif
import VFSImage

extension ProcFS {
    /// A host /proc file's text ("" when it cannot be read).
    static func hostText(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Host uptime and idle time, in centiseconds.
    static func hostUptime() -> (up: UInt64, idle: UInt64) {
        let f = hostText("/proc/uptime").split(separator: " ")
        func centis(_ s: Substring?) -> UInt64 {
            guard let s else { return 0 }
            let parts = s.filter { $0 != "\n" && $0 != " " }.split(separator: ".")
            let whole = UInt64(parts.first ?? "0") ?? 0
            var frac: UInt64 = 0
            if parts.count > 1 {
                let digits = Array(parts[1].prefix(2))
                frac = (UInt64(String(digits)) ?? 0) * (digits.count == 1 ? 10 : 1)
            }
            return whole * 100 + frac
        }
        return (centis(f.first), centis(f.dropFirst().first))
    }

    static func uptimeText() -> [UInt8] {
        let (up, idle) = hostUptime()
        return Array("\(centis(up)) \(centis(idle))\n".utf8)
    }

    /// Guest threads able to run (not waiting in the kernel) and all guest threads.
    static func threadCounts(_ procs: [Process]) -> (running: Int, blocked: Int, total: Int) {
        var running = 0, blocked = 0, total = 0
        for p in procs where p.state == .running {
            for t in p.threads {
                total += 1
                if t.blockedOn == nil && t.interrupt == nil { running += 1 } else { blocked += 1 }
            }
        }
        return (running, blocked, total)
    }

    static func loadavgText(_ vfs: VFS) -> [UInt8] {
        let procs = vfs.processList()
        let host = hostText("/proc/loadavg").split(separator: " ")
        let loads = host.count >= 3 ? host[0..<3].joined(separator: " ") : "0.00 0.00 0.00"
        let (running, _, total) = threadCounts(procs)
        let last = procs.map(\.pid).max() ?? 0
        return Array("\(loads) \(running)/\(total) \(last)\n".utf8)
    }

    /// /proc/stat: the host's CPU lines and counters (see the file comment), the guests'
    /// runnable and blocked threads.
    static func statText(_ vfs: VFS) -> [UInt8] {
        let (running, blocked, _) = threadCounts(vfs.processList())
        var s = ""
        for line in hostText("/proc/stat").split(separator: "\n") {
            if line.hasPrefix("cpu") || line.hasPrefix("ctxt ") || line.hasPrefix("btime ") || line.hasPrefix("processes ") {
                s += line + "\n"
            }
        }
        s += "procs_running \(running)\nprocs_blocked \(blocked)\n"
        return Array(s.utf8)
    }

    /// MemTotal: the reader's memory limit; free: the limit less its linear memory, at most
    /// what the host has available.
    static func meminfo(_ reader: Process) -> [UInt8] {
        let total = UInt64(reader.maxMemoryPages) * 64
        let used = UInt64(reader.memory.size) / 1024
        let page = UInt64(max(1, sysconf(Int32(_SC_PAGESIZE))))
        let hostFree = UInt64(max(0, sysconf(Int32(_SC_AVPHYS_PAGES)))) * page / 1024
        let free = min(total > used ? total - used : 0, hostFree)
        var s = ""
        s += "MemTotal:       \(total) kB\n"
        s += "MemFree:        \(free) kB\n"
        s += "MemAvailable:   \(free) kB\n"
        s += "Buffers:        0 kB\nCached:         0 kB\nSwapCached:     0 kB\n"
        s += "SwapTotal:      0 kB\nSwapFree:       0 kB\nShmem:          0 kB\n"
        return Array(s.utf8)
    }

    static func cpuinfoText() -> [UInt8] {
        var s = ""
        for i in 0..<cpuCount() { s += "processor\t: \(i)\nvendor_id\t: kandelo\nmodel name\t: wasm32 (WasmKit)\n\n" }
        return Array(s.utf8)
    }

    /// Resident memory of the runner (the host process that is the guest), in pages of 4 KiB.
    static func residentPages(_ p: Process) -> UInt64 {
        guard p.state == .running, let r = p.runner, r.hostPid > 0 else { return 0 }
        let f = hostText("/proc/\(r.hostPid)/statm").split(separator: " ")
        guard f.count > 1, let pages = UInt64(f[1]) else { return 0 }
        return pages * UInt64(max(1, sysconf(Int32(_SC_PAGESIZE)))) / 4096
    }

    /// Ignored and caught signals as masks (bit n-1 = signal n).
    static func handlerMasks(_ p: Process) -> (ignored: UInt64, caught: UInt64) {
        var ignored: UInt64 = 0, caught: UInt64 = 0
        for sig in 1..<min(65, p.signals.actions.count) {
            let h = p.signals.actions[sig].handler
            if h == 1 { ignored |= 1 << UInt64(sig - 1) } else if h > 1 { caught |= 1 << UInt64(sig - 1) }
        }
        return (ignored, caught)
    }

    /// tty_nr (Linux's encoding of the pts device) and the foreground group of `p`'s
    /// controlling terminal; (0, -1) without one.
    static func terminalFields(_ vfs: VFS, _ p: Process) -> (ttyNr: UInt32, tpgid: Int32) {
        guard let k = vfs.kernel, let tty = k.controllingTerminal(of: p) else { return (0, -1) }
        let major: UInt32 = 136, minor = UInt32(bitPattern: tty.index)
        return ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12), tty.foreground)
    }
}

extension ProcFS {
    /// /proc/PID/maps: the ranges of linear memory the kernel has handed out. Below the heap
    /// lie the module's data and stack; then the break area ([heap]) and each mmap. All of
    /// linear memory is readable and writable (wasm has no page protections; mprotect is not
    /// enforced), so every line says rw-p; file mappings are private copies, so none names a file.
    static func mapsText(_ p: Process) -> [UInt8] {
        guard p.state == .running else { return [] }
        let a = p.addressSpace
        func hex(_ v: UInt32) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, 8 - s.count)) + s
        }
        var ranges: [(UInt32, UInt32, String)] = []
        if a.brkStart > 0 { ranges.append((0, a.brkStart, "")) }
        if a.brk > a.brkStart { ranges.append((a.brkStart, a.brk, "[heap]")) }
        for m in a.mappings where m.end > m.start { ranges.append((m.start, m.end, "")) }
        ranges.sort { $0.0 < $1.0 }
        var s = ""
        for (start, end, name) in ranges {
            var line = "\(hex(start))-\(hex(end)) rw-p 00000000 00:00 0"
            if !name.isEmpty { line += String(repeating: " ", count: max(1, 73 - line.count)) + name }
            s += line + "\n"
        }
        return Array(s.utf8)
    }
}
