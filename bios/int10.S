/* SPDX-License-Identifier: GPL-2.0 */
/*
 * INT 10h video services on a serial console: text goes to COM1, the
 * cursor position is only kept in the BDA (page 0) so that callers that
 * read it back see consistent values.  Mode, font and adapter queries
 * describe an 80x25 colour VGA text mode.  Functions as in RBIL INT 10h.
 */
#include "bios.h"

	.text
	.globl	int10_handler, tty_out
int10_handler:
	sti
	CASE	0x0e, teletype
	CASE	0x13, write_string
	CASE	0x09, write_char_attr
	CASE	0x0a, write_char_attr
	CASE	0x02, set_cursor
	CASE	0x03, get_cursor
	CASE	0x0f, get_mode
	CASE	0x00, done		/* set mode: we are always 80x25 */
	CASE	0x01, done		/* cursor shape */
	CASE	0x05, done		/* active page */
	CASE	0x06, scroll_up
	CASE	0x07, done		/* scroll down */
	CASE	0x08, read_char_attr
	CASE	0x0b, done		/* palette */
	CASE	0x10, done		/* palette registers */
	CASE	0x11, font_info
	CASE	0x12, ega_info
	CASE	0x1a, display_combination
	UNKNOWN	0x10			/* VBE (4Fh) and the rest: AL != 4Fh */
done:
	iret

/* AH=0Eh: AL = character. */
teletype:
	call	tty_out
	iret

/* AH=09h/0Ah: AL = character, CX = count; the cursor does not move. */
write_char_attr:
	pushw	%cx
	jcxz	2f
1:	call	serial_putc
	loop	1b
2:	popw	%cx
	iret

/*
 * AH=13h: ES:BP string of CX characters at row DH, column DL; AL bit 1:
 * characters and attributes alternate.  (Position: terminal's own.)
 */
write_string:
	pushw	%ax
	pushw	%cx
	pushw	%si
	movw	%bp, %si
	movb	%al, %ah
	jcxz	3f
1:	movb	%es:(%si), %al
	call	tty_out
	incw	%si
	testb	$2, %ah
	jz	2f
	incw	%si
2:	loop	1b
3:	popw	%si
	popw	%cx
	popw	%ax
	iret

/*
 * AH=02h: DH = row, DL = column (page 0 only).  Programs that draw on a
 * screen move the cursor to the next line instead of printing CR LF; a
 * terminal only sees text, so a move down becomes CR LF (one per row,
 * at most 25) and a move to column 0 of the same row a CR.
 */
set_cursor:
	pushw	%ds
	pushw	%ax
	pushw	%cx
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	movw	BDA_CURSOR, %cx		/* CL column, CH row */
	movw	%dx, BDA_CURSOR
	cmpb	%ch, %dh
	ja	1f
	jb	3f
	testb	%dl, %dl		/* same row */
	jnz	3f
	testb	%cl, %cl
	jz	3f
	movb	$'\r', %al
	call	serial_putc
	jmp	3f
1:	subb	%ch, %dh		/* rows down */
	cmpb	$25, %dh
	jbe	2f
	movb	$25, %dh
2:	call	serial_crlf
	decb	%dh
	jnz	2b
	movw	BDA_CURSOR, %dx
3:	popw	%cx
	popw	%ax
	popw	%ds
	iret

/*
 * AH=06h: scroll up AL lines (0: clear) in the window to row DH.  When
 * the window reaches the last row, a terminal scrolls by new lines.
 */
scroll_up:
	testb	%al, %al
	jz	done
	cmpb	$24, %dh
	jb	done
	pushw	%ax
	pushw	%cx
	movzbw	%al, %cx
	cmpw	$25, %cx
	jbe	1f
	movw	$25, %cx
1:	call	serial_crlf
	loop	1b
	popw	%cx
	popw	%ax
	iret

serial_crlf:
	pushw	%ax
	movb	$'\r', %al
	call	serial_putc
	movb	$'\n', %al
	call	serial_putc
	popw	%ax
	ret

/* AH=03h: DH, DL = row, column; CX = cursor shape. */
get_cursor:
	pushw	%ds
	pushw	%ax
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	movw	BDA_CURSOR, %dx
	movw	$0x0607, %cx
	popw	%ax
	popw	%ds
	iret

/* AH=0Fh: AL = mode 3, AH = 80 columns, BH = page 0. */
get_mode:
	movw	$0x5003, %ax
	xorb	%bh, %bh
	iret

/* AH=08h: a blank with the default attribute. */
read_char_attr:
	movw	$0x0720, %ax
	iret

/* AX=1130h: font information: CX = 16 lines, DL = rows - 1. */
font_info:
	cmpb	$0x30, %al
	jne	done
	movw	$16, %cx
	movb	$24, %dl
	pushw	%cs
	popw	%es
	xorw	%bp, %bp
	iret

/* AH=12h BL=10h: EGA information: colour, 256 KiB. */
ega_info:
	cmpb	$0x10, %bl
	jne	done
	movw	$0x0003, %bx
	xorw	%cx, %cx
	iret

/* AX=1A00h: display combination: AL = 1Ah, BL = VGA colour. */
display_combination:
	cmpb	$0x00, %al
	jne	done
	movb	$0x1a, %al
	movw	$0x0008, %bx
	iret

/* Character AL to COM1, and the BDA cursor moved like a screen's. */
tty_out:
	pushw	%ds
	pushw	%dx
	call	serial_putc
	movw	$BDA_SEG, %dx
	movw	%dx, %ds
	movw	BDA_CURSOR, %dx		/* DL column, DH row */
	cmpb	$'\r', %al
	je	1f
	cmpb	$'\n', %al
	je	2f
	cmpb	$8, %al
	je	3f
	cmpb	$7, %al			/* bell: no movement */
	je	4f
	incb	%dl
	cmpb	$80, %dl
	jb	4f
1:	xorb	%dl, %dl
	jmp	4f
2:	cmpb	$24, %dh
	jae	4f
	incb	%dh
	jmp	4f
3:	testb	%dl, %dl
	jz	4f
	decb	%dl
4:	movw	%dx, BDA_CURSOR
	popw	%dx
	popw	%ds
	ret

/* THR writes reach kvmini's console at once: no LSR polling needed. */
serial_putc:
	pushw	%dx
	movw	$COM1, %dx
	outb	%al, %dx
	popw	%dx
	ret

	DEFINE_REPORT 0x10
