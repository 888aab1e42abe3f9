/* SPDX-License-Identifier: GPL-2.0 */
/*
 * INT 1Ah time services: the BDA tick count (18.2 Hz, kept by IRQ 0 in
 * entry.S) and the CMOS clock at ports 70h/71h (devices/rtc_cmos.c:
 * BCD, 24 hours, UTC).
 *   00h CX:DX = ticks, AL = midnight flag (cleared)  01h set ticks
 *   02h CH:CL:DH = hour:minute:second (BCD), DL = 0 (no DST)
 *   04h CH:CL = century:year, DH:DL = month:day (BCD)
 *   03h/05h set the clock: accepted, the host's clock stays
 * Others (PCI BIOS B1xxh included): CF set, reported.
 */
#include "bios.h"

	.text
	.globl	int1a_handler
int1a_handler:
	sti
	CASE	0x00, get_ticks
	CASE	0x01, set_ticks
	CASE	0x02, get_time
	CASE	0x04, get_date
	CASE	0x03, accepted
	CASE	0x05, accepted
	UNKNOWN	0x1a
accepted:
	clc
	IRET_CF

get_ticks:
	pushw	%ds
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	cli				/* both halves of one tick count */
	movw	BDA_TICKS, %dx
	movw	BDA_TICKS + 2, %cx
	movb	BDA_MIDNIGHT, %al
	movb	$0, BDA_MIDNIGHT
	sti
	popw	%ds
	iret

set_ticks:
	pushw	%ds
	pushw	%ax
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	cli
	movw	%dx, BDA_TICKS
	movw	%cx, BDA_TICKS + 2
	movb	$0, BDA_MIDNIGHT
	sti
	popw	%ax
	popw	%ds
	iret

/* AL = CMOS register AL */
cmos_read:
	outb	%al, $0x70
	inb	$0x71, %al
	ret

get_time:
	movb	$0x04, %al
	call	cmos_read
	movb	%al, %ch
	movb	$0x02, %al
	call	cmos_read
	movb	%al, %cl
	movb	$0x00, %al
	call	cmos_read
	movb	%al, %dh
	xorb	%dl, %dl
	clc
	IRET_CF

get_date:
	movb	$0x32, %al
	call	cmos_read
	movb	%al, %ch
	movb	$0x09, %al
	call	cmos_read
	movb	%al, %cl
	movb	$0x08, %al
	call	cmos_read
	movb	%al, %dh
	movb	$0x07, %al
	call	cmos_read
	movb	%al, %dl
	clc
	IRET_CF

	DEFINE_REPORT 0x1a
