#include "pthread_impl.h"

int __set_thread_area(void *p)
{
	__kandelo_tp = (uintptr_t)p;
	return 0;
}
