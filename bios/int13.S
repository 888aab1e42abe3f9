/* SPDX-License-Identifier: GPL-2.0 */
/*
 * INT 13h disk services for drives 80h.. (kvmini's --disk images, in
 * order).  Every transfer is one command on kvmini's disk port
 * (bios/abi.h): kvmini checks drive, range, read-only and the buffer
 * against guest RAM and answers with an INT 13h status.
 *
 * Functions (RBIL INT 13h; EDD 1.1 / Phoenix "Enhanced Disk Drive"):
 *   00h reset  01h last status  02h/03h CHS read/write  04h verify
 *   08h parameters  0Ch/0Dh/10h/11h seek, reset, ready, recalibrate
 *   15h disk type  41h EDD check  42h/43h extended read/write
 *   44h extended verify  47h extended seek  48h extended parameters
 * Results: CF clear and AH = 0, or CF set and AH = error (abi.h).
 */
#include "bios.h"

/* The caller's registers, saved by PUSHAL + DS + ES, at BP: */
#define F_ES	0
#define F_DS	2
#define F_DI	4
#define F_SI	8
#define F_BX	20
#define F_DX	24
#define F_DH	25
#define F_CX	28
#define F_CL	28
#define F_CH	29
#define F_AX	32
#define F_AL	32
#define F_AH	33

	.text
	.globl	int13_handler, disk_xfer
int13_handler:
	sti
	cld
	pushal
	pushw	%ds
	pushw	%es
	movw	%sp, %bp
	movw	$BIOS_EBDA_SEG, %si
	movw	%si, %ds
	/* DL: drive 80h + index; anything else is not ours (no floppies) */
	movb	%dl, %bl
	subb	$0x80, %bl
	jb	no_drive
	cmpb	BIOS_INFO_OFF + BI_NR_DRIVES, %bl
	jae	no_drive
	/* SI = this drive's record in the info block */
	movzbw	%bl, %si
	shlw	$4, %si
	addw	$(BIOS_INFO_OFF + BI_DRIVES), %si
	CASE	0x02, chs_read
	CASE	0x03, chs_write
	CASE	0x42, ext_read
	CASE	0x43, ext_write
	CASE	0x41, edd_check
	CASE	0x48, ext_params
	CASE	0x08, get_params
	CASE	0x15, disk_type
	CASE	0x00, ok
	CASE	0x01, last_status
	CASE	0x04, verify
	CASE	0x0c, ok
	CASE	0x0d, ok
	CASE	0x10, ok
	CASE	0x11, ok
	CASE	0x44, ok
	CASE	0x47, ok
	call	report_unknown_0x13
	movb	$BIOS_ST_BAD_COMMAND, %al
	jmp	fail

no_drive:
	movb	$BIOS_ST_BAD_COMMAND, %al
	/* fall through */
/* AL = error: AH = AL, CF set, status remembered for AH=01h */
fail:
	movb	%al, F_AH(%bp)
	call	save_status
	stc
	jmp	out
ok:
	movb	$0, F_AH(%bp)
	xorb	%al, %al
	call	save_status
	clc
out:
	popw	%es
	popw	%ds
	popal
	IRET_CF

save_status:
	pushw	%ds
	pushw	%bx
	movw	$BDA_SEG, %bx
	movw	%bx, %ds
	movb	%al, BDA_DISK_STATUS
	popw	%bx
	popw	%ds
	ret

/* AH=01h: AH = status of the last operation. */
last_status:
	pushw	%ds
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	movb	BDA_DISK_STATUS, %al
	popw	%ds
	testb	%al, %al
	jnz	fail
	jmp	ok

/*
 * CHS to LBA with this drive's geometry: cylinder = CH | (CL bits 6-7)
 * << 2, sector = CL bits 0-5 (from 1), head = DH.
 * LBA = (cylinder * heads + head) * sectors_per_track + sector - 1.
 * Out: ESI = LBA, CF on a sector or head outside the geometry.
 */
