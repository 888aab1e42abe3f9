/* Prints "boot", then resets the machine through the i8042 (0xFE). */
#include "guest.h"
	entry32
	puts msg
	/* a short pause, so --reboot restart tests don't churn VMs */
	mov $300000, %ecx
1:	loop 1b
	mov $0xfe, %al
	outb %al, $0x64
	hlt
msg:	.asciz "boot\n"
