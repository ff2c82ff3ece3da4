// Zstd.swift: the optional zstd layer (kandelo-vfs-format.md §3), through libzstd's C API.
//
// Detection is by the first four bytes (28 B5 2F FD), as Kandelo does; the file name does not
// matter. We write one standard frame with its content size, which Kandelo's bounded-frame
// walk and its fzstd decoder both accept.

import CZstd

enum Zstd {
    static let magic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    static func isCompressed(_ prefix: UnsafeRawBufferPointer) -> Bool {
        prefix.count >= 4 && zip(prefix.prefix(4), magic).allSatisfy { $0 == $1 }
    }

    /// Decompresses every frame of `input`, refusing more than `limit` bytes of output.
    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int = Container.maxImageBytes) throws(ImageError) -> [UInt8] {
        guard let dctx = ZSTD_createDCtx() else { throw .compression("cannot allocate a decompression context") }
        defer { ZSTD_freeDCtx(dctx) }
        var out = [UInt8]()
        let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR {
            guard declared <= UInt64(limit) else {
                throw .compression("the frame declares \(declared) bytes, more than the \(limit)-byte bound")
            }
            out.reserveCapacity(Int(declared))
        }
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let chunk = 1 << 20
        var scratch = [UInt8](repeating: 0, count: chunk)
        var last: Int = 0
        while inBuf.pos < inBuf.size {
            var failure: String? = nil
            let r: Int = scratch.withUnsafeMutableBytes { sp in
                var outBuf = ZSTD_outBuffer(dst: sp.baseAddress, size: chunk, pos: 0)
                let r = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
                if ZSTD_isError(r) != 0 { failure = String(cString: ZSTD_getErrorName(r)); return 0 }
                out.append(contentsOf: sp.prefix(outBuf.pos))
                return r
            }
            if let failure { throw .compression("corrupt data: \(failure)") }
            guard out.count <= limit else { throw .compression("output exceeds the \(limit)-byte bound") }
            last = r
            if r == 0 && inBuf.pos == inBuf.size { break }
        }
        // Drain: the decoder may still hold output when the input is consumed.
        while last != 0 {
            let before = out.count
            let r: Int = scratch.withUnsafeMutableBytes { sp in
                var outBuf = ZSTD_outBuffer(dst: sp.baseAddress, size: chunk, pos: 0)
                let r = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
                if ZSTD_isError(r) != 0 { return -1 }
                out.append(contentsOf: sp.prefix(outBuf.pos))
                return r
            }
            guard r >= 0 else { throw .compression("corrupt data at the end of the input") }
            guard out.count <= limit else { throw .compression("output exceeds the \(limit)-byte bound") }
            if out.count == before { throw .compression("the input ends inside a frame (truncated)") }
            last = r
        }
        return out
    }

    /// Compresses `parts` (concatenated) into one frame with its content size.
    static func compress(_ parts: [UnsafeRawBufferPointer], level: Int32 = 3,
                         write: (UnsafeRawBufferPointer) throws(ImageError) -> Void) throws(ImageError) {
        guard let cctx = ZSTD_createCCtx() else { throw .compression("cannot allocate a compression context") }
        defer { ZSTD_freeCCtx(cctx) }
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
        let total = parts.reduce(0) { $0 + $1.count }
        ZSTD_CCtx_setPledgedSrcSize(cctx, UInt64(total))
        let cap = ZSTD_CStreamOutSize()
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 16)
        defer { scratch.deallocate() }
        for (i, part) in parts.enumerated() {
            var inBuf = ZSTD_inBuffer(src: part.baseAddress, size: part.count, pos: 0)
            let mode = i == parts.count - 1 ? ZSTD_e_end : ZSTD_e_continue
            while true {
                var outBuf = ZSTD_outBuffer(dst: scratch, size: cap, pos: 0)
                let r = ZSTD_compressStream2(cctx, &outBuf, &inBuf, mode)
                if ZSTD_isError(r) != 0 { throw .compression(String(cString: ZSTD_getErrorName(r))) }
                if outBuf.pos > 0 { try write(UnsafeRawBufferPointer(start: scratch, count: outBuf.pos)) }
                if mode == ZSTD_e_end ? r == 0 : inBuf.pos == inBuf.size { break }
            }
        }
    }
}
