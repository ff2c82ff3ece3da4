// VFS.swift: the kernel's file namespace: mounts over backends, inode-level operations
// that hide which backend serves a node, and the hooks the rest of the service sets.
//
// Backends:
//   - SharedFS (VFSImage): the image on "/", an in-memory tmpfs on /tmp, and devfs on /dev
//     (devfs is a tiny in-memory SharedFS holding character-device nodes, the stdio
//     symlinks and the shm/pts directories; opening a device node anywhere opens the device
//     its rdev names, Devices.swift);
//   - ProcFS (ProcFS.swift): /proc, generated from the process table;
//   - HostDirFS (HostDirFS.swift): a host directory bound into the namespace (--bind).
// SharedFS and HostDirFS are reached through the InodeFileSystem protocol (`backend`).
//
// Path walking is in PathWalk.swift, the operations the syscalls use in Operations.swift,
// open file kinds in OpenFiles.swift, Devices.swift and ProcFS.swift.
//
// Not thread-safe: the kernel's loop (one thread) owns the VFS, as it owns the image.
#if canImport(Glibc)
import Glibc
#endif
import VFSImage

/// A change the guest made to the image, for the FUSE mount to drop its host caches.
public enum ImageChange: Sendable, Equatable {
    /// Content (and attributes) of an inode changed from `offset` for `length` bytes;
    /// offset -1: attributes only.
    case inode(InodeNumber, offset: Int64, length: Int64)
    /// A name appeared or changed in a directory.
    case entry(parent: InodeNumber, name: [UInt8])
    /// A name of `child` was removed from `parent`.
    case delete(parent: InodeNumber, child: InodeNumber, name: [UInt8])
}

public final class Mount {
    public enum Kind: Sendable, Equatable { case image, tmpfs, devfs, proc, hostdir }
    public let id: Int
    public let kind: Kind
    /// The backend: exactly one of these is set.
    public let shared: SharedFS?
    let proc: ProcFS?
    public let host: HostDirFS?
    /// The inode filesystem behind it (shared or host); nil for /proc.
    let backend: (any InodeFileSystem)?
    /// The filesystem behind it, whichever it is: what the VFS's node operations ask.
    let files: any MountedFileSystem
    /// Where it is mounted, as an absolute path (for /proc/mounts).
    public let path: [UInt8]
    /// The directory it covers in its parent mount; nil for the root mount.
    public internal(set) var mountpoint: VNode?
    /// st_dev of every node in this mount.
    public let dev: UInt64
    public let rootIno: UInt64

    init(id: Int, kind: Kind, shared: SharedFS?, proc: ProcFS?, host: HostDirFS? = nil, path: [UInt8], mountpoint: VNode?,
         dev: UInt64, rootIno: UInt64) {
        self.id = id
        self.kind = kind
        self.shared = shared
        self.proc = proc
        self.host = host
        self.backend = shared ?? host
        guard let files: any MountedFileSystem = backend ?? proc else { preconditionFailure("a mount needs a filesystem") }
        self.files = files
        self.path = path
        self.mountpoint = mountpoint
        self.dev = dev
        self.rootIno = rootIno
    }

    public var root: VNode { VNode(mountID: id, ino: rootIno) }
    public var isReadOnly: Bool { backend?.readOnly ?? true }
    /// Read-only for `p`: the mount itself is, or `p` belongs to a `--read-only` launch and
    /// this is the image or a host directory (tmpfs and devices stay writable, as in a
    /// read-only standalone run).
    public func isReadOnly(for p: Process) -> Bool {
        isReadOnly || (p.readOnlyStorage && (kind == .image || kind == .hostdir))
    }

    var fsTypeName: String {
        switch kind {
        case .image: "kandelo"
        case .tmpfs: "tmpfs"
        case .devfs: "devtmpfs"
        case .proc: "proc"
        case .hostdir: "hostdir"
        }
    }
}

public final class VFS {
    public private(set) var mounts: [Mount] = []
    /// Mountpoint (covered directory) → the mount on it.
    private var covered: [VNode: Int] = [:]

    // MARK: hooks the kernel sets

