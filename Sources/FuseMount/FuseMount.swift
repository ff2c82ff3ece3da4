// FuseMount: a Kandelo image on the host, through libfuse3's low-level API.
//
// FuseMount is glue: it decodes FUSE requests, calls VFSImage's SharedFS, and replies once.
// Files (one hop from each FUSE op: see Operations/Operations.swift):
//
//   (Launcher/ServiceMain.swift runs a mount: preflight, open, mount, daemonize, serve, close)
//   MountOptions.swift          the -o list: ours, libfuse's, and mount(8)'s words we ignore
//   Preflight.swift             checks that keep the image untouched when we refuse
//   FuseServer.swift            session, INIT negotiation, cache policy, shutdown
//   RequestLoop.swift           the poll loop over the FUSE fd (tests, and mounts without a service)
//   ExternalLoop.swift          serving from the service's io_uring loop instead
//   InodeTable.swift            FUSE node id ↔ image inode, lookup counts, pins
//   Invalidator.swift           cache invalidation for changes made beside FUSE
//   Daemon.swift                detaching from the terminal, logging to syslog
//   Operations/Operations.swift the ops table
//   Operations/Reply.swift      Request, Reply: the single place that replies
//   Operations/Attributes.swift lookup, forget, getattr, setattr, access, statfs
//   Operations/Namespace.swift  mknod, mkdir, symlink, link, unlink, rmdir, rename, readlink
//   Operations/Files.swift      open, create, read, write, flush, release, fsync
//   Operations/Directories.swift opendir, readdir, readdirplus, releasedir
//   Operations/Xattr.swift      the xattr ops (unsupported by the format)
