// SPDX-License-Identifier: GPL-2.0
/*
 * --boot disk: instead of loading a kernel, place kvmini's firmware
 * (bios/, embedded at build time) where a PC has its BIOS and let the
 * boot vCPU start at the reset vector, in KVM's reset state
 * (CS = 0xf000 with base 0xffff0000, IP = 0xfff0).
 *
 *   0x000f8000  the image, in guest RAM (a shadowed ROM; e820 reserved)
 *   0xffff8000  the same host pages again, a read-only memory slot: the
 *               reset vector at 0xfffffff0 jumps into the low copy
 *   0x0009fc10  the info block the firmware reads (bios/abi.h)
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../bios/abi.h"
#include "boot.h"
#include "host_check.h"
#include "layout.h"
#include "virtio_blk.h"
#include "vm.h"

/* bios/blob.S: the linked firmware, BIOS_ROM_SIZE bytes */
extern const uint8_t bios_image_start[], bios_image_end[];

#define BIOS_ALIAS_SLOT GUEST_MEM_MAX_REGIONS /* after the RAM slots */

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * A CHS geometry for INT 13h AH=02h/08h: 16 heads while that reaches the
 * disk's end (what small images and boot sectors expect), 255 beyond;
 * 63 sectors per track; at most 1024 cylinders.
 */
void bios_chs_geometry(uint64_t sectors, uint16_t *cylinders, uint8_t *heads,
		       uint8_t *spt)
{
	uint64_t c;

	*spt = 63;
	*heads = sectors <= 1024ULL * 16 * 63 ? 16 : 255;
	c = sectors / (*heads * *spt);
	*cylinders = c == 0 ? 1 : c > 1024 ? 1024 : c;
}

static uint16_t clamp16(uint64_t v)
{
	return v > 0xffff ? 0xffff : v;
}

int bios_info_build(struct vm *vm, uint8_t *bi)
{
	struct boot_e820_entry map[BI_E820_MAX];
	uint64_t low_end = guest_mem_low_end(&vm->mem);
	uint64_t ext_end = low_end < (16ULL << 20) ? low_end : 16ULL << 20;
	int n = memmap_build(&vm->mem, map, BI_E820_MAX - 1);

	memset(bi, 0, BI_SIZE);
	/* the alias is no RAM and no PCI window: tell the OS it is taken */
	map[n++] = (struct boot_e820_entry){ BIOS_ROM_ALIAS, BIOS_ROM_SIZE, 2 };
	bi[BI_MAGIC + 0] = BIOS_INFO_MAGIC & 0xff;
	bi[BI_MAGIC + 1] = (BIOS_INFO_MAGIC >> 8) & 0xff;
	bi[BI_MAGIC + 2] = (BIOS_INFO_MAGIC >> 16) & 0xff;
	bi[BI_MAGIC + 3] = (BIOS_INFO_MAGIC >> 24) & 0xff;
	bi[BI_NR_E820] = n;
	bi[BI_NR_DRIVES] =
		vm->nr_blk < BI_DRIVES_MAX ? vm->nr_blk : BI_DRIVES_MAX;
	put16(bi + BI_BASE_KB, EBDA_ADDR / 1024);
	if (host_kvm_is_pvm())
		bi[BI_FLAGS] |= BI_FLAG_NO_TIMER;
	put16(bi + BI_EXT_KB, (ext_end - BIOS_AREA_END) / 1024);
	if (low_end > (16ULL << 20))
		put16(bi + BI_HIGH_64K,
		      clamp16((low_end - (16ULL << 20)) >> 16));
	for (int i = 0; i < n; i++)
		memcpy(bi + BI_E820 + i * BI_E820_SIZE, &map[i], BI_E820_SIZE);
	for (int i = 0; i < bi[BI_NR_DRIVES]; i++) {
		uint8_t *d = bi + BI_DRIVES + i * BD_SIZE;
		uint64_t sectors = virtio_blk_sectors(vm->blk[i]);
		uint16_t cyl;

		memcpy(d + BD_SECTORS, &sectors, 8);
		bios_chs_geometry(sectors, &cyl, &d[BD_HEADS], &d[BD_SPT]);
		put16(d + BD_CYLINDERS, cyl);
		d[BD_FLAGS] =
			virtio_blk_is_read_only(vm->blk[i]) ? BD_FLAG_RO : 0;
	}
	return 0;
}

static int map_reset_alias(struct vm *vm, char *why)
{
	struct kvm_userspace_memory_region kr = {
		.slot = BIOS_ALIAS_SLOT,
		.guest_phys_addr = BIOS_ROM_ALIAS,
		.memory_size = BIOS_ROM_SIZE,
		.userspace_addr = (uintptr_t)gpa_ptr(&vm->mem, BIOS_ROM_ADDR,
						     BIOS_ROM_SIZE),
	};

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0)
		kr.flags = KVM_MEM_READONLY;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0) {
		snprintf(why, BOOT_WHY_LEN,
			 "KVM refused the firmware at 0x%llx: %s",
			 (unsigned long long)BIOS_ROM_ALIAS, strerror(errno));
		return -1;
	}
	return 0;
}

int bios_load(struct vm *vm, char *why)
{
	size_t size = bios_image_end - bios_image_start;
	uint8_t *rom = gpa_ptr(&vm->mem, BIOS_ROM_ADDR, BIOS_ROM_SIZE);
	uint8_t *info = gpa_ptr(&vm->mem, BIOS_INFO_ADDR, BI_SIZE);

	if (size != BIOS_ROM_SIZE || !rom || !info) {
		snprintf(why, BOOT_WHY_LEN,
			 size != BIOS_ROM_SIZE
				 ? "internal error: the firmware image is %zu "
				   "bytes"
				 : "guest RAM too small for the firmware (%zu)",
			 size);
		return -1;
	}
	memcpy(rom, bios_image_start, size);
	bios_info_build(vm, info);
	return map_reset_alias(vm, why);
}
