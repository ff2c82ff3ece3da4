// swift-tools-version: 6.0
// Fuzz targets (libFuzzer), kept out of the main package so that `swift build` and
// `swift test` there never change. Built and run by scripts/fuzz.sh, with
// `-sanitize=fuzzer,address`, in Fuzz/.build. See Documentation/fuzzing.md.
import PackageDescription
import Foundation

// The main package is this directory's parent; SwiftPM names a path dependency after its
// directory, which differs between checkouts (main, a worktree, CI's clone).
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent
let vfsImage: Target.Dependency = .product(name: "VFSImage", package: mainPackage)

let package = Package(
    name: "KandeloFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "fuzz-image", dependencies: [vfsImage]),
        .executableTarget(name: "fuzz-manifest", dependencies: [vfsImage]),
        .executableTarget(name: "fuzz-fsops", dependencies: [vfsImage]),
    ],
    swiftLanguageModes: [.v6]
)
