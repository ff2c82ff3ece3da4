#include <math.h>

/* wasm has this as one instruction; the only rounding mode is to-nearest and there
 * are no floating-point exception flags, so rint and nearbyint are the same. */
float nearbyintf(float x)
{
	return __builtin_rintf(x);
}
