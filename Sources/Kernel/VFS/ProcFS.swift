// ProcFS.swift: /proc, generated from the kernel's process table.
//
// Process data comes from two closures on the VFS that the Kernel sets once:
//
//     vfs.processLookup = { [unowned kernel] pid in kernel.processes[pid] }   // zombies too
//     vfs.processList   = { [unowned kernel] in Array(kernel.processes.values) }
//
// From a `Process` procfs reads pid, ppid, pgid, sid, cred, umask, state, files, cwd,
// root, exePath, argv, envp, threads, memory.size, signals and startTime (taken to be
// CLOCK_MONOTONIC nanoseconds, compared with `vfs.bootNanos`).
//
// Tree:
//   /proc/self -> "<caller's pid>"   meminfo cpuinfo uptime mounts version loadavg stat filesystems
//                                    locks (Syscalls/Locks.swift)
//   /proc/<pid>/ stat status statm cmdline environ comm mounts maps fd/ fdinfo/ exe cwd root
//   /proc/<pid>/fd/<n>: symlinks reading as OpenFile.procLinkName(); following one reaches
//   the open file itself (its node, or the description when it has none).
//
// Inode numbers: 1 root, 2... fixed files; per process (pid << 32) | (kind << 24) | fd.
// Files' content is generated when they are opened (ProcFile), as a snapshot.
#if canImport(Glibc)
import Glibc
#endif
import VFSImage

final class ProcFS {
    static let rootIno: UInt64 = 1
    var mountID = 0

    enum Global: UInt64, CaseIterable {
        case selfLink = 2, meminfo, cpuinfo, uptime, mounts, version, loadavg, stat, filesystems, locks
        var name: String {
            switch self {
            case .selfLink: "self"
            case .meminfo: "meminfo"
            case .cpuinfo: "cpuinfo"
            case .uptime: "uptime"
            case .mounts: "mounts"
            case .version: "version"
            case .loadavg: "loadavg"
            case .stat: "stat"
            case .filesystems: "filesystems"
            case .locks: "locks"
            }
        }
    }

    enum Kind: UInt64, CaseIterable {
        case dir = 1, stat, status, statm, cmdline, environ, comm, mounts, maps, fdDir, fdinfoDir, exe, cwd, root
        case fdLink = 32, fdTarget, fdinfo
        /// Entries of a process directory, in listing order.
        static let listed: [Kind] = [.fdDir, .fdinfoDir, .stat, .status, .statm, .cmdline, .environ, .comm,
                                     .mounts, .maps, .exe, .cwd, .root]
        var name: String {
            switch self {
            case .dir: ""
            case .stat: "stat"
            case .status: "status"
            case .statm: "statm"
            case .cmdline: "cmdline"
            case .environ: "environ"
            case .comm: "comm"
            case .mounts: "mounts"
            case .maps: "maps"
            case .fdDir: "fd"
            case .fdinfoDir: "fdinfo"
            case .exe: "exe"
            case .cwd: "cwd"
            case .root: "root"
            case .fdLink, .fdTarget, .fdinfo: ""
            }
        }
        var isDirectory: Bool { self == .dir || self == .fdDir || self == .fdinfoDir }
        var isLink: Bool { self == .exe || self == .cwd || self == .root || self == .fdLink }
    }

    static func ino(_ pid: Int32, _ kind: Kind, _ fd: Int32 = 0) -> UInt64 {
        (UInt64(UInt32(bitPattern: pid)) << 32) | (kind.rawValue << 24) | UInt64(UInt32(bitPattern: fd) & 0xff_ffff)
    }

    /// (pid, kind, fd) of a per-process inode; nil for the root and the fixed files.
    static func decode(_ ino: UInt64) -> (pid: Int32, kind: Kind, fd: Int32)? {
        let pid = Int32(truncatingIfNeeded: ino >> 32)
        guard pid > 0, let kind = Kind(rawValue: (ino >> 24) & 0xff) else { return nil }
        return (pid, kind, Int32(ino & 0xff_ffff))
    }

