// Reply.swift: how an operation answers the kernel, exactly once.
//
// Every handler in this folder has the shape `throws(LinuxErrno) -> Reply` (passthrough_ll's
// lo_do_<op>): it decodes, calls SharedFS, and returns what to send, or throws the errno.
// The ops table (Operations.swift) calls it through `Request.answer`, the one place that
// sends, so each path through an op replies once: `fuse_reply_*` for a value, `fuse_reply_err`
// for a thrown errno. `forget` and `forget_multi` are the only ops that must not reply;
// they return `.none`, which sends `fuse_reply_none` (it only frees the request).

import CFuse3
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What an operation sends back. Buffers point into the server's scratch memory, valid
/// until the reply is sent.
enum Reply {
    /// No reply (forget): libfuse frees the request.
    case none
    /// Success without data (`fuse_reply_err(req, 0)`).
    case ok
    /// A name lookup's answer. `ino` 0 is a negative entry the kernel may cache.
    case entry(fuse_entry_param)
    case create(fuse_entry_param, fuse_file_info)
    case attr(stat, timeout: Double)
    case readlink([CChar])
    case open(fuse_file_info)
    case write(Int)
    case buffer(UnsafeRawPointer?, Int)
    /// A readdirplus buffer whose entries counted one lookup each for `counted`.
    case listing(UnsafeRawPointer?, Int, counted: [InodeNumber])
    case statfs(statvfs)
    case lock(flock)
    /// Sent already, or to be sent later by whoever holds the request (a waiting setlk,
    /// Locks.swift): nothing to do now.
    case answered
}

/// One request from the kernel (libfuse's `fuse_req_t`).
struct Request {
    let raw: fuse_req_t

    init(_ raw: fuse_req_t?) {
        guard let raw else { preconditionFailure("libfuse passed a null request") }
        self.raw = raw
    }

    /// The server the session was created with (its userdata).
    var server: FuseServer { FuseServer.from(fuse_req_userdata(raw)) }

    /// Caller's uid, gid, pid and umask.
    var context: fuse_ctx { fuse_req_ctx(raw).pointee }

    /// Runs `handler` and sends its result (or its errno). The only sender of replies.
    @inline(__always)
    func answer(_ handler: (FuseServer) throws(LinuxErrno) -> Reply) {
        let s = server
        let reply: Reply
        do { reply = try handler(s) } catch {
            fuse_reply_err(raw, error.rawValue)
            return
        }
        send(reply, s)
    }

    private func send(_ reply: Reply, _ s: FuseServer) {
        // A failed send means the kernel no longer waits for the request (a fatal signal
        // aborted it, or the connection is gone). Entries it never received were never
        // counted by it, so we take our lookup counts back; nothing else needs undoing.
        switch reply {
        case .none: fuse_reply_none(raw)
        case .ok: fuse_reply_err(raw, 0)
        case .entry(var e):
            if fuse_reply_entry(raw, &e) != 0 && e.ino != 0 { s.table.forget(e.ino, 1) }
        case .create(var e, var fi):
            if fuse_reply_create(raw, &e, &fi) != 0 {
                s.table.forget(e.ino, 1)
                s.closeHandle(InodeNumber(UInt32(e.ino)))
            }
        case .listing(let p, let n, let counted):
            if fuse_reply_buf(raw, p?.assumingMemoryBound(to: CChar.self), n) != 0 {
                for ino in counted { s.table.forget(InodeTable.nodeid(ino), 1) }
            }
        case .attr(var st, let t): fuse_reply_attr(raw, &st, t)
        case .readlink(let target): _ = target.withUnsafeBufferPointer { fuse_reply_readlink(raw, $0.baseAddress) }
        case .open(var fi):
            // fh holds the inode number (Files.swift, Directories.swift).
            if fuse_reply_open(raw, &fi) != 0 { s.closeHandle(InodeNumber(UInt32(fi.fh))) }
        case .write(let n): fuse_reply_write(raw, n)
        case .buffer(let p, let n): fuse_reply_buf(raw, p?.assumingMemoryBound(to: CChar.self), n)
        case .statfs(var sv): fuse_reply_statfs(raw, &sv)
        case .lock(var l): fuse_reply_lock(raw, &l)
        case .answered: break
        }
    }
}

/// A C string from the kernel as the byte array SharedFS takes.
@inline(__always)
func nameBytes(_ p: UnsafePointer<CChar>?) -> [UInt8] {
    guard let p else { return [] }
    let n = strlen(p)
    return p.withMemoryRebound(to: UInt8.self, capacity: n) { Array(UnsafeBufferPointer(start: $0, count: n)) }
}
