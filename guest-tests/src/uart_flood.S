/*
 * Prints "flood start", waits for a 'g' on COM1, floods COM1 with 512 KiB
 * of text (128 blocks of 4 KiB, one rep outsb each), prints "flood
 * done" and powers off.  A console client that stops reading must not
 * stall it (tests/console.sh).
 */
#include "guest.h"
#define BLOCKS 128
#define block 0x60000 /* scratch RAM below the stack */
	entry32
	puts start
0:	mov $COM1_LSR, %dx
	inb %dx, %al
	test $1, %al
	jz 0b
	mov $COM1, %dx
	inb %dx, %al
	cmp $'g', %al
	jne 0b
	/* a 4 KiB block of 64-byte lines: 63 letters and a newline */
	mov $block, %edi
	mov $64, %ecx
1:	push %ecx
	mov $63, %ecx
	mov $'a', %al
	rep stosb
	movb $'\n', (%edi)
	inc %edi
	pop %ecx
	loop 1b
	mov $BLOCKS, %ebx
2:	mov $block, %esi
	mov $4096, %ecx
	mov $COM1, %dx
	rep outsb
	dec %ebx
	jnz 2b
	puts done
	poweroff
start:	.asciz "flood start\n"
done:	.asciz "flood done\n"
