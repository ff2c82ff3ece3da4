#include <math.h>

/* wasm has this as one instruction. */
double trunc(double x)
{
	return __builtin_trunc(x);
}
