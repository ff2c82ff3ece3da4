/* dir_basic: mkdir/rmdir, opendir/readdir (sorted), d_type, rewinddir, a nested tree
 * built, walked recursively and removed. */
#include "corpus.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *tname(unsigned char t)
{
    switch (t) {
    case DT_REG: return "reg";
    case DT_DIR: return "dir";
    case DT_LNK: return "lnk";
    case DT_UNKNOWN: return "unknown";
    default: return "other";
    }
}

/* Prints a directory's entries sorted, with their d_type. */
static void list(const char *path)
{
    DIR *d = opendir(path);
    if (!d) { printf("opendir %s: %s\n", path, errname(errno)); return; }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        char tmp[300];
        snprintf(tmp, sizeof tmp, "%s(%s)", e->d_name, tname(e->d_type));
        names[n++] = strdup(tmp);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", path);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

static int count = 0;
static void walk(const char *path, int depth)
{
    DIR *d = opendir(path);
    MUST(d);
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (int i = 0; i < n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", path, names[i]);
        struct stat st;
        MUST(lstat(p, &st) == 0);
        printf("%*s%s%s", depth * 2, "", names[i], S_ISDIR(st.st_mode) ? "/\n" : "");
        if (S_ISDIR(st.st_mode)) walk(p, depth + 1);
        else printf(" (%lld bytes)\n", (long long)st.st_size);
        count++;
        free(names[i]);
    }
}

static void rmtree(const char *path)
{
    DIR *d = opendir(path);
    MUST(d);
    struct dirent *e;
    char *names[64];
    int n = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (int i = 0; i < n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", path, names[i]);
        struct stat st;
        MUST(lstat(p, &st) == 0);
        if (S_ISDIR(st.st_mode)) rmtree(p);
        else MUST(unlink(p) == 0);
        free(names[i]);
    }
    MUST(rmdir(path) == 0);
}

int main(void)
{
    SHOW("mkdir top", mkdir("top", 0755));
    EXPECT_ERR("mkdir top again", mkdir("top", 0755), EEXIST);
    EXPECT_ERR("mkdir missing parent", mkdir("nope/x", 0755), ENOENT);
    list("top");

    /* a tree */
    const char *dirs[] = { "top/a", "top/b", "top/a/deep", "top/a/deep/er", "top/c" };
    for (unsigned i = 0; i < sizeof dirs / sizeof *dirs; i++) MUST(mkdir(dirs[i], 0755) == 0);
    const char *files[] = { "top/z.txt", "top/a/1", "top/a/2", "top/a/deep/er/leaf", "top/b/x" };
    for (unsigned i = 0; i < sizeof files / sizeof *files; i++) {
        int fd = open(files[i], O_WRONLY | O_CREAT | O_EXCL, 0644);
        MUST(fd >= 0);
        for (unsigned k = 0; k <= i; k++) MUST(write(fd, files[i], strlen(files[i])) > 0);
        close(fd);
    }
    MUST(symlink("a/deep", "top/link") == 0);
    list("top");
    list("top/a");
    list("top/link");
    walk("top", 0);
    printf("entries: %d\n", count);

    /* many entries: readdir must return each exactly once */
    MUST(mkdir("many", 0755) == 0);
    for (int i = 0; i < 150; i++) {
        char p[64];
        snprintf(p, sizeof p, "many/entry-with-a-longish-name-%03d", i);
        int fd = open(p, O_WRONLY | O_CREAT, 0644);
        MUST(fd >= 0);
        close(fd);
    }
    DIR *d = opendir("many");
    MUST(d);
    int seen[150] = { 0 }, total = 0, dots = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int k;
        if (sscanf(e->d_name, "entry-with-a-longish-name-%d", &k) == 1 && k >= 0 && k < 150) seen[k]++;
        else if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) dots++;
        total++;
    }
    int ok = 1;
    for (int i = 0; i < 150; i++) if (seen[i] != 1) ok = 0;
    printf("many: total %d, dots %d, each once: %s\n", total, dots, ok ? "yes" : "no");
    rewinddir(d);
    int again = 0;
    while (readdir(d)) again++;
    printf("after rewinddir: %d\n", again);
    closedir(d);

    /* unlinking while reading: the directory stays readable */
    d = opendir("many");
    MUST(d);
    int removed = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[300];
        snprintf(p, sizeof p, "many/%s", e->d_name);
        if (unlink(p) == 0) removed++;
    }
    closedir(d);
    printf("removed while reading: %d\n", removed);
    list("many");
    SHOW("rmdir many", rmdir("many"));

    EXPECT_ERR("rmdir non-empty", rmdir("top"), ENOTEMPTY);
    EXPECT_ERR("rmdir file", rmdir("top/z.txt"), ENOTDIR);
    EXPECT_ERR("rmdir .", rmdir("top/."), EINVAL);
    EXPECT_ERR("rmdir missing", rmdir("top/none"), ENOENT);
    EXPECT_ERR("opendir file", (long)(opendir("top/z.txt") ? 0 : -1), ENOTDIR);
    EXPECT_ERR("opendir missing", (long)(opendir("nowhere") ? 0 : -1), ENOENT);
    rmtree("top");
    SHOW("top gone", access("top", F_OK));
    list(".");
    return 0;
}
