/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A boot-sector guest for kvmini's BIOS (--boot disk).  Sector 0 prints
 * through INT 10h and loads sectors 1-5 (stage 2) with a CHS read
 * (INT 13h AH=02h); stage 2 checks the BIOS services a bootloader uses:
 * EDD (AH=41h/42h/43h/48h), geometry (AH=08h), errors for reads past the
 * disk's end and buffers outside RAM, the E820 map, INT 12h, INT 16h,
 * INT 1Ah (the timer ticks), and one unknown call (carry set).  It ends
 * with one line, "bootsect PASS e820=<usable RAM> write=ok|ro", and
 * test-exit 0x2a; a failed check prints "bootsect FAIL <what>" and
 * test-exit 1.  Built as a raw 4.5 KiB image (guest-tests/Makefile);
 * with -DREBOOT (bootsect_reboot.bin) it resets the machine through port
 * 92h right after its first line instead.
 */
	.code16
	.text
	.globl	_start

	.macro FAILUNLESS jok, msg
	\jok	8f
	call	fail_here
	.asciz	"\msg"
8:
	.endm

_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	cld
	movb	%dl, boot_drive
	movw	$msg_hello, %si
	call	puts
#ifdef REBOOT
	/* bootsect_reboot.bin: reset through port 92h bit 0, every boot,
	 * after a short pause (5 x 65536 loops) so --reboot restart tests
	 * don't churn VMs: hundreds of VM creations a second can stall the
	 * host kernel */
	movw	$5, %bx
2:	xorw	%cx, %cx
3:	loop	3b
	decw	%bx
	jnz	2b
	inb	$0x92, %al
	orb	$0x01, %al
	outb	%al, $0x92
1:	hlt
	jmp	1b
#endif
	cmpb	$0x80, boot_drive
	FAILUNLESS je, "boot drive in DL is not 80h"
	/* CHS: cylinder 0, head 0, sectors 2..6 = LBA 1..5 to 0000:7E00 */
	movw	$0x0205, %ax
	movw	$0x0002, %cx
	xorb	%dh, %dh
	movb	boot_drive, %dl
	movw	$0x7e00, %bx
	int	$0x13
	FAILUNLESS jnc, "AH=02h CHS read of stage 2"
	cmpb	$5, %al
	FAILUNLESS je, "AH=02h did not report 5 sectors"
	cmpl	$0x32474b53, stage2_magic
	FAILUNLESS je, "stage 2 has the wrong bytes"
	jmp	stage2

/* the string after the call: print it, test-exit 1 */
fail_here:
	movw	$msg_fail, %si
	call	puts
	popw	%si
	call	puts
	movw	$msg_crlf, %si
	call	puts
	movb	$1, %al
	outb	%al, $0xf4
1:	hlt
	jmp	1b

puts:
	pushw	%ax
	pushw	%bx
1:	lodsb
	testb	%al, %al
	jz	2f
	movb	$0x0e, %ah
	xorw	%bx, %bx
	int	$0x10
	jmp	1b
2:	popw	%bx
	popw	%ax
	ret

msg_hello:
	.asciz	"bootsect: hello through INT 10h\r\n"
msg_fail:
	.asciz	"bootsect FAIL "
msg_crlf:
	.asciz	"\r\n"
boot_drive:
	.byte	0

	.org	510
	.word	0xaa55

