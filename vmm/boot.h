/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading what the guest boots, and the CPU state it starts in.
 *   boot.c        file reading, e820 map, page tables/GDT, entry registers
 *   boot_linux.c  Linux bzImage (Documentation/arch/x86/boot.rst)
 *   boot_elf.c    ELF kernels; the Xen PVH entry note when present
 *   boot_multiboot.c  Multiboot v1 kernels (ELF or address fields)
 *   boot_flat.c   raw binaries at a given address (format=flat)
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
	BOOT_MODE_64,	/* long mode, identity paging, RSI = info */
	BOOT_MODE_32,	/* flat 32-bit protected mode, no paging */
	BOOT_MODE_REAL, /* real mode: CS = DS = ES = SS = real_seg */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t rip;
	uint64_t rsi;
	uint64_t rbx;
	uint64_t rax;
	uint64_t rsp;
	uint16_t real_seg; /* BOOT_MODE_REAL only */
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
/* The same, with conventional RAM ending (and reserved space starting)
 * at @low_ram_end instead of the EBDA. */
int memmap_build_low(const struct guest_mem *mem, uint64_t low_ram_end,
		     struct boot_e820_entry *out, int max);

/* What a kernel file looks like (KERNEL_FORMAT_AUTO: nothing known). */
enum kernel_format boot_detect_format(const uint8_t *data, size_t size);
/* Option checks that need the kernel file's format: -1 with @why for a
 * usage error; a file that cannot be read is left to boot_load. */
int boot_check_options(const struct vm_config *cfg, char *why);
/* Name of kvmini's own structure that [gpa, gpa+len) overlaps when
 * booting in @mode, or NULL when the range is free. */
const char *boot_reserved_overlap(uint64_t gpa, uint64_t len, int mode);

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
/* PT_LOAD segments of an ELF at their physical addresses (at or above
 * 1 MiB); @start/@end bound what was loaded. */
int elf_load_segments(struct vm *vm, const struct boot_image *img,
		      uint64_t *entry, uint64_t *start, uint64_t *end,
		      char *why);
int multiboot_load(struct vm *vm, const struct boot_image *img,
		   struct boot_entry *entry, char *why);
int flat_load(struct vm *vm, const struct boot_image *img,
	      struct boot_entry *entry, char *why);

/* --boot disk (boot_bios.c): the firmware image, its reset-vector alias
 * and the info block it reads; the vCPU then starts in its reset state. */
int bios_load(struct vm *vm, char *why);
/* The info block (bios/abi.h, BI_SIZE bytes) for @vm into @bi. */
int bios_info_build(struct vm *vm, uint8_t *bi);
void bios_chs_geometry(uint64_t sectors, uint16_t *cylinders, uint8_t *heads,
		       uint8_t *spt);

/* Page tables, GDT and registers for @entry on the boot vCPU. */
int boot_setup_bsp(struct vcpu *bsp, const struct boot_entry *entry);

#endif
