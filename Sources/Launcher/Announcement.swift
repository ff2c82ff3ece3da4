// Announcement.swift: what `kandelo-mount` tells the person who ran it once the mount is
// live — where the image is served and the exact commands to run guests and to unmount.
// On stdout, before detaching; not printed when mount(8) or systemd runs it as a helper.
#if canImport(Glibc)
import Glibc
#endif

public enum ServiceAnnouncement {
    public static func text(image: String, mountPoint: String) -> String {
        let m = shellQuoted(mountPoint)
        return """
            kandelo-mount: serving \(image) on \(mountPoint)
              a shell in the image:  kandelo-launch --mount \(m)
              run a program:         kandelo-launch --mount \(m) PROGRAM [ARGS...]
              unmount (writes back): fusermount3 -u \(m)

            """
    }

    static func print(image: String, mountPoint: String) {
        let bytes = Array(text(image: image, mountPoint: mountPoint).utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(1, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }

    /// Quoted for sh only when it needs it, so the common case reads as typed.
    public static func shellQuoted(_ s: String) -> String {
        let plain = s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "/") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "+") || c == UInt8(ascii: ",")
                || c == UInt8(ascii: "@") || c == UInt8(ascii: ":") || c == UInt8(ascii: "=")
        }
        if plain && !s.isEmpty { return s }
        var out = "'"
        for ch in s { out += ch == "'" ? "'\\''" : String(ch) }
        return out + "'"
    }
}
