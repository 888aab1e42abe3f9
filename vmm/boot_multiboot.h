/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiboot v1 (Multiboot Specification 0.6.96): the OS image header and
 * the boot information kvmini passes in EBX.  All fields little-endian.
 */
#ifndef KVMINI_BOOT_MULTIBOOT_H
#define KVMINI_BOOT_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#define MULTIBOOT_HEADER_MAGIC 0x1badb002u
#define MULTIBOOT_BOOT_MAGIC   0x2badb002u /* EAX at entry */
#define MULTIBOOT_SEARCH_BYTES 8192	   /* the header lies within these */

/* header flags; bits 0-15 are requirements a loader must meet or refuse */
#define MULTIBOOT_HDR_MODS_ALIGNED (1u << 0)
#define MULTIBOOT_HDR_MEMINFO	   (1u << 1)
#define MULTIBOOT_HDR_VIDEO	   (1u << 2)
#define MULTIBOOT_HDR_ADDRESSES	   (1u << 16)
#define MULTIBOOT_HDR_REQUIRED	   0x0000ffffu

/* info flags: which fields of struct multiboot_info are valid */
#define MULTIBOOT_INFO_MEM	   (1u << 0)
#define MULTIBOOT_INFO_CMDLINE	   (1u << 2)
#define MULTIBOOT_INFO_MODS	   (1u << 3)
#define MULTIBOOT_INFO_MMAP	   (1u << 6)
#define MULTIBOOT_INFO_LOADER_NAME (1u << 9)

#define MULTIBOOT_MAX_MODS 17 /* --initrd plus MAX_MODULES --module */

struct multiboot_header {
	uint32_t magic, flags, checksum;
	/* valid with MULTIBOOT_HDR_ADDRESSES */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t entry_addr;
};

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB from 0 and from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off;
	uint16_t vbe_interface_len;
};
_Static_assert(sizeof(struct multiboot_info) == 88, "Multiboot info layout");

/* size counts the bytes after itself: mmap_addr points at size */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry");

struct multiboot_module {
	uint32_t mod_start, mod_end; /* end exclusive */
	uint32_t string;
	uint32_t reserved;
};

enum multiboot_find {
	MULTIBOOT_NOT_FOUND,
	MULTIBOOT_FOUND,
	MULTIBOOT_BAD_CHECKSUM, /* the magic, but no valid header */
	MULTIBOOT_CUT_OFF,	/* valid, but its address fields are missing */
};

/* Looks for the header in the first 8 KiB, 4-byte aligned; on
 * MULTIBOOT_FOUND fills @hdr and @offset (where in the file). */
enum multiboot_find multiboot_find_header(const uint8_t *data, size_t size,
					  struct multiboot_header *hdr,
					  uint64_t *offset);

/* Refuses requirement flags kvmini cannot meet (video mode, unknown). */
int multiboot_check_flags(uint32_t flags, char *why);

/* Where an address-fields (flag 16) image goes: the file's bytes
 * [file_offset, file_offset + load_size) to load_addr, zero up to
 * bss_end, enter at entry. */
struct multiboot_layout {
	uint64_t file_offset, load_addr, load_size, bss_end, entry;
};
int multiboot_address_layout(const struct multiboot_header *hdr,
			     uint64_t header_offset, uint64_t file_size,
			     struct multiboot_layout *out, char *why);

#endif
