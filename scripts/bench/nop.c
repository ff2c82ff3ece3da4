/* nop.c: the tiny program the exec and posix_spawn benchmarks run (exits at once). */
int main(void) { return 0; }