/* ---- stage 2: sectors 1-5 at 0x7e00 ---- */
stage2:
	movw	$msg_stage2, %si
	call	puts

	/* AH=41h: EDD present, subset 1 (42h-44h, 47h, 48h) */
	movb	$0x41, %ah
	movw	$0x55aa, %bx
	movb	boot_drive, %dl
	int	$0x13
	FAILUNLESS jnc, "AH=41h says no EDD"
	cmpw	$0xaa55, %bx
	FAILUNLESS je, "AH=41h BX is not AA55h"
	testb	$1, %cl
	FAILUNLESS jnz, "AH=41h without the 42h-48h subset"

	/* AH=08h: one drive, 63 sectors per track, 16 heads */
	movb	$0x08, %ah
	movb	boot_drive, %dl
	int	$0x13
	FAILUNLESS jnc, "AH=08h failed"
	cmpb	$1, %dl
	FAILUNLESS je, "AH=08h: not one drive"
	andb	$0x3f, %cl
	cmpb	$63, %cl
	FAILUNLESS je, "AH=08h: not 63 sectors per track"
	cmpb	$15, %dh
	FAILUNLESS je, "AH=08h: not 16 heads"

	/* AH=48h: the disk's size in sectors */
	movw	$0x1a, params
	movb	$0x48, %ah
	movb	boot_drive, %dl
	movw	$params, %si
	int	$0x13
	FAILUNLESS jnc, "AH=48h failed"
	cmpw	$512, params + 24
	FAILUNLESS je, "AH=48h: sectors are not 512 bytes"
	movl	params + 16, %eax
	movl	%eax, disk_sectors

	/* AH=42h: LBA 6-7 (this image's data sectors) to 0900:0000 */
	movw	$2, dap_count
	movl	$0x09000000, dap_buf	/* segment 0900h, offset 0 */
	movl	$6, dap_lba
	call	ext_read
	FAILUNLESS jnc, "AH=42h read of LBA 6-7"
	cmpl	$0x3641424c, 0x9000	/* "LBA6" */
	FAILUNLESS je, "AH=42h: LBA 6 has the wrong bytes"
	cmpl	$0x3741424c, 0x9200	/* "LBA7" */
	FAILUNLESS je, "AH=42h: LBA 7 has the wrong bytes"

	/* AH=42h with a flat 64-bit buffer address (FFFF:FFFF) */
	movb	$0x18, dap_size
	movw	$1, dap_count
	movl	$0xffffffff, dap_buf
	movl	$0x20000, dap_flat
	movl	$7, dap_lba
	call	ext_read
	FAILUNLESS jnc, "AH=42h read to a flat address"
	pushw	%ds
	movw	$0x2000, %ax
	movw	%ax, %ds
	cmpl	$0x3741424c, 0
	popw	%ds
	FAILUNLESS je, "AH=42h flat: LBA 7 has the wrong bytes"
	movb	$0x10, dap_size

	/* past the end: first sector beyond, and a run that crosses it */
	movw	$1, dap_count
	movl	$0x09000000, dap_buf
	movl	disk_sectors, %eax
	movl	%eax, dap_lba
	call	ext_read
	FAILUNLESS jc, "AH=42h read past the end succeeded"
	cmpb	$0x04, %ah
	FAILUNLESS je, "AH=42h past the end: AH is not 04h"
	cmpw	$0, dap_count
	FAILUNLESS je, "AH=42h past the end: count not reset to 0"
	movw	$2, dap_count
	decl	dap_lba
	call	ext_read
	FAILUNLESS jc, "AH=42h read across the end succeeded"
	/* CHS beyond the disk: cylinder 100 */
	movw	$0x0201, %ax
	movw	$0x6401, %cx
	xorb	%dh, %dh
	movb	boot_drive, %dl
	movw	$0x9000, %bx
	int	$0x13
	FAILUNLESS jc, "AH=02h read past the end succeeded"
	cmpb	$0x04, %ah
	FAILUNLESS je, "AH=02h past the end: AH is not 04h"
	/* a buffer outside guest RAM */
	movb	$0x18, dap_size
	movw	$1, dap_count
	movl	$0xffffffff, dap_buf
	movl	$0xfff00000, dap_flat
	movl	$4, dap_lba
	call	ext_read
	FAILUNLESS jc, "AH=42h to a buffer outside RAM succeeded"
	cmpb	$0x09, %ah
	FAILUNLESS je, "AH=42h outside RAM: AH is not 09h"
	movb	$0x10, dap_size
	/* no such drive */
	movb	$0x42, %ah
	movb	$0x85, %dl
	movw	$dap, %si
	int	$0x13
	FAILUNLESS jc, "AH=42h on drive 85h succeeded"

	call	check_e820
	call	check_misc

	/* AH=43h: write LBA 8 from 0x9000, then read it back to 0xa000 */
	movw	$0x9000, %di
	movw	$512 / 4, %cx
	movl	$0x54495257, %eax	/* "WRIT" */
	rep stosl
	movw	$1, dap_count
	movl	$0x09000000, dap_buf
	movl	$8, dap_lba
	movw	$0x4300, %ax
	movb	boot_drive, %dl
	movw	$dap, %si
	int	$0x13
	jnc	1f
	cmpb	$0x03, %ah
	FAILUNLESS je, "AH=43h failed, but not write-protected"
	movw	$msg_ro, write_result
	jmp	2f
1:	movl	$0x0a000000, dap_buf
	call	ext_read
	FAILUNLESS jnc, "AH=42h read back of LBA 8"
	cmpl	$0x54495257, 0xa000 + 508
	FAILUNLESS je, "LBA 8 does not read back what was written"
	movw	$msg_ok, write_result
2:
	movw	$msg_pass, %si
	call	puts
	movl	ram_total, %eax
	call	hex32
	movw	$msg_write, %si
	call	puts
	movw	write_result, %si
	call	puts
	movw	$msg_crlf, %si
	call	puts
	movb	$0x2a, %al
	outb	%al, $0xf4
