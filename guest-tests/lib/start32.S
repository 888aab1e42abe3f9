/*
 * Entry of the C guests: kvmini finds the Xen PVH note (emitted by entry32
 * from src/guest.h) and starts _start in flat 32-bit protected mode, paging
 * off, EBX = hvm_start_info.  Make a stack, zero .bss, call
 * main(hvm_start_info *), then guest_exit(return value) prints it and
 * powers off.  __bss_start/__bss_end come from lib/bss.ld.
 */
#include "guest.h"
	entry32
	cld
	mov %ebx, %esi
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	sub $12, %esp		/* keep the stack 16-byte aligned at the call */
	push %esi
	call main
	add $16, %esp
	sub $12, %esp
	push %eax
	call guest_exit
1:	hlt
	jmp 1b
	.section .note.GNU-stack, "", @progbits
