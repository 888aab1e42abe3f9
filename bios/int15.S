/* SPDX-License-Identifier: GPL-2.0 */
/*
 * INT 15h system services: the memory map and sizes kvmini computed
 * (the same e820 map a kernel loaded with --kernel gets, from the info
 * block in the EBDA), and the A20 gate (always on: KVM has none).
 *   E820h  memory map: EBX continuation, ES:DI buffer, ECX size, EDX SMAP
 *   E801h  AX = CX = KiB 1-16 MiB, BX = DX = 64 KiB blocks above 16 MiB
 *   88h    AX = KiB above 1 MiB (up to 16 MiB)
 *   2400h-2403h  A20 disable/enable/status/support
 *   86h    wait (returns at once)  EC00h  "target mode" hint: accepted
 * Unknown functions: CF set, AH = 86h ("not supported"), reported.
 */
#include "bios.h"

#define SMAP 0x534d4150

	.text
	.globl	int15_handler
int15_handler:
	sti
	cmpl	$0xe820, %eax
	je	e820
	cmpw	$0xe801, %ax
	je	e801
	cmpw	$0xec00, %ax
	je	ok_ah0
	CASE	0x88, ext_mem
	CASE	0x24, a20
	CASE	0x86, ok_ah0
	UNKNOWN	0x15, 0x86

ok_ah0:
	movb	$0, %ah
	clc
	IRET_CF

/* EBX = index of the entry to return; EBX = 0 again after the last. */
e820:
	cmpl	$SMAP, %edx
	jne	e820_fail
	cmpl	$BI_E820_SIZE, %ecx
	jb	e820_fail
	pushw	%ds
	pushw	%si
	pushw	%di
	movw	$BIOS_EBDA_SEG, %ax
	movw	%ax, %ds
	movzbl	BIOS_INFO_OFF + BI_NR_E820, %eax
	cmpl	%eax, %ebx
	jae	e820_fail_pop
	imulw	$BI_E820_SIZE, %bx, %si
	addw	$(BIOS_INFO_OFF + BI_E820), %si
	movw	$BI_E820_SIZE, %cx
	rep movsb			/* DS:SI to ES:DI */
	incl	%ebx
	cmpl	%eax, %ebx
	jb	1f
	xorl	%ebx, %ebx		/* that was the last */
1:	popw	%di
	popw	%si
	popw	%ds
	movl	$SMAP, %eax
	movl	$BI_E820_SIZE, %ecx
	clc
	IRET_CF
e820_fail_pop:
	popw	%di
	popw	%si
	popw	%ds
e820_fail:
	movb	$0x86, %ah
	stc
	IRET_CF

e801:
	pushw	%ds
	movw	$BIOS_EBDA_SEG, %ax
	movw	%ax, %ds
	movw	BIOS_INFO_OFF + BI_EXT_KB, %ax
	movw	BIOS_INFO_OFF + BI_HIGH_64K, %bx
	popw	%ds
	movw	%ax, %cx
	movw	%bx, %dx
	clc
	IRET_CF

ext_mem:
	pushw	%ds
	movw	$BIOS_EBDA_SEG, %ax
	movw	%ax, %ds
	movw	BIOS_INFO_OFF + BI_EXT_KB, %ax
	popw	%ds
	clc
	IRET_CF

/* AL: 00h disable (refused: it cannot be), 01h enable, 02h status, 03h support */
a20:
	cmpb	$0x01, %al
	je	ok_ah0
	cmpb	$0x02, %al
	jne	1f
	movw	$0x0001, %ax		/* AH = 0, AL = 1: enabled */
	clc
	IRET_CF
1:	cmpb	$0x03, %al
	jne	2f
	movw	$0x0003, %bx		/* keyboard controller and port 92h */
	movb	$0, %ah
	clc
	IRET_CF
2:	UNKNOWN	0x15, 0x86

	DEFINE_REPORT 0x15
