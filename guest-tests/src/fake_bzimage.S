/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest "Linux kernel" a bootloader will load: a bzImage header
 * (boot protocol 2.06, Documentation/arch/x86/boot.rst) with one setup
 * sector of real-mode code and a dummy protected-mode part.  Booted by
 * SYSLINUX from a disk (guest-tests/run.sh), its real-mode setup prints
 * the loader's type and the command line it was handed, then ends the
 * VM through the test-exit port (0x2a: exit code 85).
 */
	.code16
	.text
	.globl	_start
_start:
	.org	0x1f1
setup_sects:	.byte	1
root_flags:	.word	0
syssize:	.long	512 / 16
ram_size:	.word	0
vid_mode:	.word	0xffff
root_dev:	.word	0
boot_flag:	.word	0xaa55
/* 0x200: the loader jumps here, CS = setup segment + 20h */
	jmp	setup
header:		.ascii	"HdrS"
version:	.word	0x0206
realmode_swtch:	.long	0
start_sys_seg:	.word	0x1000
kernel_version:	.word	0
type_of_loader:	.byte	0
loadflags:	.byte	0x01		/* LOADED_HIGH */
setup_move_size: .word	0x8000
code32_start:	.long	0x100000
ramdisk_image:	.long	0
ramdisk_size:	.long	0
bootsect_kludge: .long	0
heap_end_ptr:	.word	0
ext_loader_ver:	.byte	0
ext_loader_type: .byte	0
cmd_line_ptr:	.long	0
initrd_addr_max: .long	0x37ffffff
kernel_alignment: .long	0x200000
relocatable:	.byte	0
min_alignment:	.byte	0
xloadflags:	.word	0
cmdline_size:	.long	255

/* DS = the boot sector's segment (RBIL/boot.rst: DS = ES = SS = base) */
setup:
	cld
	movw	$msg_started - 0x200, %si
	call	puts
	movb	type_of_loader, %al
	call	hex8
	movw	$msg_cmdline - 0x200, %si
	call	puts
	/* the command line: linear address cmd_line_ptr */
	movl	cmd_line_ptr, %eax
	movl	%eax, %esi
	shrl	$4, %eax
	andw	$0x0f, %si
	pushw	%ds
	movw	%ax, %ds
	call	puts_ds
	popw	%ds
	movw	$msg_end - 0x200, %si
	call	puts
	movb	$0x2a, %al
	outb	%al, $0xf4
1:	hlt
	jmp	1b

/* CS:SI string (CS = DS + 20h: offsets in this sector count from 200h) */
puts:
	lodsb	%cs:(%si), %al
	testb	%al, %al
	jz	1f
	movb	$0x0e, %ah
	int	$0x10
	jmp	puts
1:	ret

puts_ds:
	lodsb
	testb	%al, %al
	jz	1f
	movb	$0x0e, %ah
	int	$0x10
	jmp	puts_ds
1:	ret

hex8:
	movb	%al, %ah
	shrb	$4, %al
	call	1f
	movb	%ah, %al
	andb	$0x0f, %al
1:	pushw	%ax
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	2f
	addb	$'a' - '0' - 10, %al
2:	movb	$0x0e, %ah
	int	$0x10
	popw	%ax
	ret

msg_started:
	.asciz	"fake-kernel: real-mode setup started by loader 0x"
msg_cmdline:
	.asciz	", cmdline '"
msg_end:
	.asciz	"'\r\n"

	.org	1024			/* (1 + setup_sects) * 512 */
/* the protected-mode part: never run */
	.fill	512, 1, 0xf4
