// SPDX-License-Identifier: GPL-2.0
/*
 * Linux bzImage via the 64-bit boot protocol (boot.rst, "64-bit Boot
 * Protocol"): the protected-mode kernel at 1 MiB, boot_params with the
 * setup header copied from the image, entry at load address + 0x200.
 */
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "layout.h"
#include "vm.h"

#define SETUP_HDR_OFFSET      0x1f1
#define MIN_PROTOCOL	      0x020c /* 2.12: xloadflags and the 64-bit entry */
#define LOADER_TYPE_UNDEFINED 0xff
#define ENTRY_64_OFFSET	      0x200

/*
 * The parts of boot_params every Linux entry reads: loader type, command
 * line, initrd (above @kernel_end, below the header's initrd_addr_max),
 * the e820 map and the RSDP.  bp->hdr must already hold the header.
 */
int linux_fill_zero_page(struct vm *vm, struct boot_params *bp, uint64_t rsdp,
			 uint64_t kernel_end, char *why)
{
	const struct guest_mem *mem = &vm->mem;
	struct setup_header *hdr = &bp->hdr;

	hdr->type_of_loader = LOADER_TYPE_UNDEFINED;
	if (boot_write_cmdline(mem, boot_cmdline(vm), hdr->cmdline_size, why))
		return -1;
	hdr->cmd_line_ptr = CMDLINE_ADDR;
	if (vm->cfg->initrd) {
		uint64_t size, addr;

		addr = boot_place_initrd(mem, vm->cfg->initrd, kernel_end,
					 (uint64_t)hdr->initrd_addr_max + 1,
					 &size, why);
		if (!addr)
			return -1;
		hdr->ramdisk_image = (uint32_t)addr;
		hdr->ramdisk_size = (uint32_t)size;
		bp->ext_ramdisk_image = addr >> 32;
		bp->ext_ramdisk_size = size >> 32;
	}
	bp->e820_entries =
		memmap_build(mem, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	bp->acpi_rsdp_addr = rsdp;
	return 0;
}

int linux_load_bzimage(struct vm *vm, const struct boot_image *img,
		       uint64_t rsdp, struct boot_entry *entry, char *why)
{
	const struct guest_mem *mem = &vm->mem;
	struct boot_params *bp = gpa_ptr(mem, BOOT_INFO_ADDR, sizeof(*bp));
	struct setup_header *hdr;
	uint64_t setup_size, ksize, kernel_end;
	size_t hdr_len;

	if (!bp) {
		snprintf(why, BOOT_WHY_LEN,
			 "guest RAM too small for boot_params");
		return -1;
	}
	memset(bp, 0, sizeof(*bp));
	/* the header ends at 0x202 + the byte at 0x201 (boot.rst) */
	hdr_len = 0x202 + img->data[0x201] - SETUP_HDR_OFFSET;
	if (hdr_len > sizeof(*hdr))
		hdr_len = sizeof(*hdr);
	if (hdr_len > img->size - SETUP_HDR_OFFSET) /* short file */
		hdr_len = img->size - SETUP_HDR_OFFSET;
	memcpy(&bp->hdr, img->data + SETUP_HDR_OFFSET, hdr_len);
	hdr = &bp->hdr;

	if (hdr->version < MIN_PROTOCOL || !(hdr->xloadflags & XLF_KERNEL_64)) {
		snprintf(why, BOOT_WHY_LEN,
			 "%s: boot protocol %u.%02u without a 64-bit entry; "
			 "kvmini needs a 64-bit kernel (protocol 2.12+)",
			 img->path, hdr->version >> 8, hdr->version & 0xff);
		return -1;
	}
	setup_size = ((hdr->setup_sects ? hdr->setup_sects : 4) + 1) * 512ULL;
	if (setup_size >= img->size) {
		snprintf(why, BOOT_WHY_LEN, "%s: truncated bzImage", img->path);
		return -1;
	}
	ksize = img->size - setup_size;
	/* the decompressor runs at pref_address and needs init_size there */
	kernel_end = KERNEL_LOAD_ADDR + ksize;
	if (hdr->pref_address > UINT64_MAX - hdr->init_size) {
		snprintf(why, BOOT_WHY_LEN,
			 "%s: corrupt setup header "
			 "(pref_address 0x%llx)",
			 img->path, (unsigned long long)hdr->pref_address);
		return -1;
	}
	if (hdr->pref_address + hdr->init_size > kernel_end)
		kernel_end = hdr->pref_address + hdr->init_size;
	if (kernel_end > guest_mem_low_end(mem) ||
	    guest_mem_write(mem, KERNEL_LOAD_ADDR, img->data + setup_size,
			    ksize)) {
		snprintf(why, BOOT_WHY_LEN,
			 "%s needs %llu MiB of RAM to boot; give more --mem",
			 img->path, (unsigned long long)(kernel_end >> 20) + 1);
		return -1;
	}

	hdr->loadflags |= LOADED_HIGH;
	if (linux_fill_zero_page(vm, bp, rsdp, kernel_end, why))
		return -1;

	entry->mode = BOOT_MODE_64;
	entry->rip = KERNEL_LOAD_ADDR + ENTRY_64_OFFSET;
	entry->rsi = BOOT_INFO_ADDR;
	entry->rbx = 0;
	return 0;
}
