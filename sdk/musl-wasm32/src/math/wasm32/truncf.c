#include <math.h>

/* wasm has this as one instruction. */
float truncf(float x)
{
	return __builtin_truncf(x);
}
