/*
 * Reads the UART by polling LSR.DR and echoes each byte upper-cased,
 * until it reads 'q'; then powers off.  Exercises the input path.
 */
#include "guest.h"
	entry32
	puts ready
1:	mov $COM1_LSR, %dx
	inb %dx, %al
	test $1, %al
	jz 1b
	mov $COM1, %dx
	inb %dx, %al
	cmp $'q', %al
	je 3f
	cmp $'a', %al
	jb 2f
	cmp $'z', %al
	ja 2f
	sub $0x20, %al
2:	outb %al, %dx
	jmp 1b
3:	puts bye
	poweroff
ready:	.asciz "echo ready\n"
bye:	.asciz "\nbye\n"
