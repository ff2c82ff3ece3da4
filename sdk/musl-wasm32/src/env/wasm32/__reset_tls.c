/* wasm32: re-initialise the calling thread's TLS block from the module's image. */
#include "pthread_impl.h"

void __wasm_init_tls(void *);

void __reset_tls()
{
	pthread_t self = __pthread_self();
	if (self->dtv[0]) __wasm_init_tls((void *)self->dtv[1]);
}
