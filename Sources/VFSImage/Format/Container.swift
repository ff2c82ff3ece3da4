// Container.swift: the "VFSI" wrapper around the SharedFS bytes (kandelo-vfs-format.md §4).
//
//   offset  size  field
//   0       4     magic 0x56465349 (bytes "ISFV")
//   4       4     version (1)
//   8       4     flags: bit0 lazy files, bit1 lazy archives, bit2 metadata, bit3 typed archives
//   12      4     sabLen N
//   16      N     SharedFS bytes
//   16+N    4     lazyLen L (always present), then L bytes of lazy-file JSON
//   [bit1]  4+A   archive JSON     [bit2]  4+M   metadata JSON
// Trailing bytes after the last section are ignored, as Kandelo's loader does.

public enum Container {
    public static let magic: UInt32 = 0x5646_5349
    public static let version: UInt32 = 1
    public static let headerSize = 16
    public static let flagLazy: UInt32 = 1, flagArchives: UInt32 = 2, flagMetadata: UInt32 = 4, flagTyped: UInt32 = 8
    public static let maxLazyBytes = 16 << 20, maxArchiveBytes = 16 << 20, maxMetadataBytes = 64 << 10
    /// The largest decompressed image Kandelo accepts: 1 GiB + 2 × 16 MiB + 64 KiB + 28.
    public static let maxImageBytes = 1_107_361_820

    /// Parses the 16-byte header; returns (flags, sabLen).
    static func parseHeader(_ h: UnsafeRawBufferPointer, totalLength: Int) throws(ImageError) -> (flags: UInt32, sabLen: Int) {
        guard h.count >= headerSize, totalLength >= headerSize else {
            throw .notAnImage("the input is \(totalLength) bytes, shorter than the 16-byte header")
        }
        let m = h.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian
        guard m == magic else {
            throw .notAnImage("bad magic \(hex32(m)) (expected \(hex32(magic)), bytes \"ISFV\", or a zstd frame)")
        }
        let v = h.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        guard v == version else { throw .unsupportedVersion("container version \(v), this tool reads version 1") }
        let flags = h.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
        let sab = Int(h.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
        guard sab % 4 == 0, sab >= blockSize else {
            throw .corrupt("sabLen \(sab) must be a multiple of 4 and at least one block")
        }
        guard totalLength >= headerSize + sab + 4 else {
            throw .truncated("the header declares \(sab) bytes of filesystem plus sections, but the input is \(totalLength) bytes")
        }
        return (flags, sab)
    }

    /// Parses the sections that follow the SharedFS bytes.
    static func parseSections(_ tail: ArraySlice<UInt8>, flags: UInt32) throws(ImageError) -> Sidecars {
        var pos = tail.startIndex
        func u32(_ what: String) throws(ImageError) -> Int {
            guard tail.endIndex - pos >= 4 else { throw .truncated("the \(what) length field is missing") }
            let v = Int(tail[pos]) | Int(tail[pos + 1]) << 8 | Int(tail[pos + 2]) << 16 | Int(tail[pos + 3]) << 24
            pos += 4
            return v
        }
        func section(_ what: String, _ len: Int, max: Int) throws(ImageError) -> [UInt8] {
            guard len <= max else { throw .corrupt("the \(what) section is \(len) bytes, over its \(max)-byte limit") }
            guard tail.endIndex - pos >= len else {
                throw .truncated("the \(what) section declares \(len) bytes, only \(tail.endIndex - pos) remain")
            }
            defer { pos += len }
            return Array(tail[pos..<pos + len])
        }
        var s = Sidecars()
        s.loadedFlags = flags
        let lazyLen = try u32("lazy-file")
        if flags & flagLazy == 0 && lazyLen != 0 {
            throw .corrupt("lazy-file section is \(lazyLen) bytes but flag bit 0 is clear")
        }
        s.lazy = try section("lazy-file", lazyLen, max: maxLazyBytes)
        if flags & flagTyped != 0 && flags & flagArchives == 0 {
            throw .corrupt("flag bit 3 (typed archives) is set without bit 1 (archives)")
        }
        if flags & flagArchives != 0 {
            s.archives = try section("lazy-archive", try u32("lazy-archive"), max: maxArchiveBytes)
            s.typedArchives = flags & flagTyped != 0
        }
        if flags & flagMetadata != 0 {
            let m = try section("metadata", try u32("metadata"), max: maxMetadataBytes)
            s.metadata = m.isEmpty ? nil : m
        }
        return s
    }

    static func header(flags: UInt32, sabLen: Int) -> [UInt8] {
        var out: [UInt8] = []
        for v in [magic, version, flags, UInt32(sabLen)] { out += le32(v) }
        return out
    }

    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
}

/// The raw bytes of the three JSON sections, as found in (or to be written to) the container.
public struct Sidecars: Equatable, Sendable {
    /// Lazy-file JSON; empty when there are none (the length field is still written).
    public var lazy: [UInt8] = []
    /// Lazy-archive JSON when flag bit 1 is set.
    public var archives: [UInt8]? = nil
    /// Whether the archive groups are typed (flag bit 3).
    public var typedArchives = false
    /// Image-metadata JSON when flag bit 2 is set and the section is non-empty.
    public var metadata: [UInt8]? = nil

    /// The header flags as loaded; written back unchanged while no section changes.
    var loadedFlags: UInt32? = nil

    public init() {}

    var flags: UInt32 {
        if let loadedFlags { return loadedFlags }
        var f: UInt32 = 0
        if !lazy.isEmpty { f |= Container.flagLazy }
        if archives != nil { f |= Container.flagArchives | (typedArchives ? Container.flagTyped : 0) }
        if metadata != nil { f |= Container.flagMetadata }
        return f
    }

    /// The bytes that follow the SharedFS area.
    func encoded() -> [UInt8] {
        var out = Container.le32(UInt32(lazy.count)) + lazy
        if let a = archives { out += Container.le32(UInt32(a.count)) + a }
        if let m = metadata { out += Container.le32(UInt32(m.count)) + m }
        return out
    }
}
