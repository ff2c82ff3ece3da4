#include <math.h>

/* wasm has this as one instruction. */
double rint(double x)
{
	return __builtin_rint(x);
}
