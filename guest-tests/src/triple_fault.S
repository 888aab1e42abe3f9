/* Loads an empty IDT and raises an exception: a triple fault. */
#include "guest.h"
	entry32
	puts msg
	lidt idt_empty
	mov $0xdeadbeef, %eax
	ud2
msg:	.asciz "about to triple fault\n"
	.balign 8
idt_empty:
	.word 0
	.long 0
