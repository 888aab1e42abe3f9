/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading what the guest boots, and the CPU state it starts in.
 *   boot.c        file reading, e820 map, page tables/GDT, entry registers
 *   boot_linux.c  Linux bzImage (Documentation/arch/x86/boot.rst)
 *   boot_elf.c    ELF kernels; the Xen PVH entry note when present
 */
#ifndef KVMINI_BOOT_H
#define KVMINI_BOOT_H

#include <asm/bootparam.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "guest_mem.h"

struct vm;
struct vcpu;

enum boot_mode {
	BOOT_MODE_64, /* long mode, identity paging, RSI = info */
	BOOT_MODE_32, /* flat 32-bit protected mode, no paging */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t rip;
	uint64_t rsi;
	uint64_t rbx;
};

struct boot_image {
	const char *path;
	uint8_t *data;
	size_t size;
};

#define BOOT_WHY_LEN 256

/* Reads a whole regular file (at most @max bytes) into memory. */
int boot_read_file(const char *path, uint64_t max, struct boot_image *img,
		   char *why);
void boot_free_image(struct boot_image *img);

/* Loads the kernel (and initrd) named in @cfg; fills @entry. */
int boot_load(struct vm *vm, uint64_t rsdp, struct boot_entry *entry,
	      char *why);

/* The guest's memory map: RAM, minus the BIOS area; returns entries. */
int memmap_build(const struct guest_mem *mem, struct boot_e820_entry *out,
		 int max);

/* Loads a file straight into guest RAM at @gpa; -1 with @why on error. */
int boot_load_file_at(const struct guest_mem *mem, const char *path,
		      uint64_t gpa, uint64_t size, char *why);

/* Places the initrd as high as allowed; returns its gpa or 0 with @why. */
uint64_t boot_place_initrd(const struct guest_mem *mem, const char *path,
			   uint64_t lowest, uint64_t highest_end,
			   uint64_t *size, char *why);

/* The command line to boot with: the user's plus what devices added. */
const char *boot_cmdline(const struct vm *vm);
int boot_write_cmdline(const struct guest_mem *mem, const char *cmdline,
		       uint64_t max_len, char *why);

int linux_fill_zero_page(struct vm *vm, struct boot_params *bp, uint64_t rsdp,
			 uint64_t kernel_end, char *why);
int linux_load_bzimage(struct vm *vm, const struct boot_image *img,
		       uint64_t rsdp, struct boot_entry *entry, char *why);
int elf_is_elf(const struct boot_image *img);
int elf_load(struct vm *vm, const struct boot_image *img, uint64_t rsdp,
	     struct boot_entry *entry, char *why);
int linux_is_bzimage(const struct boot_image *img);

/* Page tables, GDT and registers for @entry on the boot vCPU. */
int boot_setup_bsp(struct vcpu *bsp, const struct boot_entry *entry);

#endif
