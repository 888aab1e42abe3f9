/*
 * A flat Multiboot image ("a.out kludge"): no ELF, the header's address
 * fields (flag 16) say where it goes.  Built as a raw binary from
 * mb_aout.ld.  Checks EAX, the info flags and the loader name; prints
 * PASS mb_aout and powers off.
 */
#include "guest.h"
#define MB_HEADER_MAGIC 0x1badb002
#define MB_HEADER_FLAGS 0x00010002 /* address fields, memory info */

	.code32
	.text
	.balign 4
mb_header:
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	.long mb_header		/* header_addr */
	.long __load_start	/* load_addr */
	.long __load_end	/* load_end_addr */
	.long __bss_end		/* bss_end_addr */
	.long entry		/* entry_addr */

entry:
	mov $stack_top, %esp
	cmp $0x2badb002, %eax
	jne fail
	testl $(1 << 9), (%ebx)		/* boot_loader_name valid */
	jz fail
	mov 64(%ebx), %esi
	cmpl $0x696d766b, (%esi)	/* "kvmi" */
	jne fail
	cmpw $0x696e, 4(%esi)		/* "ni" */
	jne fail
	cmpl $0, bss_word		/* kvmini zeroes up to bss_end_addr */
	jne fail
	puts pass
	poweroff
fail:
	puts failed
	poweroff

pass:	.asciz "PASS mb_aout\n"
failed:	.asciz "FAIL mb_aout\n"

	.bss
	.balign 16
bss_word:
	.long 0
	.space 4096
stack_top:
