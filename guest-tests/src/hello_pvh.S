/* Prints a line through the UART from a PVH entry and powers off. */
#include "guest.h"
	entry32
	cmpl $0x336ec578, (%ebx)	/* hvm_start_info magic in EBX */
	jne 1f
	puts hello
	poweroff
1:	puts bad_magic
	poweroff
hello:	.asciz "hello from a PVH guest\n"
bad_magic: .asciz "FAIL: no hvm_start_info in EBX\n"