    /// The process with this pid (zombies included), for /proc. The kernel wires it:
    /// `vfs.processLookup = { [unowned k] pid in k.processes[pid] }`.
    public var processLookup: (Int32) -> Process? = { _ in nil }
    /// The kernel, for host I/O on the Ring (host-directory files); nil in VFS-only tests.
    weak var kernel: Kernel?
    /// Every process, for listing /proc: `vfs.processList = { [unowned k] in Array(k.processes.values) }`.
    public var processList: () -> [Process] = { [] }
    /// fsync/fdatasync/syncfs of an image file and sync(2): make the image durable (journal
    /// sync). May throw `.suspended` and answer the thread later. Nil: nothing to do.
    public var onSync: ((GuestThread) throws(SyscallError) -> Void)?
    /// Every guest change to the image (not tmpfs, devfs), for FUSE cache invalidation.
    public var onImageChange: ((ImageChange) -> Void)?
    /// Opening a FIFO node (the pipe implementation provides it). Nil: ENXIO.
    public var openFifo: ((GuestThread, VNode, Int32) throws(SyscallError) -> OpenFile)?
    /// Monotonic nanoseconds at creation (/proc/uptime, /proc/PID/stat start times).
    public let bootNanos: UInt64
    /// The bounce buffer between SharedFS files and guest memory (one loop thread: one
    /// buffer; a copy finishes before the next starts).
    let bounce = UnsafeMutableRawBufferPointer.allocate(byteCount: bounceLimit, alignment: 4096)

    public init(root image: SharedFS) {
        bootNanos = VFS.monotonicNanos()
        mounts.append(Mount(id: 0, kind: .image, shared: image, proc: nil, path: [0x2F], mountpoint: nil,
                            dev: DeviceNumber.make(0, 1), rootIno: UInt64(InodeNumber.root.rawValue)))
    }

    /// The image on "/", devfs on /dev, procfs on /proc, and a tmpfs on /tmp when the
    /// image has a /tmp directory. /dev and /proc are created in the image (as root, 0755)
    /// if missing and the image is writable; a missing one that cannot be made is skipped.
    /// With `createMountPoints` false (the service: the image is also on the host's mount,
    /// and a mount must not change it by itself), /dev and /proc are mounted only where the
    /// image has those directories.
    public static func standard(image: SharedFS, tmpfsMaxSize: Int = 1 << 30, createMountPoints: Bool = true) throws -> VFS {
        let vfs = VFS(root: image)
        func dir(_ name: String) -> Bool {
            if let ino = try? image.lookup(.root, name) {
                return (try? image.attributes(ino))?.type == .directory
            }
            guard !image.readOnly, createMountPoints else { return false }
            return (try? image.mkdir(.root, Array(name.utf8), mode: 0o755)) != nil
        }
        if dir("dev") { try vfs.mount(VFS.makeDevfs(), kind: .devfs, at: "/dev") }
        if dir("proc") { try vfs.mountProc(at: "/proc") }
        if let tmp = try? image.lookup(.root, "tmp"), (try? image.attributes(tmp))?.type == .directory {
            let fs = try SharedFS(size: 1 << 20, maxSize: max(tmpfsMaxSize, 1 << 20))
            try fs.chmod(.root, 0o1777)
            try vfs.mount(fs, kind: .tmpfs, at: "/tmp")
        }
        return vfs
    }

    deinit { bounce.deallocate() }

    public var rootMount: Mount { mounts[0] }
    public var rootNode: VNode { mounts[0].root }
    public var image: SharedFS { mounts[0].shared! }

    func mount(of n: VNode) -> Mount { mounts[n.mountID] }

    // MARK: mounting

    public enum MountError: Error, CustomStringConvertible {
        case notADirectory(String), busy(String), lookup(String, LinuxErrno)
        public var description: String {
            switch self {
            case .notADirectory(let p): "\(p): not a directory"
            case .busy(let p): "\(p): already a mount point"
            case .lookup(let p, let e): "\(p): \(e)"
            }
        }
    }

    /// Finds the directory an absolute path names, as root, following symlinks.
    func mountTarget(_ path: String) throws(MountError) -> VNode {
        var node = rootNode
        for part in Array(path.utf8).split(separator: 0x2F) {
            do {
                guard try stat(nil, node).isDirectory else { throw MountError.notADirectory(path) }
                node = try lookup(node, Array(part), root: rootNode)
                var hops = 0
                while try stat(nil, node).isSymlink {
                    hops += 1
                    if hops > 40 { throw MountError.lookup(path, .ELOOP) }
                    let target = try readlink(nil, node)
                    node = try walk(nil, start: rootNode, root: rootNode, path: target, followFinal: true,
                                    cred: nil, hops: &hops).node
                }
            } catch let e as MountError {
                throw e
            } catch let e as SyscallError {
                if case .errno(let errno) = e { throw .lookup(path, errno) }
                throw .lookup(path, .EIO)
            } catch {
                throw .lookup(path, .EIO)
            }
        }
        do { guard try stat(nil, node).isDirectory else { throw MountError.notADirectory(path) } } catch {
            throw .notADirectory(path)
        }
        if covered[node] != nil { throw .busy(path) }
        return node
    }

