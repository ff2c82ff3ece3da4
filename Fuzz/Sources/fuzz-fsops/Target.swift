// fuzz-fsops: the filesystem operations the FUSE mount serves, in random sequences, against
// a model.
//
// FuseMount's handlers (Sources/FuseMount/Operations) take libfuse requests and need a live
// mount; each reduces to one SharedFS call (create, mkdir, mknod, symlink, link, unlink,
// rmdir, rename with its flags, write, truncate through setattr, chmod, read, readdir,
// lookup, and an open handle's retain/release). This target decodes the input as a
// sequence of those calls, applies each to a SharedFS and to a small in-memory model of
// Linux semantics written here, and requires the same result (errno or success, and the
// same data for reads, listings and lookups) at every step; at the end the two trees must
// be equal (type, permissions, link count, size, content, symlink target), fsck must find
// no fault, and a save and load must give the same tree. Any disagreement traps.

import VFSImage

// MARK: the model

final class Node {
    enum Kind { case file, dir, symlink, fifo }
    let id: Int
    let kind: Kind
    var mode: UInt32
    var data: [UInt8] = []
    var children: [[UInt8]: Node] = [:]
    weak var parent: Node?
    var target: [UInt8] = []
    var names = 0
    var open = 0
    init(id: Int, kind: Kind, mode: UInt32) { self.id = id; self.kind = kind; self.mode = mode }
    var isDir: Bool { kind == .dir }
    var nlink: Int { isDir ? (names == 0 ? 0 : 2 + children.values.filter(\.isDir).count) : names }
}

struct Mismatch: Error { var what: String }

final class World {
    let fs: SharedFS
    let root: Node
    var ino: [ObjectIdentifier: InodeNumber] = [:]
    var all: [Node] = []          // every node ever made that may still be reachable or open
    var nextID = 1
    var handles: [Node] = []
    var step = 0

    init() {
        fs = try! SharedFS(size: 128 << 10, maxSize: 8 << 20)
        fs.clock = { 1_000 }
        root = Node(id: 0, kind: .dir, mode: 0o755)
        root.names = 1
        ino[ObjectIdentifier(root)] = .root
        all.append(root)
    }

    func inode(_ n: Node) -> InodeNumber { ino[ObjectIdentifier(n)]! }
    var dirs: [Node] { all.filter { $0.isDir && $0.names > 0 } }
    var files: [Node] { all.filter { $0.kind == .file && ($0.names > 0 || $0.open > 0) } }
    var live: [Node] { all.filter { $0.names > 0 || $0.open > 0 } }

    func isAncestor(_ a: Node, of d: Node) -> Bool {
        var cur: Node? = d
        while let c = cur { if c === a { return true }; cur = c.parent }
        return false
    }

    /// Runs one SharedFS call; returns 0 or its errno.
    func real(_ body: () throws -> Void) -> Int32 {
        do { try body(); return 0 } catch let e as LinuxErrno { return e.rawValue } catch { return -1 }
    }

    func expect(_ what: @autoclosure () -> String, model: Int32, real: Int32) throws(Mismatch) {
        if model != real { throw Mismatch(what: "step \(step): \(what()): model errno \(model), SharedFS errno \(real)") }
    }

    func newNode(_ kind: Node.Kind, _ mode: UInt32, in dir: Node, _ name: [UInt8], _ i: InodeNumber) -> Node {
        let n = Node(id: nextID, kind: kind, mode: mode)
        nextID += 1
        n.names = 1
        if kind == .dir { n.parent = dir }
        dir.children[name] = n
        ino[ObjectIdentifier(n)] = i
        all.append(n)
        return n
    }

    func unname(_ n: Node) {
        n.names -= 1
        if n.names == 0 && n.open == 0 { forgetNode(n) }
    }

    func forgetNode(_ n: Node) {
        all.removeAll { $0 === n }
        ino[ObjectIdentifier(n)] = nil
    }

