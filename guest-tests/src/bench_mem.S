/*
 * make bench, memory row: write one byte to every 4 KiB page from 1 MiB
 * up to 1 MiB + BENCH_TOUCH_MB (the bench's figure of guest RAM touched),
 * print "ready" and halt with interrupts off: the VM sits still while the
 * bench reads the VMM's /proc/PID/status, then kills it.
 */
#include "guest.h"
#define BENCH_TOUCH_MB 16
	entry32
	mov $0x100000, %edi
	mov $(BENCH_TOUCH_MB * 256), %ecx
1:	movb $1, (%edi)
	add $4096, %edi
	dec %ecx
	jnz 1b
	puts ready
	cli
2:	hlt
	jmp 2b
ready:	.asciz "ready\n"
