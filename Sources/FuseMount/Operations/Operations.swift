// Operations.swift: the ops table. One line per FUSE low-level operation → the handler
// that serves it (passthrough_ll's `lo_oper`). Each entry decodes libfuse's C arguments and
// calls a handler through `Request.answer`, which sends the one reply (Reply.swift).
//
//   op                         handler                              file
//   init / destroy             initialize / (finish, after the loop) FuseServer.swift
//   lookup, forget(_multi)     lookup, forget                       Attributes.swift
//   getattr, setattr           getattr, setattr                     Attributes.swift
//   access, statfs             access, statfs                       Attributes.swift
//   readlink, mknod, mkdir     readlink, mknod, mkdir               Namespace.swift
//   symlink, link              symlink, link                        Namespace.swift
//   unlink, rmdir, rename      unlink, rmdir, rename                Namespace.swift
//   open, create, read, write  open, create, read, write            Files.swift
//   flush, release, fsync      (ok), release, fsync                 Files.swift
//   opendir, readdir(plus)     opendir, readdir                     Directories.swift
//   releasedir, fsyncdir       releasedir, fsync                    Directories.swift, Files.swift
//   *xattr                     xattr: ENOSYS → kernel says EOPNOTSUPP   Xattr.swift
//   getlk, setlk, flock        getlk, setlk, flock (the service's one   Locks.swift
//                              lock table, shared with guests); flush and release drop locks
//
// Not provided (libfuse answers ENOSYS; the kernel then does the Linux fallback):
//   fallocate          EOPNOTSUPP; posix_fallocate(3) falls back to writing zeros
//   copy_file_range    the kernel copies through read and write
//   lseek              SEEK_DATA/SEEK_HOLE treat the whole file as data
//   bmap, ioctl, poll  not meaningful for an in-memory image
//   write_buf          splice is off, so `write` sees the request's bytes in place

