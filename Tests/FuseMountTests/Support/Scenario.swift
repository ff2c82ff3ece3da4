// Scenario.swift: "do this with host tools on a mount; it must hold now and after a remount".

import Testing
import VFSImage

#if canImport(Glibc)
import Glibc
#endif

struct Scenario {
    let work: String
    let image: String
    let mnt: String

    init(_ name: String, size: Int = 8 << 20, maxSize: Int = 256 << 20) throws {
        work = Harness.workDir(name)
        image = work + "/image.vfs"
        mnt = work + "/mnt"
        try Harness.makeImage(image, size: size, maxSize: maxSize)
        mkdir(mnt, 0o755)
    }

    /// Runs `script` in the mount (cwd = mount point); it must succeed.
    @discardableResult
    func run(_ script: String, sourceLocation: SourceLocation = #_sourceLocation) -> ShellResult {
        let r = sh(script, in: mnt, env: ["WORK": work])
        #expect(r.ok, "\(script)\n\(r)", sourceLocation: sourceLocation)
        return r
    }

    /// Mounts, runs `act`, runs `check` on the live mount, unmounts, fscks, remounts and
    /// runs `check` again; every mount is gone afterwards, whatever fails.
    func play(options: [String] = [], act: (Scenario) throws -> Void, check: (Scenario) throws -> Void) throws {
        let m = try Mounted(image, on: mnt, options: options)
        defer { m.cleanup() }
        try act(self)
        try check(self)
        try m.unmount()
        #expect(!isMountPoint(mnt))
        expectClean(image)
        let again = try Mounted(image, on: mnt, options: options)
        defer { again.cleanup() }
        try check(self)
        try again.unmount()
        expectClean(image)
    }
}

/// Shell function printing a tree's metadata, one line per entry, sorted: path, type, mode,
/// owner, group, link count, symlink target; then size and mtime (whole seconds: the image
/// keeps milliseconds) of everything but directories (whose sizes differ by filesystem).
let metaFunction = """
    meta() { (cd "$1" && find . -printf '%P|%y|%m|%U|%G|%n|%l\\n' | sort; \
      find . ! -type d -printf '%P|%s|%T@\\n' | awk -F'|' '{split($3,a,"."); print $1"|"$2"|"a[1]}' | sort); }
    """
