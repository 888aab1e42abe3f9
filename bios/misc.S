/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The small services: INT 11h equipment, INT 12h memory size, INT 19h
 * boot, INT 18h "no boot device", and INT 14h/17h (serial and printer
 * services: not provided, reported as unknown calls).
 */
#include "bios.h"

	.text
	.globl	int11_handler, int12_handler, int14_handler, int17_handler
	.globl	int18_handler, int19_handler, bios_puts

/* INT 11h: AX = equipment word (BDA 0x410). */
int11_handler:
	pushw	%ds
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	movw	BDA_EQUIPMENT, %ax
	popw	%ds
	iret

/* INT 12h: AX = KiB of conventional memory below the EBDA (BDA 0x413). */
int12_handler:
	pushw	%ds
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	movw	BDA_MEM_KB, %ax
	popw	%ds
	iret

int14_handler:
	UNKNOWN	0x14
int17_handler:
	UNKNOWN	0x17
	DEFINE_REPORT 0x14
	DEFINE_REPORT 0x17

/*
 * INT 19h: load LBA 0 of drive 0x80 to 0000:7C00 and jump there with
 * DL = 0x80 if it ends in the 55h AAh signature (RBIL INT 19h).
 */
int19_handler:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	movb	$BIOS_DISK_CMD_READ, %al
	xorb	%bl, %bl		/* drive 0 = 0x80 */
	movl	$1, %ecx
	xorl	%esi, %esi
	xorl	%edi, %edi
	movl	$0x7c00, %ebp
	call	disk_xfer
	jnz	int18_handler
	cmpw	$0xaa55, 0x7dfe
	jne	int18_handler
	movb	$0x80, %dl
	xorl	%ebp, %ebp		/* boot sectors get clean registers */
	xorw	%bx, %bx
	xorw	%cx, %cx
	ljmp	$0, $0x7c00

/*
 * INT 18h, also where INT 19h gives up: say so on the console, then ask
 * kvmini to end with a clear message and exit status 1.
 */
int18_handler:
	movw	$no_boot_msg, %si
	call	bios_puts
	movw	$(BIOS_DEBUG_PORT + BIOS_DEBUG_STOP), %dx
	movb	$BIOS_STOP_NO_BOOT, %al
	outb	%al, %dx
1:	cli
	hlt
	jmp	1b

/* Writes the NUL-terminated string at CS:SI through INT 10h AH=0Eh. */
bios_puts:
	pushw	%ax
	pushw	%si
1:	movb	%cs:(%si), %al
	testb	%al, %al
	jz	2f
	movb	$0x0e, %ah
	int	$0x10
	incw	%si
	jmp	1b
2:	popw	%si
	popw	%ax
	ret

	.section .rodata
no_boot_msg:
	.asciz	"kvmini BIOS: no bootable disk (drive 80h has no 55AAh boot signature)\r\n"
