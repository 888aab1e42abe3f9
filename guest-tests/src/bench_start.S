/*
 * make bench, start-up rows: the first guest instructions write one byte
 * to COM1, then end the VM through the test-exit port (kvmini --test-exit,
 * QEMU isa-debug-exit at 0xf4; exit code (0x2a << 1) | 1 = 85).  No stack,
 * no other work: process start to the byte on stdout is start-up to the
 * third guest instruction.
 */
#include "guest.h"
	.code32
	.text
	.globl _start
_start:
	mov $'K', %al
	mov $COM1, %dx
	outb %al, %dx
	mov $0x2a, %al
	outb %al, $0xf4
	hlt
	pvh_note _start
