/* wasm32: setjmp/longjmp are lowered by clang (-mllvm -wasm-enable-sjlj) to calls of
 * __wasm_setjmp/__wasm_setjmp_test/__wasm_longjmp (src/setjmp/wasm32/rt.c), which keep
 * their state in this buffer: [0] invocation id, [1] label, [2..3] longjmp arguments. */
typedef unsigned long __jmp_buf[8];
