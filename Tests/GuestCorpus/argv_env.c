/* argv_env: argc/argv contents, getenv/setenv/unsetenv/putenv, environ iteration limited
 * to the KT_* variables the test sets (the rest of the environment may differ). The test
 * runs this with arguments: alpha "two words" "" -x --long=value "ünïcødé". */
#include "corpus.h"
#include <unistd.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_kt(const char *label)
{
    char *list[64];
    int n = 0;
    for (char **e = environ; *e && n < 64; e++)
        if (!strncmp(*e, "KT_", 3)) list[n++] = *e;
    qsort(list, n, sizeof *list, cmp);
    printf("%s (%d):", label, n);
    for (int i = 0; i < n; i++) printf(" [%s]", list[i]);
    printf("\n");
}

static void show(const char *name)
{
    const char *v = getenv(name);
    if (v) printf("getenv %s = [%s]\n", name, v);
    else printf("getenv %s = NULL\n", name);
}

int main(int argc, char **argv, char **envp)
{
    printf("argc %d\n", argc);
    const char *base = strrchr(argv[0], '/');
    printf("argv[0] basename: %s\n", base ? base + 1 : argv[0]);
    for (int i = 1; i < argc; i++) printf("argv[%d] = [%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    printf("envp == environ: %s\n", envp == environ ? "yes" : "no");

    show_kt("initial");
    show("KT_PLAIN");
    show("KT_EMPTY");
    show("KT_SPACES");
    show("KT_EQUALS");
    show("KT_MISSING");
    show("KT_PLAIN=");
    show("");
    YESNO("PATH set", getenv("PATH") != NULL);
    YESNO("HOME set", getenv("HOME") != NULL);

    SHOW("setenv new", setenv("KT_NEW", "fresh", 0));
    SHOW("setenv no overwrite", setenv("KT_PLAIN", "changed", 0));
    show("KT_PLAIN");
    SHOW("setenv overwrite", setenv("KT_PLAIN", "changed", 1));
    show("KT_PLAIN");
    EXPECT_ERR("setenv name with =", setenv("KT_BAD=X", "v", 1), EINVAL);
    EXPECT_ERR("setenv empty name", setenv("", "v", 1), EINVAL);
    SHOW("unsetenv", unsetenv("KT_EMPTY"));
    SHOW("unsetenv missing", unsetenv("KT_NOT_THERE"));
    EXPECT_ERR("unsetenv with =", unsetenv("A=B"), EINVAL);
    static char pe[] = "KT_PUT=by putenv";
    SHOW("putenv", putenv(pe));
    show("KT_PUT");
    pe[7] = 'B';
    show("KT_PUT");
    show_kt("after changes");

    /* many variables force environ to grow */
    for (int i = 0; i < 40; i++) {
        char name[32], val[32];
        snprintf(name, sizeof name, "KT_MANY_%02d", i);
        snprintf(val, sizeof val, "v%d", i * i);
        MUST(setenv(name, val, 1) == 0);
    }
    int count = 0;
    for (char **e = environ; *e; e++) if (!strncmp(*e, "KT_MANY_", 8)) count++;
    printf("KT_MANY count %d\n", count);
    show("KT_MANY_39");
    for (int i = 0; i < 40; i += 2) {
        char name[32];
        snprintf(name, sizeof name, "KT_MANY_%02d", i);
        MUST(unsetenv(name) == 0);
    }
    count = 0;
    for (char **e = environ; *e; e++) if (!strncmp(*e, "KT_MANY_", 8)) count++;
    printf("KT_MANY after unsetting half %d\n", count);
    show("KT_MANY_38");
    show("KT_MANY_37");

    SHOW("clearenv", clearenv());
    printf("environ empty: %s\n", (!environ || !*environ) ? "yes" : "no");
    show("PATH");
    SHOW("setenv after clearenv", setenv("KT_AFTER", "1", 1));
    show_kt("end");
    return 0;
}
