// SPDX-License-Identifier: GPL-2.0
/*
 * ELF kernels (32- or 64-bit): PT_LOAD segments go to their physical
 * addresses.  With a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) the
 * guest starts in 32-bit protected mode with EBX = hvm_start_info, as the
 * PVH boot ABI defines; without one, a 64-bit ELF starts in long mode at
 * e_entry (RSI = Linux boot_params) and a 32-bit ELF in protected mode.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "layout.h"
#include "vm.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC		 0x336ec578

/* The PVH ABI's structures (Xen public header arch-x86/hvm/start_info.h) */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* One program header, whichever the ELF class. */
struct phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

struct elf_info {
	int is64;
	uint64_t entry;
	uint64_t phoff;
	unsigned int phnum;
};

int elf_is_elf(const struct boot_image *img)
{
	return img->size >= EI_NIDENT &&
	       memcmp(img->data, ELFMAG, SELFMAG) == 0;
}

static int elf_header(const struct boot_image *img, struct elf_info *ei,
		      char *why)
{
	const uint8_t *d = img->data;
	int is64 = d[EI_CLASS] == ELFCLASS64;
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phentsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	uint16_t machine, phentsize_file;

	if ((d[EI_CLASS] != ELFCLASS64 && d[EI_CLASS] != ELFCLASS32) ||
	    d[EI_DATA] != ELFDATA2LSB || img->size < ehsize)
		goto bad;
	if (is64) {
		const Elf64_Ehdr *eh = (const void *)d;

		machine = eh->e_machine;
		ei->entry = eh->e_entry;
		ei->phoff = eh->e_phoff;
		ei->phnum = eh->e_phnum;
		phentsize_file = eh->e_phentsize;
	} else {
		const Elf32_Ehdr *eh = (const void *)d;

		machine = eh->e_machine;
		ei->entry = eh->e_entry;
		ei->phoff = eh->e_phoff;
		ei->phnum = eh->e_phnum;
		phentsize_file = eh->e_phentsize;
	}
	ei->is64 = is64;
	if (machine != (is64 ? EM_X86_64 : EM_386) ||
	    phentsize_file != phentsize || ei->phnum == 0 ||
	    ei->phoff > img->size ||
	    (uint64_t)ei->phnum * phentsize > img->size - ei->phoff)
		goto bad;
	return 0;
bad:
	snprintf(why, BOOT_WHY_LEN,
		 "%s: not an x86 ELF executable kvmini can load", img->path);
	return -1;
}

static void elf_phdr(const struct boot_image *img, const struct elf_info *ei,
		     unsigned int i, struct phdr *ph)
{
	if (ei->is64) {
		Elf64_Phdr p;

		memcpy(&p, img->data + ei->phoff + i * sizeof(p), sizeof(p));
		*ph = (struct phdr){ p.p_type, p.p_offset, p.p_paddr,
				     p.p_filesz, p.p_memsz };
	} else {
		Elf32_Phdr p;

		memcpy(&p, img->data + ei->phoff + i * sizeof(p), sizeof(p));
		*ph = (struct phdr){ p.p_type, p.p_offset, p.p_paddr,
				     p.p_filesz, p.p_memsz };
	}
}

static int load_segment(const struct guest_mem *mem,
			const struct boot_image *img, const struct phdr *ph,
			uint64_t *end, char *why)
{
	uint8_t *dst;

	if (ph->filesz > ph->memsz || ph->offset > img->size ||
	    ph->filesz > img->size - ph->offset) {
		snprintf(why, BOOT_WHY_LEN, "%s: corrupt ELF segment",
			 img->path);
		return -1;
	}
	/* below 1 MiB are kvmini's boot data, ACPI and MP tables */
	if (ph->paddr < KERNEL_LOAD_ADDR) {
		snprintf(
			why, BOOT_WHY_LEN,
			"%s: segment at 0x%llx is below 1 MiB, where kvmini "
			"keeps its boot data; link the kernel at 1 MiB or above",
			img->path, (unsigned long long)ph->paddr);
		return -1;
	}
	dst = gpa_ptr(mem, ph->paddr, ph->memsz);
	if (!dst) {
		snprintf(why, BOOT_WHY_LEN,
			 "%s: segment at 0x%llx (+%llu bytes) is outside guest "
			 "RAM; give more --mem",
			 img->path, (unsigned long long)ph->paddr,
			 (unsigned long long)ph->memsz);
		return -1;
	}
	memcpy(dst, img->data + ph->offset, ph->filesz);
	memset(dst + ph->filesz, 0, ph->memsz - ph->filesz);
	if (ph->paddr + ph->memsz > *end)
		*end = ph->paddr + ph->memsz;
	return 0;
}

/* Finds the PVH entry in a PT_NOTE segment; returns 0 if there is none. */
static uint64_t find_pvh_entry(const struct boot_image *img,
			       const struct phdr *ph)
{
	uint64_t off = ph->offset, end;

	if (off > img->size || ph->filesz > img->size - off)
		return 0;
	end = off + ph->filesz;
	while (end - off >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_off = off + 12, desc_off;

		memcpy(&namesz, img->data + off, 4);
		memcpy(&descsz, img->data + off + 4, 4);
		memcpy(&type, img->data + off + 8, 4);
		desc_off = name_off + ((namesz + 3ULL) & ~3ULL);
		if (desc_off > end || descsz > end - desc_off)
			return 0;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
		    memcmp(img->data + name_off, "Xen", 4) == 0 &&
		    (descsz == 4 || descsz == 8)) {
			uint64_t entry = 0;

			memcpy(&entry, img->data + desc_off, descsz);
			return entry;
		}
		/* the last note's padding may be missing: stop, don't wrap */
		off = desc_off + ((descsz + 3ULL) & ~3ULL);
		if (off > end)
			break;
	}
	return 0;
}