    @discardableResult
    public func mount(_ fs: SharedFS, kind: Mount.Kind, at path: String) throws(MountError) -> Mount {
        let target = try mountTarget(path)
        let m = Mount(id: mounts.count, kind: kind, shared: fs, proc: nil, path: Array(path.utf8), mountpoint: target,
                      dev: DeviceNumber.make(0, UInt32(mounts.count + 1)), rootIno: UInt64(InodeNumber.root.rawValue))
        mounts.append(m)
        covered[target] = m.id
        return m
    }

    /// Binds a host directory over the directory `path` (HostDirFS.swift).
    @discardableResult
    public func mount(host fs: HostDirFS, at path: String) throws(MountError) -> Mount {
        let target = try mountTarget(path)
        let m = Mount(id: mounts.count, kind: .hostdir, shared: nil, proc: nil, host: fs, path: Array(path.utf8), mountpoint: target,
                      dev: DeviceNumber.make(0, UInt32(mounts.count + 1)), rootIno: UInt64(InodeNumber.root.rawValue))
        mounts.append(m)
        covered[target] = m.id
        return m
    }

    @discardableResult
    public func mountProc(at path: String) throws(MountError) -> Mount {
        let target = try mountTarget(path)
        let m = Mount(id: mounts.count, kind: .proc, shared: nil, proc: ProcFS(), path: Array(path.utf8), mountpoint: target,
                      dev: DeviceNumber.make(0, UInt32(mounts.count + 1)), rootIno: ProcFS.rootIno)
        m.proc?.mountID = m.id
        mounts.append(m)
        covered[target] = m.id
        return m
    }

    /// The mount whose root is `n`, if any.
    func mountRooted(at n: VNode) -> Mount? {
        let m = mounts[n.mountID]
        return m.rootIno == n.ino ? m : nil
    }

    func isMountpoint(_ n: VNode) -> Bool { covered[n] != nil }

    /// A covered directory stands for the root of what is mounted on it.
    func crossDown(_ n: VNode) -> VNode {
        var n = n
        while let m = covered[n] { n = mounts[m].root }
        return n
    }

    // MARK: node operations (mount-aware, credential-free)

    /// The attributes of a node. `t` is needed for /proc nodes that stand for another
    /// process's open file.
    public func stat(_ t: GuestThread?, _ n: VNode) throws(SyscallError) -> KStat {
        let m = mount(of: n)
        if let f = procTargetFile(n) {
            // /proc/PID/fd/N followed to a file without a node: the file's own attributes.
            guard let t else { throw .errno(.ENOENT) }
            return try f.stat(t)
        }
        var st = try m.files.nodeStat(self, t, n.ino)
        st.dev = m.dev
        return st
    }

    /// The entry `name` of directory `dir`, crossing mounts in both directions. `..` at
    /// `root` (the caller's root) stays there.
    func lookup(_ dir: VNode, _ name: [UInt8], root: VNode) throws(SyscallError) -> VNode {
        if name == [0x2E] { return dir }
        if name == [0x2E, 0x2E] { return try parent(of: dir, root: root) }
        return crossDown(try lookupRaw(dir, name))
    }

    /// The entry `name` in the directory's own filesystem (no mount crossing).
    func lookupRaw(_ dir: VNode, _ name: [UInt8]) throws(SyscallError) -> VNode {
        let m = mount(of: dir)
        if name == [0x2E] { return dir }
        if name == [0x2E, 0x2E] { return VNode(mountID: m.id, ino: try m.files.nodeParent(self, dir.ino)) }
        return VNode(mountID: m.id, ino: try m.files.nodeLookup(self, dir.ino, name))
    }

    /// `..` of a directory: up through mount roots, never above `root`.
    func parent(of dir: VNode, root: VNode) throws(SyscallError) -> VNode {
        var n = dir
        while true {
            if n == root { return n }
            guard let m = mountRooted(at: n), let mp = m.mountpoint else { break }
            n = mp
        }
        if n == root { return n }
        let m = mount(of: n)
        return crossDown(VNode(mountID: m.id, ino: try m.files.nodeParent(self, n.ino)))
    }

