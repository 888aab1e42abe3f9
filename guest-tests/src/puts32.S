#include "guest.h"
	.code32
	.text
	.globl guest_puts
/* esi: string; polls nothing: kvmini's UART transmits instantly */
guest_puts:
	mov $COM1, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	ret