static int write_pvh_start_info(struct vm *vm, uint64_t kernel_end,
				uint64_t rsdp, char *why)
{
	const struct guest_mem *mem = &vm->mem;
	struct boot_e820_entry e820[8];
	struct hvm_memmap_table_entry map[8] = { 0 }; /* no host stack bytes */
	struct hvm_start_info si = { .magic = HVM_START_MAGIC,
				     .version = 1,
				     .cmdline_paddr = CMDLINE_ADDR,
				     .rsdp_paddr = rsdp,
				     .memmap_paddr = PVH_MEMMAP_ADDR };
	struct hvm_modlist_entry mod = { 0 };
	int n = memmap_build(mem, e820, 8);

	for (int i = 0; i < n; i++)
		map[i] = (struct hvm_memmap_table_entry){ e820[i].addr,
							  e820[i].size,
							  e820[i].type, 0 };
	si.memmap_entries = n;
	if (vm->cfg->initrd) {
		mod.paddr = boot_place_initrd(mem, vm->cfg->initrd, kernel_end,
					      0, &mod.size, why);
		if (!mod.paddr)
			return -1;
		si.nr_modules = 1;
		si.modlist_paddr = PVH_MEMMAP_ADDR + sizeof(map);
	}
	if (guest_mem_write(mem, PVH_MEMMAP_ADDR, map, sizeof(map)) ||
	    guest_mem_write(mem, PVH_MEMMAP_ADDR + sizeof(map), &mod,
			    sizeof(mod)) ||
	    guest_mem_write(mem, BOOT_INFO_ADDR, &si, sizeof(si))) {
		snprintf(why, BOOT_WHY_LEN, "guest RAM too small for PVH info");
		return -1;
	}
	return 0;
}

/*
 * A 64-bit ELF without a PVH note enters like a Linux vmlinux at
 * startup_64: RSI points to boot_params with a minimal setup header.
 */
static int write_linux_zero_page(struct vm *vm, uint64_t kernel_end,
				 uint64_t rsdp, char *why)
{
	struct boot_params *bp = gpa_ptr(&vm->mem, BOOT_INFO_ADDR, sizeof(*bp));

	if (!bp) {
		snprintf(why, BOOT_WHY_LEN,
			 "guest RAM too small for boot_params");
		return -1;
	}
	memset(bp, 0, sizeof(*bp));
	bp->hdr.boot_flag = 0xaa55;
	bp->hdr.header = 0x53726448; /* "HdrS" */
	bp->hdr.version = 0x020f;
	bp->hdr.cmdline_size = CMDLINE_MAX - 1;
	bp->hdr.initrd_addr_max = 0x7fffffff;
	return linux_fill_zero_page(vm, bp, rsdp, kernel_end, why);
}

int elf_load_segments(struct vm *vm, const struct boot_image *img,
		      uint64_t *entry, uint64_t *start, uint64_t *end,
		      char *why)
{
	struct elf_info ei;
	unsigned int loaded = 0;

	if (elf_header(img, &ei, why))
		return -1;
	*start = UINT64_MAX;
	*end = 0;
	for (unsigned int i = 0; i < ei.phnum; i++) {
		struct phdr ph;

		elf_phdr(img, &ei, i, &ph);
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (load_segment(&vm->mem, img, &ph, end, why))
			return -1;
		if (ph.paddr < *start)
			*start = ph.paddr;
		loaded++;
	}
	if (!loaded) {
		snprintf(why, BOOT_WHY_LEN, "%s: ELF file has nothing to load",
			 img->path);
		return -1;
	}
	*entry = ei.entry;
	return 0;
}

/* The PVH entry point from the first PT_NOTE that has one, or 0. */
static uint64_t elf_pvh_entry(const struct boot_image *img,
			      const struct elf_info *ei)
{
	uint64_t pvh_entry = 0;

	for (unsigned int i = 0; i < ei->phnum && !pvh_entry; i++) {
		struct phdr ph;

		elf_phdr(img, ei, i, &ph);
		if (ph.type == PT_NOTE)
			pvh_entry = find_pvh_entry(img, &ph);
	}
	return pvh_entry;
}

int elf_load(struct vm *vm, const struct boot_image *img, uint64_t rsdp,
	     struct boot_entry *entry, char *why)
{
	struct elf_info ei;
	uint64_t pvh_entry, start, end, e_entry;

	if (elf_load_segments(vm, img, &e_entry, &start, &end, why))
		return -1;
	elf_header(img, &ei, why); /* checked by elf_load_segments */
	pvh_entry = elf_pvh_entry(img, &ei);
	if (boot_write_cmdline(&vm->mem, boot_cmdline(vm), CMDLINE_MAX, why))
		return -1;
	memset(entry, 0, sizeof(*entry));
	if (pvh_entry || !ei.is64) {
		if (write_pvh_start_info(vm, end, rsdp, why))
			return -1;
		entry->mode = BOOT_MODE_32;
		entry->rip = pvh_entry ? pvh_entry : ei.entry;
		entry->rbx = BOOT_INFO_ADDR;
		return 0;
	}
	if (write_linux_zero_page(vm, end, rsdp, why))
		return -1;
	entry->mode = BOOT_MODE_64;
	entry->rip = ei.entry;
	entry->rsi = BOOT_INFO_ADDR;
	return 0;
}
