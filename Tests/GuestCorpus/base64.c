/* base64: a small real program. RFC 4648 test vectors, input.txt encoded (wrapped at 76
 * columns) and decoded back, a generated binary file round-tripped through an encoded
 * file on disk, and rejection of malformed input. */
#include "corpus.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

static int value(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

/* Decodes, skipping newlines; returns the length or -1 on malformed input. */
static long decode(const char *in, unsigned char *out)
{
    long o = 0;
    int quad[4], q = 0, pad = 0;
    for (const char *p = in; *p; p++) {
        if (*p == '\n' || *p == '\r') continue;
        if (*p == '=') { if (q < 2) return -1; quad[q++] = 0; pad++; }
        else {
            if (pad) return -1;
            int v = value(*p);
            if (v < 0) return -1;
            quad[q++] = v;
        }
        if (q == 4) {
            unsigned v = (unsigned)quad[0] << 18 | (unsigned)quad[1] << 12 | (unsigned)quad[2] << 6 | (unsigned)quad[3];
            out[o++] = (unsigned char)(v >> 16);
            if (pad < 2) out[o++] = (unsigned char)(v >> 8);
            if (pad < 1) out[o++] = (unsigned char)v;
            q = 0;
            if (pad) { p++; while (*p == '\n') p++; if (*p) return -1; break; }
        }
    }
    return q ? -1 : o;
}

int main(void)
{
    const char *vec[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    char enc[200000];
    unsigned char dec[150000];
    for (unsigned i = 0; i < sizeof vec / sizeof *vec; i++) {
        encode((const unsigned char *)vec[i], strlen(vec[i]), enc);
        long n = decode(enc, dec);
        printf("base64(\"%s\") = \"%s\" -> back %s\n", vec[i], enc, n == (long)strlen(vec[i]) &&
               !memcmp(dec, vec[i], n) ? "ok" : "BAD");
    }

    FILE *f = fopen("input.txt", "rb");
    MUST(f);
    static unsigned char data[100000];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    size_t el = encode(data, len, enc);
    printf("input.txt: %zu bytes -> %zu chars\n", len, el);
    for (size_t i = 0; i < el; i += 76) printf("%.76s\n", enc + i);
    long dl = decode(enc, dec);
    printf("decoded back identical: %s\n", dl == (long)len && !memcmp(dec, data, len) ? "yes" : "no");

    /* binary data through a file */
    unsigned x = 7;
    for (size_t i = 0; i < 4000; i++) { x = x * 1103515245u + 12345u; data[i] = (unsigned char)(x >> 16); }
    el = encode(data, 4000, enc);
    f = fopen("blob.b64", "w");
    MUST(f);
    for (size_t i = 0; i < el; i += 76) fprintf(f, "%.76s\n", enc + i);
    fclose(f);
    f = fopen("blob.b64", "r");
    MUST(f);
    static char back[8000];
    size_t bl = fread(back, 1, sizeof back - 1, f);
    back[bl] = 0;
    fclose(f);
    dl = decode(back, dec);
    unsigned sum = 0;
    for (size_t i = 0; i < el; i++) sum = sum * 33 + (unsigned char)enc[i];
    printf("blob: encoded %zu chars (file %zu bytes), hash %08x, decoded %ld, identical %s\n", el, bl, sum, dl,
           dl == 4000 && !memcmp(dec, data, 4000) ? "yes" : "no");
    remove("blob.b64");

    const char *bad[] = { "Zg=", "Zm9v!", "Z===", "Zg==Zg==", "Zm9vY" };
    for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++)
        printf("decode(\"%s\") -> %s\n", bad[i], decode(bad[i], dec) < 0 ? "rejected" : "accepted");
    return 0;
}
