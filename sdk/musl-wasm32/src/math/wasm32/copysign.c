#include <math.h>

/* wasm has this as one instruction. */
double copysign(double x, double y)
{
	return __builtin_copysign(x, y);
}
