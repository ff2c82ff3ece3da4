#include <math.h>

/* wasm has this as one instruction. */
float fabsf(float x)
{
	return __builtin_fabsf(x);
}
