/* wasm32 guests are statically linked; there is no dynamic linker (dlopen fails
 * with "Dynamic loading not supported").  Only what dynlink.h needs is defined. */
#define LDSO_ARCH "wasm32"

#define CRTJMP(pc,sp) __builtin_trap()
