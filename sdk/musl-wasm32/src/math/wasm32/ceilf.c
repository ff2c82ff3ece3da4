#include <math.h>

/* wasm has this as one instruction. */
float ceilf(float x)
{
	return __builtin_ceilf(x);
}
