// Fallocate.swift: fallocate(2) on an open regular file (sys_fallocate decodes the call, RegularFile.allocate checks the size).
//
//   image and tmpfs files  mode 0 and FALLOC_FL_KEEP_SIZE reserve real blocks in the SharedFS
//                          (SharedFS.allocate: all or nothing, ENOSPC up front);
//                          PUNCH_HOLE|KEEP_SIZE frees the blocks; other modes EOPNOTSUPP
//   --bind files           the host's fallocate on the descriptor the open file holds, so the
//                          host filesystem reserves (or refuses) exactly as it would natively
#if canImport(Glibc)
import Glibc
#endif
import CHost
import VFSImage

extension RegularFile {
    static let FALLOC_FL_KEEP_SIZE: Int32 = 0x01
    static let FALLOC_FL_PUNCH_HOLE: Int32 = 0x02

    /// Reserves (or punches) [offset, offset+length); arguments already checked for sign
    /// and overflow by the caller.
    func reserve(_ t: GuestThread, mode: Int32, offset: Int64, length: Int64) throws(SyscallError) {
        let end = offset + length
        let extends = mode & RegularFile.FALLOC_FL_KEEP_SIZE == 0
        if extends, end > (try size) { try vfs.kernel?.fileSizeCheck(t, size: end) }   // RLIMIT_FSIZE
        if let host = fs as? HostDirFS {
            if host.readOnly { throw .errno(.EROFS) }
            guard let h = host.heldDescriptor(inode), h.writable else { throw .errno(.EACCES) }
            do throws(LinuxErrno) { try HostFD(h.fd).allocate(mode: mode, offset: offset, length: length) } catch { throw .errno(error) }
            return
        }
        guard let shared = fs as? SharedFS else { throw .errno(.EOPNOTSUPP) }
        switch mode {
        case 0, RegularFile.FALLOC_FL_KEEP_SIZE:
            try fsCall { () throws(LinuxErrno) in
                try shared.allocate(inode, offset: UInt64(offset), length: UInt64(length), keepSize: !extends)
            }
        case RegularFile.FALLOC_FL_PUNCH_HOLE | RegularFile.FALLOC_FL_KEEP_SIZE:
            try fsCall { () throws(LinuxErrno) in try shared.punchHole(inode, offset: UInt64(offset), length: UInt64(length)) }
        default:
            throw .errno(.EOPNOTSUPP)
        }
        vfs.imageChanged(mountRef, .inode(inode, offset: offset, length: length))
    }
}
