// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot v1 kernels, after the Multiboot Specification 0.6.96.  The
 * image is either an ELF (PT_LOAD segments to their physical addresses)
 * or, with header flag 16, placed by the header's address fields, which
 * is what makes flat "a.out kludge" binaries bootable.  Kernels load at
 * or above 1 MiB, modules page-aligned above the kernel, and the boot
 * information lives in a low area (MULTIBOOT_INFO_ADDR) that the memory
 * map it describes marks reserved.  Entry: 32-bit protected mode, paging
 * off, flat segments, EAX = 0x2BADB002, EBX = the info structure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "boot.h"
#include "boot_multiboot.h"
#include "layout.h"
#include "vm.h"

#define PAGE_SIZE      0x1000ULL
#define FOUR_GIB       0x100000000ULL
#define E820_TYPE_RAM  1
#define MB_LOADER_NAME "kvmini"

/* Sub-areas of the info area; strings fill the rest. */
#define MB_INFO_OFF    0x000
#define MB_MMAP_OFF    0x080
#define MB_MMAP_MAX    8
#define MB_MODS_OFF    0x200
#define MB_STRINGS_OFF (MB_MODS_OFF + MULTIBOOT_MAX_MODS * 16)

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

enum multiboot_find multiboot_find_header(const uint8_t *data, size_t size,
					  struct multiboot_header *hdr,
					  uint64_t *offset)
{
	size_t limit =
		size < MULTIBOOT_SEARCH_BYTES ? size : MULTIBOOT_SEARCH_BYTES;
	enum multiboot_find seen = MULTIBOOT_NOT_FOUND;

	for (size_t off = 0; off + 12 <= limit; off += 4) {
		const uint8_t *p = data + off;
		uint32_t flags = rd32(p + 4);

		if (rd32(p) != MULTIBOOT_HEADER_MAGIC)
			continue;
		if ((uint32_t)(MULTIBOOT_HEADER_MAGIC + flags + rd32(p + 8))) {
			seen = MULTIBOOT_BAD_CHECKSUM;
			continue;
		}
		memset(hdr, 0, sizeof(*hdr));
		hdr->magic = MULTIBOOT_HEADER_MAGIC;
		hdr->flags = flags;
		hdr->checksum = rd32(p + 8);
		*offset = off;
		if (!(flags & MULTIBOOT_HDR_ADDRESSES))
			return MULTIBOOT_FOUND;
		/* the whole header must be inside the first 8 KiB */
		if (off + 32 > limit)
			return MULTIBOOT_CUT_OFF;
		hdr->header_addr = rd32(p + 12);
		hdr->load_addr = rd32(p + 16);
		hdr->load_end_addr = rd32(p + 20);
		hdr->bss_end_addr = rd32(p + 24);
		hdr->entry_addr = rd32(p + 28);
		return MULTIBOOT_FOUND;
	}
	return seen;
}

int multiboot_check_flags(uint32_t flags, char *why)
{
	uint32_t known = MULTIBOOT_HDR_MODS_ALIGNED | MULTIBOOT_HDR_MEMINFO;
	uint32_t unmet = flags & MULTIBOOT_HDR_REQUIRED & ~known;

	if (unmet & MULTIBOOT_HDR_VIDEO) {
		snprintf(why, BOOT_WHY_LEN,
			 "the Multiboot header requires a video mode (flag "
			 "bit 2); kvmini has no display");
		return -1;
	}
	if (unmet) {
		snprintf(why, BOOT_WHY_LEN,
			 "the Multiboot header requires features kvmini does "
			 "not know (flags 0x%x)",
			 unmet);
		return -1;
	}
	return 0;
}

int multiboot_address_layout(const struct multiboot_header *h,
			     uint64_t header_offset, uint64_t file_size,
			     struct multiboot_layout *l, char *why)
{
	uint64_t lead = (uint64_t)h->header_addr - h->load_addr;
	uint64_t load_end;

	if (h->load_addr > h->header_addr || lead > header_offset) {
		snprintf(why, BOOT_WHY_LEN,
			 "Multiboot load_addr 0x%x is above header_addr 0x%x "
			 "or before the start of the file",
			 h->load_addr, h->header_addr);
		return -1;
	}
	l->file_offset = header_offset - lead;
	l->load_addr = h->load_addr;
	if (h->load_end_addr == 0) {
		l->load_size = file_size - l->file_offset;
	} else if (h->load_end_addr < h->load_addr) {
		snprintf(why, BOOT_WHY_LEN,
			 "Multiboot load_end_addr 0x%x is below load_addr 0x%x",
			 h->load_end_addr, h->load_addr);
		return -1;
	} else {
		l->load_size = (uint64_t)h->load_end_addr - h->load_addr;
	}
	if (l->load_size > file_size - l->file_offset) {
		snprintf(why, BOOT_WHY_LEN,
			 "truncated Multiboot image: %llu bytes to load from "
			 "offset %llu, the file has %llu",
			 (unsigned long long)l->load_size,
			 (unsigned long long)l->file_offset,
			 (unsigned long long)file_size);
		return -1;
	}
	load_end = l->load_addr + l->load_size;
	if (l->load_size == 0 || load_end > FOUR_GIB) {
		snprintf(why, BOOT_WHY_LEN,
			 "Multiboot image is empty or ends above 4 GiB");
		return -1;
	}
	l->bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (l->bss_end < load_end) {
		snprintf(why, BOOT_WHY_LEN,
			 "Multiboot bss_end_addr 0x%x is below the image's end "
			 "0x%llx",
			 h->bss_end_addr, (unsigned long long)load_end);
		return -1;
	}
	l->entry = h->entry_addr;
	if (l->entry < l->load_addr || l->entry >= load_end) {
		snprintf(
			why, BOOT_WHY_LEN,
			"Multiboot entry_addr 0x%x is outside the loaded image "
			"0x%llx-0x%llx",
			h->entry_addr, (unsigned long long)l->load_addr,
			(unsigned long long)load_end);
		return -1;
	}
	return 0;
}

