#include <math.h>

/* wasm has this as one instruction. */
float floorf(float x)
{
	return __builtin_floorf(x);
}
