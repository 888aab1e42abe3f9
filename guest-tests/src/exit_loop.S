/*
 * 100000 one-byte writes to a port nobody claims, then power-off: the
 * cost of a bare port-I/O exit round trip (docs/tracing.md, overhead).
 */
#include "guest.h"
#define UNCLAIMED_PORT 0x1234
#define ROUNDS 100000
	entry32
	mov $UNCLAIMED_PORT, %dx
	mov $ROUNDS, %ecx
1:	outb %al, %dx
	dec %ecx
	jnz 1b
	poweroff