    // Errors for a new name, in SharedFS's (Linux's) order.
    func newNameError(_ dir: Node, _ name: [UInt8]) -> Int32 {
        if name.count > 255 { return LinuxErrno.ENAMETOOLONG.rawValue }
        if dir.children[name] != nil { return LinuxErrno.EEXIST.rawValue }
        return 0
    }
}

// MARK: decoding

struct Input {
    var bytes: UnsafeBufferPointer<UInt8>
    var at = 0
    var done: Bool { at >= bytes.count }
    mutating func u8() -> UInt8 { defer { at += 1 }; return at < bytes.count ? bytes[at] : 0 }
    mutating func u16() -> Int { Int(u8()) | Int(u8()) << 8 }
    mutating func pick<T>(_ xs: [T]) -> T? { xs.isEmpty ? nil : xs[Int(u8()) % xs.count] }
}

let names: [[UInt8]] = ["a", "b", "c", "d", "e", "f"].map { Array($0.utf8) }
    + [[UInt8](repeating: 0x6C, count: 255), [UInt8](repeating: 0x6D, count: 256), Array("ünï".utf8)]

func name(_ inp: inout Input) -> [UInt8] { names[Int(inp.u8()) % names.count] }

// MARK: one operation

func apply(_ w: World, _ inp: inout Input) throws(Mismatch) {
    let fs = w.fs
    let op = inp.u8() % 17
    switch op {
    case 0, 1, 2: // create, mkdir, mknod(fifo)
        guard let dir = inp.pick(w.dirs) else { return }
        let n = name(&inp)
        let mode = UInt32(inp.u16()) & 0o7777
        var made: InodeNumber?
        let got = w.real {
            switch op {
            case 0: made = try fs.create(w.inode(dir), n, mode: mode)
            case 1: made = try fs.mkdir(w.inode(dir), n, mode: mode)
            default: made = try fs.mknod(w.inode(dir), n, mode: 0o010000 | mode)
            }
        }
        let want = w.newNameError(dir, n)
        try w.expect("create kind \(op) \(n.count)-byte name in node \(dir.id)", model: want, real: got)
        if let made { _ = w.newNode(op == 0 ? .file : op == 1 ? .dir : .fifo, mode, in: dir, n, made) }
        if op == 1, let d = dir.children[n], made != nil { d.names = 1 }
    case 3: // write
        guard let f = inp.pick(w.files) else { return }
        let offset = inp.u16() * (inp.u8() % 4 == 0 ? 16 : 1)
        let count = Int(inp.u8()) * Int(inp.u8() % 8 + 1) + 1
        let byte = inp.u8()
        let data = [UInt8](repeating: byte, count: count)
        var n = 0
        let got = w.real { n = try fs.write(w.inode(f), at: UInt64(offset), data) }
        try w.expect("write \(count) at \(offset) to node \(f.id)", model: 0, real: got)
        if n != count { throw Mismatch(what: "step \(w.step): short write \(n) of \(count)") }
        if f.data.count < offset + count { f.data += [UInt8](repeating: 0, count: offset + count - f.data.count) }
        f.data.replaceSubrange(offset..<(offset + count), with: data)
        f.mode &= ~0o6000
    case 4: // truncate (setattr size)
        guard let f = inp.pick(w.live) else { return }
        let size = inp.u16() * (inp.u8() % 4 == 0 ? 16 : 1)
        let got = w.real { try fs.truncate(w.inode(f), to: UInt64(size)) }
        let want: Int32 = f.kind == .file ? 0 : f.isDir ? LinuxErrno.EISDIR.rawValue : LinuxErrno.EINVAL.rawValue
        try w.expect("truncate node \(f.id) to \(size)", model: want, real: got)
        if want == 0 {
            if size < f.data.count { f.data.removeLast(f.data.count - size) } else { f.data += [UInt8](repeating: 0, count: size - f.data.count) }
        }
    case 5: // read
        guard let f = inp.pick(w.live) else { return }
        let offset = inp.u16()
        let count = Int(inp.u8()) * 64
        var buf = [UInt8](repeating: 0xEE, count: count)
        var n = 0
        let got = w.real { n = try buf.withUnsafeMutableBytes { b in try fs.read(w.inode(f), at: UInt64(offset), into: b) } }
        let want: Int32 = f.kind == .file ? 0 : f.isDir ? LinuxErrno.EISDIR.rawValue : LinuxErrno.EINVAL.rawValue
        try w.expect("read node \(f.id)", model: want, real: got)
        if want == 0 {
            let expected = offset >= f.data.count ? [] : Array(f.data[offset..<min(f.data.count, offset + count)])
            if Array(buf.prefix(n)) != expected {
                throw Mismatch(what: "step \(w.step): read \(count) at \(offset) of node \(f.id) gave \(n) bytes, model \(expected.count) (or other content)")
            }
        }
    case 6, 7: // rename, with flags
        guard let d1 = inp.pick(w.dirs), let d2 = inp.pick(w.dirs) else { return }
        let n1 = names[Int(inp.u8()) % 6], n2 = name(&inp)
        let fl = inp.u8() % 4
        let flags: RenameFlags = op == 6 ? [] : fl == 0 ? [.noReplace] : fl == 1 ? [.exchange] : fl == 2 ? [.noReplace, .exchange] : []
        let got = w.real { try fs.rename(w.inode(d1), n1, w.inode(d2), n2, flags: flags) }
        let want = renameModel(w, d1, n1, d2, n2, flags)
        try w.expect("rename \(d1.id)/\(String(decoding: n1, as: UTF8.self)) → \(d2.id)/\(n2.count)-byte name flags \(flags.rawValue)", model: want, real: got)
    case 8: // link
        guard let src = inp.pick(w.live), let dir = inp.pick(w.dirs) else { return }
        let n = name(&inp)
        let got = w.real { try fs.link(w.inode(src), w.inode(dir), n) }
        var want = w.newNameError(dir, n)
        if want == 0 && src.isDir { want = LinuxErrno.EPERM.rawValue }
        if want == 0 && src.names == 0 { want = LinuxErrno.ENOENT.rawValue }
        try w.expect("link node \(src.id) as \(dir.id)/\(n.count)-byte name", model: want, real: got)
        if want == 0 { dir.children[n] = src; src.names += 1 }
    case 9: // unlink
        guard let dir = inp.pick(w.dirs) else { return }
        let n = names[Int(inp.u8()) % 6]
        let got = w.real { try fs.unlink(w.inode(dir), n) }
        let child = dir.children[n]
        let want: Int32 = child == nil ? LinuxErrno.ENOENT.rawValue : child!.isDir ? LinuxErrno.EISDIR.rawValue : 0
        try w.expect("unlink \(dir.id)/\(String(decoding: n, as: UTF8.self))", model: want, real: got)
        if want == 0 { dir.children[n] = nil; w.unname(child!) }
    case 10: // rmdir
        guard let dir = inp.pick(w.dirs) else { return }
        let n = names[Int(inp.u8()) % 6]
        let got = w.real { try fs.rmdir(w.inode(dir), n) }
        let child = dir.children[n]
        let want: Int32 = child == nil ? LinuxErrno.ENOENT.rawValue : !child!.isDir ? LinuxErrno.ENOTDIR.rawValue
            : !child!.children.isEmpty ? LinuxErrno.ENOTEMPTY.rawValue : 0
        try w.expect("rmdir \(dir.id)/\(String(decoding: n, as: UTF8.self))", model: want, real: got)
        if want == 0 { dir.children[n] = nil; child!.parent = nil; w.unname(child!) }
    case 11: // symlink
        guard let dir = inp.pick(w.dirs) else { return }
        let n = name(&inp)
        let len = [1, 5, 40, 41, 100, 4095, 4096][Int(inp.u8()) % 7]
        let target = [UInt8](repeating: 0x74, count: len)
        var made: InodeNumber?
        let got = w.real { made = try fs.symlink(w.inode(dir), n, target: target) }
        var want = w.newNameError(dir, n)
        if len > 4095 { want = LinuxErrno.ENAMETOOLONG.rawValue }
        try w.expect("symlink \(len)-byte target as \(dir.id)/\(n.count)-byte name", model: want, real: got)
        if let made { w.newNode(.symlink, 0o777, in: dir, n, made).target = target }
    case 12: // chmod
        guard let n = inp.pick(w.live) else { return }
        let mode = UInt32(inp.u16()) & 0o7777
        let got = w.real { try fs.chmod(w.inode(n), mode) }
        try w.expect("chmod node \(n.id)", model: 0, real: got)
        n.mode = mode
    case 13: // readdir
        guard let dir = inp.pick(w.dirs) else { return }
        var listed: [[UInt8]: InodeNumber] = [:]
        var dup = false
        let got = w.real {
            try fs.readDirectory(w.inode(dir)) { e in
                if listed.updateValue(e.ino, forKey: e.name) != nil { dup = true }
                return true
            }
        }
        try w.expect("readdir node \(dir.id)", model: 0, real: got)
        var want: [[UInt8]: InodeNumber] = [Array(".".utf8): w.inode(dir), Array("..".utf8): w.inode(dir.parent ?? w.root)]
        for (k, v) in dir.children { want[k] = w.inode(v) }
        if dup || listed != want { throw Mismatch(what: "step \(w.step): readdir of node \(dir.id) lists \(listed.count) names, model \(want.count)") }
    case 14: // open: the handle holds the inode
        guard let f = inp.pick(w.files), w.handles.count < 32 else { return }
        fs.retain(w.inode(f))
        f.open += 1
        w.handles.append(f)
    case 15: // release
        guard !w.handles.isEmpty else { return }
        let f = w.handles.remove(at: Int(inp.u8()) % w.handles.count)
        fs.release(w.inode(f))
        f.open -= 1
        if f.open == 0 && f.names == 0 { w.forgetNode(f) }
    default: // lookup
        guard let dir = inp.pick(w.dirs) else { return }
        let n = name(&inp)
        var found: InodeNumber?
        let got = w.real { found = try fs.lookup(w.inode(dir), n) }
        let want: Int32 = n.count > 255 ? LinuxErrno.ENAMETOOLONG.rawValue : dir.children[n] == nil ? LinuxErrno.ENOENT.rawValue : 0
        try w.expect("lookup \(dir.id)/\(n.count)-byte name", model: want, real: got)
        if want == 0 && found != w.inode(dir.children[n]!) { throw Mismatch(what: "step \(w.step): lookup found another inode") }
    }
}

