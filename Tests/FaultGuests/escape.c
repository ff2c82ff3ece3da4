/* escape.c: a guest that tries every way out of its root and out of a --bind directory
 * (Tests/LaunchTests/HostilePathTests.swift). The test binds host directory TOP/bind on the
 * guest's /mnt and plants TOP/outside/secret.txt, which no guest may ever read; the image
 * has a decoy /outside/secret.txt ("image decoy") where relative links out of the bind land
 * when they are resolved in the guest's namespace, as they must be.
 *
 *   escape probe HOSTTOP TOKEN    each probe on one line: "NAME: ok FIRST-LINE" (a read that
 *                                 worked), "NAME: created" (a create that worked), or
 *                                 "NAME: ERRNO"; creates are named planted-TOKEN-N
 *   escape race HOSTTOP SECONDS   one process renames directories of /mnt/race up and down
 *                                 in a loop while another walks ".." chains, symlinks and
 *                                 held descriptors through them toward HOSTTOP's secret
 *                                 (the test's host loop meanwhile swaps race/x/d for a link
 *                                 to HOSTTOP/outside and moves it out of the bind and back);
 *                                 prints "REACHED ..." for any read that finds "secret",
 *                                 then "race: N walks, M renames"
 *
 * The bind's links (made by the test): abs_host -> HOSTTOP/outside/secret.txt, rel ->
 * ../outside/secret.txt, outdir -> ../outside, rootlink -> /, proclink ->
 * /proc/self/root/../../.., chain1 -> chain2 -> outdir, a/b/deeprel -> ../../../../../../..
 */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *top;    /* HOSTTOP */
static const char *host;   /* HOSTTOP/outside/secret.txt */
static char secret[1024];

static const char *ename(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case EXDEV: return "EXDEV";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case EEXIST: return "EEXIST";
    case EROFS: return "EROFS";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case ENOTEMPTY: return "ENOTEMPTY";
    default: { static char b[32]; snprintf(b, sizeof b, "errno %d", e); return b; }
    }
}

static char *join(const char *a, const char *b) {
    static char bufs[4][2048];
    static int n;
    char *out = bufs[n++ % 4];
    snprintf(out, 2048, "%s%s", a, b);
    return out;
}

/* Reads what `path` (relative to dirfd) opens; prints its first line. */
static void readAt(const char *name, int dirfd, const char *path) {
    int fd = openat(dirfd, path, O_RDONLY);
    if (fd < 0) { printf("%s: %s\n", name, ename(errno)); return; }
    char buf[256] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) { printf("%s: read %s\n", name, ename(errno)); return; }
    buf[strcspn(buf, "\n")] = 0;
    printf("%s: ok %s\n", name, buf);
}
static void rd(const char *name, const char *path) { readAt(name, AT_FDCWD, path); }

static int planted;
static const char *token;
static void create(const char *name, const char *dir) {
    char path[2048];
    snprintf(path, sizeof path, "%s/planted-%s-%d", dir, token, ++planted);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) { printf("%s: %s\n", name, ename(errno)); return; }
    dprintf(fd, "planted by a guest\n");
    close(fd);
    printf("%s: created\n", name);
}

static void list(const char *name, const char *path) {
    DIR *d = opendir(path);
    if (!d) { printf("%s: %s\n", name, ename(errno)); return; }
    char *names[128];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 128)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
    printf("%s:", name);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
}

static void result(const char *name, int r) {
    if (r == 0) printf("%s: ok\n", name); else printf("%s: %s\n", name, ename(errno));
}

