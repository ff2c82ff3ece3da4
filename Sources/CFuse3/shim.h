// CFuse3: libfuse 3 (the low-level API), for FuseMount.
// FUSE_USE_VERSION is FUSE_MAKE_VERSION(3, 14) = 3 * 100 + 14: the API of the libfuse 3.14
// we build against (fuse_common.h spells versions from 3.12 on this way).
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

// Linux interfaces FuseMount's request loop uses that Swift's Glibc module does not export.
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <syslog.h>
