#include <math.h>

/* wasm has this as one instruction. */
float rintf(float x)
{
	return __builtin_rintf(x);
}
