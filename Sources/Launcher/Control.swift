// Control.swift: the control socket between `kandelo-launch` (client) and the service
// that `kandelo-mount` runs (Service.swift): where it is, and what travels on it.
//
// Where. The socket sits beside the image, as `IMAGE.control` (the service already keeps
// `IMAGE.journal` there, so the directory is writable by whoever may mount the image).
// Where it cannot (a read-only directory for an `-o ro` mount, or a path longer than a
// socket address holds), it goes to a directory of the user's own: $XDG_RUNTIME_DIR/kandelo
// or /tmp/kandelo-UID (mode 0700, ours, checked), named by a hash of the image's path. A
// client given `--mount DIR` finds the image from the FUSE mount's source in
// /proc/self/mountinfo (kandelo-mount names its mounts after the image's absolute path).
// The socket file is mode 0600 and the service checks every peer with SO_PEERCRED: only
// its own uid (or root) may launch guests.
//
// What. A stream socket carrying frames: a u32 little-endian length, then fields
// `key=value\0` (values are bytes without NUL, as argv and envp strings are). Keys may
// repeat (arg, env). The first field is `op`. A launch carries the client's stdin, stdout
// and stderr as SCM_RIGHTS on its first byte.
//
//   client -> service                         service -> client
//   op=launch arg=... env=... cwd= uid= gid=  op=started pid=N
//      memory=MiB tty=0|1 rows= cols=         op=exit status=N [message=...]
//      [+ 3 fds]                              op=error status=N message=...
//   op=signal sig=N   (to the guest)          op=list line=... (one per process)
//   op=winsize rows= cols=                    op=ok / op=error
//   op=list
//   op=kill pid=N sig=N
//
// The client waits for `exit` (and forwards its signals meanwhile); closing the connection
// early SIGHUPs the guest, as hanging up a terminal does.
#if canImport(Glibc)
import Glibc
#endif
import CHost

public struct ControlMessage: Equatable, CustomStringConvertible {
    public var fields: [(String, [UInt8])] = []

    public init(_ op: String) { fields = [("op", Array(op.utf8))] }
    init(fields: [(String, [UInt8])]) { self.fields = fields }

    public static func == (a: ControlMessage, b: ControlMessage) -> Bool {
        a.fields.elementsEqual(b.fields) { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public var op: String { string("op") ?? "" }
    public mutating func add(_ key: String, _ value: String) { fields.append((key, Array(value.utf8))) }
    public mutating func add(_ key: String, bytes: [UInt8]) { fields.append((key, bytes)) }
    public mutating func add(_ key: String, _ value: Int) { add(key, String(value)) }

    public func bytes(_ key: String) -> [UInt8]? { fields.first { $0.0 == key }?.1 }
    public func string(_ key: String) -> String? { bytes(key).map { String(decoding: $0, as: UTF8.self) } }
    public func int(_ key: String) -> Int? { string(key).flatMap { Int($0) } }
    public func all(_ key: String) -> [[UInt8]] { fields.filter { $0.0 == key }.map(\.1) }

    public var description: String {
        fields.map { "\($0.0)=\(String(decoding: $0.1, as: UTF8.self))" }.joined(separator: " ")
    }

    /// The frame: length, then the fields.
    public func encoded() -> [UInt8] {
        var body: [UInt8] = []
        for (k, v) in fields {
            body += Array(k.utf8)
            body.append(0x3d)
            body += v.filter { $0 != 0 }
            body.append(0)
        }
        let n = UInt32(body.count)
        return [UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)] + body
    }

    /// Parses one frame body (without its length).
    public static func decode(_ body: ArraySlice<UInt8>) -> ControlMessage? {
        var fields: [(String, [UInt8])] = []
        for part in body.split(separator: 0, omittingEmptySubsequences: true) {
            guard let eq = part.firstIndex(of: 0x3d) else { return nil }
            fields.append((String(decoding: part[part.startIndex..<eq], as: UTF8.self), Array(part[(eq + 1)...])))
        }
        guard fields.first?.0 == "op" else { return nil }
        return ControlMessage(fields: fields)
    }

    /// Largest frame either side accepts (argv + envp of a launch fit easily).
    public static let maxFrame = 1 << 20
}

/// Frames arriving on a non-blocking socket, with any descriptors passed alongside.
public final class ControlReader {
    private var buffer: [UInt8] = []
    private var fds: [Int32] = []
    public let socket: Int32
    public private(set) var closed = false

    public init(socket: Int32) { self.socket = socket }

    deinit { for fd in fds { close(fd) } }

    /// Reads what is available. Returns the complete messages (with the descriptors that
    /// came with the bytes read so far, handed over to the caller at the first message).
    public func read() -> [(ControlMessage, [Int32])] {
        var out: [(ControlMessage, [Int32])] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !closed {
            var got: [Int32] = [-1, -1, -1, -1]
            var nfds: Int32 = 0
            let n = chunk.withUnsafeMutableBytes { b in
                got.withUnsafeMutableBufferPointer { f in
                    chost_recv_fds(socket, b.baseAddress, b.count, f.baseAddress, 4, &nfds)
                }
            }
            if n < 0 {
                if n == -Int(EINTR) { continue }
                if n != -Int(EAGAIN) { closed = true }
                break
            }
            if n == 0 { closed = true; break }
            fds += got.prefix(Int(nfds))
            buffer += chunk[0..<n]
        }
        while buffer.count >= 4 {
            let len = Int(buffer[0]) | Int(buffer[1]) << 8 | Int(buffer[2]) << 16 | Int(buffer[3]) << 24
            if len > ControlMessage.maxFrame { closed = true; buffer.removeAll(); break }
            guard buffer.count >= 4 + len else { break }
            if let m = ControlMessage.decode(buffer[4..<(4 + len)]) {
                out.append((m, fds))
                fds = []
            } else {
                closed = true
            }
            buffer.removeFirst(4 + len)
        }
        return out
    }
}

public enum Control {
    /// Where the service of `image` listens, in the order a client tries them: beside the
    /// image, then in the user's runtime directory (see the file comment).
    public static func socketPaths(forImage image: String) -> [String] {
        let abs = absolute(image)
        var paths: [String] = []
        if (abs + ".control").utf8.count < 108 { paths.append(abs + ".control") }
        if let dir = runtimeDirectory(create: false) { paths.append(dir + "/" + hashName(abs) + ".control") }
        return paths
    }

    /// The first of `socketPaths` a service answers on, or nil.
    public static func liveSocket(forImage image: String) -> String? {
        for p in socketPaths(forImage: image) {
            let fd = connect(p)
            if fd >= 0 { close(fd); return p }
        }
        return nil
    }

    /// $XDG_RUNTIME_DIR/kandelo or /tmp/kandelo-UID: a directory only this user can use.
    /// nil if it is missing (and `create` is false) or is not ours and private.
    static func runtimeDirectory(create: Bool) -> String? {
        let base = getenv("XDG_RUNTIME_DIR").map { String(cString: $0) + "/kandelo" } ?? "/tmp/kandelo-\(getuid())"
        if create { mkdir(base, 0o700) }
        var st = stat()
        guard lstat(base, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == getuid(),
              st.st_mode & 0o077 == 0 else { return nil }
        return base
    }

    /// A stable file name for an image path (FNV-1a, 64 bits).
    static func hashName(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func absolute(_ path: String) -> String {
        if let r = realpath(path, nil) {
            defer { free(r) }
            return String(cString: r)
        }
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return path }
        return String(cString: buf) + "/" + path
    }

    /// The image mounted on `dir` by kandelo-mount, from /proc/self/mountinfo (the FUSE
    /// source is the image's absolute path), or nil.
    public static func image(mountedOn dir: String) -> String? {
        let target = absolute(dir)
        guard let f = fopen("/proc/self/mountinfo", "r") else { return nil }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0 {
            let text = String(cString: line!)
            // id parent major:minor root mountpoint options ... - fstype source superoptions
            let parts = text.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count > 5, unescape(String(parts[4])) == target,
                  let dash = parts.firstIndex(of: "-"), dash + 2 < parts.count,
                  parts[dash + 1].hasPrefix("fuse") else { continue }
            return unescape(String(parts[dash + 2]))
        }
        return nil
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescape(_ s: String) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x5c, i + 3 < b.count,
               let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Connects to a service socket; -errno if nobody listens there.
    public static func connect(_ path: String) -> Int32 {
        chost_unix_connect(path)
    }

    /// Sends a whole frame on a blocking socket (with descriptors on its first byte).
    @discardableResult
    public static func send(_ fd: Int32, _ m: ControlMessage, fds: [Int32] = []) -> Bool {
        let bytes = m.encoded()
        var done = 0
        var first = true
        while done < bytes.count {
            let n: Int = bytes[done...].withUnsafeBytes { b in
                if first && !fds.isEmpty {
                    return fds.withUnsafeBufferPointer { f in chost_send_fds(fd, b.baseAddress, b.count, f.baseAddress, Int32(fds.count)) }
                }
                let r = Glibc.send(fd, b.baseAddress, b.count, Int32(MSG_NOSIGNAL))
                return r < 0 ? -Int(errno) : r
            }
            if n == -Int(EINTR) { continue }
            if n == -Int(EAGAIN) {
                // A peer that takes nothing for 5 s is not reading: give up on it rather
                // than stall whoever is sending (the service's loop).
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&p, 1, 5000) == 0 { return false }
                continue
            }
            if n <= 0 { return false }
            done += n
            first = false
        }
        return true
    }
}