chs_to_lba:
	movzbl	F_CL(%bp), %ecx
	andb	$0x3f, %cl
	jz	1f
	cmpb	BD_SPT(%si), %cl
	ja	1f
	movb	F_DH(%bp), %al
	cmpb	BD_HEADS(%si), %al
	jae	1f
	movzbl	F_CH(%bp), %eax
	movzbl	F_CL(%bp), %edx
	andb	$0xc0, %dl
	shll	$2, %edx
	orl	%edx, %eax		/* cylinder */
	movzbl	BD_HEADS(%si), %edx
	mull	%edx
	movzbl	F_DH(%bp), %edx
	addl	%edx, %eax
	movzbl	BD_SPT(%si), %edx
	mull	%edx
	leal	-1(%eax,%ecx), %esi
	clc
	ret
1:	stc
	ret

/* AH=02h/03h: AL sectors at CHS CX/DH to ES:BX; AL = sectors moved. */
chs_read:
	movb	$BIOS_DISK_CMD_READ, %bh
	jmp	chs_rw
chs_write:
	movb	$BIOS_DISK_CMD_WRITE, %bh
chs_rw:
	call	chs_to_lba		/* ESI = LBA; BL still the drive */
	jc	chs_bad
	movzbl	F_AL(%bp), %ecx		/* count */
	jecxz	chs_bad
	movzwl	F_ES(%bp), %edx
	shll	$4, %edx
	movzwl	F_BX(%bp), %edi
	addl	%edi, %edx		/* EDX = ES * 16 + BX */
	xorl	%edi, %edi		/* LBA high */
	movb	%bh, %al
	pushw	%bp
	movl	%edx, %ebp
	call	disk_xfer
	popw	%bp
	jnz	chs_fail
	jmp	ok			/* AL (count) stays the caller's */
chs_bad:
	movb	$BIOS_ST_BAD_COMMAND, %al
chs_fail:
	movb	$0, F_AL(%bp)
	jmp	fail

/* AH=04h: verify: always succeeds (no sector or range is checked). */
verify:
	jmp	ok

/*
 * AH=42h/43h: DS:SI = disk address packet (EDD):
 *   +0 size (10h, or 18h with a 64-bit flat buffer)  +2 count (word)
 *   +4 buffer offset:segment  +8 LBA (qword)  +10h flat buffer (qword,
 *   used when the segment:offset is FFFF:FFFF).
 * On error the packet's count is set to 0 (nothing transferred).
 */
ext_read:
	movb	$BIOS_DISK_CMD_READ, %bh
	jmp	ext_rw
ext_write:
	movb	$BIOS_DISK_CMD_WRITE, %bh
ext_rw:
	movw	F_DS(%bp), %es
	movw	F_SI(%bp), %di		/* ES:DI = packet */
	cmpb	$0x10, %es:(%di)
	jb	ext_bad
	movzwl	%es:2(%di), %ecx	/* count */
	movl	%es:8(%di), %esi	/* LBA low */
	movl	%es:4(%di), %edx	/* segment << 16 | offset */
	cmpl	$0xffffffff, %edx
	jne	1f
	cmpb	$0x18, %es:(%di)	/* FFFF:FFFF: the flat address */
	jb	ext_boundary
	cmpl	$0, %es:0x14(%di)	/* above 4 GiB: out of our reach */
	jne	ext_boundary
	movl	%es:0x10(%di), %edx
	jmp	2f
1:	movl	%edx, %eax
	shrl	$16, %eax
	shll	$4, %eax
	movzwl	%dx, %edx
	addl	%eax, %edx		/* segment * 16 + offset */
2:	pushw	%di
	movl	%es:12(%di), %edi	/* LBA high */
	movb	%bh, %al
	pushw	%bp
	movl	%edx, %ebp
	call	disk_xfer
	popw	%bp
	popw	%di
	jnz	ext_fail
	jmp	ok
ext_boundary:
	movb	$BIOS_ST_BOUNDARY, %al
	jmp	ext_fail
ext_bad:
	movb	$BIOS_ST_BAD_COMMAND, %al
ext_fail:
	movw	$0, %es:2(%di)
	jmp	fail

/* AH=41h BX=55AAh: EDD 1.1 (AH=21h), subset 1: functions 42h-44h,47h,48h. */
edd_check:
	cmpw	$0x55aa, F_BX(%bp)
	jne	no_drive
	movw	$0xaa55, F_BX(%bp)
	movw	$0x0001, F_CX(%bp)
	movb	$0x21, F_AH(%bp)
	movb	$0, %al
	call	save_status
	clc
	jmp	out