import CFuse3
import VFSImage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FuseServer {
    static func operations() -> fuse_lowlevel_ops {
        var o = fuse_lowlevel_ops()
        o.`init` = { userdata, conn in FuseServer.from(userdata).initialize(conn!) }
        o.destroy = { _ in }
        o.lookup = { req, parent, name in
            Request(req).answer { s throws(LinuxErrno) in try s.lookup(parent, nameBytes(name)) }
        }
        o.forget = { req, ino, n in Request(req).answer { s in s.forget(ino, n) } }
        o.forget_multi = { req, count, forgets in
            Request(req).answer { s in
                for i in 0..<count { _ = s.forget(forgets![i].ino, forgets![i].nlookup) }
                return .none
            }
        }
        o.getattr = { req, ino, _ in Request(req).answer { s throws(LinuxErrno) in try s.getattr(ino) } }
        o.setattr = { req, ino, attr, toSet, _ in
            Request(req).answer { s throws(LinuxErrno) in try s.setattr(ino, attr!.pointee, toSet) }
        }
        o.access = { req, ino, mask in
            let r = Request(req)
            r.answer { s throws(LinuxErrno) in try s.access(ino, mask, r.context, groups: r.groups) }
        }
        o.statfs = { req, _ in Request(req).answer { s in s.statfs() } }

        o.readlink = { req, ino in Request(req).answer { s throws(LinuxErrno) in try s.readlink(ino) } }
        o.mknod = { req, parent, name, mode, rdev in
            let r = Request(req)
            r.answer { s throws(LinuxErrno) in try s.mknod(parent, nameBytes(name), mode, rdev, r.context) }
        }
        o.mkdir = { req, parent, name, mode in
            let r = Request(req)
            r.answer { s throws(LinuxErrno) in try s.mkdir(parent, nameBytes(name), mode, r.context) }
        }
        o.symlink = { req, target, parent, name in
            let r = Request(req)
            r.answer { s throws(LinuxErrno) in try s.symlink(nameBytes(target), parent, nameBytes(name), r.context) }
        }
        o.link = { req, ino, newParent, newName in
            Request(req).answer { s throws(LinuxErrno) in try s.link(ino, newParent, nameBytes(newName)) }
        }
        o.unlink = { req, parent, name in
            Request(req).answer { s throws(LinuxErrno) in try s.unlink(parent, nameBytes(name)) }
        }
        o.rmdir = { req, parent, name in
            Request(req).answer { s throws(LinuxErrno) in try s.rmdir(parent, nameBytes(name)) }
        }
        o.rename = { req, parent, name, newParent, newName, flags in
            Request(req).answer { s throws(LinuxErrno) in
                try s.rename(parent, nameBytes(name), newParent, nameBytes(newName), flags)
            }
        }

        o.open = { req, ino, fi in Request(req).answer { s throws(LinuxErrno) in try s.open(ino, fi!.pointee) } }
        o.create = { req, parent, name, mode, fi in
            let r = Request(req)
            r.answer { s throws(LinuxErrno) in try s.create(parent, nameBytes(name), mode, fi!.pointee, r.context) }
        }
        o.read = { req, ino, size, off, _ in
            Request(req).answer { s throws(LinuxErrno) in try s.read(ino, size, off) }
        }
        o.write = { req, ino, buf, size, off, _ in
            Request(req).answer { s throws(LinuxErrno) in
                try s.write(ino, UnsafeRawBufferPointer(start: buf, count: size), off)
            }
        }
        o.flush = { req, ino, fi in Request(req).answer { s in s.flushLocks(ino, fi!.pointee); return .ok } }
        o.release = { req, ino, fi in
            Request(req).answer { s in s.releaseLocks(ino, fi!.pointee); return s.release(fi!.pointee) }
        }
        o.fsync = { req, _, _, _ in Request(req).answer { s throws(LinuxErrno) in try s.fsync() } }

        o.opendir = { req, ino, fi in Request(req).answer { s throws(LinuxErrno) in try s.opendir(ino, fi!.pointee) } }
        o.readdir = { req, ino, size, off, _ in
            Request(req).answer { s throws(LinuxErrno) in try s.readdir(req!, ino, size, off, plus: false) }
        }
        o.readdirplus = { req, ino, size, off, _ in
            Request(req).answer { s throws(LinuxErrno) in try s.readdir(req!, ino, size, off, plus: true) }
        }
        o.releasedir = { req, _, fi in Request(req).answer { s in s.releasedir(fi!.pointee) } }
        o.fsyncdir = { req, _, _, _ in Request(req).answer { s throws(LinuxErrno) in try s.fsync() } }

        o.getlk = { req, ino, fi, lock in
            Request(req).answer { s throws(LinuxErrno) in try s.getlk(ino, fi!.pointee, lock!.pointee) }
        }
        o.setlk = { req, ino, fi, lock, sleep in
            Request(req).answer { s throws(LinuxErrno) in
                try s.setlk(req!, ino, fi!.pointee, lock!.pointee, sleep: sleep != 0) ?? .answered
            }
        }
        o.flock = { req, ino, fi, op in
            Request(req).answer { s throws(LinuxErrno) in try s.flock(req!, ino, fi!.pointee, op) ?? .answered }
        }

        o.setxattr = { req, _, _, _, _, _ in Request(req).answer { s throws(LinuxErrno) in try s.xattr() } }
        o.getxattr = { req, _, _, _ in Request(req).answer { s throws(LinuxErrno) in try s.xattr() } }
        o.listxattr = { req, _, _ in Request(req).answer { s throws(LinuxErrno) in try s.xattr() } }
        o.removexattr = { req, _, _ in Request(req).answer { s throws(LinuxErrno) in try s.xattr() } }
        return o
    }
}

extension Request {
    /// The caller's supplementary groups (for `access`).
    var groups: [gid_t] {
        var list = [gid_t](repeating: 0, count: 64)
        let n = fuse_req_getgroups(raw, Int32(list.count), &list)
        return n > 0 ? Array(list.prefix(Int(min(n, 64)))) : []
    }
}
