/*
 * A fixed sequence of exits for the --trace golden test (tests/trace.sh,
 * tests/golden/trace_exits.txt): port writes of each width, string I/O,
 * port reads from a device and from nobody, MMIO writes and reads to a
 * claimed (PCI ECAM) and an unclaimed address, then ACPI power-off.
 * Change it and the golden file must change with it.
 */
#include "guest.h"
#define POST_PORT 0x80
#define UNCLAIMED_PORT 0x1234
#define ECAM_HOST_BRIDGE 0xe0000000	/* bus 0, device 0: the host bridge */
#define UNCLAIMED_MMIO 0xd0000000	/* in the PCI window, no BAR there */
	entry32
	/* five POST writes: --stats must count five writes for "post" */
	mov $POST_PORT, %dx
	mov $1, %al
1:	outb %al, %dx
	inc %al
	cmp $6, %al
	jne 1b
	mov $UNCLAIMED_PORT, %dx
	mov $0xbeef, %ax
	outw %ax, %dx
	mov $0x12345678, %eax
	outl %eax, %dx
	/* string output: one exit carrying four bytes (or more exits) */
	mov $UNCLAIMED_PORT, %dx
	mov $text, %esi
	mov $4, %ecx
	cld
	rep outsb
	/* COM1 LSR: transmitter empty (0x60); then nobody's port: all ones */
	mov $COM1_LSR, %dx
	inb %dx, %al
	mov $UNCLAIMED_PORT, %dx
	inl %dx, %eax
	/* host bridge vendor/device ID, then its interrupt-line register */
	mov ECAM_HOST_BRIDGE, %eax
	movb $0x0b, ECAM_HOST_BRIDGE + 0x3c
	movb ECAM_HOST_BRIDGE + 0x3c, %al
	/* nobody's MMIO: writes vanish, reads are all ones */
	movl $0xcafef00d, UNCLAIMED_MMIO
	movw UNCLAIMED_MMIO + 0x10, %ax
	poweroff
text:	.ascii "abcd"
