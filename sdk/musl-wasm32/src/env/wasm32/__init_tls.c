/* wasm32 thread pointer and TLS (replaces src/env/__init_tls.c).
 *
 * Thread-local variables are wasm-ld's: each guest thread is its own module
 * instance whose __tls_base global points at its copy of the TLS block
 * (__tls_size bytes, __tls_align alignment), initialised by __wasm_init_tls(block).
 * For the main thread wasm-ld's start function (__wasm_init_memory) already set
 * __tls_base to the static copy in the data segment.
 *
 * musl's thread pointer (__kandelo_tp, a thread-local, see pthread_arch.h) points at
 * the thread's struct pthread; its dtv is { 1, address of the wasm TLS block }.
 * For a new thread, __copy_tls lays out in the area pthread_create reserved:
 *   [dtv: 2 words][wasm TLS block, aligned][...][struct pthread]
 * and the new thread calls __wasm_init_tls(dtv[1]) itself (__kandelo_thread_start),
 * because __wasm_init_tls sets the __tls_base global of the calling instance. */
#define SYSCALL_NO_TLS 1
#include <string.h>
#include <stddef.h>
#include <kandelo/abi.h>
#include "pthread_impl.h"
#include "libc.h"
#include "atomic.h"
#include "syscall.h"

volatile int __thread_list_lock;
hidden __thread uintptr_t __kandelo_tp;
extern hidden __thread volatile int __kandelo_sigpending;

int __init_tp(void *p)
{
	pthread_t td = p;
	td->self = td;
	int r = __set_thread_area(TP_ADJ(p));
	if (r < 0) return -1;
	if (!r) libc.can_do_threads = 1;
	td->detach_state = DT_JOINABLE;
	td->tid = __syscall(SYS_set_tid_address, &__thread_list_lock);
	td->locale = &libc.global_locale;
	td->robust_list.head = &td->robust_list.head;
	td->sysinfo = __sysinfo;
	td->next = td->prev = td;
	return 0;
}

static struct pthread builtin_pthread;
static uintptr_t builtin_dtv[2];
static struct tls_module main_tls;

void *__copy_tls(unsigned char *mem)
{
	uintptr_t *dtv = (uintptr_t *)mem;
	unsigned char *block = mem + 2*sizeof(uintptr_t);
	block += -(uintptr_t)block & (libc.tls_align-1);
	uintptr_t tp = (uintptr_t)mem + libc.tls_size - sizeof(struct pthread);
	tp &= -(uintptr_t)_Alignof(struct pthread);
	pthread_t td = (pthread_t)tp;
	dtv[0] = 1;
	dtv[1] = (uintptr_t)block;
	td->dtv = dtv;
	return td;
}

static void static_init_tls(size_t *aux)
{
	size_t size = __builtin_wasm_tls_size();
	size_t align = __builtin_wasm_tls_align();
	void *base = __builtin_wasm_tls_base();

	/* The start function sets __tls_base for the first instance (main thread). */
	if (!base) a_crash();

	if (align < 16) align = 16;
	main_tls.image = 0;
	main_tls.len = 0;
	main_tls.size = size;
	main_tls.align = align;
	main_tls.offset = 0;
	libc.tls_head = &main_tls;
	libc.tls_cnt = 1;
	libc.tls_align = align;
	libc.tls_size = (2*sizeof(uintptr_t) + align + size
		+ sizeof(struct pthread) + 16 + 15) & -16;

	builtin_dtv[0] = 1;
	builtin_dtv[1] = (uintptr_t)base;
	builtin_pthread.dtv = builtin_dtv;

	if (__init_tp(&builtin_pthread) < 0)
		a_crash();
	__syscall(SYS_kandelo_set_sigword, &__kandelo_sigpending);
}

weak_alias(static_init_tls, __init_tls);
