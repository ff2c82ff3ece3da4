/* checksums: a small real program. CRC-32 (IEEE, table driven), Adler-32, FNV-1a and MD5
 * (RFC 1321) over test vectors, input.txt, and a 8 KiB generated file written with write()
 * in uneven pieces and read back with pread(). */
#include "corpus.h"
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

static uint32_t crc_table[256];
static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}
static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}
static uint32_t adler32(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n--) { a = (a + *p++) % 65521u; b = (b + a) % 65521u; }
    return b << 16 | a;
}
static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    while (n--) { h ^= *p++; h *= 1099511628211ULL; }
    return h;
}

/* MD5: the per-round constants are floor(|sin(i + 1)| * 2^32). */
static const uint32_t K[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu,
    0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
    0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu,
    0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
    0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau,
    0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
    0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu,
    0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
    0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu,
    0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
    0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u,
    0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
    0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u,
    0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
    0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u,
    0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u,
};
static const int S[4][4] = { { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 } };

static uint32_t rol(uint32_t x, int c) { return x << c | x >> (32 - c); }

static void md5_block(uint32_t h[4], const unsigned char *blk)
{
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 | (uint32_t)blk[4 * i + 2] << 16 |
               (uint32_t)blk[4 * i + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g, round = i / 16;
        switch (round) {
        case 0: f = (b & c) | (~b & d); g = i; break;
        case 1: f = (d & b) | (~d & c); g = (5 * i + 1) % 16; break;
        case 2: f = b ^ c ^ d; g = (3 * i + 5) % 16; break;
        default: f = c ^ (b | ~d); g = (7 * i) % 16; break;
        }
        uint32_t tmp = d;
        d = c;
        c = b;
        b = b + rol(a + f + K[i] + m[g], S[round][i % 4]);
        a = tmp;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
}

static void md5(const unsigned char *p, size_t n, char out[33])
{
    uint32_t h[4] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u };
    size_t i = 0;
    for (; i + 64 <= n; i += 64) md5_block(h, p + i);
    unsigned char tail[128] = { 0 };
    size_t rest = n - i;
    memcpy(tail, p + i, rest);
    tail[rest] = 0x80;
    size_t tl = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int k = 0; k < 8; k++) tail[tl - 8 + k] = (unsigned char)(bits >> (8 * k));
    md5_block(h, tail);
    if (tl == 128) md5_block(h, tail + 64);
    for (int k = 0; k < 16; k++) sprintf(out + 2 * k, "%02x", (h[k / 4] >> (8 * (k % 4))) & 0xff);
}

static void all(const char *label, const unsigned char *p, size_t n)
{
    char m[33];
    md5(p, n, m);
    printf("%-22s len %6zu crc32 %08x adler32 %08x fnv1a %016llx md5 %s\n", label, n, crc32(p, n), adler32(p, n),
           (unsigned long long)fnv1a64(p, n), m);
}

int main(void)
{
    crc_init();
    const char *vec[] = { "", "a", "abc", "message digest", "abcdefghijklmnopqrstuvwxyz",
                          "The quick brown fox jumps over the lazy dog",
                          "12345678901234567890123456789012345678901234567890123456789012345678901234567890" };
    for (unsigned i = 0; i < sizeof vec / sizeof *vec; i++) {
        char label[32];
        snprintf(label, sizeof label, "\"%.18s\"", vec[i]);
        all(label, (const unsigned char *)vec[i], strlen(vec[i]));
    }

    static unsigned char buf[8192];
    int fd = open("input.txt", O_RDONLY);
    MUST(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    MUST(n > 0);
    all("input.txt", buf, (size_t)n);

    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    all("generated (memory)", buf, sizeof buf);
    fd = open("gen.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    size_t off = 0, piece = 1;
    while (off < sizeof buf) {
        size_t len = piece < sizeof buf - off ? piece : sizeof buf - off;
        MUST(write(fd, buf + off, len) == (ssize_t)len);
        off += len;
        piece = piece * 3 + 1;
    }
    static unsigned char back[8192];
    size_t got = 0;
    while (got < sizeof back) {
        ssize_t r = pread(fd, back + got, 5000, (off_t)got);
        MUST(r > 0);
        got += (size_t)r;
    }
    close(fd);
    all("generated (file)", back, got);
    unlink("gen.bin");
    return 0;
}
