// DemoTests.swift: the README's main command, `bash scripts/demo.sh`, run by the suite the
// way CI and a new user's script would: no terminal, stdin at EOF, CI=true, a scratch
// directory (KANDELO_DEMO_DIR) — twice, since a demo must work every time.
//
// The demo builds release products with `swift build`; `swift test` holds the build
// directory's lock while tests run, so the demo's builds are told to skip it
// (KANDELO_SWIFTPM_IGNORE_LOCK=1, honoured by scripts/setup.sh; nothing else builds then).
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The demo and the install both build release products in the one build directory:
/// one suite, run one test at a time (InstallTests.swift extends it).
@Suite(.serialized) struct FirstFiveMinutesTests {
    @Test func theReadmesMainCommandRunsNonInteractivelyAndAgain() throws {
        let dir = "/tmp/klaunch-test-\(getpid())-demo"
        _ = sh("rm -rf '\(dir)' && mkdir -p '\(dir)'")
        for round in 1...2 {
            let r = sh("cd '\(Launch.repo)' && CI=true KANDELO_DEMO_DIR='\(dir)' KANDELO_SWIFTPM_IGNORE_LOCK=1 bash scripts/demo.sh </dev/null")
            #expect(r.status == 0, "round \(round): \(r)")
            let o = r.out
            for line in [
                "== building \(dir)/rootfs.vfs from images/MANIFEST + busybox",
                "kandelo-mount: serving \(dir)/rootfs.vfs on \(dir)/mnt",   // what kandelo-mount itself says
                "Edited with sed on ",                                       // host edit read by a guest
                "1 file changed, 1 insertion(+)",                            // a guest's file ...
                "a note from the guest",                                     // ... committed by host git
                "shell /bin/sh as uid 0, in /",                              // no program: the login shell
                "   exit status 3",
                "== done.",
                "     kandelo-launch --mount \(dir)/mnt        # a shell in the image",
            ] {
                #expect(o.contains(line), "round \(round): missing '\(line)' in\n\(o)\nstderr: \(r.err)")
            }
            // The commands it ends with are typed as installed, not as build paths.
            let typed = o.components(separatedBy: "then, as typed:").last ?? ""
            #expect(!typed.split(separator: "\n").dropLast().contains { $0.contains(".build/") }, "\(typed)")
            #expect(!o.contains("/debug/"), "no debug build paths: \(o)")
            // The mount is gone and the image checks clean.
            #expect(!(sh("grep -qs ' \(dir)/mnt ' /proc/self/mounts").status == 0))
        }
        _ = sh("rm -rf '\(dir)'")
    }
}
