/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reset vector and POST: the interrupt vector table, the BIOS data area,
 * the PIC, the timer and COM1, then INT 19h boots the first disk.
 * The vCPU starts here in KVM's reset state: real mode, CS = 0xF000 with
 * base 0xFFFF0000, IP = 0xFFF0, i.e. in the alias below 4 GiB.
 */
#include "bios.h"

	.section .reset, "ax"
reset_vector:
	ljmp	$BIOS_SEG, $post	/* into the copy at 0xf8000 */
	.ascii	"11/21/26"		/* F000:FFF5, the BIOS date */
	.byte	0
	.byte	0xfc			/* F000:FFFE, model byte: AT */

	.section .text.post, "ax"
	.globl	post
post:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ss
	movw	$0x7c00, %sp		/* below the boot sector */
	movw	%ax, %ds
	movw	%ax, %es
	call	setup_ivt
	call	setup_bda
	call	setup_pic_and_timer
	call	setup_serial
	sti
	int	$0x19			/* does not return */
1:	hlt
	jmp	1b

/* Every vector points at an IRET first, then the services overwrite theirs. */
setup_ivt:
	xorw	%di, %di
	movw	$256, %cx
1:	movw	$default_iret, %ax
	stosw
	movw	$BIOS_SEG, %ax
	stosw
	loop	1b
	movw	$vectors, %si
2:	movw	%cs:(%si), %di		/* vector number, 0xffff ends */
	cmpw	$0xffff, %di
	je	3f
	shlw	$2, %di
	movw	%cs:2(%si), %ax
	movw	%ax, (%di)
	movw	$BIOS_SEG, 2(%di)
	addw	$4, %si
	jmp	2b
3:	ret

/* The BIOS data area (0x400) and the first byte of the EBDA. */
setup_bda:
	pushw	%ds
	movw	$0x400, %di		/* ES = 0 */
	movw	$0x80, %cx
	xorw	%ax, %ax
	rep stosw
	movw	$BIOS_EBDA_SEG, %ax
	movw	%ax, %ds
	movb	$1, 0			/* EBDA size: 1 KiB */
	movb	$0, BIOS_VAR_KEY_VALID
	movw	BIOS_INFO_OFF + BI_BASE_KB, %bx
	movb	BIOS_INFO_OFF + BI_NR_DRIVES, %cl
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	movw	$COM1, BDA_COM1
	movw	$BIOS_EBDA_SEG, BDA_EBDA_SEG
	/* equipment: one serial port, 80x25 colour, no floppy */
	movw	$0x0220, BDA_EQUIPMENT
	movw	%bx, BDA_MEM_KB
	movb	$0x03, BDA_VIDEO_MODE
	movw	$80, BDA_COLUMNS
	movw	$4096, BDA_PAGE_SIZE
	movw	$0x3d4, BDA_CRTC_PORT
	movb	%cl, BDA_NR_DISKS
	movb	$24, BDA_ROWS
	movb	$16, BDA_CHAR_HEIGHT
	popw	%ds
	ret

/*
 * 8259 pair: master at vectors 08h-0Fh, slave at 70h-77h (the PC's), only
 * the timer and the cascade unmasked (the timer not when kvmini says
 * BI_FLAG_NO_TIMER).  8254 channel 0: rate generator,
 * divisor 65536, 18.2 Hz: the BDA tick count INT 1Ah reads.
 */
setup_pic_and_timer:
	movb	$0x11, %al		/* ICW1: edge, cascade, ICW4 follows */
	outb	%al, $0x20
	outb	%al, $0xa0
	movb	$0x08, %al		/* ICW2: vector bases */
	outb	%al, $0x21
	movb	$0x70, %al
	outb	%al, $0xa1
	movb	$0x04, %al		/* ICW3: slave on IRQ2 */
	outb	%al, $0x21
	movb	$0x02, %al
	outb	%al, $0xa1
	movb	$0x01, %al		/* ICW4: 8086 mode */
	outb	%al, $0x21
	outb	%al, $0xa1
	movb	$0xfa, %al		/* IRQ 0 and the cascade */
	pushw	%ds
	movw	$BIOS_EBDA_SEG, %dx
	movw	%dx, %ds
	testb	$BI_FLAG_NO_TIMER, BIOS_INFO_OFF + BI_FLAGS
	popw	%ds
	jz	1f
	orb	$0x01, %al		/* PVM host: no tick (abi.h) */
