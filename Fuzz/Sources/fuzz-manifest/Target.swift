// fuzz-manifest: any text given to the manifest parser gives entries or a ManifestError
// naming the line, never a crash. What it accepts holds the grammar's promises: canonical
// absolute paths, modes within 0o7777, an origin naming a line of the input; and the
// validator either accepts the entries or names a problem.

import VFSImage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
    let entries: [ManifestEntry]
    do {
        entries = try Manifest.parse(text, name: "M")
    } catch {
        precondition(error.origin.hasPrefix("M:") && !error.message.isEmpty, "fuzz-manifest: an error without a place or message: \(error)")
        return 0
    }
    for e in entries {
        precondition(Manifest.canonicalProblem(e.path) == nil, "fuzz-manifest: accepted a non-canonical path \(e.path)")
        precondition(e.mode <= 0o7777, "fuzz-manifest: accepted mode \(e.mode)")
        let line = Int(e.origin.dropFirst(2)) ?? 0
        precondition(line >= 1 && line <= lines, "fuzz-manifest: origin \(e.origin) names no line of \(lines)")
    }
    do { try Manifest.validate(entries) } catch {
        precondition(!error.message.isEmpty, "fuzz-manifest: validation failed without a message")
    }
    return 0
}
