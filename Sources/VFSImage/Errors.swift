// Errors.swift: the two failure kinds VFSImage reports.
//
// - `LinuxErrno`: a caller's request that POSIX refuses (ENOENT, EEXIST, ENOSPC ...). The
//   FUSE glue replies with it, the kernel hands it to the guest. Values are Linux's
//   (asm-generic), the same numbers musl uses on every architecture we target.
// - `ImageError`: the image itself is bad (wrong magic, truncated, pointers out of range).
//   Each case names the structure, and the block/inode/offset where it applies.

/// A Linux errno value. Spelled as in C so that `grep -w ENOENT` finds every use.
public struct LinuxErrno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let EPERM = LinuxErrno(rawValue: 1)
    public static let ENOENT = LinuxErrno(rawValue: 2)
    public static let EIO = LinuxErrno(rawValue: 5)
    public static let ENXIO = LinuxErrno(rawValue: 6)
    public static let EBADF = LinuxErrno(rawValue: 9)
    public static let EAGAIN = LinuxErrno(rawValue: 11)
    public static let ENOMEM = LinuxErrno(rawValue: 12)
    public static let EACCES = LinuxErrno(rawValue: 13)
    public static let EBUSY = LinuxErrno(rawValue: 16)
    public static let EEXIST = LinuxErrno(rawValue: 17)
    public static let EXDEV = LinuxErrno(rawValue: 18)
    public static let ENOTDIR = LinuxErrno(rawValue: 20)
    public static let EISDIR = LinuxErrno(rawValue: 21)
    public static let EINVAL = LinuxErrno(rawValue: 22)
    public static let EFBIG = LinuxErrno(rawValue: 27)
    public static let ENOSPC = LinuxErrno(rawValue: 28)
    public static let EROFS = LinuxErrno(rawValue: 30)
    public static let EMLINK = LinuxErrno(rawValue: 31)
    public static let ERANGE = LinuxErrno(rawValue: 34)
    public static let ENAMETOOLONG = LinuxErrno(rawValue: 36)
    public static let ENOTEMPTY = LinuxErrno(rawValue: 39)
    public static let ELOOP = LinuxErrno(rawValue: 40)
    public static let ENODATA = LinuxErrno(rawValue: 61)
    public static let EOVERFLOW = LinuxErrno(rawValue: 75)
    public static let EOPNOTSUPP = LinuxErrno(rawValue: 95)

    public var name: String {
        switch self {
        case .EPERM: "EPERM"; case .ENOENT: "ENOENT"; case .EIO: "EIO"; case .ENXIO: "ENXIO"
        case .EBADF: "EBADF"; case .EAGAIN: "EAGAIN"; case .ENOMEM: "ENOMEM"; case .EACCES: "EACCES"
        case .EBUSY: "EBUSY"; case .EEXIST: "EEXIST"; case .EXDEV: "EXDEV"; case .ENOTDIR: "ENOTDIR"
        case .EISDIR: "EISDIR"; case .EINVAL: "EINVAL"; case .EFBIG: "EFBIG"; case .ENOSPC: "ENOSPC"
        case .EROFS: "EROFS"; case .EMLINK: "EMLINK"; case .ERANGE: "ERANGE"
        case .ENAMETOOLONG: "ENAMETOOLONG"; case .ENOTEMPTY: "ENOTEMPTY"; case .ELOOP: "ELOOP"
        case .ENODATA: "ENODATA"; case .EOVERFLOW: "EOVERFLOW"; case .EOPNOTSUPP: "EOPNOTSUPP"
        default: "errno \(rawValue)"
        }
    }

    public var description: String {
        let text: String
        switch self {
        case .EPERM: text = "Operation not permitted"
        case .ENOENT: text = "No such file or directory"
        case .EIO: text = "Input/output error"
        case .EEXIST: text = "File exists"
        case .EXDEV: text = "Invalid cross-device link"
        case .ENOTDIR: text = "Not a directory"
        case .EISDIR: text = "Is a directory"
        case .EINVAL: text = "Invalid argument"
        case .EFBIG: text = "File too large"
        case .ENOSPC: text = "No space left on device"
        case .EROFS: text = "Read-only file system"
        case .EMLINK: text = "Too many links"
        case .ENAMETOOLONG: text = "File name too long"
        case .ENOTEMPTY: text = "Directory not empty"
        case .ELOOP: text = "Too many levels of symbolic links"
        case .ENODATA: text = "No data available"
        case .EOPNOTSUPP: text = "Operation not supported"
        case .EBUSY: text = "Device or resource busy"
        case .EACCES: text = "Permission denied"
        default: text = name
        }
        return "\(text) (\(name))"
    }
}

/// The image bytes themselves are unusable. Messages name what is wrong and where.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not an image at all (too short, wrong magic).
    case notAnImage(String)
    /// Container or superblock version other than 1.
    case unsupportedVersion(String)
    /// The file ends before a structure it declares.
    case truncated(String)
    /// A structure holds a value the format forbids; names the structure and position.
    case corrupt(String)
    /// The zstd wrapper could not be decoded or exceeds the format's bound.
    case compression(String)
    /// A JSON sidecar is malformed.
    case sidecar(String)
    /// A host I/O call failed (open, read, write, rename, fsync), with errno.
    case io(String, errno: Int32)
    /// fsck found faults (open refuses inconsistent images unless asked not to check).
    case inconsistent([String])
    /// Another process holds the image open for writing.
    case locked(String)
    /// The journal beside the image cannot be applied.
    case journal(String)

    public var description: String {
        switch self {
        case .notAnImage(let s): "not a Kandelo VFS image: \(s)"
        case .unsupportedVersion(let s): "unsupported image version: \(s)"
        case .truncated(let s): "image is truncated: \(s)"
        case .corrupt(let s): "image is corrupt: \(s)"
        case .compression(let s): "zstd: \(s)"
        case .sidecar(let s): "bad JSON sidecar: \(s)"
        case .io(let s, let e): "\(s): \(String(cString: strerrorCompat(e)))"
        case .inconsistent(let faults):
            "image is inconsistent (\(faults.count) fault\(faults.count == 1 ? "" : "s")):\n  "
                + faults.prefix(20).joined(separator: "\n  ")
                + (faults.count > 20 ? "\n  … and \(faults.count - 20) more (run `kandelo-image fsck`)" : "")
        case .locked(let s): s
        case .journal(let s): "journal: \(s)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@inline(__always) func strerrorCompat(_ e: Int32) -> UnsafeMutablePointer<CChar> { strerror(e) }

/// Runs `body`, whose closure-taking callee (withUnsafeBytes …) erases typed throws, and
/// gives its LinuxErrno back. Nothing else can be thrown inside.
@inline(__always)
func rethrowingErrno<R>(_ body: () throws -> R) throws(LinuxErrno) -> R {
    do { return try body() } catch let e as LinuxErrno { throw e } catch {
        preconditionFailure("unexpected error \(error)")
    }
}

/// "0x1234abcd", for messages about magic numbers (no Foundation needed).
func hex32(_ v: UInt32) -> String {
    let h = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` that keeps the closure's typed error.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { b in Result { () throws(E) -> R in try body(b) } }
        return try result.get()
    }
    /// `withUnsafeMutableBytes` that keeps the closure's typed error.
    mutating func withMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeMutableBytes { b in Result { () throws(E) -> R in try body(b) } }
        return try result.get()
    }
}
