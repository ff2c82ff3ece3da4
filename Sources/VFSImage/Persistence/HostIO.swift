// HostIO.swift: every host syscall VFSImage makes, in one place. Each wrapper retries
// EINTR and turns failure into ImageError.io naming the call and the path.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct HostFile {
    let fd: Int32
    let path: String

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(ImageError) -> HostFile {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return HostFile(fd: fd, path: path) }
            if errno == EINTR { continue }
            throw .io("cannot open \(path)", errno: errno)
        }
    }

    func close() { _ = Glibc.close(fd) }

    func stat() throws(ImageError) -> Glibc.stat {
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else { throw .io("cannot stat \(path)", errno: errno) }
        return st
    }

    /// Reads exactly `count` bytes at `offset` (fewer only at EOF); returns the count read.
    func read(into p: UnsafeMutableRawPointer, count: Int, at offset: Int) throws(ImageError) -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, p + done, min(count - done, 1 << 30), off_t(offset + done))
            if n < 0 { if errno == EINTR { continue }; throw .io("cannot read \(path)", errno: errno) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func readAll(from offset: Int = 0) throws(ImageError) -> [UInt8] {
        let size = Int(try stat().st_size)
        guard size > offset else { return [] }
        var out = [UInt8](repeating: 0, count: size - offset)
        let n = try out.withMutableBytes { (b) throws(ImageError) in try read(into: b.baseAddress!, count: b.count, at: offset) }
        return Array(out.prefix(n))
    }

    func write(_ p: UnsafeRawBufferPointer, at offset: Int) throws(ImageError) {
        var done = 0
        while done < p.count {
            let n = pwrite(fd, p.baseAddress! + done, min(p.count - done, 1 << 30), off_t(offset + done))
            if n < 0 { if errno == EINTR { continue }; throw .io("cannot write \(path)", errno: errno) }
            done += n
        }
    }

    func sync(dataOnly: Bool = false) throws(ImageError) {
        guard (dataOnly ? fdatasync(fd) : fsync(fd)) == 0 else { throw .io("cannot fsync \(path)", errno: errno) }
    }

    func truncate(_ size: Int) throws(ImageError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw .io("cannot truncate \(path)", errno: errno) }
    }

    /// Exclusive advisory lock without waiting; false when another process holds it.
    func tryLock() throws(ImageError) -> Bool {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw .io("cannot lock \(path)", errno: errno)
    }
}

enum HostPath {
    static func directory(of path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return "." }
        return i == path.startIndex ? "/" : String(path[..<i])
    }
    static func name(of path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: i)...])
    }

    static func syncDirectory(of path: String) throws(ImageError) {
        let d = try HostFile.open(directory(of: path), O_RDONLY | O_DIRECTORY)
        defer { d.close() }
        try d.sync()
    }

    static func rename(_ from: String, _ to: String) throws(ImageError) {
        guard Glibc.rename(from, to) == 0 else { throw .io("cannot rename \(from) to \(to)", errno: errno) }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func unlink(_ path: String) { _ = Glibc.unlink(path) }

    static func stat(_ path: String) -> Glibc.stat? {
        var st = Glibc.stat()
        return statPath(path, &st) == 0 ? st : nil
    }
}

private func statPath(_ path: String, _ st: inout stat) -> Int32 { stat(path, &st) }
