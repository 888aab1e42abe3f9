/*
 * make bench, exit-cost rows: BENCH_EXITS one-byte writes to a port
 * nobody claims, then the test-exit port (exit code 85).  Same loop as
 * exit_loop.S; no stack, nothing else, so kvmini, QEMU and the bare
 * KVM_RUN loop (tools/bench/kvmbare.c) all run exactly this code.
 */
#include "guest.h"
#define UNCLAIMED_PORT 0x1234
#define BENCH_EXITS 50000
	.code32
	.text
	.globl _start
_start:
	mov $UNCLAIMED_PORT, %dx
	mov $BENCH_EXITS, %ecx
1:	outb %al, %dx
	dec %ecx
	jnz 1b
	mov $0x2a, %al
	outb %al, $0xf4
	hlt
	pvh_note _start