/* Copies an address-fields image into RAM; *end = its bss end. */
static int load_by_addresses(const struct guest_mem *mem,
			     const struct boot_image *img,
			     const struct multiboot_header *h, uint64_t off,
			     uint64_t *entry, uint64_t *end, char *why)
{
	struct multiboot_layout l;
	uint8_t *dst;

	if (multiboot_address_layout(h, off, img->size, &l, why))
		return -1;
	/* below 1 MiB are kvmini's GDT, info area, ACPI and MP tables */
	dst = l.load_addr >= KERNEL_LOAD_ADDR
		      ? gpa_ptr(mem, l.load_addr, l.bss_end - l.load_addr)
		      : NULL;
	if (!dst) {
		snprintf(why, BOOT_WHY_LEN,
			 "%s: Multiboot image 0x%llx-0x%llx is not in guest "
			 "RAM at or above 1 MiB",
			 img->path, (unsigned long long)l.load_addr,
			 (unsigned long long)l.bss_end);
		return -1;
	}
	memcpy(dst, img->data + l.file_offset, l.load_size);
	memset(dst + l.load_size, 0, l.bss_end - l.load_addr - l.load_size);
	*entry = l.entry;
	*end = l.bss_end;
	return 0;
}

/* Bump allocation of the info area's string space. */
struct info_strings {
	const struct guest_mem *mem;
	uint64_t next, end;
};

static int put_string(struct info_strings *s, const char *str, uint32_t *gpa,
		      char *why)
{
	size_t len = strlen(str) + 1;

	if (len > s->end - s->next ||
	    guest_mem_write(s->mem, s->next, str, len)) {
		snprintf(why, BOOT_WHY_LEN,
			 "command lines and module names do not fit in the "
			 "%llu KiB Multiboot info area",
			 (MULTIBOOT_INFO_END - MULTIBOOT_INFO_ADDR) >> 10);
		return -1;
	}
	*gpa = (uint32_t)s->next;
	s->next += len;
	return 0;
}

/* Loads one module at *next (page-aligned) and moves *next past it. */
static int load_module(const struct guest_mem *mem, const char *path,
		       uint64_t *next, struct multiboot_module *mod, char *why)
{
	uint64_t top = guest_mem_low_end(mem);
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(why, BOOT_WHY_LEN, "cannot open module %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, BOOT_WHY_LEN, "module %s is not a regular file",
			 path);
		return -1;
	}
	if ((uint64_t)st.st_size > top || *next > top - st.st_size) {
		snprintf(why, BOOT_WHY_LEN,
			 "module %s (%llu KiB) does not fit in guest RAM above "
			 "the kernel; give more --mem",
			 path, (unsigned long long)st.st_size >> 10);
		return -1;
	}
	if (st.st_size && boot_load_file_at(mem, path, *next, st.st_size, why))
		return -1;
	mod->mod_start = (uint32_t)*next;
	mod->mod_end = (uint32_t)(*next + st.st_size);
	*next = (*next + st.st_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	return 0;
}

/* --initrd first, then each --module, page-aligned above the kernel. */
static int load_modules(struct vm *vm, uint64_t kernel_end,
			struct info_strings *s, struct multiboot_info *mbi,
			char *why)
{
	const struct vm_config *cfg = vm->cfg;
	struct multiboot_module mods[MULTIBOOT_MAX_MODS] = { 0 };
	uint64_t next = (kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	int n = 0;

	for (int i = -1; i < cfg->nr_modules; i++) {
		const char *path = i < 0 ? cfg->initrd : cfg->modules[i].path;
		const char *str = i < 0 ? NULL : cfg->modules[i].cmdline;

		if (!path)
			continue;
		if (n == MULTIBOOT_MAX_MODS) {
			snprintf(why, BOOT_WHY_LEN,
				 "more than %d Multiboot modules",
				 MULTIBOOT_MAX_MODS);
			return -1;
		}
		if (load_module(&vm->mem, path, &next, &mods[n], why) ||
		    put_string(s, str ? str : path, &mods[n].string, why))
			return -1;
		n++;
	}
	mbi->mods_count = n;
	mbi->mods_addr = MULTIBOOT_INFO_ADDR + MB_MODS_OFF;
	mbi->flags |= MULTIBOOT_INFO_MODS;
	return guest_mem_write(&vm->mem, mbi->mods_addr, mods, sizeof(mods));
}

/* The memory map, and mem_lower/mem_upper taken from the same map. */
static int write_mmap(const struct guest_mem *mem, struct multiboot_info *mbi)
{
	struct boot_e820_entry e820[MB_MMAP_MAX];
	struct multiboot_mmap_entry map[MB_MMAP_MAX] = { 0 };
	int n = memmap_build_low(mem, MULTIBOOT_INFO_ADDR, e820, MB_MMAP_MAX);

	for (int i = 0; i < n; i++) {
		map[i] = (struct multiboot_mmap_entry){ sizeof(map[i]) - 4,
							e820[i].addr,
							e820[i].size,
							e820[i].type };
		if (e820[i].type != E820_TYPE_RAM)
			continue;
		if (e820[i].addr == 0)
			mbi->mem_lower = e820[i].size >> 10;
		if (e820[i].addr == KERNEL_LOAD_ADDR)
			mbi->mem_upper = e820[i].size >> 10;
	}
	mbi->mmap_addr = MULTIBOOT_INFO_ADDR + MB_MMAP_OFF;
	mbi->mmap_length = n * sizeof(map[0]);
	mbi->flags |= MULTIBOOT_INFO_MEM | MULTIBOOT_INFO_MMAP;
	return guest_mem_write(mem, mbi->mmap_addr, map, sizeof(map));
}

static int write_info(struct vm *vm, uint64_t kernel_end, char *why)
{
	struct info_strings s = { &vm->mem,
				  MULTIBOOT_INFO_ADDR + MB_STRINGS_OFF,
				  MULTIBOOT_INFO_END };
	struct multiboot_info mbi = { 0 };

	if (write_mmap(&vm->mem, &mbi) ||
	    put_string(&s, MB_LOADER_NAME, &mbi.boot_loader_name, why) ||
	    put_string(&s, boot_cmdline(vm), &mbi.cmdline, why) ||
	    load_modules(vm, kernel_end, &s, &mbi, why))
		goto fail;
	mbi.flags |= MULTIBOOT_INFO_LOADER_NAME | MULTIBOOT_INFO_CMDLINE;
	if (guest_mem_write(&vm->mem, MULTIBOOT_INFO_ADDR + MB_INFO_OFF, &mbi,
			    sizeof(mbi)))
		goto fail;
	return 0;
fail:
	if (!why[0])
		snprintf(why, BOOT_WHY_LEN,
			 "guest RAM too small for the Multiboot info");
	return -1;
}

/* The header, or a message for a file that has none. */
static int find_header(const struct boot_image *img, struct multiboot_header *h,
		       uint64_t *off, char *why)
{
	switch (multiboot_find_header(img->data, img->size, h, off)) {
	case MULTIBOOT_FOUND: return multiboot_check_flags(h->flags, why);
	case MULTIBOOT_BAD_CHECKSUM:
		snprintf(why, BOOT_WHY_LEN,
			 "%s: Multiboot header has a bad checksum", img->path);
		return -1;
	case MULTIBOOT_CUT_OFF:
		snprintf(why, BOOT_WHY_LEN,
			 "%s: Multiboot header's address fields lie past the "
			 "first 8 KiB or the end of the file",
			 img->path);
		return -1;
	default:
		snprintf(why, BOOT_WHY_LEN,
			 "%s has no Multiboot header in its first 8 KiB",
			 img->path);
		return -1;
	}
}

int multiboot_load(struct vm *vm, const struct boot_image *img,
		   struct boot_entry *entry, char *why)
{
	struct multiboot_header h;
	uint64_t off, start = 0, end = 0, rip = 0;

	why[0] = '\0';
	if (find_header(img, &h, &off, why))
		return -1;
	if (h.flags & MULTIBOOT_HDR_ADDRESSES) {
		if (load_by_addresses(&vm->mem, img, &h, off, &rip, &end, why))
			return -1;
	} else if (!elf_is_elf(img)) {
		snprintf(why, BOOT_WHY_LEN,
			 "%s: Multiboot image is not ELF and its header has no "
			 "address fields (flag bit 16)",
			 img->path);
		return -1;
	} else if (elf_load_segments(vm, img, &rip, &start, &end, why)) {
		return -1;
	}
	if (rip >= FOUR_GIB || end > FOUR_GIB) {
		snprintf(why, BOOT_WHY_LEN,
			 "%s: Multiboot kernel must load and start below 4 GiB",
			 img->path);
		return -1;
	}
	if (write_info(vm, end, why))
		return -1;
	memset(entry, 0, sizeof(*entry));
	entry->mode = BOOT_MODE_32;
	entry->rip = rip;
	entry->rax = MULTIBOOT_BOOT_MAGIC;
	entry->rbx = MULTIBOOT_INFO_ADDR + MB_INFO_OFF;
	return 0;
}
