/* wordfreq: a small real program. Generates a text from a fixed word list with a linear
 * congruential generator, writes it with stdio, reads it back line by line, counts words
 * case-insensitively in a chained hash table, and prints the most frequent ones (ties by
 * word) plus totals; then does the same for input.txt. */
#include "corpus.h"
#include <ctype.h>

struct entry { char *word; int count; struct entry *next; };
enum { BUCKETS = 1024 };
static struct entry *table[BUCKETS];
static int distinct, total;

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static void add(const char *w)
{
    unsigned b = hash(w) % BUCKETS;
    for (struct entry *e = table[b]; e; e = e->next)
        if (!strcmp(e->word, w)) { e->count++; total++; return; }
    struct entry *e = malloc(sizeof *e);
    MUST(e);
    e->word = strdup(w);
    e->count = 1;
    e->next = table[b];
    table[b] = e;
    distinct++;
    total++;
}

static int by_count(const void *a, const void *b)
{
    const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->word, y->word);
}

static void count_file(const char *path)
{
    FILE *f = fopen(path, "r");
    MUST(f);
    char line[512], word[64];
    int wl = 0, lines = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        for (char *p = line;; p++) {
            if (isalnum((unsigned char)*p) || *p == '\'') {
                if (wl < 63) word[wl++] = (char)tolower((unsigned char)*p);
            } else {
                if (wl) { word[wl] = 0; add(word); wl = 0; }
                if (!*p) break;
            }
        }
    }
    fclose(f);
    printf("%s: %d lines\n", path, lines);
}

static void report(int top)
{
    struct entry **all = malloc(sizeof *all * (distinct ? distinct : 1));
    MUST(all);
    int n = 0;
    for (int b = 0; b < BUCKETS; b++)
        for (struct entry *e = table[b]; e; e = e->next) all[n++] = e;
    qsort(all, n, sizeof *all, by_count);
    printf("total %d words, %d distinct\n", total, distinct);
    for (int i = 0; i < n && i < top; i++) printf("%6d %s\n", all[i]->count, all[i]->word);
    int singles = 0;
    for (int i = 0; i < n; i++) if (all[i]->count == 1) singles++;
    printf("words seen once: %d\n", singles);
    for (int b = 0; b < BUCKETS; b++) {
        struct entry *e = table[b];
        while (e) { struct entry *next = e->next; free(e->word); free(e); e = next; }
        table[b] = NULL;
    }
    free(all);
    distinct = total = 0;
}

int main(void)
{
    static const char *vocab[] = {
        "river", "stone", "lantern", "harbor", "meadow", "copper", "willow", "ember", "north", "quiet",
        "the", "a", "of", "and", "to", "in", "is", "it", "was", "on", "for", "with", "as", "at",
        "Thistle", "orchard", "Granite", "falcon", "ledger", "velvet", "cinder", "maple", "tide", "glacier",
        "don't", "o'clock", "x1", "2024", "Zephyr", "quartz",
    };
    int nv = sizeof vocab / sizeof *vocab;
    FILE *f = fopen("generated.txt", "w");
    MUST(f);
    unsigned x = 20240601u;
    for (int line = 0; line < 150; line++) {
        int words = 5 + (int)((x >> 24) % 9);
        for (int w = 0; w < words; w++) {
            x = x * 1664525u + 1013904223u;
            /* skewed choice: small indices (common words) are likelier */
            unsigned r = (x >> 8) % 1000;
            int idx = (int)((r * r / 1000) * (unsigned)nv / 1000);
            fprintf(f, "%s%s", w ? (x & 0x100 ? " " : ", ") : "", vocab[idx]);
        }
        fputs(x & 0x200 ? ".\n" : "\n", f);
    }
    fclose(f);
    count_file("generated.txt");
    report(15);
    count_file("input.txt");
    report(10);
    remove("generated.txt");
    return 0;
}
