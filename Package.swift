// swift-tools-version: 6.0
// Kandelo for Linux: see Documentation/ and ../shared/ARCHITECTURE.md for the module table.
import PackageDescription

let package = Package(
    name: "Kandelo",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kandelo-image", targets: ["kandelo-image"]),
        .executable(name: "kandelo-mount", targets: ["kandelo-mount"]),
        .executable(name: "kandelo-launch", targets: ["kandelo-launch"]),
        .executable(name: "kandelo-runner", targets: ["kandelo-runner"]),
        // For the fuzz targets (Fuzz/Package.swift depends on this package by path).
        .library(name: "VFSImage", targets: ["VFSImage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swiftwasm/WasmKit", exact: "0.4.2"),
    ],
    targets: [
        // C libraries, reached through pkg-config.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CFuse3", pkgConfig: "fuse3",
                       providers: [.apt(["libfuse3-dev"])]),

        // The image format and its filesystem. Imports libzstd, and zlib for ZIP members
        // of mkrootfs `archive` directives.
        .target(name: "VFSImage", dependencies: ["CZstd", "CZlib"]),
        // libfuse3 low-level binding over VFSImage.
        .target(name: "FuseMount", dependencies: ["VFSImage", "CFuse3",
                                                   .product(name: "Logging", package: "swift-log")]),
        // The guest ABI as C: sdk/include/kandelo/abi.h (the one source of syscall numbers)
        // and the runner<->kernel channel layout with its atomics and futex calls. Both
        // sides of the channel import it, so the two can never disagree.
        .target(name: "KandeloABI"),
        // Linux calls behind _GNU_SOURCE that Swift's Glibc module lacks (process_vm_*,
        // memfd, eventfd, signalfd, pidfd, ioctl) and liburing behind an opaque handle
        // (liburing.h redefines feature macros, which breaks module builds if imported).
        .target(name: "CHost", linkerSettings: [.linkedLibrary("uring")]),
        // Syscall semantics, processes, VFS with mounts, io_uring host I/O.
        .target(name: "Kernel", dependencies: ["VFSImage", "KandeloABI", "CHost"]),
        // WasmKit-based guest execution (the runner side of the channel).
        .target(name: "Engine", dependencies: ["KandeloABI",
                                              .product(name: "WasmKit", package: "WasmKit"),
                                              .product(name: "WasmParser", package: "WasmKit")]),
        // The service and the kandelo-launch client.
        .target(name: "Launcher", dependencies: ["Kernel", "FuseMount", "VFSImage", "CHost",
                                                .product(name: "Logging", package: "swift-log")]),

        .executableTarget(name: "kandelo-image", dependencies: [
            "VFSImage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "kandelo-mount", dependencies: [
            "Launcher", "FuseMount", "VFSImage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "kandelo-launch", dependencies: [
            "Launcher",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // One per guest process; started by the kernel, never by people.
        .executableTarget(name: "kandelo-runner", dependencies: ["Engine"]),

        .testTarget(name: "VFSImageTests", dependencies: ["VFSImage", "kandelo-image"]),
        .testTarget(name: "LaunchTests", dependencies: ["kandelo-launch", "kandelo-runner", "kandelo-image"]),
        .testTarget(name: "FuseMountTests", dependencies: ["FuseMount", "VFSImage", "kandelo-mount", "kandelo-image"]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "VFSImage"]),
        .testTarget(name: "GuestTests", dependencies: ["kandelo-launch", "kandelo-runner", "kandelo-image"]),
    ],
    swiftLanguageModes: [.v6]
)
