#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	size_t sizes[] = { 16, 4096, 100000, 1 << 20, 8 << 20, 32 << 20 };
	unsigned long sum = 0;
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
			unsigned char *p = malloc(sizes[i]);
			if (!p) { printf("malloc(%zu) failed\n", sizes[i]); return 1; }
			memset(p, (int)i + 1, sizes[i]);
			sum += p[sizes[i] - 1] + p[0];
			p = realloc(p, sizes[i] * 2);
			if (!p) { printf("realloc failed\n"); return 1; }
			sum += p[sizes[i] - 1];
			free(p);
		}
	}
	char *small[1000];
	for (int i = 0; i < 1000; i++) small[i] = strdup("a small string");
	for (int i = 0; i < 1000; i += 2) free(small[i]);
	for (int i = 1; i < 1000; i += 2) sum += strlen(small[i]);
	printf("malloc ok, sum=%lu\n", sum);
	return 0;
}
