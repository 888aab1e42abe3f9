/*
 * Entry of the 64-bit C guests.  kvmini (or any PVH loader) starts _start
 * in flat 32-bit protected mode, paging off, EBX = hvm_start_info.  Map
 * the first 4 GiB 1:1 with 2 MiB pages (user-accessible, so CPL3 code can
 * touch everything), enable long mode, load our GDT, then call
 * start64_c(hvm_start_info) in lib/cpu.c.  All of this runs at CPL0,
 * which some hosts (kvm_pvm) emulate: keep it short.
 *
 * The same 32-bit-to-long-mode tail is used by the APs (lib/trampoline.S
 * jumps to ap_entry32 once it is in protected mode).
 */
#include "guest.h"

#define PTE_PUW	 0x7	/* present, writable, user */
#define PTE_HUGE 0x80
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define CR4_PAE	 0x20
#define CR0_PG	 0x80000000

	entry32
	cld
	mov %ebx, %esi
	/* .bss: the ELF loader zeroes it, but a reboot does not reload it */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $2, %ecx
	xor %eax, %eax
	rep stosl
	/* 2048 2 MiB pages: 0..4 GiB (the high dwords stay 0) */
	mov $pd_low, %edi
	mov $(PTE_PUW | PTE_HUGE), %eax
	mov $2048, %ecx
1:	mov %eax, (%edi)
	add $0x200000, %eax
	add $8, %edi
	loop 1b
	/* the PDPT points at the four PDs, the PML4 at the PDPT */
	mov $pdpt, %edi
	mov $pd_low + PTE_PUW, %eax
	mov $4, %ecx
4:	mov %eax, (%edi)
	add $0x1000, %eax
	add $8, %edi
	loop 4b
	movl $pdpt + PTE_PUW, pml4
	mov $0x80000, %ebp	/* the BSP's stack top */
	jmp long_mode_on

/* the APs' way in: EBP = stack top, ESI = 0 */
	.globl ap_entry32
ap_entry32:
long_mode_on:
	mov $pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	lgdt gdt64_ptr
	ljmp $0x08, $long64

	.code64
long64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	mov %ebp, %esp
	mov %esi, %edi
	test %esi, %esi
	jz 5f
	call start64_c		/* does not return */
5:	call ap_start64_c	/* neither */
6:	cli
	hlt
	jmp 6b

	.data
	.balign 16
	.globl gdt64
gdt64:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00cf9a000000ffff	/* 0x18 kernel code, 32-bit */
	.quad 0x00cff2000000ffff	/* 0x20 user data */
	.quad 0x00affa000000ffff	/* 0x28 user code, 64-bit */
	.quad 0, 0			/* 0x30 TSS, filled by cpu.c */
gdt64_end:
	.globl gdt64_ptr
gdt64_ptr:
	.word gdt64_end - gdt64 - 1
	.quad gdt64

	.bss
	.balign 4096
	.globl pml4, pdpt, pd_low
pml4:	.skip 4096
pdpt:	.skip 4096
pd_low:	.skip 4 * 4096

	.section .note.GNU-stack, "", @progbits
