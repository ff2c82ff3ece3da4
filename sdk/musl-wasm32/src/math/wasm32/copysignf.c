#include <math.h>

/* wasm has this as one instruction. */
float copysignf(float x, float y)
{
	return __builtin_copysignf(x, y);
}
