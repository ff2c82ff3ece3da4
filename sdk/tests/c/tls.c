#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static _Thread_local int counter = 5;
static __thread char name[16] = "main";
static _Thread_local long big[256];

int main(void)
{
	for (int i = 0; i < 10; i++) counter++;
	big[255] = 1234;
	errno = 0;
	printf("counter=%d name=%s big=%ld self=%d errno-ok=%d\n", counter, name, big[255],
	       pthread_self() != 0, &errno != 0 && errno == 0);
	return counter == 15 ? 0 : 1;
}
