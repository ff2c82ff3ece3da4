/* wasm32: the thread pointer is a wasm thread-local (relative to the per-instance
 * __tls_base global), so each guest thread has its own.  It points at the
 * thread's struct pthread (TLS is not "above" the TP: wasm-ld places the
 * thread-local data itself; see src/env/wasm32/__init_tls.c). */
extern hidden __thread uintptr_t __kandelo_tp;

static inline uintptr_t __get_tp()
{
	return __kandelo_tp;
}

#define MC_PC __pc
