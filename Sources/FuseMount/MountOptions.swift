// MountOptions.swift: the `-o` list of kandelo-mount, split into what we handle and what
// libfuse's mount code gets.
//
//   ours                      ro, rw, uid=N, gid=N, fsname=NAME, commit=SECONDS, spin=MICROSECONDS,
//                             debug
//   always added for libfuse  default_permissions, subtype=kandelo, fsname=<image path>
//   dropped (mount(8) and     defaults, auto, noauto, nofail, _netdev, user, users, owner,
//   fstab words, no meaning   group, comment=…, x-…, nonempty (fuse2's; fuse3 mounts over
//   for a FUSE mount)         non-empty directories anyway), default_permissions (always on)
//   passed through            anything else (allow_other, allow_root, auto_unmount, nosuid,
//                             nodev, noexec, noatime, max_read=…, context=…): libfuse
//                             rejects what it does not know, with its own message

/// How owners are shown to the host: one image id is presented as another.
///
/// `uid=N` shows files the image says root (0) owns as owned by N, and stores what user N
/// creates (or chowns to N) as owned by root, so a non-root user can edit a root-owned image
/// with the kernel's permission checks on. Every other id is shown and stored unchanged, so
/// files the image gives to N itself also show as N (and a chown to N stores 0).
public struct IdentityMap: Sendable, Equatable {
    /// The host id that image id 0 is shown as (nil: no mapping).
    public var hostRoot: UInt32?

    public init(hostRoot: UInt32? = nil) { self.hostRoot = hostRoot }

    /// Image id → the id stat(2) shows.
    @inline(__always) public func present(_ id: UInt32) -> UInt32 {
        if let h = hostRoot, id == 0 { return h }
        return id
    }

    /// Host id (caller, chown argument) → the id stored in the image.
    @inline(__always) public func store(_ id: UInt32) -> UInt32 {
        if let h = hostRoot, id == h { return 0 }
        return id
    }
}

public struct MountOptions: Sendable, Equatable {
    /// Serve the image read-only (and mount with MS_RDONLY).
    public var readOnly = false
    public var uids = IdentityMap()
    public var gids = IdentityMap()
    /// The "source" shown in /proc/mounts; default: the image's absolute path.
    public var fsname: String?
    /// Seconds after a change before it is journaled without an fsync; 0 = only on fsync,
    /// unmount and exit.
    public var commitInterval = 30
    /// How long the loop keeps polling the FUSE device for the next request before it goes
    /// to sleep (RequestLoop.swift); 0 = sleep at once.
    public var spinMicroseconds = 50
    /// libfuse's request trace on stderr (implies foreground).
    public var debug = false
    /// Options handed to libfuse's mount code unchanged.
    public var passThrough: [String] = []

    public init() {}

    /// Words from mount(8)/fstab that mean nothing to a FUSE mount.
    static let ignored: Set<String> = ["defaults", "auto", "noauto", "nofail", "_netdev", "user", "users",
                                       "owner", "group", "nouser", "nonempty", "default_permissions"]

    /// Parses comma-separated lists (several `-o` may be given). Later values win.
    public static func parse(_ lists: [String]) throws(MountError) -> MountOptions {
        var o = MountOptions()
        for list in lists {
            for item in splitOptions(list) where !item.isEmpty {
                let (key, value) = splitKeyValue(item)
                switch key {
                case "ro": o.readOnly = true
                case "rw": o.readOnly = false
                case "uid", "gid":
                    guard let v = value, let n = UInt32(v) else {
                        throw .usage("-o \(key)= needs a numeric id, got '\(item)'")
                    }
                    if key == "uid" { o.uids = IdentityMap(hostRoot: n) } else { o.gids = IdentityMap(hostRoot: n) }
                case "fsname":
                    guard let v = value, !v.isEmpty else { throw .usage("-o fsname= needs a name") }
                    o.fsname = v
                case "commit":
                    guard let v = value, let n = Int(v), n >= 0 else {
                        throw .usage("-o commit= needs a number of seconds (0 = only on fsync and unmount)")
                    }
                    o.commitInterval = n
                case "spin":
                    guard let v = value, let n = Int(v), n >= 0, n <= 100_000 else {
                        throw .usage("-o spin= needs microseconds between 0 and 100000")
                    }
                    o.spinMicroseconds = n
                case "debug": o.debug = true
                case "subtype":
                    throw .usage("-o subtype is fixed to 'kandelo' (the mount shows as fuse.kandelo)")
                default:
                    if ignored.contains(key) || key == "comment" || key.hasPrefix("x-") { continue }
                    o.passThrough.append(item)
                }
            }
        }
        return o
    }

    /// Splits on commas; "\\," is a comma inside a value (fsname=a\\,b), as in libfuse.
    static func splitOptions(_ s: String) -> [String] {
        var out: [String] = [], cur = ""
        var escaped = false
        for c in s {
            if escaped { if c != "," { cur.append("\\") }; cur.append(c); escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "," { out.append(cur); cur = ""; continue }
            cur.append(c)
        }
        out.append(cur)
        return out
    }

    static func splitKeyValue(_ item: String) -> (String, String?) {
        guard let eq = item.firstIndex(of: "=") else { return (item, nil) }
        return (String(item[..<eq]), String(item[item.index(after: eq)...]))
    }

    /// The `-o` string for libfuse: our fixed options plus the pass-through ones.
    func fuseOptionString(imagePath: String) -> String {
        let name = (fsname ?? imagePath).replacingAll(",", with: "\\,")
        var items = ["default_permissions", "subtype=kandelo", "fsname=" + name]
        if readOnly { items.append("ro") }
        items += passThrough.map { $0.replacingAll(",", with: "\\,") }
        return items.joined(separator: ",")
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

/// Why kandelo-mount could not mount; each message says what to do about it.
public enum MountError: Error, CustomStringConvertible, Equatable {
    case usage(String)
    case noFuseDevice(String)
    case mountPoint(String)
    case image(String)
    case fuse(String)

    public var description: String {
        switch self {
        case .usage(let s), .noFuseDevice(let s), .mountPoint(let s), .image(let s), .fuse(let s): s
        }
    }
}