    private func process(_ vfs: VFS, _ pid: Int32) throws(SyscallError) -> Process {
        guard let p = vfs.processLookup(pid) else { throw .errno(.ENOENT) }
        return p
    }

    /// Linux ptrace_may_access, simplified: the same effective uid, or root.
    private func mayInspect(_ t: GuestThread?, _ p: Process) -> Bool {
        guard let t else { return true }
        let c = t.process.cred
        return c.isRoot || c.euid == p.cred.euid || t.process === p
    }

    // MARK: namespace

    func lookup(_ vfs: VFS, _ dir: UInt64, _ name: [UInt8]) throws(SyscallError) -> UInt64 {
        if dir == ProcFS.rootIno {
            if let g = Global.allCases.first(where: { Array($0.name.utf8) == name }) { return g.rawValue }
            guard let pid = ProcFS.number(name), pid > 0, vfs.processLookup(pid) != nil else { throw .errno(.ENOENT) }
            return ProcFS.ino(pid, .dir)
        }
        guard let (pid, kind, _) = ProcFS.decode(dir) else { throw .errno(.ENOTDIR) }
        let p = try process(vfs, pid)
        switch kind {
        case .dir:
            guard let k = Kind.listed.first(where: { Array($0.name.utf8) == name }) else { throw .errno(.ENOENT) }
            return ProcFS.ino(pid, k)
        case .fdDir, .fdinfoDir:
            guard let fd = ProcFS.number(name), fd >= 0, fd <= 0xff_ffff, p.files.entry(fd) != nil else {
                throw .errno(.ENOENT)
            }
            return ProcFS.ino(pid, kind == .fdDir ? .fdLink : .fdinfo, fd)
        default:
            throw .errno(.ENOTDIR)
        }
    }

    func parent(_ ino: UInt64) -> UInt64 {
        guard let (pid, kind, _) = ProcFS.decode(ino) else { return ProcFS.rootIno }
        switch kind {
        case .dir: return ProcFS.rootIno
        case .fdLink, .fdTarget: return ProcFS.ino(pid, .fdDir)
        case .fdinfo: return ProcFS.ino(pid, .fdinfoDir)
        default: return ProcFS.ino(pid, .dir)
        }
    }

    static func number(_ s: [UInt8]) -> Int32? {
        guard !s.isEmpty, s.count <= 10, s.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if s.count > 1 && s[0] == 0x30 { return nil }
        guard let v = Int64(String(decoding: s, as: UTF8.self)), v <= Int64(Int32.max) else { return nil }
        return Int32(v)
    }

    func list(_ vfs: VFS, _ dir: UInt64, from offset: UInt64,
              _ body: ([UInt8], UInt64, UInt8, UInt64) -> Bool) throws(SyscallError) {
        // (position, name, ino, type): positions increase; an entry's next offset is position + 1.
        var entries: [(UInt64, [UInt8], UInt64, UInt8)] = []
        if dir == ProcFS.rootIno {
            entries.append((0, [0x2E], ProcFS.rootIno, 4))
            entries.append((1, [0x2E, 0x2E], ProcFS.rootIno, 4))
            for (i, g) in Global.allCases.enumerated() {
                entries.append((UInt64(2 + i), Array(g.name.utf8), g.rawValue, g == .selfLink ? 10 : 8))
            }
            for pid in vfs.processList().map(\.pid).sorted() where pid > 0 {
                entries.append((1000 + UInt64(pid), Array(String(pid).utf8), ProcFS.ino(pid, .dir), 4))
            }
        } else {
            guard let (pid, kind, _) = ProcFS.decode(dir), kind.isDirectory else { throw .errno(.ENOTDIR) }
            let p = try process(vfs, pid)
            entries.append((0, [0x2E], dir, 4))
            entries.append((1, [0x2E, 0x2E], parent(dir), 4))
            if kind == .dir {
                for (i, k) in Kind.listed.enumerated() {
                    entries.append((UInt64(2 + i), Array(k.name.utf8), ProcFS.ino(pid, k),
                                    k.isDirectory ? 4 : k.isLink ? 10 : 8))
                }
            } else {
                for fd in p.files.entries.keys.sorted() where fd <= 0xff_ffff {
                    entries.append((2 + UInt64(fd), Array(String(fd).utf8),
                                    ProcFS.ino(pid, kind == .fdDir ? .fdLink : .fdinfo, fd), kind == .fdDir ? 10 : 8))
                }
            }
        }
        for e in entries where e.0 >= offset {
            if !body(e.1, e.2, e.3, e.0 + 1) { return }
        }
    }

