// Manifest.swift: mkrootfs's manifest grammar (kandelo-vfs-format.md §8.2).
//
//   <path> <type> <mode> [<uid>] [<gid>] [key=value ...]
//   archive url=<file> [base=/prefix] [fmode=OCT] [dmode=OCT] [uid=N] [gid=N] ...
//
// type: d (directory), f (file: src= or lazy_url= + lazy_size=, else the source tree's copy),
// l (symlink: target=), c / b (devices: major= minor=; mkrootfs ignores them). `#` starts a
// comment at the start of a line or after white space. Paths are canonical absolute.

public struct ManifestEntry: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case directory
        case file(source: String?)
        case lazyFile(url: String, size: UInt64)
        case symlink(target: String)
        case device(character: Bool, major: UInt32, minor: UInt32)
        /// `archive url=… [base=/] [fmode=644] [fmode_policy=fixed] [dmode=755] [uid=0] [gid=0]`;
        /// the entry's path is the base.
        case archive(url: String, fileMode: UInt32, preserveExecutable: Bool, directoryMode: UInt32)
    }
    public var path: String
    public var kind: Kind
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// "file:line", for messages.
    public var origin: String

    public var depth: Int { path.split(separator: "/").count }
}

public struct ManifestError: Error, CustomStringConvertible, Sendable {
    public var origin: String
    public var message: String
    public var description: String { "\(origin): \(message)" }
}

