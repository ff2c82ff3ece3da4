#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello, world (argc=%d)\n", argc);
	return 0;
}