    // MARK: attributes

    func stat(_ vfs: VFS, _ t: GuestThread?, _ ino: UInt64) throws(SyscallError) -> KStat {
        var st = KStat()
        st.ino = ino
        st.blksize = 1024
        let now = ProcFS.realtime()
        st.atime = now; st.mtime = now; st.ctime = now
        if ino == ProcFS.rootIno {
            st.mode = Mode.S_IFDIR | 0o555
            st.nlink = 2
            return st
        }
        if let g = Global(rawValue: ino) {
            st.mode = g == .selfLink ? Mode.S_IFLNK | 0o777 : Mode.S_IFREG | 0o444
            return st
        }
        guard let (pid, kind, fd) = ProcFS.decode(ino) else { throw .errno(.ENOENT) }
        let p = try process(vfs, pid)
        st.uid = p.cred.euid
        st.gid = p.cred.egid
        switch kind {
        case .dir: st.mode = Mode.S_IFDIR | 0o555; st.nlink = 2
        case .fdDir, .fdinfoDir: st.mode = Mode.S_IFDIR | 0o500; st.nlink = 2
        case .environ: st.mode = Mode.S_IFREG | 0o400
        case .exe, .cwd, .root: st.mode = Mode.S_IFLNK | 0o777
        case .fdLink:
            guard let f = p.files.entry(fd)?.file else { throw .errno(.ENOENT) }
            st.mode = Mode.S_IFLNK | 0o100 | (f.canRead ? 0o400 : 0) | (f.canWrite ? 0o200 : 0)
            st.size = 64
        case .fdTarget:
            guard let f = p.files.entry(fd)?.file else { throw .errno(.ENOENT) }
            guard let t else { throw .errno(.ENOENT) }
            var fst = try f.stat(t)
            if fst.dev == 0 { fst.dev = vfs.mounts[mountID].dev }
            return fst
        default: st.mode = Mode.S_IFREG | 0o444
        }
        return st
    }

