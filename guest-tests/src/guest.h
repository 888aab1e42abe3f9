/*
 * Assembler helpers shared by the tiny guests.  They talk to kvmini's
 * platform directly: COM1 at 0x3f8, ACPI PM1a_CNT at 0x604 (S5 = 5).
 */
#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define ACPI_PM1_CNT 0x604
#define ACPI_RESET 0x60c
#define SLP_S5 ((5 << 10) | (1 << 13))

/* Xen PVH entry note: kvmini enters _start in 32-bit protected mode. */
.macro pvh_note entry
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 4, 4, 18
	.asciz "Xen"
	.long \entry
	.popsection
.endm

/*
 * Write the NUL-terminated string at (e/r)si to COM1, in any CPU mode
 * (lodsb uses the mode's own si); ends after the NUL.  Uses the local
 * labels 1 and 2.  Clobbers al, dx, si.  No polling: kvmini's UART
 * transmits at once.
 */
.macro com1_write_str
	mov $COM1, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:
.endm

/* print the NUL-terminated string at \str (clobbers al, dx, esi) */
.macro puts str
	mov $\str, %esi
	call guest_puts
.endm

/* ACPI soft-off: kvmini exits with code 0 */
.macro poweroff
	mov $ACPI_PM1_CNT, %dx
	mov $SLP_S5, %ax
	out %ax, %dx
	hlt
.endm

/* Entry of a 32-bit PVH guest: PVH gives no stack, so make one. */
.macro entry32
	.code32
	.text
	.globl _start
_start:
	mov $0x80000, %esp
	pvh_note _start
.endm
