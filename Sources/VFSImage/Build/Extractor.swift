// Extractor.swift: writing an image's tree into a host directory (mkrootfs's `extract`).
//
// Directories, regular files, symlinks and FIFOs become host files with the image's
// permission bits (directories get theirs last, so read-only ones can still be filled) and
// times. Owners are applied only when running as root. What the host copy cannot hold —
// owners when not root, lazy files (content not in the image), device nodes when not root,
// setuid bits lost by chown — is written to DIR/MANIFEST when asked, in mkrootfs's grammar,
// so `kandelo-image build DIR/MANIFEST DIR` rebuilds the image.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public struct ExtractOptions: Sendable {
    public var force = false
    public var writeManifest = false
    public init() {}
}

public enum Extractor {
    public static func extract(_ fs: SharedFS, to dir: String, options: ExtractOptions = ExtractOptions(),
                               warn: (String) -> Void = { _ in },
                               progress: Builder.Progress? = nil) throws(BuildError) {
        var st = stat()
        if lstat(dir, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw BuildError("\(dir) exists and is not a directory") }
            if !options.force, let d = opendir(dir) {
                var empty = true
                while let e = readdir(d) {
                    let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                    if n != "." && n != ".." { empty = false; break }
                }
                closedir(d)
                guard empty else { throw BuildError("\(dir) is not empty; pass --force to extract into it anyway") }
            }
        } else if Glibc.mkdir(dir, 0o755) != 0 {
            throw BuildError("cannot create \(dir): \(String(cString: strerror(errno)))")
        }
        var nodes: [TreeNode] = []
        do { try fs.walk { nodes.append($0) } } catch { throw BuildError("cannot walk the image: \(error)") }
        if options.writeManifest && nodes.contains(where: { $0.path == "/MANIFEST" }) {
            throw BuildError("the image has its own /MANIFEST; extract without --manifest or into another directory")
        }
        let isRoot = geteuid() == 0
        var manifest: [(UInt32, String)] = []
        var dirModes: [(String, InodeAttributes)] = []
        var bytes: UInt64 = 0
        func host(_ p: String) -> String { dir + p }
        func fail(_ p: String, _ what: String) -> BuildError { BuildError("\(host(p)): \(what): \(String(cString: strerror(errno)))") }
        for (i, n) in nodes.enumerated() {
            let a = n.attributes
            let perm = a.mode & 0o7777
            let octal = String(perm, radix: 8)
            let padded = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
            let owner = "\(a.uid) \(a.gid)"
            let path = host(n.path)
            if options.force { _ = unlink(path) }
            switch a.type {
            case .directory:
                if Glibc.mkdir(path, 0o700) != 0 && errno != EEXIST { throw fail(n.path, "mkdir") }
                dirModes.append((path, a))
                manifest.append((a.ino.rawValue, "\(n.path) d \(padded) \(owner)"))
            case .regular:
                if let url = n.lazyURL {
                    warn("\(n.path): lazy file (content at \(url)) is not in the image; listed in the manifest only")
                    manifest.append((a.ino.rawValue, "\(n.path) f \(padded) \(owner) lazy_url=\(url) lazy_size=\(a.size)"))
                    continue
                }
                let content: [UInt8]
                do { content = try fs.readAll(a.ino) } catch { throw BuildError("\(n.path): cannot read from the image: \(error)") }
                let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw fail(n.path, "create") }
                var done = 0
                while done < content.count {
                    let w = content.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, content.count - done) }
                    if w < 0 { if errno == EINTR { continue }; close(fd); throw fail(n.path, "write") }
                    done += w
                }
                if isRoot { fchown(fd, a.uid, a.gid) }
                fchmod(fd, perm)
                close(fd)
                bytes += UInt64(content.count)
                manifest.append((a.ino.rawValue, "\(n.path) f \(padded) \(owner)"))
            case .symlink:
                guard Glibc.symlink(n.target ?? "", path) == 0 else { throw fail(n.path, "symlink") }
                if isRoot { lchown(path, a.uid, a.gid) }
                manifest.append((a.ino.rawValue, "\(n.path) l 0777 \(owner) target=\(n.target ?? "")"))
            case .fifo:
                guard mkfifo(path, perm) == 0 else { throw fail(n.path, "mkfifo") }
                if isRoot { lchown(path, a.uid, a.gid) }
                chmod(path, perm)
            case .characterDevice, .blockDevice:
                let major = (a.rdev >> 8) & 0xFFF, minor = (a.rdev & 0xFF) | ((a.rdev >> 12) & 0xFFF00)
                let c = a.type == .characterDevice
                manifest.append((a.ino.rawValue, "\(n.path) \(c ? "c" : "b") \(padded) \(owner) major=\(major) minor=\(minor)"))
                if isRoot {
                    let dev = dev_t(minor & 0xFF) | dev_t(major) << 8 | dev_t(minor & ~0xFF) << 12
                    if mknod(path, (c ? S_IFCHR : S_IFBLK) | perm, dev) != 0 { warn("\(n.path): mknod failed: \(String(cString: strerror(errno)))") }
                    else { lchown(path, a.uid, a.gid) }
                } else {
                    warn("\(n.path): device nodes need root; listed in the manifest only")
                }
            case .socket, .none:
                warn("\(n.path): sockets are not extracted")
            }
            if a.type != .directory {
                var times = [timespec(tv_sec: Int(a.atimeMs / 1000), tv_nsec: Int(a.atimeMs % 1000) * 1_000_000),
                             timespec(tv_sec: Int(a.mtimeMs / 1000), tv_nsec: Int(a.mtimeMs % 1000) * 1_000_000)]
                utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
            }
            progress?(BuildProgress(done: i + 1, total: nodes.count, bytes: bytes, path: n.path))
        }
        // Directory modes and times last, deepest first, so children could be written.
        for (path, a) in dirModes.reversed() {
            if isRoot { lchown(path, a.uid, a.gid) }
            chmod(path, a.mode & 0o7777)
            var times = [timespec(tv_sec: Int(a.atimeMs / 1000), tv_nsec: Int(a.atimeMs % 1000) * 1_000_000),
                         timespec(tv_sec: Int(a.mtimeMs / 1000), tv_nsec: Int(a.mtimeMs % 1000) * 1_000_000)]
            utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
        }
        if options.writeManifest {
            // Inode order reproduces the original allocation order when rebuilt.
            let text = "# Written by kandelo-image extract; rebuild with: kandelo-image build MANIFEST <this dir> -o OUT\n"
                + manifest.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n") + "\n"
            let fd = open(dir + "/MANIFEST", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BuildError("\(dir)/MANIFEST: \(String(cString: strerror(errno)))") }
            _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
            close(fd)
        }
    }
}
