// PreflightUser.swift: refusals a new user meets, each as one line that says what to do
// (Preflight.swift has the device, mount point and image checks; ServiceMain.swift the order).
//
//  - allow_other/allow_root asked by a non-root user while /etc/fuse.conf lacks
//    `user_allow_other`: fusermount3 would refuse after libfuse printed its own lines;
//    we say it first, before anything is opened or locked.
//  - a mount point that would hide the image: the image file inside the mount point's
//    tree (its checkpoint would have to write through the mount it serves), or a mount
//    point inside a mount of this same image.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Preflight {
    /// The file fusermount3 reads.
    public static let fuseConf = "/etc/fuse.conf"

    /// A non-root user may only ask for allow_other/allow_root when fuse.conf has a
    /// `user_allow_other` line (fuse.conf(5)); root always may.
    public static func checkAllowOther(_ options: MountOptions, euid: uid_t = geteuid(),
                                       conf: String = fuseConf) throws(MountError) {
        guard euid != 0 else { return }
        let asked = options.passThrough.filter { $0 == "allow_other" || $0 == "allow_root" }
        guard let option = asked.first else { return }
        if fuseConfAllowsOther(readFile(conf) ?? "") { return }
        throw .usage("-o \(option) needs 'user_allow_other' in \(conf) when not run as root "
                     + "(add that line as root, or mount without \(option))")
    }

    /// fuse.conf: one option a line, `#` comments, surrounding blanks ignored.
    static func fuseConfAllowsOther(_ text: String) -> Bool {
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if line.split(whereSeparator: { $0 == " " || $0 == "\t" }) == ["user_allow_other"] { return true }
        }
        return false
    }

    /// `image` and `mountPoint` are absolute and symlink-free (checkImage/checkMountPoint).
    public static func checkMountPointAgainstImage(image: String, mountPoint: String) throws(MountError) {
        let dir = mountPoint.hasSuffix("/") ? mountPoint : mountPoint + "/"
        if mountPoint == "/" || image.hasPrefix(dir) {
            throw .mountPoint("\(image) is inside \(mountPoint): mounting there would hide the image it serves; "
                              + "mount it on a directory outside the image's own tree")
        }
        // A kandelo mount of this image above the mount point (the source is the image's
        // path unless fsname= renamed it).
        // (A mount of the image on the mount point itself is not "inside": it is the image
        // already served, or a dead mount that Recovery detaches.)
        if let outer = enclosingMount(of: mountPoint), outer.type == "fuse.kandelo", outer.source == image,
           outer.mountPoint != mountPoint {
            throw .mountPoint("\(mountPoint) is inside \(outer.mountPoint), the mount of \(image) itself: "
                              + "an image cannot be mounted inside its own mount")
        }
    }

    /// checkMountPointAgainstImage on the paths as given, resolved first (no refusal when
    /// either cannot be resolved: the regular checks say why later).
    public static func ownMountRefusal(image: String, mountPoint: String) -> MountError? {
        guard let i = realPath(image), let m = realPath(mountPoint) else { return nil }
        do { try checkMountPointAgainstImage(image: i, mountPoint: m) } catch { return error }
        return nil
    }

    /// The mount that `path` lies in (the longest mount point that is a prefix of it).
    static func enclosingMount(of path: String) -> MountEntry? {
        var best: MountEntry? = nil
        for m in mountEntries() {
            let mp = m.mountPoint
            let inside = mp == "/" || path == mp || path.hasPrefix(mp + "/")
            if inside, mp.count >= (best?.mountPoint.count ?? -1) { best = m }
        }
        return best
    }
}