/// Linux renameat2 on the model, in SharedFS's documented order; applies it on success.
func renameModel(_ w: World, _ d1: Node, _ n1: [UInt8], _ d2: Node, _ n2: [UInt8], _ flags: RenameFlags) -> Int32 {
    if flags == [.noReplace, .exchange] { return LinuxErrno.EINVAL.rawValue }
    if n2.count > 255 { return LinuxErrno.ENAMETOOLONG.rawValue }
    guard let src = d1.children[n1] else { return LinuxErrno.ENOENT.rawValue }
    let dst = d2.children[n2]
    if flags.contains(.exchange) {
        guard let dst else { return LinuxErrno.ENOENT.rawValue }
        if dst === src { return 0 }
        if src.isDir && w.isAncestor(src, of: d2) { return LinuxErrno.EINVAL.rawValue }
        if dst.isDir && w.isAncestor(dst, of: d1) { return LinuxErrno.EINVAL.rawValue }
        d1.children[n1] = dst; d2.children[n2] = src
        if src.isDir { src.parent = d2 }
        if dst.isDir { dst.parent = d1 }
        return 0
    }
    if let dst {
        if flags.contains(.noReplace) { return LinuxErrno.EEXIST.rawValue }
        if dst === src { return 0 }
        if src.isDir && w.isAncestor(src, of: d2) { return LinuxErrno.EINVAL.rawValue }
        if dst.isDir && w.isAncestor(dst, of: d1) { return LinuxErrno.ENOTEMPTY.rawValue }
        if src.isDir && !dst.isDir { return LinuxErrno.ENOTDIR.rawValue }
        if !src.isDir && dst.isDir { return LinuxErrno.EISDIR.rawValue }
        if dst.isDir && !dst.children.isEmpty { return LinuxErrno.ENOTEMPTY.rawValue }
        d1.children[n1] = nil
        d2.children[n2] = src
        if src.isDir { src.parent = d2 }
        if dst.isDir { dst.parent = nil }
        w.unname(dst)
        return 0
    }
    if src.isDir && w.isAncestor(src, of: d2) { return LinuxErrno.EINVAL.rawValue }
    d1.children[n1] = nil
    d2.children[n2] = src
    if src.isDir { src.parent = d2 }
    return 0
}

