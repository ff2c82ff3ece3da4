// Xattr.swift: extended attributes. The VFSI v1 format has no place for them (no xattr
// block, no sidecar), so every xattr operation fails with "Operation not supported".
//
// We answer ENOSYS rather than EOPNOTSUPP: on ENOSYS the kernel remembers that the
// filesystem has no such operation and from then on answers EOPNOTSUPP (95, "Operation not
// supported", what ENOTSUP is on Linux) itself, without a round trip (fs/fuse/xattr.c sets
// fc->no_getxattr and friends). Callers see exactly the same errno; the difference is that
// the kernel's check for security.capability before every write(2) costs nothing.
// cp -a, tar --xattrs, rsync -X and git treat EOPNOTSUPP as "this filesystem has none".

import CFuse3
import VFSImage

extension LinuxErrno {
    /// Linux ENOSYS (38): only ever said to the FUSE kernel module, never to a caller.
    static let ENOSYS = LinuxErrno(rawValue: 38)
}

extension FuseServer {
    /// FUSE `setxattr`, `getxattr`, `listxattr`, `removexattr`: unsupported (see above).
    func xattr() throws(LinuxErrno) -> Reply { throw .ENOSYS }
}