    static func realtime() -> (sec: Int64, nsec: UInt32) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (Int64(ts.tv_sec), UInt32(ts.tv_nsec))
    }

    // MARK: links

    func readlink(_ vfs: VFS, _ t: GuestThread?, _ ino: UInt64) throws(SyscallError) -> [UInt8] {
        if ino == Global.selfLink.rawValue {
            guard let t else { throw .errno(.ENOENT) }
            return Array(String(t.process.pid).utf8)
        }
        guard let (pid, kind, fd) = ProcFS.decode(ino), kind.isLink else { throw .errno(.EINVAL) }
        let p = try process(vfs, pid)
        guard mayInspect(t, p) else { throw .errno(.EACCES) }
        switch kind {
        case .exe:
            guard !p.exePath.isEmpty else { throw .errno(.ENOENT) }
            if p.exePath.first == 0x2F { return p.exePath }
            if let cwd = vfs.path(of: p.cwd, root: p.root) {
                return cwd == [0x2F] ? cwd + p.exePath : cwd + [0x2F] + p.exePath
            }
            return p.exePath
        case .cwd, .root:
            let n = kind == .cwd ? p.cwd : p.root
            let viewer = t?.process.root ?? vfs.rootNode
            return vfs.path(of: n, root: viewer) ?? vfs.path(of: n, root: vfs.rootNode) ?? Array("/".utf8)
        case .fdLink:
            guard let f = p.files.entry(fd)?.file else { throw .errno(.ENOENT) }
            return f.procLinkName()
        default:
            throw .errno(.EINVAL)
        }
    }

    /// Following a magic link: the node it stands for, or the fdTarget node of an open file
    /// without one.
    func magicTarget(_ vfs: VFS, _ t: GuestThread?, _ ino: UInt64) throws(SyscallError) -> VNode? {
        guard let (pid, kind, fd) = ProcFS.decode(ino), kind.isLink else { return nil }
        let p = try process(vfs, pid)
        guard mayInspect(t, p) else { throw .errno(.EACCES) }
        switch kind {
        case .cwd: return p.cwd
        case .root: return p.root
        case .exe:
            guard !p.exePath.isEmpty else { throw .errno(.ENOENT) }
            let start = p.exePath.first == 0x2F ? p.root : p.cwd
            var hops = 0
            return try vfs.walk(t, start: start, root: p.root, path: p.exePath, followFinal: true, cred: nil, hops: &hops).node
        case .fdLink:
            guard let f = p.files.entry(fd)?.file else { throw .errno(.ENOENT) }
            if let n = f.node { return n }
            return VNode(mountID: mountID, ino: ProcFS.ino(pid, .fdTarget, fd))
        default:
            return nil
        }
    }

    /// The open file behind a /proc/PID/fd/N link.
    func linkedFile(_ vfs: VFS, _ ino: UInt64) -> OpenFile? {
        guard let (pid, kind, fd) = ProcFS.decode(ino), kind == .fdLink else { return nil }
        return vfs.processLookup(pid)?.files.entry(fd)?.file
    }

    func targetFile(_ vfs: VFS, _ ino: UInt64) -> OpenFile? {
        guard let (pid, kind, fd) = ProcFS.decode(ino), kind == .fdTarget else { return nil }
        return vfs.processLookup(pid)?.files.entry(fd)?.file
    }

    // MARK: content

    func content(_ vfs: VFS, _ t: GuestThread, _ ino: UInt64) throws(SyscallError) -> [UInt8] {
        if let g = Global(rawValue: ino) {
            switch g {
            case .selfLink: throw .errno(.ELOOP)
            case .meminfo: return ProcFS.meminfo(t.process)
            case .cpuinfo: return ProcFS.cpuinfoText()
            case .uptime: return ProcFS.uptimeText()
            case .mounts: return mountsText(vfs, t.process)
            case .version:
                return Array("Linux version 6.1.0-kandelo (kandelo@kandelo) (swift) #1 SMP PREEMPT\n".utf8)
            case .loadavg: return ProcFS.loadavgText(vfs)
            case .stat: return ProcFS.statText(vfs)
            case .filesystems:
                return Array("nodev\tproc\nnodev\ttmpfs\nnodev\tdevtmpfs\n\tkandelo\n".utf8)
            case .locks: return vfs.locksText()
            }
        }
        guard let (pid, kind, fd) = ProcFS.decode(ino) else { throw .errno(.EISDIR) }
        let p = try process(vfs, pid)
        switch kind {
        case .stat: return statText(vfs, p)
        case .status: return statusText(p)
        case .statm:
            let pages = p.memory.size / 4096
            return Array("\(pages) \(pages) 0 0 0 \(pages) 0\n".utf8)
        case .cmdline:
            guard p.state == .running else { return [] }
            return p.argv.flatMap { $0 + [0] }
        case .environ:
            guard mayInspect(t, p) else { throw .errno(.EACCES) }
            guard p.state == .running else { return [] }
            return p.envp.flatMap { $0 + [0] }
        case .comm: return ProcFS.comm(p) + [0x0A]
        case .mounts: return mountsText(vfs, p)
        case .maps:
            guard mayInspect(t, p) else { throw .errno(.EACCES) }
            return ProcFS.mapsText(p)
        case .fdinfo:
            guard mayInspect(t, p) else { throw .errno(.EACCES) }
            guard let e = p.files.entry(fd) else { throw .errno(.ENOENT) }
            let flags = String(UInt32(bitPattern: e.file.statusFlags | (e.cloexec ? OpenFlags.O_CLOEXEC : 0)), radix: 8)
            // Then what the kind of file adds (eventfd-count, timerfd ticks, sigmask, tfd lines).
            return Array("pos:\t\(e.file.offset)\nflags:\t0\(flags)\nmnt_id:\t\((e.file.node?.mountID ?? -1) + 1)\n".utf8)
                + Array(e.file.fdinfo().utf8)
        case .dir, .fdDir, .fdinfoDir: throw .errno(.EISDIR)
        default: throw .errno(.EINVAL)
        }
    }

    static func centis(_ v: UInt64) -> String {
        let frac = v % 100
        return "\(v / 100).\(frac < 10 ? "0" : "")\(frac)"
    }

    static func cpuCount() -> Int { HostSystem.onlineCPUs }

    static func comm(_ p: Process) -> [UInt8] {
        if !p.comm.isEmpty { return Array(p.comm.prefix(15)) }
        let src = p.argv.first ?? p.exePath
        let base = src.split(separator: 0x2F).last.map(Array.init) ?? src
        return Array(base.prefix(15))
    }

    /// As `reader` sees them: a `--read-only` launch sees the image and binds as "ro".
    private func mountsText(_ vfs: VFS, _ reader: Process) -> [UInt8] {
        var s = ""
        for m in vfs.mounts {
            let dev: String
            let opts: String
            switch m.kind {
            case .image: dev = "rootfs"; opts = m.isReadOnly(for: reader) ? "ro" : "rw"
            case .tmpfs: dev = "tmpfs"; opts = "rw,nosuid,nodev"
            case .devfs: dev = "devtmpfs"; opts = "rw,nosuid"
            case .proc: dev = "proc"; opts = "rw,nosuid,nodev,noexec"
            case .hostdir: dev = m.host?.hostPath ?? "host"; opts = (m.isReadOnly(for: reader) ? "ro" : "rw") + ",nosuid,nodev"
            }
            s += "\(dev) \(String(decoding: m.path, as: UTF8.self)) \(m.fsTypeName) \(opts) 0 0\n"
        }
        return Array(s.utf8)
    }

    /// Running ("R") unless every thread waits in the kernel (blocked or suspended): a
    /// process reading its own stat is running, as on Linux.
    static func isRunning(_ p: Process) -> Bool {
        p.threads.contains { $0.blockedOn == nil && $0.interrupt == nil }
    }

    /// /proc/PID/stat: CPU times from the runner (USER_HZ ticks), the start time from the
    /// host's boot (ProcFigures.swift), the controlling terminal, nice and priority, the
    /// signal masks, and the runner's resident memory.
    private func statText(_ vfs: VFS, _ p: Process) -> [UInt8] {
        let state = p.state == .zombie ? "Z" : ProcFS.isRunning(p) ? "R" : "S"
        let start = p.startTime / 10_000_000
        let vsize = p.memory.size
        let own = vfs.kernel?.cpuTimes(p) ?? CPUTimes(), children = p.childTimes
        let ticks = [own.user, own.system, children.user, children.system].map { String($0 / 10_000_000) }
        let (ttyNr, tpgid) = ProcFS.terminalFields(vfs, p)
        let (ignored, caught) = ProcFS.handlerMasks(p)
        var f: [String] = []
        f.append(String(p.pid))
        f.append("(" + String(decoding: ProcFS.comm(p), as: UTF8.self) + ")")
        f.append(state)
        f += [p.ppid, p.pgid, p.sid].map { String($0) }
        f += [String(ttyNr), String(tpgid), "4194560", "0", "0", "0", "0"]   // tty_nr tpgid flags minflt cminflt majflt cmajflt
        f += ticks + [String(20 + p.nice), String(p.nice)]                     // utime stime cutime cstime priority nice
        f.append(String(max(1, p.threads.count)))
        f += ["0", String(start), String(vsize), String(ProcFS.residentPages(p)), "18446744073709551615"]
        f += ["0", "0", "0", "0", "0"]                          // startcode endcode startstack kstkesp kstkeip
        f += [String(p.signals.pending), String(p.threads.first?.sigmask ?? 0), String(ignored), String(caught)]
        f += ["0", "0", "0", String(p.exitSignal), "0", "0", "0", "0", "0", "0"] // wchan nswap cnswap exit_signal cpu rt_prio policy blkio gtime cgtime
        f += ["0", "0", "0", "0", "0", "0", "0"]                 // start_data end_data start_brk arg_start arg_end env_start env_end
        f.append(p.state == .zombie ? String(p.waitStatus) : "0")
        return Array((f.joined(separator: " ") + "\n").utf8)
    }

    private func statusText(_ p: Process) -> [UInt8] {
        let c = p.cred
        let state = p.state == .zombie ? "Z (zombie)" : ProcFS.isRunning(p) ? "R (running)" : "S (sleeping)"
        let kb = p.memory.size / 1024
        var ignored: UInt64 = 0, caught: UInt64 = 0
        for sig in 1..<min(65, p.signals.actions.count) {
            let h = p.signals.actions[sig].handler
            if h == 1 { ignored |= 1 << UInt64(sig - 1) } else if h > 1 { caught |= 1 << UInt64(sig - 1) }
        }
        let blocked = p.threads.first?.sigmask ?? 0
        func hex(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, 16 - s.count)) + s
        }
        var s = ""
        s += "Name:\t\(String(decoding: ProcFS.comm(p), as: UTF8.self))\n"
        s += "Umask:\t0\(String(p.umask, radix: 8))\n"
        s += "State:\t\(state)\n"
        s += "Tgid:\t\(p.pid)\nNgid:\t0\nPid:\t\(p.pid)\nPPid:\t\(p.ppid)\nTracerPid:\t0\n"
        s += "Uid:\t\(c.uid)\t\(c.euid)\t\(c.suid)\t\(c.euid)\n"
        s += "Gid:\t\(c.gid)\t\(c.egid)\t\(c.sgid)\t\(c.egid)\n"
        s += "FDSize:\t\(max(64, Int(p.files.limit)))\n"
        s += "Groups:\t\(c.groups.map { String($0) }.joined(separator: " "))\n"
        // Linear memory only grows (wasm), so its peak is its size; RSS is the runner's.
        s += "VmPeak:\t\(kb) kB\nVmSize:\t\(kb) kB\nVmRSS:\t\(ProcFS.residentPages(p) * 4) kB\n"
        s += "Threads:\t\(max(1, p.threads.count))\n"
        s += "SigQ:\t0/0\nSigPnd:\t\(hex(p.threads.first?.pending ?? 0))\nShdPnd:\t\(hex(p.signals.pending))\n"
        s += "SigBlk:\t\(hex(blocked))\nSigIgn:\t\(hex(ignored))\nSigCgt:\t\(hex(caught))\n"
        return Array(s.utf8)
    }
}

