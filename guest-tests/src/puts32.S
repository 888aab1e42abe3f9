#include "guest.h"
	.code32
	.text
	.globl guest_puts
/* esi: string; polls nothing: kvmini's UART transmits instantly */
guest_puts:
	com1_write_str
	ret
