/*
 * A flat real-mode guest (format=flat): checks that it runs in real mode
 * with the CS and SP kvmini documents, prints over COM1 and powers off.
 * Linked at ORG (the offset of its entry in CS) and loaded at
 * EXPECT_CS * 16 + ORG.
 */
#include "guest.h"
#ifndef EXPECT_CS
#define EXPECT_CS 0
#endif

	.code16
	.text
	.globl _start
_start:
	smsw %ax
	test $1, %al			/* CR0.PE */
	jnz fail
	mov %cs, %ax
	cmp $EXPECT_CS, %ax
	jne fail
	mov %ss, %bx
	cmp %ax, %bx
	jne fail
	mov %ds, %bx
	cmp %ax, %bx
	jne fail
	cmp $0xfffe, %sp
	jne fail
	mov $pass, %si
	call print
	poweroff
fail:
	mov $failed, %si
	call print
	poweroff

print:
	com1_write_str
	ret

pass:	.asciz "PASS flat real mode\n"
failed:	.asciz "FAIL flat real mode\n"
