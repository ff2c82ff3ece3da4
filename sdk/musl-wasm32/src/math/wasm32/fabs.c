#include <math.h>

/* wasm has this as one instruction. */
double fabs(double x)
{
	return __builtin_fabs(x);
}