static int probe(void) {
    const char *up = "/../../../../../../../..";
    rd("direct host path", host);
    rd("dotdot from the bind", join("/mnt", join(up, host)));
    rd("dotdot from deep in the bind", join("/mnt/a/b", join(up, host)));
    rd("link to the host path", "/mnt/abs_host");
    rd("relative link out of the bind", "/mnt/rel");
    rd("link to a directory outside", "/mnt/outdir/secret.txt");
    rd("chain of links", "/mnt/chain1/secret.txt");
    rd("deep relative link", join("/mnt/a/b/deeprel", host));
    rd("link to /", join("/mnt/rootlink", host));
    rd("link through /proc/self/root", join("/mnt/proclink", host));
    rd("/proc/self/root", join("/proc/self/root", host));
    rd("/proc/self/root and dotdot", join("/proc/self/root/mnt", join(up, host)));
    list("listing /mnt/..", "/mnt/..");
    list("listing /mnt/a/b/../../..", "/mnt/a/b/../../..");
    list("listing /proc/self/root/..", "/proc/self/root/..");

    /* Relative to a cwd and to descriptors inside the bind. */
    if (chdir("/mnt/a/b") != 0) { printf("chdir: %s\n", ename(errno)); return 1; }
    rd("cwd dotdot chain", join("../../../../../../../..", host));
    rd("/proc/self/cwd", join("/proc/self/cwd", join(up, host)));
    char cwd[256];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : ename(errno));
    char target[256] = {0};
    ssize_t ln = readlink("/proc/self/cwd", target, sizeof target - 1);
    printf("readlink /proc/self/cwd: %s\n", ln >= 0 ? target : ename(errno));
    int dfd = open("/mnt/a/b", O_RDONLY | O_DIRECTORY);
    int pfd = open("/mnt/a", O_PATH | O_DIRECTORY);
    if (dfd < 0 || pfd < 0) { printf("open dirs: %s\n", ename(errno)); return 1; }
    readAt("openat a directory fd", dfd, join("../../../../../../..", host));
    readAt("openat an O_PATH fd", pfd, join("../../../../../../..", host));
    char p[2048];
    snprintf(p, sizeof p, "/proc/self/fd/%d%s%s", dfd, up, host);
    rd("/proc/self/fd/N of a directory", p);
    snprintf(p, sizeof p, "/proc/self/fd/%d/../../../rel", pfd);
    rd("/proc/self/fd/N then a link", p);
    if (chdir("/") != 0 || fchdir(dfd) != 0) { printf("fchdir: %s\n", ename(errno)); return 1; }
    rd("fchdir then dotdot", join("../../../../../../..", host));

    /* Another process's /proc/PID/cwd and root. */
    int ready[2];
    if (pipe(ready) != 0) return 1;
    pid_t child = fork();
    if (child == 0) {
        if (chdir("/mnt/a/b") != 0) _exit(1);
        char c = 'x';
        write(ready[1], &c, 1);
        pause();
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    snprintf(p, sizeof p, "/proc/%d/cwd%s%s", (int)child, up, host);
    rd("/proc/PID/cwd", p);
    snprintf(p, sizeof p, "/proc/%d/cwd/../../rel", (int)child);
    rd("/proc/PID/cwd then a link", p);
    snprintf(p, sizeof p, "/proc/%d/root%s", (int)child, host);
    rd("/proc/PID/root", p);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    /* Links the guest makes itself. */
    result("symlink to /proc/self/root/..", symlink("/proc/self/root/../../../..", "/mnt/mine"));
    rd("through it", join("/mnt/mine", host));
    result("symlink of dotdots", symlink("../../../../../../../..", "/mnt/a/mine2"));
    rd("through that", join("/mnt/a/mine2", host));

    /* Creating, renaming and linking out. */
    char dir[2048];
    snprintf(dir, sizeof dir, "/mnt%s%s/outside", up, top);
    create("create through dotdot", dir);
    create("create through a link to a directory", "/mnt/outdir");
    create("create through /proc/self/root", join("/proc/self/root", "/.."));
    snprintf(dir, sizeof dir, "/mnt/rootlink%s/outside", top);
    create("create through a link to /", dir);
    int f = open("/mnt/a/file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f >= 0) close(f);
    result("rename out of the bind", rename("/mnt/a/file", "/mnt/../planted-rename"));
    result("link out of the bind", link("/mnt/a/file", "/outside/planted-link"));
    result("rename a directory over the bind's parent", rename("/mnt/a", "/mnt/.."));
    result("mknod in the bind", mknod("/mnt/dev-node", S_IFCHR | 0600, makedev(1, 3)));

    /* chroot into the bind, then the classic ways out of a chroot. */
    child = fork();
    if (child == 0) {
        int outside = open("/", O_RDONLY | O_DIRECTORY);
        if (chroot("/mnt") != 0) { printf("chroot: %s\n", ename(errno)); _exit(1); }
        rd("chroot: dotdot chain", join(up, host));
        rd("chroot: a link out", "/rel");
        list("chroot: listing /..", "/..");
        if (fchdir(outside) == 0) {
            rd("chroot: fchdir to an old fd, then dotdot", join("../../../../../../../..", host));
            list("chroot: listing that", "../../../../..");
        }
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads `path` relative to dirfd; reports any content that holds "secret". */
static int walkRead(int dirfd, const char *path) {
    int fd = openat(dirfd, path, O_RDONLY);
    if (fd < 0) return 0;
    char buf[256] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0 && strstr(buf, "secret")) {
        buf[strcspn(buf, "\n")] = 0;
        printf("REACHED %s: %s\n", path, buf);
        fflush(stdout);
        return 1;
    }
    return 0;
}

static int race(double seconds) {
    double end = now() + seconds;
    pid_t renamer = fork();
    if (renamer == 0) {
        long n = 0;
        while (now() < end) {
            /* x/d moves up to race/d and back; x and y swap names. */
            if (rename("/mnt/race/x/d", "/mnt/race/d") == 0) n++;
            if (rename("/mnt/race/d", "/mnt/race/x/d") == 0) n++;
            if (rename("/mnt/race/x", "/mnt/race/y") == 0) n++;
            if (rename("/mnt/race/y", "/mnt/race/x") == 0) n++;
        }
        printf("renames %ld\n", n);
        fflush(stdout);
        _exit(0);
    }
    long walks = 0;
    int reached = 0;
    const char *up = "/../../../../../../../../../..";
    char p[2048];
    while (now() < end) {
        snprintf(p, sizeof p, "/mnt/race/x/d%s%s", up, host);
        reached += walkRead(AT_FDCWD, p);
        snprintf(p, sizeof p, "/mnt/race/x/d/up%s", host);
        reached += walkRead(AT_FDCWD, p);
        reached += walkRead(AT_FDCWD, "/mnt/race/x/d/out/secret.txt");
        reached += walkRead(AT_FDCWD, "/mnt/race/x/d/../../../outside/secret.txt");
        reached += walkRead(AT_FDCWD, "/mnt/race/x/d/secret.txt");          /* d swapped for a link */
        int fd = open("/mnt/race/x/d", O_RDONLY | O_DIRECTORY);
        if (fd >= 0) {
            /* The directory may move while we hold it: dotdot from wherever it is now. */
            snprintf(p, sizeof p, "../../../../../../../../../..%s", host);
            reached += walkRead(fd, p);
            reached += walkRead(fd, "../../../outside/secret.txt");
            reached += walkRead(fd, "out/secret.txt");
            reached += walkRead(fd, "../secret.txt");                         /* d moved out meanwhile */
            reached += walkRead(fd, "../../secret.txt");
            if (fchdir(fd) == 0) {
                reached += walkRead(AT_FDCWD, p);
                snprintf(p, sizeof p, "/proc/self/cwd%s%s", up, host);
                reached += walkRead(AT_FDCWD, p);
                chdir("/");
            }
            close(fd);
        }
        walks++;
    }
    waitpid(renamer, NULL, 0);
    printf("race: %ld walks, %d reached\n", walks, reached);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 4) { fprintf(stderr, "usage: escape probe HOSTTOP TOKEN | race HOSTTOP SECONDS\n"); return 64; }
    snprintf(secret, sizeof secret, "%s/outside/secret.txt", argv[2]);
    host = secret;
    top = argv[2];
    if (strcmp(argv[1], "probe") == 0) { token = argv[3]; return probe(); }
    if (strcmp(argv[1], "race") == 0) return race(atof(argv[3]));
    return 64;
}
