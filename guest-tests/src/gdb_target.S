/*
 * A 64-bit guest for tests/gdb.sh, built with symbols: calls bump() five
 * times (bump increments the global `counter` and prints 'x' on COM1),
 * then prints a line and ends through the test-exit port with counter
 * + 20, so kvmini exits with ((counter + 20) << 1) | 1 = 51 when the
 * debugger left the guest's code and data as they were.
 * Built with SPIN=1 (gdb_spin.elf) it first loops on port writes while
 * `spin` is non-zero, for a debugger to interrupt and clear it.
 */
#include "guest.h"
#ifndef SPIN
#define SPIN 0
#endif
	.code64
	.text
	.globl _start
_start:
	mov $0x80000, %rsp
1:	cmpl $0, spin(%rip)
	je 2f
	mov $0x80, %dx		/* the POST port: an exit per pass */
	out %al, %dx
	jmp 1b
2:	mov $5, %ecx
3:	call bump
	loop 3b
	lea done_msg(%rip), %rsi
	call puts64
	mov counter(%rip), %eax
	add $20, %eax
	mov $0xf4, %dx
	out %al, %dx
	hlt

	.globl bump
	.type bump, @function
bump:
	incl counter(%rip)
	mov $COM1, %dx
	mov $'x', %al
	out %al, %dx
	ret
	.size bump, . - bump

	.type puts64, @function
puts64:
	com1_write_str
	ret

done_msg: .asciz "\ngdb guest done\n"

	.data
	.balign 8 /* x86 debug registers watch aligned ranges only */
	.globl counter
	.type counter, @object
counter: .long 0
	.size counter, 4
	.globl spin
	.type spin, @object
spin:	.long SPIN
	.size spin, 4
	.globl magic
	.type magic, @object
magic:	.quad 0x1122334455667788
	.size magic, 8
