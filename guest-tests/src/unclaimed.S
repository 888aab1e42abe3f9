/*
 * Ports and MMIO nobody claimed read as all-ones and ignore writes:
 * COM2 (0x2f8), an arbitrary port, and MMIO in the 32-bit hole.
 */
#include "guest.h"
	entry32
	mov $0x2f8, %dx
	mov $0x55, %al
	outb %al, %dx
	inb %dx, %al
	cmp $0xff, %al
	jne fail
	mov $0x1234, %dx
	inl %dx, %eax
	cmp $0xffffffff, %eax
	jne fail
	movl $0x12345678, 0xd0000000
	mov 0xd0000000, %eax
	cmp $0xffffffff, %eax
	jne fail
	movw 0xd0000010, %ax
	cmp $0xffff, %ax
	jne fail
	puts pass
	poweroff
fail:	puts failed
	poweroff
pass:	.asciz "PASS unclaimed\n"
failed:	.asciz "FAIL unclaimed\n"