public enum Manifest {
    /// Parses manifest text. `name` labels errors ("MANIFEST:12: ...").
    public static func parse(_ text: String, name: String) throws(ManifestError) -> [ManifestEntry] {
        var out: [ManifestEntry] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let origin = "\(name):\(i + 1)"
            let tokens = stripComment(String(raw)).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard !tokens.isEmpty else { continue }
            if tokens[0] == "archive" {
                var keys: [String: String] = [:]
                for t in tokens.dropFirst() {
                    guard let eq = t.firstIndex(of: "=") else { throw ManifestError(origin: origin, message: "archive takes key=value pairs, found '\(t)'") }
                    keys[String(t[..<eq])] = String(t[t.index(after: eq)...])
                }
                if let bad = keys.keys.sorted().first(where: { !["url", "base", "fmode", "fmode_policy", "dmode", "uid", "gid"].contains($0) }) {
                    throw ManifestError(origin: origin, message: "unknown archive key '\(bad)'")
                }
                guard let url = keys["url"], !url.isEmpty else { throw ManifestError(origin: origin, message: "archive needs url=<zip file>") }
                let base = keys["base"] ?? "/"
                if let why = canonicalProblem(base) { throw ManifestError(origin: origin, message: "base \(base): \(why)") }
                func octal(_ k: String, _ d: UInt32) throws(ManifestError) -> UInt32 {
                    guard let v = keys[k] else { return d }
                    guard let n = UInt32(v, radix: 8), n <= 0o7777 else { throw ManifestError(origin: origin, message: "\(k)=\(v) is not octal ≤ 7777") }
                    return n
                }
                func number(_ k: String) throws(ManifestError) -> UInt32 {
                    guard let v = keys[k] else { return 0 }
                    guard let n = UInt32(v) else { throw ManifestError(origin: origin, message: "\(k)=\(v) is not a number") }
                    return n
                }
                let policy = keys["fmode_policy"] ?? "fixed"
                guard policy == "fixed" || policy == "preserve-executable" else {
                    throw ManifestError(origin: origin, message: "fmode_policy must be fixed or preserve-executable")
                }
                out.append(ManifestEntry(path: base, kind: .archive(url: url, fileMode: try octal("fmode", 0o644),
                                                                     preserveExecutable: policy == "preserve-executable",
                                                                     directoryMode: try octal("dmode", 0o755)),
                                         mode: 0, uid: try number("uid"), gid: try number("gid"), origin: origin))
                continue
            }
            guard tokens.count >= 3 else {
                throw ManifestError(origin: origin, message: "expected '<path> <type> <mode> [uid] [gid] [key=value ...]'")
            }
            let path = tokens[0]
            if let why = canonicalProblem(path) { throw ManifestError(origin: origin, message: "path \(path): \(why)") }
            guard let mode = UInt32(tokens[2], radix: 8), mode <= 0o7777 else {
                throw ManifestError(origin: origin, message: "mode '\(tokens[2])' is not an octal number ≤ 7777")
            }
            var numbers: [UInt32] = []
            var keys: [String: String] = [:]
            for t in tokens[3...] {
                if let eq = t.firstIndex(of: "=") {
                    let k = String(t[..<eq]), v = String(t[t.index(after: eq)...])
                    guard keys[k] == nil else { throw ManifestError(origin: origin, message: "key '\(k)' given twice") }
                    keys[k] = v
                } else {
                    guard keys.isEmpty, numbers.count < 2, let n = UInt32(t) else {
                        throw ManifestError(origin: origin, message: "unexpected token '\(t)' (uid and gid are decimal and come before key=value pairs)")
                    }
                    numbers.append(n)
                }
            }
            let uid = numbers.count > 0 ? numbers[0] : 0, gid = numbers.count > 1 ? numbers[1] : 0
            func allow(_ allowed: Set<String>) throws(ManifestError) {
                if let bad = keys.keys.sorted().first(where: { !allowed.contains($0) }) {
                    throw ManifestError(origin: origin, message: "unknown key '\(bad)' for type \(tokens[1])")
                }
            }
            let kind: ManifestEntry.Kind
            switch tokens[1] {
            case "d":
                try allow([])
                kind = .directory
            case "f":
                try allow(["src", "lazy_url", "lazy_size"])
                if let url = keys["lazy_url"] {
                    guard keys["src"] == nil else { throw ManifestError(origin: origin, message: "lazy_url= and src= exclude each other") }
                    guard let s = keys["lazy_size"], let size = UInt64(s) else {
                        throw ManifestError(origin: origin, message: "lazy_url= needs lazy_size=<bytes>")
                    }
                    kind = .lazyFile(url: url, size: size)
                } else {
                    guard keys["lazy_size"] == nil else { throw ManifestError(origin: origin, message: "lazy_size= needs lazy_url=") }
                    kind = .file(source: keys["src"])
                }
            case "l":
                try allow(["target"])
                guard let t = keys["target"], !t.isEmpty else { throw ManifestError(origin: origin, message: "a symlink needs target=<path>") }
                kind = .symlink(target: t)
            case "c", "b":
                try allow(["major", "minor"])
                guard let ma = keys["major"].flatMap({ UInt32($0) }), let mi = keys["minor"].flatMap({ UInt32($0) }) else {
                    throw ManifestError(origin: origin, message: "a device needs major= and minor=")
                }
                kind = .device(character: tokens[1] == "c", major: ma, minor: mi)
            default:
                throw ManifestError(origin: origin, message: "unknown type '\(tokens[1])' (d, f, l, c or b)")
            }
            out.append(ManifestEntry(path: path, kind: kind, mode: mode, uid: uid, gid: gid, origin: origin))
        }
        return out
    }

    /// Drops a `#` comment that starts the line or follows white space.
    static func stripComment(_ line: String) -> String {
        var prev: Character = " "
        for (i, c) in zip(line.indices, line) {
            if c == "#" && (prev == " " || prev == "\t") { return String(line[..<i]) }
            prev = c
        }
        return line
    }

    /// Why `path` is not canonical absolute, or nil when it is.
    public static func canonicalProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "must be absolute" }
        if path == "/" { return nil }
        if path.hasSuffix("/") { return "must not end with '/'" }
        if path.contains("//") { return "must not contain '//'" }
        if path.contains("\0") || path.contains("\\") { return "must not contain NUL or backslash" }
        for part in path.split(separator: "/") where part == "." || part == ".." { return "must not contain '.' or '..'" }
        for part in path.split(separator: "/") where part.utf8.count > 255 { return "a component is longer than 255 bytes" }
        return nil
    }

    /// Rejects duplicate paths across all manifests (main, then fragments).
    public static func validate(_ entries: [ManifestEntry]) throws(ManifestError) {
        var seen: [String: String] = [:]
        for e in entries {
            if case .archive = e.kind { continue }
            if let first = seen[e.path] { throw ManifestError(origin: e.origin, message: "\(e.path) is already listed at \(first)") }
            seen[e.path] = e.origin
        }
    }
}