    /// A symlink's target.
    public func readlink(_ t: GuestThread?, _ n: VNode) throws(SyscallError) -> [UInt8] {
        try mount(of: n).files.nodeReadlink(self, t, n.ino)
    }

    /// The listing of a directory from `offset` (0 = start, "." and ".." included). `body`
    /// gets (name, inode, d_type, offset of the next entry) and returns false to stop.
    func listDirectory(_ dir: VNode, from offset: UInt64,
                       _ body: ([UInt8], UInt64, UInt8, UInt64) -> Bool) throws(SyscallError) {
        try mount(of: dir).files.nodeList(self, dir.ino, from: offset, body)
    }

    // MARK: permissions

    /// Linux generic_permission: may `cred` (its fsuid = euid, groups) do `mask` on a node
    /// with these attributes? Root may read and write anything and execute anything with
    /// an x bit (directories: always).
    static func permits(_ st: KStat, _ mask: UInt32, uid: UInt32, gid: UInt32, groups: [UInt32]) -> Bool {
        if uid == 0 {
            if mask & Access.X == 0 || st.isDirectory { return true }
            return st.mode & 0o111 != 0
        }
        let bits: UInt32
        if uid == st.uid { bits = (st.mode >> 6) & 7 }
        else if gid == st.gid || groups.contains(st.gid) { bits = (st.mode >> 3) & 7 }
        else { bits = st.mode & 7 }
        return bits & mask == mask
    }

    static func permits(_ st: KStat, _ mask: UInt32, _ cred: Credentials) -> Bool {
        permits(st, mask, uid: cred.euid, gid: cred.egid, groups: cred.groups)
    }

    func checkAccess(_ st: KStat, _ mask: UInt32, _ cred: Credentials?) throws(SyscallError) {
        guard let cred else { return }
        if !VFS.permits(st, mask, cred) { throw .errno(.EACCES) }
    }

    // MARK: paths of nodes

    /// The absolute path of directory `dir` as seen from `root` (getcwd, /proc/PID/cwd).
    /// nil when the directory has been removed; a directory outside `root` gets the path
    /// from the global root prefixed with "(unreachable)" as Linux does.
    public func path(of dir: VNode, root: VNode) -> [UInt8]? {
        var parts: [[UInt8]] = []
        var n = dir
        var steps = 0
        while n != root {
            steps += 1
            if steps > 4096 { return nil }
            if let m = mountRooted(at: n) {
                // A mount root is named by the directory it covers.
                guard let mp = m.mountpoint else {
                    return Array("(unreachable)/".utf8) + join(parts.reversed())
                }
                n = mp
                continue
            }
            guard let up = try? lookupRaw(n, [0x2E, 0x2E]), let name = nameOf(n, in: up) else { return nil }
            parts.append(name)
            n = up
        }
        return [0x2F] + join(parts.reversed())
    }

    private func join(_ parts: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, p) in parts.enumerated() {
            if i > 0 { out.append(0x2F) }
            out += p
        }
        return out
    }

    /// The name of `child` inside `dir` (both in the same filesystem): a scan of the listing.
    func nameOf(_ child: VNode, in dir: VNode) -> [UInt8]? {
        var found: [UInt8]? = nil
        try? listDirectory(dir, from: 0) { name, ino, _, _ in
            if name == [0x2E] || name == [0x2E, 0x2E] { return true }
            if ino == child.ino {
                found = name
                return false
            }
            return true
        }
        return found
    }

    // MARK: change notification

    func imageChanged(_ m: Mount, _ c: ImageChange) {
        if m.kind == .image, let hook = onImageChange { hook(c) }
    }

    static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

extension KStat {
    init(_ a: InodeAttributes) {
        self.init()
        ino = UInt64(a.ino.rawValue)
        mode = a.mode
        nlink = a.linkCount
        uid = a.uid
        gid = a.gid
        rdev = UInt64(a.rdev)
        size = Int64(bitPattern: a.size)
        blksize = 4096
        blocks = Int64(bitPattern: a.blocks)
        atime = (Int64(a.atimeMs / 1000), UInt32(a.atimeMs % 1000) * 1_000_000)
        mtime = (Int64(a.mtimeMs / 1000), UInt32(a.mtimeMs % 1000) * 1_000_000)
        ctime = (Int64(a.ctimeMs / 1000), UInt32(a.ctimeMs % 1000) * 1_000_000)
    }
}
