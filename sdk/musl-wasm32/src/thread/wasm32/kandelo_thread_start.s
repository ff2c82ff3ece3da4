# Export __kandelo_thread_start(tid: i32, start_block: i32) -> ()
# Entry of every new guest thread (a new instance of the module sharing the memory,
# see clone.c).  The start block sits at the top of the thread's stack, so it is
# also the initial stack pointer; C code takes over in __kandelo_thread_main.

	.globaltype	__stack_pointer, i32
	.functype	__kandelo_thread_main (i32, i32) -> ()

	.text
	.hidden	__kandelo_thread_main
	.globl	__kandelo_thread_start
	.export_name	__kandelo_thread_start, __kandelo_thread_start
	.type	__kandelo_thread_start,@function
__kandelo_thread_start:
	.functype	__kandelo_thread_start (i32, i32) -> ()
	local.get	1
	global.set	__stack_pointer
	local.get	0
	local.get	1
	call	__kandelo_thread_main
	end_function