1:	outb	%al, $0x21
	movb	$0xff, %al
	outb	%al, $0xa1
	movb	$0x34, %al		/* channel 0, lo/hi byte, mode 2 */
	outb	%al, $0x43
	xorb	%al, %al
	outb	%al, $0x40
	outb	%al, $0x40
	ret

/* COM1: 115200 8N1, FIFOs on, no interrupts (services poll it). */
setup_serial:
	movw	$COM1 + 3, %dx
	movb	$0x80, %al		/* LCR: divisor latch */
	outb	%al, %dx
	movw	$COM1, %dx
	movb	$1, %al
	outb	%al, %dx
	incw	%dx
	xorb	%al, %al
	outb	%al, %dx		/* IER = 0 */
	incw	%dx
	movb	$0x01, %al		/* FCR: FIFOs on, kept: typed-ahead */
	outb	%al, %dx		/* input stays for INT 16h */
	incw	%dx
	movb	$0x03, %al
	outb	%al, %dx		/* LCR: 8N1 */
	incw	%dx
	outb	%al, %dx		/* MCR: DTR, RTS */
	ret

/* ---- interrupt plumbing shared by the services ---- */

	.globl	iret_cf, iret_zf, default_iret
/* IRET with the caller's saved FLAGS.CF = our CF. */
iret_cf:
	pushw	%bp
	movw	%sp, %bp
	jc	1f
	andw	$~1, 6(%bp)
	popw	%bp
	iret
1:	orw	$1, 6(%bp)
	popw	%bp
	iret

/* IRET with the caller's saved FLAGS.ZF = our ZF. */
iret_zf:
	pushw	%bp
	movw	%sp, %bp
	jz	1f
	andw	$~0x40, 6(%bp)
	popw	%bp
	iret
1:	orw	$0x40, 6(%bp)
	popw	%bp
	iret

default_iret:
	iret

/* IRQ 0: the timer tick (BDA 0x46C, midnight rollover), then INT 1Ch. */
irq0_timer:
	pushw	%ds
	pushw	%ax
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	incl	BDA_TICKS
	cmpl	$TICKS_PER_DAY, BDA_TICKS
	jb	1f
	movl	$0, BDA_TICKS
	movb	$1, BDA_MIDNIGHT
1:	int	$0x1c
	movb	$0x20, %al		/* non-specific EOI */
	outb	%al, $0x20
	popw	%ax
	popw	%ds
	iret

/* Other IRQs nobody hooked: acknowledge them so the PIC goes on. */
irq_master:
	pushw	%ax
	movb	$0x20, %al
	outb	%al, $0x20
	popw	%ax
	iret
irq_slave:
	pushw	%ax
	movb	$0x20, %al
	outb	%al, $0xa0
	outb	%al, $0x20
	popw	%ax
	iret

	.section .rodata
/* vector, handler (offset in segment F000); 0xffff ends the list */
vectors:
	.word	0x08, irq0_timer
	.irp	v, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
	.word	\v, irq_master
	.endr
	.irp	v, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77
	.word	\v, irq_slave
	.endr
	.word	0x10, int10_handler
	.word	0x11, int11_handler
	.word	0x12, int12_handler
	.word	0x13, int13_handler
	.word	0x14, int14_handler
	.word	0x15, int15_handler
	.word	0x16, int16_handler
	.word	0x17, int17_handler
	.word	0x18, int18_handler
	.word	0x19, int19_handler
	.word	0x1a, int1a_handler
	.word	0xffff
