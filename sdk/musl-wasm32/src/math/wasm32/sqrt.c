#include <math.h>

/* wasm has this as one instruction. */
double sqrt(double x)
{
	return __builtin_sqrt(x);
}
