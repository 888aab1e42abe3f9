/*
 * Entry of the Multiboot C guests: the Multiboot v1 header (modules
 * page-aligned, memory information wanted; an ELF, so no address fields),
 * then _start, entered in flat 32-bit protected mode with EAX = the boot
 * magic and EBX = the multiboot_info.  Make a stack (in .bss: Multiboot
 * gives none), zero .bss, call mb_main(magic, info), then guest_exit.
 * Linked first so that the header is in the first 8 KiB of the file.
 */
#include "guest.h"
#define MB_HEADER_MAGIC 0x1badb002
#define MB_HEADER_FLAGS 0x00000003

	.code32
	.text
	.balign 4
mb_header:
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.globl _start
_start:
	cld
	mov %eax, %ebp
	mov %ebx, %esi
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $mb_stack_top, %esp
	sub $8, %esp		/* keep the stack 16-byte aligned at the call */
	push %esi
	push %ebp
	call mb_main
	add $16, %esp
	sub $12, %esp
	push %eax
	call guest_exit
1:	hlt
	jmp 1b

	.bss
	.balign 16
	.space 16384
mb_stack_top:
	.section .note.GNU-stack, "", @progbits
