/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the firmware's assembler files: the ABI with kvmini, the
 * addresses every service uses, and the return macros.  Code and data of
 * the whole image live in segment 0xF000 (linked at offsets 0x8000..).
 */
#ifndef KVMINI_BIOS_H
#define KVMINI_BIOS_H

#include "abi.h"

#define BIOS_SEG	0xf000
#define BDA_SEG		0x0040 /* BIOS data area, 0x400 */
#define COM1		0x3f8
#define COM1_LSR	(COM1 + 5)
#define LSR_DATA_READY	0x01

/* BIOS data area offsets (in segment 0x40) */
#define BDA_COM1	 0x00
#define BDA_EBDA_SEG	 0x0e
#define BDA_EQUIPMENT	 0x10
#define BDA_MEM_KB	 0x13
#define BDA_VIDEO_MODE	 0x49
#define BDA_COLUMNS	 0x4a
#define BDA_PAGE_SIZE	 0x4c
#define BDA_CURSOR	 0x50 /* page 0: column, row */
#define BDA_CRTC_PORT	 0x63
#define BDA_TICKS	 0x6c /* 32 bits, 18.2 per second */
#define BDA_MIDNIGHT	 0x70
#define BDA_DISK_STATUS	 0x74 /* last INT 13h status */
#define BDA_NR_DISKS	 0x75
#define BDA_ROWS	 0x84 /* rows - 1 */
#define BDA_CHAR_HEIGHT	 0x85

#define TICKS_PER_DAY	0x1800b0

#ifdef __ASSEMBLER__
	.code16

/*
 * Return from an interrupt with the caller's CF (or ZF) set to the
 * current one.  Jump here (never call) with only IP, CS, FLAGS on the
 * stack.
 */
	.macro IRET_CF
	jmp	iret_cf
	.endm
	.macro IRET_ZF
	jmp	iret_zf
	.endm

/* Dispatch on AH: "CASE 0x0e, teletype" */
	.macro CASE fn, label
	cmpb	$\fn, %ah
	je	\label
	.endm

/*
 * An unknown function of INT \vec: report INT/AH to kvmini (counted in
 * --stats), then return with carry set and every register unchanged
 * except AH when \ah_err is given (INT 13h: 01h, INT 15h: 86h).
 */
	.macro UNKNOWN vec, ah_err=-1
	call	report_unknown_\vec
	.if \ah_err >= 0
	movb	$\ah_err, %ah
	.endif
	stc
	IRET_CF
	.endm

	.macro DEFINE_REPORT vec
report_unknown_\vec:
	pushw	%ax
	pushw	%dx
	movb	%ah, %al
	movb	$\vec, %ah
	movw	$(BIOS_DEBUG_PORT + BIOS_DEBUG_UNKNOWN), %dx
	outw	%ax, %dx
	popw	%dx
	popw	%ax
	ret
	.endm
#endif

#endif
