/*
 * The APs' first instructions.  smp_boot() copies tramp_start..tramp_end
 * to TRAMP_BASE (0x10000) and sends INIT, SIPI, SIPI with vector 0x10, so
 * each AP starts here in real mode at CS:IP = 0x1000:0000.  It loads the
 * runtime's GDT, enters 32-bit protected mode, takes the stack for its
 * APIC ID and jumps to ap_entry32 (lib/start64.S), which turns on long
 * mode with the BSP's page tables.  Position-independent: only offsets
 * from tramp_start and absolute addresses above 1 MiB.
 */
#define TRAMP_BASE    0x10000
#define AP_STACK_BASE 0x01f00000
#define AP_STACK_SHIFT 14	/* AP_STACK_SIZE = 16 KiB */

	.text
	.code16
	.globl tramp_start, tramp_end
tramp_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	lgdtl tramp_gdtr - tramp_start
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x18, $(TRAMP_BASE + tramp32 - tramp_start)

	.code32
tramp32:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	/* paging is off: the LAPIC ID register at its physical address */
	mov 0xfee00020, %eax
	shr $24, %eax
	inc %eax
	shl $AP_STACK_SHIFT, %eax
	add $AP_STACK_BASE, %eax
	mov %eax, %ebp
	mov %eax, %esp
	xor %esi, %esi
	mov $ap_entry32, %eax
	jmp *%eax

	.balign 8
tramp_gdtr:
	.word 9 * 8 - 1
	.long gdt64
tramp_end:
	.section .note.GNU-stack, "", @progbits
