/* A 64-bit ELF without a PVH note starts in long mode: print, power off. */
#include "guest.h"
	.code64
	.text
	.globl _start
_start:
	lea msg(%rip), %rsi
	com1_write_str
	poweroff
msg:	.asciz "hello from a 64-bit guest\n"
