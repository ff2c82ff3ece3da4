#include <math.h>

/* wasm has this as one instruction. */
double floor(double x)
{
	return __builtin_floor(x);
}
