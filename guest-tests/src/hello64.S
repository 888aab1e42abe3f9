/* A 64-bit ELF without a PVH note starts in long mode: print, power off. */
#include "guest.h"
	.code64
	.text
	.globl _start
_start:
	lea msg(%rip), %rsi
	mov $COM1, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	poweroff
msg:	.asciz "hello from a 64-bit guest\n"
