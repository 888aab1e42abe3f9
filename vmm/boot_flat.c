// SPDX-License-Identifier: GPL-2.0
/*
 * Flat binaries (--kernel FILE,format=flat,addr=ADDR): the file's bytes
 * at ADDR, nothing else loaded, no boot information.  The guest starts at
 * entry= (default ADDR) in real mode, 32-bit protected mode or long mode
 * (mode=; default real when ADDR is below 1 MiB, else 32).  Real mode:
 * CS = 0 and IP = entry below 64 KiB, else CS = entry >> 4 and
 * IP = entry & 0xf; DS = ES = SS = CS, SP = 0xfffe.  docs/boot-formats.md
 */
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "layout.h"
#include "vm.h"

#define FOUR_GIB      0x100000000ULL
#define REAL_MODE_TOP 0x100000ULL /* the highest entry real mode reaches */
#define REAL_MODE_SP  0xfffe

static enum boot_mode flat_boot_mode(const struct kernel_options *k)
{
	switch (k->mode) {
	case FLAT_MODE_REAL: return BOOT_MODE_REAL;
	case FLAT_MODE_32: return BOOT_MODE_32;
	case FLAT_MODE_64: return BOOT_MODE_64;
	default: return k->addr < BIOS_AREA_END ? BOOT_MODE_REAL : BOOT_MODE_32;
	}
}

static int check_entry(const struct boot_image *img, enum boot_mode mode,
		       uint64_t rip, char *why)
{
	uint64_t top = mode == BOOT_MODE_REAL ? REAL_MODE_TOP : FOUR_GIB;

	if (rip < top)
		return 0;
	/* long mode runs on kvmini's identity map of the first 4 GiB */
	snprintf(why, BOOT_WHY_LEN, "%s: entry 0x%llx is out of reach in %s",
		 img->path, (unsigned long long)rip,
		 mode == BOOT_MODE_REAL ? "real mode (below 1 MiB)"
					: "the first 4 GiB");
	return -1;
}

int flat_load(struct vm *vm, const struct boot_image *img,
	      struct boot_entry *entry, char *why)
{
	const struct kernel_options *k = &vm->cfg->kopts;
	enum boot_mode mode = flat_boot_mode(k);
	uint64_t rip = k->has_entry ? k->entry : k->addr;
	const char *clash;
	uint8_t *dst;

	if (!k->has_addr) {
		snprintf(why, BOOT_WHY_LEN, "format=flat needs addr=ADDR");
		return -1;
	}
	dst = img->size <= UINT64_MAX - k->addr
		      ? gpa_ptr(&vm->mem, k->addr, img->size)
		      : NULL;
	if (!dst) {
		snprintf(why, BOOT_WHY_LEN,
			 "%s (%zu bytes) does not fit in guest RAM at 0x%llx",
			 img->path, img->size, (unsigned long long)k->addr);
		return -1;
	}
	clash = boot_reserved_overlap(k->addr, img->size, mode);
	if (clash) {
		snprintf(why, BOOT_WHY_LEN,
			 "%s at 0x%llx-0x%llx overlaps kvmini's %s", img->path,
			 (unsigned long long)k->addr,
			 (unsigned long long)(k->addr + img->size), clash);
		return -1;
	}
	if (check_entry(img, mode, rip, why))
		return -1;
	memcpy(dst, img->data, img->size);
	memset(entry, 0, sizeof(*entry));
	entry->mode = mode;
	entry->rip = rip;
	if (mode == BOOT_MODE_REAL) {
		entry->real_seg = rip < 0x10000 ? 0 : rip >> 4;
		entry->rip = rip < 0x10000 ? rip : rip & 0xf;
		entry->rsp = REAL_MODE_SP;
	}
	return 0;
}
