#include <math.h>

/* wasm has this as one instruction; the only rounding mode is to-nearest and there
 * are no floating-point exception flags, so rint and nearbyint are the same. */
double nearbyint(double x)
{
	return __builtin_rint(x);
}
