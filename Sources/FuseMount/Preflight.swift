// Preflight.swift: the checks kandelo-mount makes before it opens (and locks) the image, so
// that every refusal leaves the image exactly as it was. Each returns a message that names
// the path and says what to do.
//
// Order (Mount.swift): /dev/fuse, the mount point, the image file; then ImageFile.open
// (which refuses a locked, corrupt or inconsistent image), then the mount itself.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum Preflight {
    public static let fuseDevice = "/dev/fuse"

    /// /dev/fuse exists, is the FUSE character device, and we may open it.
    public static func checkFuseDevice(_ path: String = fuseDevice) throws(MountError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw .noFuseDevice("\(path) does not exist: load the fuse module (modprobe fuse), or in a container "
                                + "pass the device through (docker run --device /dev/fuse --cap-add SYS_ADMIN)")
        }
        guard st.st_mode & S_IFMT == S_IFCHR else {
            throw .noFuseDevice("\(path) is not a character device, so FUSE cannot work here")
        }
        // Non-root users mount through fusermount3, which opens the device itself; we only
        // need it readable and writable when we are root.
        if geteuid() == 0 {
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw .noFuseDevice("cannot open \(path): \(errnoText(errno))") }
            close(fd)
        }
    }

    /// The mount point exists, is a directory, and is not already a mount point.
    /// Returns its absolute, symlink-free path.
    public static func checkMountPoint(_ path: String) throws(MountError) -> String {
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            switch e {
            case ENOENT: throw .mountPoint("mount point \(path) does not exist (create it with mkdir first)")
            case ENOTCONN:
                throw .mountPoint("mount point \(path) is a dead FUSE mount (its server exited): "
                                  + "clear it with fusermount3 -u \(path)")
            default: throw .mountPoint("mount point \(path): \(errnoText(e))")
            }
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw .mountPoint("mount point \(path) is not a directory") }
        guard let abs = realPath(path) else { throw .mountPoint("mount point \(path): \(errnoText(errno))") }
        if let m = mountEntry(at: abs) {
            throw .mountPoint("\(path) is already a mount point (\(m.type) from \(m.source)); unmount it first "
                              + "(fusermount3 -u \(path) or umount \(path))")
        }
        return abs
    }

    /// The image exists and is a regular file. Returns its absolute, symlink-free path, so
    /// checkpoints replace the file itself (not a symlink to it), also after we chdir("/").
    public static func checkImage(_ path: String) throws(MountError) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = errno
            throw .image(e == ENOENT ? "image \(path) does not exist" : "image \(path): \(errnoText(e))")
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw .image("image \(path) is not a regular file") }
        guard let abs = realPath(path) else { throw .image("image \(path): \(errnoText(errno))") }
        return abs
    }

    // MARK: helpers

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    public struct MountEntry: Sendable { public var mountPoint: String; public var type: String; public var source: String }

    /// The mount whose mount point is `path`, from /proc/self/mountinfo (last one wins:
    /// the top of a stack of mounts).
    public static func mountEntry(at path: String) -> MountEntry? {
        mountEntries().last { $0.mountPoint == path }
    }

    /// Every mount in /proc/self/mountinfo, in its order (lines it cannot parse skipped).
    static func mountEntries() -> [MountEntry] {
        guard let text = readFile("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            // id parent major:minor root mountpoint options [optional...] - type source superoptions
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            guard f.count > 5, let dash = f.firstIndex(of: "-"), dash + 2 < f.count else { return nil }
            return MountEntry(mountPoint: unescapeMountField(String(f[4])), type: String(f[dash + 1]),
                              source: unescapeMountField(String(f[dash + 2])))
        }
    }

    /// mountinfo writes space, tab, newline and backslash as \ooo octal escapes.
    static func unescapeMountField(_ s: String) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x5C, i + 3 < b.count {
                let digits = b[(i + 1)...(i + 3)]
                if digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }) {
                    out.append(digits.reduce(0) { $0 &* 8 &+ ($1 - 0x30) })
                    i += 4
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }
