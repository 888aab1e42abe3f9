/*
 * The test-exit port: writing v to port 0xf4 ends kvmini with exit code
 * (v << 1) | 1.  This guest writes 0x2a, so the runner expects 85.
 * Without --test-exit the port is unclaimed and the guest goes on to
 * print and power off (exit 0).
 */
#include "guest.h"
	entry32
	mov $0xf4, %dx
	mov $0x2a, %al
	outb %al, %dx
	puts still_running
	poweroff
still_running:	.asciz "test-exit port not there; powering off\n"
