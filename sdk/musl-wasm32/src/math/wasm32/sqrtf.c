#include <math.h>

/* wasm has this as one instruction. */
float sqrtf(float x)
{
	return __builtin_sqrtf(x);
}
