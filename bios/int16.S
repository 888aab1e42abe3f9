/* SPDX-License-Identifier: GPL-2.0 */
/*
 * INT 16h keyboard services fed from the serial console (COM1): a
 * received byte becomes a keystroke, AL = ASCII and AH = the PC scan code
 * for the keys bootloaders look at (Enter, Backspace, Esc, Tab).
 *   00h/10h read (waits)  01h/11h peek (ZF set: none)  02h/12h shift
 *   state (none)  03h typematic rate (accepted)  05h push a keystroke
 * One peeked keystroke is kept in the EBDA (BIOS_VAR_KEY).
 */
#include "bios.h"

	.text
	.globl	int16_handler
int16_handler:
	sti
	CASE	0x00, read_key
	CASE	0x10, read_key
	CASE	0x01, peek_key
	CASE	0x11, peek_key
	CASE	0x02, shift_state
	CASE	0x12, shift_state
	CASE	0x03, accepted
	CASE	0x05, push_key
	UNKNOWN	0x16
accepted:
	iret

shift_state:
	xorw	%ax, %ax
	iret

/*
 * Wait for a keystroke: between polls the CPU halts until the next tick,
 * or only pauses when there is no tick (BI_FLAG_NO_TIMER).
 */
read_key:
1:	call	poll_key
	jnz	2f
	pushw	%ds
	pushw	%ax
	movw	$BIOS_EBDA_SEG, %ax
	movw	%ax, %ds
	testb	$BI_FLAG_NO_TIMER, BIOS_INFO_OFF + BI_FLAGS
	popw	%ax
	popw	%ds
	jnz	3f
	hlt
	jmp	1b
3:	pause
	jmp	1b
2:	pushw	%ds
	pushw	%bx
	movw	$BIOS_EBDA_SEG, %bx
	movw	%bx, %ds
	movb	$0, BIOS_VAR_KEY_VALID
	popw	%bx
	popw	%ds
	iret

peek_key:
	call	poll_key
	IRET_ZF

/* CX = keystroke to queue; AL = 0 (stored) or 1 (buffer full). */
push_key:
	pushw	%ds
	pushw	%bx
	movw	$BIOS_EBDA_SEG, %bx
	movw	%bx, %ds
	movb	$1, %al
	cmpb	$0, BIOS_VAR_KEY_VALID
	jne	1f
	movw	%cx, BIOS_VAR_KEY
	movb	$1, BIOS_VAR_KEY_VALID
	xorb	%al, %al
1:	popw	%bx
	popw	%ds
	iret

/*
 * The pending keystroke in AX with ZF clear, or ZF set when there is
 * none.  A byte waiting in COM1 becomes the pending keystroke.
 */
poll_key:
	pushw	%ds
	pushw	%dx
	movw	$BIOS_EBDA_SEG, %dx
	movw	%dx, %ds
	cmpb	$0, BIOS_VAR_KEY_VALID
	jne	2f
	movw	$COM1_LSR, %dx
	inb	%dx, %al
	testb	$LSR_DATA_READY, %al
	jz	3f			/* ZF set: nothing */
	movw	$COM1, %dx
	inb	%dx, %al
	call	scan_code
	movw	%ax, BIOS_VAR_KEY
	movb	$1, BIOS_VAR_KEY_VALID
2:	movw	BIOS_VAR_KEY, %ax
	cmpb	$0, BIOS_VAR_KEY_VALID	/* ZF clear */
3:	popw	%dx
	popw	%ds
	ret

/* AL = byte from the terminal; returns AX = scan code << 8 | ASCII. */
scan_code:
	cmpb	$'\n', %al		/* a pipe's newline is Enter too */
	jne	1f
	movb	$'\r', %al
1:	movb	$0x1c, %ah
	cmpb	$'\r', %al
	je	9f
	cmpb	$0x7f, %al		/* DEL from a terminal: Backspace */
	jne	2f
	movb	$0x08, %al
2:	movb	$0x0e, %ah
	cmpb	$0x08, %al
	je	9f
	movb	$0x01, %ah
	cmpb	$0x1b, %al
	je	9f
	movb	$0x0f, %ah
	cmpb	$'\t', %al
	je	9f
	movb	$0x00, %ah		/* other keys: ASCII only */
9:	ret

	DEFINE_REPORT 0x16
