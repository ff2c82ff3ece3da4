// AnonymousInode.swift: the inode behind eventfd, timerfd, signalfd and epoll descriptors.
import VFSImage

/// What fstat says of an anonymous-inode file (eventfd, timerfd, signalfd, epoll): Linux
/// gives them all the one anon inode, mode 0600 and no type bits.
enum AnonymousInode {
    static func stat(_ t: GuestThread, mode: UInt32) -> KStat {
        var s = KStat()
        s.mode = mode
        s.ino = 1
        s.dev = 0x0e
        s.nlink = 1
        s.blksize = 4096
        s.uid = t.process.cred.euid
        s.gid = t.process.cred.egid
        return s
    }
}
