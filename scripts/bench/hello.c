/* hello.c: the cold-start benchmark's program. */
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
