/* SPDX-License-Identifier: GPL-2.0 */
/* The built firmware (BIOS_BIN, from the Makefile) inside kvmini. */
	.section .rodata, "a"
	.balign 16
	.globl bios_image_start, bios_image_end
bios_image_start:
	.incbin BIOS_BIN
bios_image_end:
	.section .note.GNU-stack, "", @progbits
