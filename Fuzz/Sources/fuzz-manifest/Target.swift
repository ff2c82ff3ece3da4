import VFSImage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let entries = try? Manifest.parse(text, name: "M") { _ = try? Manifest.validate(entries) }
    return 0
}