/// An open /proc file: a snapshot of its content taken at open.
final class ProcFile: VFSFile {
    let content: [UInt8]

    init(vfs: VFS, node: VNode, flags: Int32, content: [UInt8]) {
        self.content = content
        super.init(vfs: vfs, node: node, flags: flags, parent: nil, name: [])
    }

    override func read(_ t: GuestThread, into addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        let p = position ?? offset
        try t.memory.check(addr, count)
        guard p < Int64(content.count) else { return 0 }
        let n = min(count, content.count - Int(p))
        try t.memory.write(addr, Array(content[Int(p)..<(Int(p) + n)]))
        if position == nil { offset = p + Int64(n) }
        return n
    }

    override func write(_ t: GuestThread, from addr: UInt32, count: Int, at position: Int64?) throws(SyscallError) -> Int {
        throw .errno(.EIO)
    }

    override func seek(_ t: GuestThread, offset off: Int64, whence: Int32) throws(SyscallError) -> Int64 {
        try seekPlain(off, whence, size: Int64(content.count))
    }

    override func procLinkName() -> [UInt8] {
        let m = vfs.mount(of: vnode)
        var name = m.path
        if let (pid, kind, fd) = ProcFS.decode(vnode.ino) {
            name += Array("/\(pid)/".utf8)
            name += kind == .fdinfo ? Array("fdinfo/\(fd)".utf8) : Array(kind.name.utf8)
        } else if let g = ProcFS.Global(rawValue: vnode.ino) {
            name += [0x2F] + Array(g.name.utf8)
        }
        return name
    }
}
