/* Resets the machine through the FADT's reset register. */
#include "guest.h"
	entry32
	puts msg
	mov $ACPI_RESET, %dx
	mov $1, %al
	outb %al, %dx
	hlt
msg:	.asciz "acpi reset\n"
