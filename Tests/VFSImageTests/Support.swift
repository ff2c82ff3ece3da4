// Support.swift: helpers shared by the VFSImage tests.

import Foundation
@testable import VFSImage

/// A directory under /tmp removed when the value goes away.
final class TempDir {
    let path: String
    init(_ tag: String = "kvfs") {
        path = NSTemporaryDirectory() + "\(tag)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

let referenceImages = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../shared/reference-images").standardized.path

func referenceImage(_ name: String) -> String { referenceImages + "/" + name }

/// The built executables sit beside the test bundle (.build/<config>/).
func builtExecutable(_ name: String) -> String {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // xctest bundles live in .build/debug/X.xctest; swift-testing may run from .build/debug.
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let cwd = FileManager.default.currentDirectoryPath
    for c in [".build/debug/\(name)", ".build/release/\(name)"] where FileManager.default.isExecutableFile(atPath: cwd + "/" + c) {
        return cwd + "/" + c
    }
    fatalError("cannot find the built \(name) executable near \(exe.path)")
}

struct Run { var status: Int32; var stdout: String; var stderr: String }

/// Runs a program to completion, capturing its output.
@discardableResult
func run(_ exe: String, _ args: [String], stdin: String? = nil, env: [String: String]? = nil) throws -> Run {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    if let env { p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 } }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    if let stdin {
        let inp = Pipe(); p.standardInput = inp
        try p.run()
        inp.fileHandleForWriting.write(stdin.data(using: .utf8)!)
        try inp.fileHandleForWriting.close()
    } else {
        p.standardInput = FileHandle.nullDevice
        try p.run()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

func sha256(_ path: String) throws -> String {
    let r = try run("/usr/bin/sha256sum", [path])
    return String(r.stdout.prefix(64))
}

func decompressedBytes(_ path: String) throws -> [UInt8] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let bytes = [UInt8](data)
    if bytes.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) {
        return try bytes.withUnsafeBytes { try Zstd.decompress($0) }
    }
    return bytes
}

extension SharedFS {
    func path(_ p: String) throws -> InodeNumber { try resolve(p, followFinal: false) }
    func text(_ p: String) throws -> String { String(decoding: try readAll(try resolve(p)), as: UTF8.self) }
    @discardableResult
    func put(_ p: String, _ s: String, mode: UInt32 = 0o644) throws -> InodeNumber {
        let (dir, name) = try resolveParent(p)
        let ino: InodeNumber
        if let i = try? lookup(dir, name) { ino = i } else { ino = try create(dir, name, mode: mode) }
        try truncate(ino, to: 0)
        _ = try write(ino, at: 0, Array(s.utf8))
        return ino
    }
    @discardableResult
    func dir(_ p: String, mode: UInt32 = 0o755) throws -> InodeNumber {
        let (d, name) = try resolveParent(p)
        return try mkdir(d, name, mode: mode)
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
