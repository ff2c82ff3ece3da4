// kandelo-image: build, inspect, check and edit Kandelo VFS images. Each subcommand parses
// its arguments and calls VFSImage; the logic lives there.

import ArgumentParser
import VFSImage
#if canImport(Glibc)
import Glibc
#endif

@main
struct KandeloImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kandelo-image",
        abstract: "Build, inspect, check and edit Kandelo VFS images (rootfs.vfs, *.vfs.zst).",
        discussion: """
            Images are Kandelo's VFSI v1 format: raw, or zstd-compressed (detected by magic; \
            written compressed when the output name ends in .zst). An image open for writing \
            elsewhere (kandelo-mount) is locked; commands that edit it refuse to run.
            """,
        subcommands: [Build.self, Inspect.self, Ls.self, Cat.self, Extract.self, Add.self, Fsck.self,
                      Stress.self, Bench.self])
}

/// Errors reach the user as one line on stderr and exit status 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}

func fail(_ message: String) -> ExitCode {
    FileHandleOutput.stderr("kandelo-image: \(message)\n")
    return ExitCode(1)
}

enum FileHandleOutput {
    static func stderr(_ s: String) { write(2, Array(s.utf8)) }
    static func stdout(_ s: String) { fflush(nil); write(1, Array(s.utf8)) }
    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var done = 0
        bytes.withUnsafeBytes { b in
            while done < b.count {
                let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 { if errno == EINTR { continue }; return }
                done += n
            }
        }
    }
}

/// Opens an image, turning ImageError into a clean exit.
func openImage(_ path: String, readOnly: Bool, verify: Bool = true) throws -> ImageFile {
    do { return try ImageFile.open(path, readOnly: readOnly, verify: verify) }
    catch { throw fail("\(path): \(error)") }
}

/// One line of progress on a terminal (stderr), redrawn in place at most ~10 times a second.
final class ProgressLine {
    let enabled: Bool
    let verb: String
    private var last: UInt64 = 0
    init(_ verb: String, quiet: Bool) {
        self.verb = verb
        enabled = !quiet && isatty(2) != 0
    }
    func update(_ p: BuildProgress) {
        guard enabled else { return }
        let now = SharedFS.wallClockMilliseconds()
        guard now - last >= 100 || p.done == p.total else { return }
        last = now
        let mb = Double(p.bytes) / 1_000_000
        let path = p.path.count > 50 ? "…" + p.path.suffix(49) : p.path
        FileHandleOutput.stderr("\r\u{1B}[K\(verb) \(p.done)/\(p.total) entries, \(String(format1: mb)) MB  \(path)")
    }
    func finish() { if enabled { FileHandleOutput.stderr("\r\u{1B}[K") } }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}

/// Modes as `ls -l` prints them.
func modeString(_ mode: UInt32) -> String {
    let t = FileType(mode: mode)?.letter ?? "?"
    var s = t == "f" ? "-" : String(t)
    let rwx: [(UInt32, Character)] = [(0o400, "r"), (0o200, "w"), (0o100, "x"), (0o040, "r"), (0o020, "w"), (0o010, "x"),
                                      (0o004, "r"), (0o002, "w"), (0o001, "x")]
    for (i, (bit, c)) in rwx.enumerated() {
        var ch: Character = mode & bit != 0 ? c : "-"
        if i == 2 && mode & 0o4000 != 0 { ch = mode & bit != 0 ? "s" : "S" }
        if i == 5 && mode & 0o2000 != 0 { ch = mode & bit != 0 ? "s" : "S" }
        if i == 8 && mode & 0o1000 != 0 { ch = mode & bit != 0 ? "t" : "T" }
        s.append(ch)
    }
    return s
}

func octal(_ v: UInt32, width: Int = 4) -> String {
    let s = String(v, radix: 8)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}