1:	hlt
	jmp	1b

ext_read:
	movb	$0x42, %ah
	movb	boot_drive, %dl
	movw	$dap, %si
	int	$0x13
	ret

/*
 * E820: at least 3 entries, the last with EBX = 0; sums the usable RAM
 * (type 1) for the PASS line: the runner compares it with --mem.
 */
check_e820:
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp		/* entries */
	movl	$0, ram_total
1:	movl	$0xe820, %eax
	movl	$0x534d4150, %edx	/* "SMAP" */
	movl	$24, %ecx
	movw	$e820_entry, %di
	int	$0x15
	FAILUNLESS jnc, "E820 failed"
	cmpl	$0x534d4150, %eax
	FAILUNLESS je, "E820: EAX is not SMAP"
	cmpl	$20, %ecx
	FAILUNLESS je, "E820: ECX is not 20"
	incl	%ebp
	cmpl	$1, e820_entry + 16
	jne	2f
	movl	e820_entry + 8, %eax
	addl	%eax, ram_total
2:	cmpl	$16, %ebp
	FAILUNLESS jb, "E820 does not end"
	testl	%ebx, %ebx
	jnz	1b
	cmpl	$3, %ebp
	FAILUNLESS jae, "E820: fewer than 3 entries"
	/* E801h: KiB between 1 and 16 MiB in AX and CX */
	movw	$0xe801, %ax
	int	$0x15
	FAILUNLESS jnc, "E801h failed"
	cmpw	%ax, %cx
	FAILUNLESS je, "E801h: AX and CX differ"
	ret

check_misc:
	/* INT 12h: 639 KiB below the EBDA */
	int	$0x12
	cmpw	$639, %ax
	FAILUNLESS je, "INT 12h is not 639 KiB"
	/* INT 15h AX=2402h: A20 is on */
	movw	$0x2402, %ax
	int	$0x15
	FAILUNLESS jnc, "INT 15h AX=2402h failed"
	cmpb	$1, %al
	FAILUNLESS je, "A20 is off"
	/* INT 16h AH=01h: no key waiting (stdin is empty) */
	movb	$0x01, %ah
	int	$0x16
	FAILUNLESS jz, "INT 16h AH=01h: a key without input"
	/* INT 1Ah AH=02h: the CMOS clock answers */
	movb	$0x02, %ah
	int	$0x1a
	FAILUNLESS jnc, "INT 1Ah AH=02h failed"
	/*
	 * INT 1Ah AH=00h: the timer ticks (the CPU halts between them),
	 * unless kvmini runs its BIOS without a timer on this host (PVM:
	 * BI_FLAG_NO_TIMER in the info block at 9FC0:0010, bios/abi.h)
	 */
	pushw	%ds
	movw	$0x9fc0, %ax
	movw	%ax, %ds
	testb	$0x01, 0x10 + 0x0c
	popw	%ds
	jnz	2f
	movb	$0x00, %ah
	int	$0x1a
	movw	%dx, %bx
1:	hlt
	movb	$0x00, %ah
	int	$0x1a
	cmpw	%dx, %bx
	je	1b
2:	/* an unknown call: carry set (kvmini counts it, --stats) */
	movb	$0x99, %ah
	clc
	int	$0x15
	FAILUNLESS jc, "unknown INT 15h AH=99h: carry clear"
	ret

/* EAX as 8 hex digits */
hex32:
	movw	$8, %cx
1:	roll	$4, %eax
	pushl	%eax
	andb	$0x0f, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	2f
	addb	$'a' - '0' - 10, %al
2:	movb	$0x0e, %ah
	int	$0x10
	popl	%eax
	loop	1b
	ret

msg_stage2:
	.asciz	"bootsect: stage 2 loaded with INT 13h AH=02h\r\n"
msg_pass:
	.asciz	"bootsect PASS e820="
msg_write:
	.asciz	" write="
msg_ok:
	.asciz	"ok"
msg_ro:
	.asciz	"ro"
	.balign	4
write_result:
	.word	0
ram_total:
	.long	0
disk_sectors:
	.long	0
/* EDD disk address packet */
dap:
dap_size:	.byte	0x10
		.byte	0
dap_count:	.word	0
dap_buf:	.long	0
dap_lba:	.quad	0
dap_flat:	.quad	0
params:		.fill	0x1a, 1, 0
e820_entry:	.fill	24, 1, 0

	.org	3072 - 4
stage2_magic:
	.long	0x32474b53		/* "SKG2" */

/* LBA 6 and 7: data for the AH=42h reads; LBA 8: written */
	.ascii	"LBA6"
	.org	3584
	.ascii	"LBA7"
	.org	4096
	.ascii	"LBA8"
	.org	4608
