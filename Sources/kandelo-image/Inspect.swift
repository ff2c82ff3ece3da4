import ArgumentParser
import VFSImage
#if canImport(Glibc)
import Glibc
#endif

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every entry of an image (type, mode, owner, size, path), sorted by path.",
        discussion: "Lazy files show their declared size and URL; symlinks show 'path -> target'.")

    @Argument(help: "The image.") var image: String
    @Flag(help: "Print the image metadata first.") var metadata = false
    @Flag(help: "JSON output (an array, or {metadata, entries} with --metadata).") var json = false
    @Option(help: "table or json (mkrootfs's spelling of --json).") var format: String?

    func run() throws {
        let img = try openImage(image, readOnly: true)
        let useJSON = json || format == "json"
        if let format, format != "json", format != "table" { throw fail("--format takes table or json") }
        var nodes: [TreeNode] = []
        try img.fs.walk { nodes.append($0) }
        nodes.sort { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        if useJSON {
            let entries: [JSONValue] = nodes.map { n in
                let a = n.attributes
                var o: [(String, JSONValue)] = [("path", .string(n.path)), ("type", .string(String(a.type?.letter ?? "?"))),
                                                ("mode", .string(octal(a.permissions))), ("uid", .int(a.uid)), ("gid", .int(a.gid)),
                                                ("size", .int(a.size)), ("ino", .int(a.ino.rawValue)), ("links", .int(a.linkCount))]
                if let t = n.target { o.append(("target", .string(t))) }
                if let u = n.lazyURL { o.append(("lazyUrl", .string(u))) }
                return .object(o)
            }
            let doc: JSONValue = metadata ? .object([("metadata", img.fs.metadata ?? .null), ("entries", .array(entries))]) : .array(entries)
            print(doc.pretty())
            return
        }
        if metadata {
            let m = img.fs.metadata.map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "null"
            print("metadata \(m)")
        }
        for n in nodes {
            let a = n.attributes
            let size = a.type == .regular ? String(a.size) : "-"
            var line = "\(a.type?.letter ?? "?") \(octal(a.permissions)) \(a.uid) \(a.gid) \(size) \(n.path)"
            if let t = n.target { line += " -> \(t)" }
            if let u = n.lazyURL { line += " (lazy: \(u))" }
            print(line)
        }
    }
}

struct Ls: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a directory of an image (like ls).")
    @Argument(help: "The image.") var image: String
    @Argument(help: "Paths inside the image (default /).") var paths: [String] = ["/"]
    @Flag(name: .short, help: "Long format: mode, links, owner, size, time, name.") var long = false
    @Flag(name: .short, help: "Include . and ..") var all = false

    func run() throws {
        let img = try openImage(image, readOnly: true)
        let fs = img.fs
        var status: Int32 = 0
        for path in paths {
            do {
                let ino = try fs.resolve(path, followFinal: true)
                let a = try fs.attributes(ino)
                var rows: [(String, InodeAttributes, InodeNumber)] = []
                if a.type == .directory {
                    try fs.readDirectory(ino) { e in
                        if all || (e.name != [0x2E] && e.name != [0x2E, 0x2E]) { rows.append((e.nameString, (try? fs.attributes(e.ino)) ?? a, e.ino)) }
                        return true
                    }
                    rows.sort { $0.0 < $1.0 }
                } else { rows = [(path, a, ino)] }
                if paths.count > 1 && a.type == .directory { print("\(path):") }
                for (name, at, i) in rows {
                    guard long else { print(name); continue }
                    var line = "\(modeString(at.mode)) \(at.linkCount) \(at.uid) \(at.gid) \(at.size) \(at.mtimeMs / 1000) \(name)"
                    if at.type == .symlink, let t = try? fs.readlink(i) { line += " -> " + String(decoding: t, as: UTF8.self) }
                    print(line)
                }
            } catch {
                FileHandleOutput.stderr("kandelo-image: \(path): \(error)\n")
                status = 1
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}

struct Cat: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write files of an image to standard output.")
    @Argument(help: "The image.") var image: String
    @Argument(help: "Paths inside the image.") var paths: [String]

    func run() throws {
        let img = try openImage(image, readOnly: true)
        for path in paths {
            do {
                let ino = try img.fs.resolve(path)
                if let url = img.fs.lazyURL(of: ino) {
                    throw fail("\(path): a lazy file whose content is fetched from \(url); it is not in the image")
                }
                fflush(nil)
                FileHandleOutput.write(1, try img.fs.readAll(ino))
            } catch let e as LinuxErrno { throw fail("\(path): \(e)") }
        }
    }
}
