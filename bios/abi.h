/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between kvmini and its firmware: the private I/O ports and
 * the info block kvmini writes into the EBDA before the first instruction.
 * Plain #defines only: included by the assembler sources in bios/ and by
 * devices/bios_dev.c and vmm/boot_bios.c.  See bios/README.md.
 */
#ifndef KVMINI_BIOS_ABI_H
#define KVMINI_BIOS_ABI_H

/*
 * Disk port block "bios-disk": 32-bit registers.  The firmware fills
 * drive, LBA, count and buffer, then writes a command; kvmini does the
 * whole transfer synchronously during that one port write, and STATUS
 * reads back 0 or an INT 13h error code.
 */
#define BIOS_DISK_PORT	    0x0500
#define BIOS_DISK_CMD	    0x00 /* write: command; read: status */
#define BIOS_DISK_DRIVE	    0x04 /* 0 = first --disk (BIOS drive 0x80) */
#define BIOS_DISK_LBA_LO    0x08
#define BIOS_DISK_LBA_HI    0x0c
#define BIOS_DISK_COUNT	    0x10 /* sectors of 512 bytes */
#define BIOS_DISK_BUF	    0x14 /* guest-physical buffer address */
#define BIOS_DISK_PORT_LEN  0x18

#define BIOS_DISK_CMD_READ  1
#define BIOS_DISK_CMD_WRITE 2

/* largest transfer one command may ask for (AH=42h's count is 16 bits) */
#define BIOS_DISK_MAX_COUNT 0xffff

/* status codes: INT 13h AH error values (RBIL table 00234) */
#define BIOS_ST_OK	      0x00
#define BIOS_ST_BAD_COMMAND   0x01 /* bad command, drive or count */
#define BIOS_ST_WRITE_PROTECT 0x03 /* write to a ro disk */
#define BIOS_ST_NOT_FOUND     0x04 /* sector beyond the end of the disk */
#define BIOS_ST_BOUNDARY      0x09 /* buffer not entirely in guest RAM */
#define BIOS_ST_HOST_ERROR    0x20 /* the host's read/write failed */

/*
 * Debug port block "bios-debug":
 *   +0 (16-bit write) an unknown BIOS call: INT number << 8 | AH.  Counted
 *      (--stats shows the device's writes and the last call); the
 *      firmware returns to the caller with carry set.
 *   +2 (8-bit write) the firmware gives up: kvmini prints why and exits
 *      with status 1.  BIOS_STOP_NO_BOOT: no bootable disk.
 */
#define BIOS_DEBUG_PORT	    0x0518
#define BIOS_DEBUG_UNKNOWN  0x00
#define BIOS_DEBUG_STOP	    0x02
#define BIOS_DEBUG_PORT_LEN 0x04

#define BIOS_STOP_NO_BOOT 1

/* System control port A: bit 1 A20 (always on), bit 0 fast reset. */
#define BIOS_PORT92 0x92

/*
 * Info block at BIOS_INFO_ADDR (inside the EBDA, 0x9fc00; the EBDA's
 * first byte is its size in KiB, so the block starts at +0x10).
 */
#define BIOS_EBDA_SEG	      0x9fc0
#define BIOS_INFO_OFF	      0x10 /* offset in the EBDA segment */
#define BIOS_INFO_ADDR	      (0x9fc00 + BIOS_INFO_OFF)
#define BIOS_INFO_MAGIC	      0x4f494221 /* "!BIO", checked by POST */
/* offsets in the block */
#define BI_MAGIC	      0x00 /* 32 bits */
#define BI_NR_DRIVES	      0x04 /* 8 bits */
#define BI_NR_E820	      0x05 /* 8 bits */
#define BI_EXT_KB	      0x06 /* 16 bits: KiB from 1 MiB to 16 MiB */
#define BI_HIGH_64K	      0x08 /* 16 bits: 64 KiB blocks 16 MiB..4 GiB */
#define BI_BASE_KB	      0x0a /* 16 bits: conventional KiB (INT 12h) */
#define BI_FLAGS	      0x0c /* 8 bits: */
/*
 * No timer interrupt: on PVM hosts KVM's instruction emulator runs all
 * CPL0 code and cannot emulate a protected-mode IRET, so a bootloader
 * that switches to protected mode (SYSLINUX, GRUB) would die at its first
 * tick.  The BIOS then leaves IRQ 0 masked: the BDA tick count stands
 * still and INT 16h polls instead of halting.
 */
#define BI_FLAG_NO_TIMER      0x01
#define BI_E820		      0x10 /* entries of 20 bytes */
#define BI_E820_MAX	      8
#define BI_E820_SIZE	      20
#define BI_DRIVES	      (BI_E820 + BI_E820_MAX * BI_E820_SIZE)
#define BI_DRIVES_MAX	      16
/* per drive, 16 bytes: */
#define BD_SECTORS	      0x00 /* 64 bits */
#define BD_CYLINDERS	      0x08 /* 16 bits: CHS geometry for AH=02h/08h */
#define BD_HEADS	      0x0a /* 8 bits */
#define BD_SPT		      0x0b /* 8 bits: sectors per track */
#define BD_FLAGS	      0x0c /* 8 bits */
#define BD_FLAG_RO	      0x01
#define BD_SIZE		      0x10
#define BI_SIZE		      (BI_DRIVES + BI_DRIVES_MAX * BD_SIZE)
/* the firmware's own variables, after the block (EBDA offsets) */
#define BIOS_VAR_KEY	      (BIOS_INFO_OFF + BI_SIZE) /* 16 bits: peeked key */
#define BIOS_VAR_KEY_VALID    (BIOS_VAR_KEY + 2)	  /* 8 bits */

#endif
