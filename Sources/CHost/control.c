/* The service's control socket (Launcher/Control.swift): Unix stream sockets, descriptor
 * passing (SCM_RIGHTS) and the peer's credentials (SO_PEERCRED). */
#define _GNU_SOURCE
#include "CHost.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fill_addr(struct sockaddr_un *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a->sun_path) return -ENAMETOOLONG;
    strcpy(a->sun_path, path);
    return 0;
}

int chost_unix_listen(const char *path) {
    struct sockaddr_un a;
    int e = fill_addr(&a, path);
    if (e) return e;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    mode_t old = umask(0177);   /* the socket file is created 0600: owner only */
    int r = bind(fd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (r < 0 || listen(fd, 128) < 0) {
        e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

int chost_unix_connect(const char *path) {
    struct sockaddr_un a;
    int e = fill_addr(&a, path);
    if (e) return e;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

int chost_accept(int fd) {
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    return c < 0 ? -errno : c;
}

int chost_peer_cred(int fd, int *pid, unsigned *uid, unsigned *gid) {
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) return -errno;
    *pid = cr.pid;
    *uid = cr.uid;
    *gid = cr.gid;
    return 0;
}

long chost_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds) {
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    char control[CMSG_SPACE(sizeof(int) * 8)];
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 8) return -EINVAL;
    if (nfds > 0) {
        memset(control, 0, sizeof control);
        m.msg_control = control;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    long r = sendmsg(sock, &m, MSG_NOSIGNAL);
    return r < 0 ? -errno : r;
}

long chost_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds) {
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    char control[CMSG_SPACE(sizeof(int) * 8)];
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    *nfds = 0;
    long r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (r < 0) return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *in = (int *)CMSG_DATA(c);
        for (int i = 0; i < n; i++) {
            if (*nfds < maxfds) fds[(*nfds)++] = in[i];
            else close(in[i]);   /* more than asked for: never leak them */
        }
    }
    return r;
}
