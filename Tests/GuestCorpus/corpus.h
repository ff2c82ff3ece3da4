/* corpus.h: helpers shared by the differential test programs in Tests/GuestCorpus.
 *
 * Every program is compiled twice, natively with gcc and for Kandelo with kandelo-cc,
 * and run with its own empty-ish scratch directory as the working directory (it holds
 * input.txt, written by the test). The two standard outputs and exit statuses must be
 * identical, so output never contains addresses, pids, inode numbers, times, absolute
 * host paths or libc-specific strings (strerror texts differ between glibc and musl:
 * errno values are printed by name with errname()).
 */
#ifndef CORPUS_H
#define CORPUS_H
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case E2BIG: return "E2BIG";
    case ENOEXEC: return "ENOEXEC";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case EMLINK: return "EMLINK";
    case EPIPE: return "EPIPE";
    case EDOM: return "EDOM";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case EOVERFLOW: return "EOVERFLOW";
    case EILSEQ: return "EILSEQ";
    case ENOTSUP: return "ENOTSUP";
    case EDEADLK: return "EDEADLK";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "errno%d", e);
        return buf;
    }
    }
}

/* Runs a call returning an int/ssize_t-like value, prints "label: value" or
 * "label: -1 ENAME". errno is cleared first. */
#define SHOW(label, expr) do { \
        errno = 0; \
        long long show_r_ = (long long)(expr); \
        int show_e_ = errno; \
        if (show_r_ < 0) printf("%s: %lld %s\n", (label), show_r_, errname(show_e_)); \
        else printf("%s: %lld\n", (label), show_r_); \
    } while (0)

/* Expects failure with a particular errno; prints the outcome either way. */
#define EXPECT_ERR(label, expr, want) do { \
        errno = 0; \
        long long exp_r_ = (long long)(expr); \
        int exp_e_ = errno; \
        printf("%s: %s%s%s\n", (label), exp_r_ < 0 ? "fails " : "succeeds", \
               exp_r_ < 0 ? errname(exp_e_) : "", \
               exp_r_ < 0 && exp_e_ == (want) ? " (as expected)" : " (UNEXPECTED)"); \
    } while (0)

#define YESNO(label, cond) printf("%s: %s\n", (label), (cond) ? "yes" : "no")

/* Fails loudly: a precondition of the program itself did not hold. */
#define MUST(expr) do { if (!(expr)) { \
        printf("MUST failed at line %d: %s (errno %s)\n", __LINE__, #expr, errname(errno)); \
        fflush(stdout); exit(99); } } while (0)

#endif
