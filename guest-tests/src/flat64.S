/*
 * A flat binary entered in long mode (format=flat,mode=64): checks paging
 * and EFER.LMA, prints over COM1 and powers off.
 */
#include "guest.h"
	.code64
	.text
	.globl _start
_start:
	mov %cr0, %rax
	bt $31, %rax			/* CR0.PG */
	jnc fail
	mov $0xc0000080, %ecx		/* EFER */
	rdmsr
	bt $10, %eax			/* LMA */
	jnc fail
	lea pass(%rip), %rsi
	jmp print
fail:
	lea failed(%rip), %rsi
print:
	com1_write_str
	poweroff

pass:	.asciz "PASS flat 64-bit\n"
failed:	.asciz "FAIL flat 64-bit\n"
