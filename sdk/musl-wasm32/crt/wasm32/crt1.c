/* Program entry of a Kandelo wasm32 guest (replaces crt/crt1.c); sdk/ABI.md,
 * "Start-up".
 *
 * The kernel prepares argc/argv/envp/auxv and their strings in Linux's
 * initial-stack layout.  _start asks for its size, maps a buffer, has the kernel copy
 * the block there (pointers already relocated to the buffer), then runs musl's
 * __libc_start_main on it exactly as other archs do on the initial stack. */
#include <features.h>
#include <errno.h>
#include <sys/mman.h>
#include <kandelo/abi.h>
#include "libc.h"
#include "syscall.h"

int __libc_start_main(int (*)(), int, char **,
	void (*)(), void(*)(), void(*)());
void __wasm_call_ctors(void);
int __main_void(void);

hidden int __kandelo_argc;
hidden char **__kandelo_argv;

/* musl calls this (weak in __libc_start_main.c) to run constructors; on wasm
 * wasm-ld collects them into __wasm_call_ctors.  Referencing __wasm_call_ctors
 * here also stops wasm-ld from wrapping exports in constructor calls. */
void __libc_start_init(void)
{
	__wasm_call_ctors();
}

static int start_main(int argc, char **argv, char **envp)
{
	return __main_void();
}

static _Noreturn void startup_failed(const char *what, long err)
{
	static const char pre[] = "kandelo crt1: start-up failed: ";
	const char *p;
	char num[16], *q = num + sizeof num;
	unsigned long e = -err;
	*--q = '\n';
	do *--q = '0' + e % 10; while (e /= 10);
	*--q = '-';
	*--q = ' ';
	for (p = what; *p; p++);
	__syscall(SYS_write, 2, pre, sizeof pre - 1);
	__syscall(SYS_write, 2, what, p - what);
	__syscall(SYS_write, 2, q, num + sizeof num - q);
	for (;;) __syscall(SYS_exit_group, 127);
}

void _start(void)
{
	long size = __syscall(SYS_kandelo_startup_size);
	if (size <= 0) startup_failed("kandelo_startup_size", size ? size : -EINVAL);
	long buf = __syscall(SYS_mmap2, 0, size, PROT_READ|PROT_WRITE,
		MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
	if ((unsigned long)buf > -4096UL) startup_failed("mmap", buf);
	long r = __syscall(SYS_kandelo_startup_copy, buf, size);
	if (r < 0) startup_failed("kandelo_startup_copy", r);

	long *p = (long *)buf;
	__kandelo_argc = p[0];
	__kandelo_argv = (char **)(p + 1);
	__libc_start_main((int (*)())start_main, __kandelo_argc, __kandelo_argv, 0, 0, 0);
	for (;;) __syscall(SYS_exit_group, 127);
}
