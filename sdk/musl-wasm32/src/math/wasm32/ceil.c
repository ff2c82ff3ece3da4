#include <math.h>

/* wasm has this as one instruction. */
double ceil(double x)
{
	return __builtin_ceil(x);
}
