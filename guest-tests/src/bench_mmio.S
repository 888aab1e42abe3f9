/*
 * make bench, exit-cost rows: BENCH_EXITS one-byte MMIO writes to an
 * address in the 32-bit hole nobody claims (kvmini ignores them, see
 * unclaimed.S), then the test-exit port (exit code 85).  The MMIO twin
 * of bench_pio.S.
 */
#include "guest.h"
#define UNCLAIMED_MMIO 0xd0000000
#define BENCH_EXITS 50000
	.code32
	.text
	.globl _start
_start:
	mov $BENCH_EXITS, %ecx
1:	movb %al, UNCLAIMED_MMIO
	dec %ecx
	jnz 1b
	mov $0x2a, %al
	outb %al, $0xf4
	hlt
	pvh_note _start