/*
 * AH=48h: DS:SI = result buffer, its first word its size (at least 1Ah):
 *   +2 flags (2: CHS valid) +4 cylinders +8 heads +0Ch sectors/track
 *   (dwords) +10h total sectors (qword) +18h bytes per sector (word).
 */
ext_params:
	movw	F_DS(%bp), %es
	movw	F_SI(%bp), %di
	cmpw	$0x1a, %es:(%di)
	jb	ext_params_bad
	movw	$0x1a, %es:(%di)
	movw	$0x0002, %es:2(%di)
	movzwl	BD_CYLINDERS(%si), %eax
	movl	%eax, %es:4(%di)
	movzbl	BD_HEADS(%si), %eax
	movl	%eax, %es:8(%di)
	movzbl	BD_SPT(%si), %eax
	movl	%eax, %es:12(%di)
	movl	BD_SECTORS(%si), %eax
	movl	%eax, %es:16(%di)
	movl	BD_SECTORS + 4(%si), %eax
	movl	%eax, %es:20(%di)
	movw	$512, %es:24(%di)
	jmp	ok
ext_params_bad:
	movb	$BIOS_ST_BAD_COMMAND, %al
	jmp	fail

/*
 * AH=08h: CH = last cylinder (low 8 bits), CL = sectors per track |
 * last cylinder bits 8-9 << 6, DH = last head, DL = number of drives.
 */
get_params:
	movw	BD_CYLINDERS(%si), %ax
	decw	%ax
	movb	%al, F_CH(%bp)
	shrw	$2, %ax
	andb	$0xc0, %al
	orb	BD_SPT(%si), %al
	movb	%al, F_CL(%bp)
	movb	BD_HEADS(%si), %al
	decb	%al
	movb	%al, F_DH(%bp)
	movb	BIOS_INFO_OFF + BI_NR_DRIVES, %al
	movb	%al, F_DX(%bp)
	movw	$0, F_BX(%bp)
	movb	$0, F_AL(%bp)
	jmp	ok

/* AH=15h: AH = 03h (fixed disk), CX:DX = sectors (capped at 32 bits). */
disk_type:
	movl	BD_SECTORS(%si), %eax
	cmpl	$0, BD_SECTORS + 4(%si)
	je	1f
	movl	$0xffffffff, %eax
1:	movw	%ax, F_DX(%bp)
	shrl	$16, %eax
	movw	%ax, F_CX(%bp)
	movb	$0x03, F_AH(%bp)
	xorb	%al, %al
	call	save_status
	clc
	jmp	out

/*
 * One command on kvmini's disk port.  In: AL = command, BL = drive
 * index, ECX = count, EDI:ESI = LBA, EBP = buffer (physical).
 * Out: AL = status, ZF set when it is 0.  Preserves other registers.
 */
disk_xfer:
	pushw	%dx
	pushl	%eax
	movw	$(BIOS_DISK_PORT + BIOS_DISK_DRIVE), %dx
	movzbl	%bl, %eax
	outl	%eax, %dx
	movw	$(BIOS_DISK_PORT + BIOS_DISK_LBA_LO), %dx
	movl	%esi, %eax
	outl	%eax, %dx
	movw	$(BIOS_DISK_PORT + BIOS_DISK_LBA_HI), %dx
	movl	%edi, %eax
	outl	%eax, %dx
	movw	$(BIOS_DISK_PORT + BIOS_DISK_COUNT), %dx
	movl	%ecx, %eax
	outl	%eax, %dx
	movw	$(BIOS_DISK_PORT + BIOS_DISK_BUF), %dx
	movl	%ebp, %eax
	outl	%eax, %dx
	popl	%eax
	movzbl	%al, %eax
	movw	$(BIOS_DISK_PORT + BIOS_DISK_CMD), %dx
	outl	%eax, %dx
	inb	%dx, %al		/* status */
	popw	%dx
	testb	%al, %al
	ret

	DEFINE_REPORT 0x13