// MARK: the final comparison

func describeModel(_ w: World) -> [String: String] {
    var out: [String: String] = [:]
    func visit(_ d: Node, _ path: String) {
        for (k, n) in d.children {
            let p = path + "/" + String(decoding: k, as: UTF8.self)
            out[p] = describe(kind: n.kind, mode: n.mode, nlink: n.nlink, data: n.data, target: n.target)
            if n.isDir { visit(n, p) }
        }
    }
    visit(w.root, "")
    return out
}

func describe(kind: Node.Kind, mode: UInt32, nlink: Int, data: [UInt8], target: [UInt8]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in (kind == .symlink ? target : data) { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    let size = kind == .file ? data.count : kind == .symlink ? target.count : 0
    return "\(kind) \(String(mode & 0o7777, radix: 8)) links=\(nlink) size=\(size) digest=\(h)"
}

func describeImage(_ fs: SharedFS) throws -> [String: String] {
    var out: [String: String] = [:]
    try fs.walk { n in
        let a = n.attributes
        let kind: Node.Kind
        switch a.type {
        case .regular: kind = .file
        case .directory: kind = .dir
        case .symlink: kind = .symlink
        default: kind = .fifo
        }
        let data = kind == .file ? try fs.readAll(a.ino) : []
        let target = kind == .symlink ? try fs.readlink(a.ino) : []
        out[n.path] = describe(kind: kind, mode: a.mode, nlink: Int(a.linkCount), data: data, target: target)
    }
    return out
}

func finish(_ w: World) throws(Mismatch) {
    for f in w.handles { w.fs.release(w.inode(f)); f.open -= 1 }
    w.handles.removeAll()
    let model = describeModel(w)
    let image: [String: String]
    do { image = try describeImage(w.fs) } catch { throw Mismatch(what: "walking the image failed: \(error)") }
    if model != image {
        let diff = Set(model.keys).symmetricDifference(image.keys).sorted().prefix(4)
        let changed = model.keys.filter { image[$0] != nil && image[$0] != model[$0] }.sorted().prefix(4)
        throw Mismatch(what: "trees differ: only in one \(Array(diff)), different \(changed.map { "\($0): model \(model[$0]!) image \(image[$0]!)" })")
    }
    let report = w.fs.check()
    if !report.isConsistent { throw Mismatch(what: "fsck: \(report.faults.prefix(4))") }
    do {
        let again = try SharedFS.decode(w.fs.encode())
        if try describeImage(again) != image { throw Mismatch(what: "save and load changed the tree") }
    } catch let m as Mismatch { throw m } catch { throw Mismatch(what: "save and load failed: \(error)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var inp = Input(bytes: UnsafeBufferPointer(start: data, count: size))
    let w = World()
    do {
        while !inp.done && w.step < 400 {
            try apply(w, &inp)
            w.step += 1
        }
        try finish(w)
    } catch {
        fatalError("fuzz-fsops: \(error.what)")
    }
    return 0
}
