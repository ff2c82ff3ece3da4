// LoginShell.swift: what `kandelo-launch --image IMG` / `--mount DIR` runs when no program
// is named, and the image's ABI declaration checked before anything runs on an image.
//
// The login shell is the 7th field of the image's /etc/passwd entry for the guest's uid
// (as login(1) and `docker run -it` do), else /bin/sh. It is read from the image's own
// filesystem: the standalone launcher's freshly opened image, or the service's live one
// (so an edit made through the mount a moment ago counts).
//
// The ABI: an image may declare, in its metadata (VFSI §6.6, preserved by Kandelo's tools),
// `"linuxAbi": N` — the Kandelo for Linux guest ABI its programs were built for
// (`kandelo-image build --linux-abi N`; sdk/include/kandelo/abi.h KANDELO_ABI_VERSION).
// An image declaring a newer ABI than this kernel speaks is refused at mount and launch,
// naming both versions. (`kernelAbi` is Kandelo's own, browser, kernel ABI — 43 today —
// a different numbering that says nothing about what runs here.)
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import VFSImage

public enum LoginShell {
    /// The shell for guests started with no program when the image says nothing usable.
    public static let fallback = "/bin/sh"

    /// The login shell of `uid` in the image: /etc/passwd's 7th field, else /bin/sh.
    public static func resolve(_ fs: SharedFS, uid: UInt32) -> String {
        guard let ino = try? fs.resolve("/etc/passwd"),
              let attrs = try? fs.attributes(ino), attrs.size <= 4 << 20,
              let bytes = try? fs.readAll(ino) else { return fallback }
        return shell(inPasswd: bytes, uid: uid) ?? fallback
    }

    /// passwd(5): name:password:uid:gid:gecos:home:shell, one entry a line. The first
    /// entry whose uid matches wins; an empty shell field means /bin/sh (as login does),
    /// so nil is returned for "no entry" only.
    public static func shell(inPasswd bytes: [UInt8], uid: UInt32) -> String? {
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let f = line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard f.count >= 7, UInt32(String(decoding: f[2], as: UTF8.self)) == uid else { continue }
            let shell = String(decoding: f[6], as: UTF8.self).trimmingTrailingCarriageReturn()
            return shell.isEmpty ? fallback : shell
        }
        return nil
    }
}

public enum ImageABI {
    /// The Kandelo for Linux guest ABI this kernel runs (abi.h).
    public static let running = UInt64(KANDELO_ABI_VERSION)

    /// nil when the image's programs can run here; otherwise one line naming both versions.
    public static func refusal(_ fs: SharedFS, image: String) -> String? {
        guard let declared = fs.metadata?["linuxAbi"] else { return nil }
        guard let n = declared.uint64Value else {
            return "\(image): its metadata's linuxAbi is not a version number (\(String(decoding: declared.serialized(), as: UTF8.self)))"
        }
        guard n > running else { return nil }
        return "\(image) was built for Kandelo for Linux guest ABI \(n), newer than ABI \(running) that this "
            + "Kandelo runs: install a newer Kandelo for Linux (or rebuild the image's programs for ABI \(running))"
    }
}

extension String {
    fileprivate func trimmingTrailingCarriageReturn() -> String {
        hasSuffix("\r") ? String(dropLast()) : self
    }
}
