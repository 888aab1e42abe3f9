// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot v1 and flat binaries: the header finder and validator, the
 * address-fields layout, and whole loads into a struct vm without KVM,
 * checking the info structure, memory map and modules in guest RAM.
 * Offsets are the Multiboot Specification 0.6.96's, written out here.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "boot_multiboot.h"
#include "cli.h"
#include "layout.h"
#include "suites.h"
#include "vm.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define MB_MAGIC   0x1badb002u
#define BOOT_MAGIC 0x2badb002u

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* A header at @off: magic, flags, checksum and, with flag 16, @addrs. */
static void put_header(uint8_t *buf, size_t off, uint32_t flags,
		       const uint32_t addrs[5])
{
	wr32(buf + off, MB_MAGIC);
	wr32(buf + off + 4, flags);
	wr32(buf + off + 8, -(MB_MAGIC + flags));
	for (int i = 0; addrs && i < 5; i++)
		wr32(buf + off + 12 + 4 * i, addrs[i]);
}

/* ---- header finder ---- */

START_TEST(header_found_at_any_aligned_offset_in_8k)
{
	static const size_t offs[] = { 0, 4, 0x1000, 8192 - 12 };
	uint8_t *buf = calloc(1, 16384);
	struct multiboot_header h;
	uint64_t off = 99;

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		memset(buf, 0, 16384);
		put_header(buf, offs[i], 0x3, NULL);
		ck_assert_int_eq(multiboot_find_header(buf, 16384, &h, &off),
				 MULTIBOOT_FOUND);
		ck_assert_uint_eq(off, offs[i]);
		ck_assert_uint_eq(h.flags, 0x3);
	}
	free(buf);
}
END_TEST

START_TEST(header_beyond_8k_is_not_found)
{
	uint8_t *buf = calloc(1, 16384);
	struct multiboot_header h;
	uint64_t off;

	put_header(buf, 8192, 0, NULL);
	ck_assert_int_eq(multiboot_find_header(buf, 16384, &h, &off),
			 MULTIBOOT_NOT_FOUND);
	/* straddling the 8 KiB boundary is beyond it too */
	memset(buf, 0, 16384);
	put_header(buf, 8188, 0, NULL);
	ck_assert_int_eq(multiboot_find_header(buf, 16384, &h, &off),
			 MULTIBOOT_NOT_FOUND);
	free(buf);
}
END_TEST

START_TEST(misaligned_header_is_not_found)
{
	uint8_t buf[256] = { 0 };
	struct multiboot_header h;
	uint64_t off;

	put_header(buf, 6, 0, NULL);
	ck_assert_int_eq(multiboot_find_header(buf, sizeof(buf), &h, &off),
			 MULTIBOOT_NOT_FOUND);
}
END_TEST

START_TEST(bad_checksum_is_reported_and_skipped)
{
	uint8_t buf[256] = { 0 };
	struct multiboot_header h;
	uint64_t off;

	put_header(buf, 16, 0x3, NULL);
	wr32(buf + 24, rd32(buf + 24) + 1);
	ck_assert_int_eq(multiboot_find_header(buf, sizeof(buf), &h, &off),
			 MULTIBOOT_BAD_CHECKSUM);
	/* a valid header after a broken one still counts */
	put_header(buf, 64, 0x2, NULL);
	ck_assert_int_eq(multiboot_find_header(buf, sizeof(buf), &h, &off),
			 MULTIBOOT_FOUND);
	ck_assert_uint_eq(off, 64);
}
END_TEST

START_TEST(address_fields_cut_off)
{
	static const uint32_t a[5] = { 1, 2, 3, 4, 5 };
	uint8_t *buf = calloc(1, 16384);
	struct multiboot_header h;
	uint64_t off;

	/* the file ends inside the address fields */
	put_header(buf, 0, MULTIBOOT_HDR_ADDRESSES, a);
	ck_assert_int_eq(multiboot_find_header(buf, 20, &h, &off),
			 MULTIBOOT_CUT_OFF);
	/* the 8 KiB end inside them */
	memset(buf, 0, 16384);
	put_header(buf, 8192 - 16, MULTIBOOT_HDR_ADDRESSES, a);
	ck_assert_int_eq(multiboot_find_header(buf, 16384, &h, &off),
			 MULTIBOOT_CUT_OFF);
	memset(buf, 0, 16384);
	put_header(buf, 8192 - 32, MULTIBOOT_HDR_ADDRESSES, a);
	ck_assert_int_eq(multiboot_find_header(buf, 16384, &h, &off),
			 MULTIBOOT_FOUND);
	ck_assert_uint_eq(h.header_addr, 1);
	ck_assert_uint_eq(h.entry_addr, 5);
	free(buf);
}
END_TEST

START_TEST(tiny_files_have_no_header)
{
	uint8_t buf[12] = { 0 };
	struct multiboot_header h;
	uint64_t off;

	put_header(buf, 0, 0, NULL);
	/* 11 bytes: the checksum is cut off; ASan checks no overread */
	ck_assert_int_eq(multiboot_find_header(buf, 11, &h, &off),
			 MULTIBOOT_NOT_FOUND);
	ck_assert_int_eq(multiboot_find_header(buf, 0, &h, &off),
			 MULTIBOOT_NOT_FOUND);
	ck_assert_int_eq(multiboot_find_header(buf, 12, &h, &off),
			 MULTIBOOT_FOUND);
}
END_TEST

START_TEST(required_flags)
{
	char why[BOOT_WHY_LEN] = "";

	ck_assert_int_eq(multiboot_check_flags(0x3, why), 0);
	/* bits 16-31 are optional: unknown ones are ignored */
	ck_assert_int_eq(multiboot_check_flags(0xffff0003, why), 0);
	ck_assert_int_eq(multiboot_check_flags(0x4, why), -1);
	ck_assert_ptr_nonnull(strstr(why, "video mode"));
	ck_assert_int_eq(multiboot_check_flags(0x8, why), -1);
	ck_assert_ptr_nonnull(strstr(why, "0x8"));
}
END_TEST

/* ---- address-fields layout ---- */

struct layout_case {
	uint32_t header_addr, load_addr, load_end, bss_end, entry;
	uint64_t header_off, file_size;
	int ok;
	const char *why; /* part of the message when refused */
};

static const struct layout_case layouts[] = {
	/* the whole file, header 0x40 in */
	{ 0x100040, 0x100000, 0, 0, 0x100080, 0x40, 0x1000, 1, NULL },
	/* text+data then bss */
	{ 0x100040, 0x100000, 0x100800, 0x102000, 0x100080, 0x40, 0x1000, 1,
	  NULL },
	{ 0x100040, 0x100050, 0, 0, 0x100080, 0x40, 0x1000, 0, "above" },
	/* the load starts before the file does */
	{ 0x100040, 0xf0000, 0, 0, 0x100080, 0x40, 0x1000, 0, "before" },
	{ 0x100040, 0x100000, 0xfff00, 0, 0x100080, 0x40, 0x1000, 0,
	  "below load_addr" },
	/* truncated: more to load than the file holds */
	{ 0x100040, 0x100000, 0x102000, 0, 0x100080, 0x40, 0x1000, 0,
	  "truncated" },
	/* bss_end below the image's end (wrapped) */
	{ 0x100040, 0x100000, 0x100800, 0x1000, 0x100080, 0x40, 0x1000, 0,
	  "bss_end_addr" },
	{ 0x100040, 0x100000, 0x100800, 0x100400, 0x100080, 0x40, 0x1000, 0,
	  "bss_end_addr" },
	/* entry outside the image */
	{ 0x100040, 0x100000, 0, 0, 0x200000, 0x40, 0x1000, 0, "entry_addr" },
	/* the image would run past 4 GiB */
	{ 0xfffff840, 0xfffff800, 0, 0, 0xfffff880, 0x40, 0x1000, 0, "4 GiB" },
	/* nothing to load */
	{ 0x100000, 0x100000, 0x100000, 0, 0x100000, 0, 0x1000, 0, "empty" },
};

START_TEST(address_layout)
{
	const struct layout_case *c = &layouts[_i];
	struct multiboot_header h = { .header_addr = c->header_addr,
				      .load_addr = c->load_addr,
				      .load_end_addr = c->load_end,
				      .bss_end_addr = c->bss_end,
				      .entry_addr = c->entry };
	struct multiboot_layout l;
	char why[BOOT_WHY_LEN] = "";
	int ret = multiboot_address_layout(&h, c->header_off, c->file_size, &l,
					   why);

	if (!c->ok) {
		ck_assert_int_eq(ret, -1);
		ck_assert_msg(strstr(why, c->why), "'%s' lacks '%s'", why,
			      c->why);
		return;
	}
	ck_assert_msg(ret == 0, "%s", why);
	ck_assert_uint_eq(l.file_offset,
			  c->header_off - (c->header_addr - c->load_addr));
	ck_assert_uint_eq(l.load_addr, c->load_addr);
	ck_assert_uint_eq(l.load_size, c->load_end
					       ? c->load_end - c->load_addr
					       : c->file_size - l.file_offset);
	ck_assert_uint_eq(l.bss_end,
			  c->bss_end ? c->bss_end : l.load_addr + l.load_size);
	ck_assert_uint_eq(l.entry, c->entry);
}
END_TEST

/* ---- whole loads ---- */

struct mb {
	struct vm vm;
	struct vm_config cfg;
	char *paths[20];
	int nr_paths;
	struct boot_entry entry;
	char why[BOOT_WHY_LEN];
};

static char *temp_file(struct mb *b, const void *data, size_t len)
{
	char *path;
	int fd;

	ck_assert_int_gt(asprintf(&path, "%s/kvmini-mb-XXXXXX",
				  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp"),
			 0);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	b->paths[b->nr_paths++] = path;
	return path;
}

static struct mb *mb_new(uint64_t mem_size)
{
	struct mb *b = calloc(1, sizeof(*b));

	ck_assert_ptr_nonnull(b);
	b->cfg.mem_size = mem_size;
	b->cfg.nr_cpus = 1;
	b->cfg.cmdline = "console=ttyS0 mb=1";
	b->vm.cfg = &b->cfg;
	ck_assert_int_eq(guest_mem_init(&b->vm.mem, mem_size), 0);
	return b;
}

static void mb_free(struct mb *b)
{
	for (int i = 0; i < b->nr_paths; i++) {
		unlink(b->paths[i]);
		free(b->paths[i]);
	}
	guest_mem_destroy(&b->vm.mem);
	free(b);
}

static int mb_go(struct mb *b)
{
	memset(b->why, 0, sizeof(b->why));
	return boot_load(&b->vm, 0xe0000, &b->entry, b->why);
}

static void mb_fails(struct mb *b, const char *part)
{
	ck_assert_msg(mb_go(b) == -1, "boot_load accepted it");
	ck_assert_msg(strstr(b->why, part), "'%s' lacks '%s'", b->why, part);
}

static uint8_t *gp(struct mb *b, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gpa_ptr(&b->vm.mem, gpa, len);

	ck_assert_msg(p, "0x%llx not in RAM", (unsigned long long)gpa);
	return p;
}

static const char *gstr(struct mb *b, uint32_t gpa)
{
	return (const char *)gp(b, gpa, 1);
}

/* An a.out-kludge image: 0x2000 bytes of pattern loaded at 1 MiB,
 * header at 0x10, bss up to 1 MiB + @bss, entry at 1 MiB + 0x100. */
static uint8_t aout[0x2000]; /* the last aout_image() */

static char *aout_image(struct mb *b, uint32_t load_addr, uint32_t bss,
			uint32_t extra_flags)
{
	uint32_t a[5] = { load_addr + 0x10, load_addr, load_addr + 0x2000,
			  bss ? load_addr + bss : 0, load_addr + 0x100 };

	for (size_t i = 0; i < sizeof(aout); i++)
		aout[i] = (i * 13 + 1) & 0xff;
	put_header(aout, 0x10, MULTIBOOT_HDR_ADDRESSES | 0x3 | extra_flags, a);
	return temp_file(b, aout, sizeof(aout));
}

static void check_info(struct mb *b, uint64_t mem_size)
{
	const uint8_t *mbi = gp(b, b->entry.rbx, 88);
	struct boot_e820_entry e820[8];
	int n = memmap_build_low(&b->vm.mem, MULTIBOOT_INFO_ADDR, e820, 8);
	uint32_t mmap = rd32(mbi + 48);

	ck_assert_int_eq(b->entry.mode, BOOT_MODE_32);
	ck_assert_uint_eq(b->entry.rax, BOOT_MAGIC);
	ck_assert_uint_eq(b->entry.rbx, MULTIBOOT_INFO_ADDR);
	ck_assert_uint_eq(rd32(mbi) & 0x24d,
			  0x24d); /* mem cmdline mods mmap name */
	ck_assert_uint_eq(rd32(mbi + 4), 512);
	ck_assert_uint_eq(rd32(mbi + 8),
			  ((mem_size < 3 * GiB ? mem_size : 3 * GiB) - MiB) >>
				  10);
	ck_assert_str_eq(gstr(b, rd32(mbi + 16)), b->cfg.cmdline);
	ck_assert_str_eq(gstr(b, rd32(mbi + 64)), "kvmini");
	/* the map is memmap_build_low's, the info area reserved in it */
	ck_assert_uint_eq(rd32(mbi + 44), n * 24);
	for (int i = 0; i < n; i++) {
		const uint8_t *e = gp(b, mmap + i * 24, 24);

		ck_assert_uint_eq(rd32(e), 20);
		ck_assert_uint_eq(rd64(e + 4), e820[i].addr);
		ck_assert_uint_eq(rd64(e + 12), e820[i].size);
		ck_assert_uint_eq(rd32(e + 20), e820[i].type);
		if (e820[i].type == 1)
			ck_assert(e820[i].addr >= MULTIBOOT_INFO_END ||
				  e820[i].addr + e820[i].size <=
					  MULTIBOOT_INFO_ADDR);
	}
	ck_assert_int_eq(n, mem_size > 3 * GiB ? 4 : 3);
}

START_TEST(aout_image_loads_and_gets_info)
{
	static const uint64_t sizes[] = { 16 * MiB, 5 * GiB };
	struct mb *b = mb_new(sizes[_i]);
	uint8_t *ram;

	b->cfg.kernel = aout_image(b, 0x100000, 0x3000, 0);
	memset(gp(b, 0x100000, 0x4000), 0xcc, 0x4000);
	ck_assert_msg(mb_go(b) == 0, "%s", b->why);
	ram = gp(b, 0x100000, 0x4000);
	ck_assert_mem_eq(ram, aout, 0x2000);
	for (int i = 0x2000; i < 0x3000; i++)
		ck_assert_msg(ram[i] == 0, "bss byte 0x%x not zeroed", i);
	ck_assert_uint_eq(ram[0x3000], 0xcc); /* nothing past bss_end */
	ck_assert_uint_eq(b->entry.rip, 0x100100);
	check_info(b, sizes[_i]);
	ck_assert_uint_eq(rd32(gp(b, MULTIBOOT_INFO_ADDR + 20, 4)), 0);
	mb_free(b);
}
END_TEST

START_TEST(modules_page_aligned_above_the_kernel)
{
	struct mb *b = mb_new(16 * MiB);
	uint8_t data[3][5000];
	const uint8_t *mods;
	uint32_t prev_end = 0x100000 + 0x3000;

	for (int m = 0; m < 3; m++)
		for (int i = 0; i < 5000; i++)
			data[m][i] = (i + m * 77) & 0xff;
	b->cfg.kernel = aout_image(b, 0x100000, 0x3000, 0);
	b->cfg.initrd = temp_file(b, data[0], 4097);
	b->cfg.modules[0].path = temp_file(b, data[1], 5000);
	b->cfg.modules[0].cmdline = "one two,three";
	b->cfg.modules[1].path = temp_file(b, data[2], 1);
	b->cfg.nr_modules = 2;
	ck_assert_msg(mb_go(b) == 0, "%s", b->why);
	check_info(b, 16 * MiB);
	ck_assert_uint_eq(rd32(gp(b, MULTIBOOT_INFO_ADDR + 20, 4)), 3);
	mods = gp(b, rd32(gp(b, MULTIBOOT_INFO_ADDR + 24, 4)), 48);
	for (int m = 0; m < 3; m++) {
		uint32_t start = rd32(mods + 16 * m),
			 end = rd32(mods + 16 * m + 4);
		uint32_t want = m == 0 ? 4097 : m == 1 ? 5000 : 1;

		ck_assert_uint_eq(start & 0xfff, 0);
		ck_assert_uint_ge(start, prev_end);
		ck_assert_uint_eq(end - start, want);
		ck_assert_mem_eq(gp(b, start, want), data[m], want);
		prev_end = end;
	}
	ck_assert_str_eq(gstr(b, rd32(mods + 8)), b->cfg.initrd);
	ck_assert_str_eq(gstr(b, rd32(mods + 24)), "one two,three");
	ck_assert_str_eq(gstr(b, rd32(mods + 40)), b->cfg.modules[1].path);
	mb_free(b);
}
END_TEST

/* A 32-bit ELF with one PT_LOAD of @filesz bytes at @paddr holding a
 * Multiboot header (flags 3) at its start. */
static char *elf_image(struct mb *b, uint32_t paddr, uint32_t filesz)
{
	size_t size = 0x1000 + filesz;
	uint8_t *img = calloc(1, size);
	Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
	Elf32_Phdr *ph = (Elf32_Phdr *)(img + sizeof(*eh));
	char *path;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_386;
	eh->e_version = EV_CURRENT;
	eh->e_entry = paddr + 0x20;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	*ph = (Elf32_Phdr){ .p_type = PT_LOAD,
			    .p_offset = 0x1000,
			    .p_vaddr = paddr,
			    .p_paddr = paddr,
			    .p_filesz = filesz,
			    .p_memsz = filesz + 0x1000 };
	put_header(img, 0x1000, 0x3, NULL);
	path = temp_file(b, img, size);
	free(img);
	return path;
}

START_TEST(elf_multiboot_kernel)
{
	struct mb *b = mb_new(16 * MiB);

	b->cfg.kernel = elf_image(b, 0x200000, 0x100);
	ck_assert_msg(mb_go(b) == 0, "%s", b->why);
	ck_assert_uint_eq(b->entry.rip, 0x200020);
	ck_assert_uint_eq(rd32(gp(b, 0x200000, 4)), MB_MAGIC);
	check_info(b, 16 * MiB);
	mb_free(b);
}
END_TEST

START_TEST(segments_outside_ram_or_below_1mib_are_refused)
{
	struct mb *b = mb_new(16 * MiB);

	b->cfg.kernel = aout_image(b, 0x2000000, 0, 0);
	mb_fails(b, "not in guest RAM");
	b->cfg.kernel = aout_image(b, 0x80000, 0, 0);
	mb_fails(b, "at or above 1 MiB");
	/* bss running off the end of RAM */
	b->cfg.kernel = aout_image(b, 0x100000, 15 * MiB + 1, 0);
	mb_fails(b, "not in guest RAM");
	b->cfg.kernel = elf_image(b, 0x1000000, 0x100);
	mb_fails(b, "outside guest RAM");
	b->cfg.kernel = elf_image(b, 0x90000, 0x100);
	mb_fails(b, "below 1 MiB");
	mb_free(b);
}
END_TEST

START_TEST(unsupported_or_broken_images_are_refused)
{
	struct mb *b = mb_new(16 * MiB);
	uint8_t plain[64] = { 0 };

	b->cfg.kernel = aout_image(b, 0x100000, 0, MULTIBOOT_HDR_VIDEO);
	mb_fails(b, "video mode");
	/* neither ELF nor address fields */
	put_header(plain, 0, 0x3, NULL);
	b->cfg.kernel = temp_file(b, plain, sizeof(plain));
	mb_fails(b, "address fields");
	/* format=multiboot on a file without a header */
	memset(plain, 0, sizeof(plain));
	b->cfg.kernel = temp_file(b, plain, sizeof(plain));
	b->cfg.kopts.format = KERNEL_FORMAT_MULTIBOOT;
	mb_fails(b, "no Multiboot header");
	put_header(plain, 8, 0x3, NULL);
	wr32(plain + 16, 0);
	b->cfg.kernel = temp_file(b, plain, sizeof(plain));
	mb_fails(b, "bad checksum");
	mb_free(b);
}
END_TEST

START_TEST(info_area_and_ram_limits)
{
	struct mb *b = mb_new(4 * MiB);
	char *huge = malloc(200000);
	static uint8_t big[3 * MiB];

	memset(huge, 'a', 199999);
	huge[199999] = '\0';
	b->cfg.kernel = aout_image(b, 0x100000, 0, 0);
	b->cfg.cmdline = huge;
	mb_fails(b, "do not fit in the");
	b->cfg.cmdline = "x";
	b->cfg.initrd = temp_file(b, big, sizeof(big));
	mb_fails(b, "does not fit in guest RAM");
	b->cfg.initrd = temp_file(b, big, 2 * MiB);
	ck_assert_msg(mb_go(b) == 0, "%s", b->why);
	b->cfg.initrd = "/nonexistent/module";
	mb_fails(b, "cannot open module");
	free(huge);
	mb_free(b);
}
END_TEST

START_TEST(modules_need_multiboot)
{
	struct mb *b = mb_new(16 * MiB);

	b->cfg.kernel = elf_image(b, 0x200000, 0x100);
	b->cfg.modules[0].path = b->cfg.kernel;
	b->cfg.nr_modules = 1;
	ck_assert_int_eq(boot_check_options(&b->cfg, b->why), 0);
	b->cfg.kopts.format = KERNEL_FORMAT_ELF;
	mb_fails(b, "--module needs a Multiboot kernel");
	/* an ELF without the header, auto-detected */
	b->cfg.kopts.format = KERNEL_FORMAT_AUTO;
	{
		uint8_t elf[0x1100];
		FILE *f = fopen(b->cfg.kernel, "rb");

		ck_assert_int_eq(fread(elf, 1, sizeof(elf), f), sizeof(elf));
		fclose(f);
		wr32(elf + 0x1000, 0);
		b->cfg.kernel = temp_file(b, elf, sizeof(elf));
	}
	ck_assert_int_eq(boot_check_options(&b->cfg, b->why), -1);
	ck_assert_ptr_nonnull(strstr(b->why, "is an ELF kernel"));
	mb_fails(b, "--module needs a Multiboot kernel");
	/* unreadable: left to boot_load's own message */
	b->cfg.kernel = "/nonexistent/kernel";
	ck_assert_int_eq(boot_check_options(&b->cfg, b->why), 0);
	mb_free(b);
}
END_TEST

START_TEST(too_many_modules_on_the_command_line)
{
	char *argv[40] = { "run", "--kernel", "k" };
	struct vm_config cfg;
	char why[CLI_ERR_LEN];
	int argc = 3;

	for (int i = 0; i < MAX_MODULES; i++) {
		argv[argc++] = "--module";
		argv[argc++] = "/nonexistent/m,cmdline=a,b";
	}
	ck_assert_msg(cli_parse_run(argc, argv, &cfg, why) == 0, "%s", why);
	ck_assert_int_eq(cfg.nr_modules, MAX_MODULES);
	ck_assert_str_eq(cfg.modules[3].cmdline, "a,b");
	ck_assert_str_eq(cfg.modules[3].path, "/nonexistent/m");
	argv[argc++] = "--module";
	argv[argc++] = "/nonexistent/m";
	ck_assert_int_eq(cli_parse_run(argc, argv, &cfg, why), -1);
	ck_assert_ptr_nonnull(strstr(why, "at most 16"));
}
END_TEST

START_TEST(kernel_options_parse)
{
	char *ok[] = { "run", "--kernel",
		       "f,format=flat,addr=0x7c00,entry=31744,mode=real",
		       NULL };
	char *bad[][4] = {
		{ "run", "--kernel", "f,format=pe", NULL },
		{ "run", "--kernel", "f,format=flat,addr=0x", NULL },
		{ "run", "--kernel", "f,format=flat,addr=0x1ffffffffffffffff",
		  NULL },
		{ "run", "--kernel", "f,format=elf,addr=0x100000", NULL },
		{ "run", "--kernel", "f,format=multiboot,mode=32", NULL },
		{ "run", "--kernel", "f,format=flat", NULL },
	};
	struct vm_config cfg;
	char why[CLI_ERR_LEN];

	ck_assert_msg(cli_parse_run(3, ok, &cfg, why) == 0, "%s", why);
	ck_assert_str_eq(cfg.kernel, "f");
	ck_assert_int_eq(cfg.kopts.format, KERNEL_FORMAT_FLAT);
	ck_assert_uint_eq(cfg.kopts.addr, 0x7c00);
	ck_assert_uint_eq(cfg.kopts.entry, 31744);
	ck_assert_int_eq(cfg.kopts.mode, FLAT_MODE_REAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(cli_parse_run(3, bad[i], &cfg, why) == -1,
			      "accepted %s", bad[i][2]);
}
END_TEST

/* decimal or 0x hex only: a leading 0 is not octal */
START_TEST(kernel_options_addr_bases)
{
	char *dec[] = { "run", "--kernel", "f,format=flat,addr=010", NULL };
	char *hex[] = { "run", "--kernel", "f,format=flat,addr=0XfF00", NULL };
	char *bad[] = { "run", "--kernel", "f,format=flat,addr=0x-1", NULL };
	struct vm_config cfg;
	char why[CLI_ERR_LEN];

	ck_assert_msg(cli_parse_run(3, dec, &cfg, why) == 0, "%s", why);
	ck_assert_uint_eq(cfg.kopts.addr, 10);
	ck_assert_msg(cli_parse_run(3, hex, &cfg, why) == 0, "%s", why);
	ck_assert_uint_eq(cfg.kopts.addr, 0xff00);
	ck_assert_int_eq(cli_parse_run(3, bad, &cfg, why), -1);
}
END_TEST

/* ---- flat binaries ---- */

struct flat_case {
	uint64_t addr, entry;
	int has_entry;
	enum flat_mode mode;
	enum boot_mode want_mode;
	uint16_t seg;
	uint64_t ip;
};

static const struct flat_case flats[] = {
	{ 0x7c00, 0, 0, FLAT_MODE_DEFAULT, BOOT_MODE_REAL, 0, 0x7c00 },
	{ 0x10000, 0, 0, FLAT_MODE_REAL, BOOT_MODE_REAL, 0x1000, 0 },
	{ 0x10000, 0x12345, 1, FLAT_MODE_REAL, BOOT_MODE_REAL, 0x1234, 5 },
	{ 0x100000, 0, 0, FLAT_MODE_DEFAULT, BOOT_MODE_32, 0, 0x100000 },
	{ 0x8000, 0x8010, 1, FLAT_MODE_32, BOOT_MODE_32, 0, 0x8010 },
	{ 0x200000, 0, 0, FLAT_MODE_64, BOOT_MODE_64, 0, 0x200000 },
};

START_TEST(flat_entry_state)
{
	const struct flat_case *c = &flats[_i];
	struct mb *b = mb_new(16 * MiB);
	uint8_t code[100];

	for (size_t i = 0; i < sizeof(code); i++)
		code[i] = i ^ 0x5a;
	b->cfg.kernel = temp_file(b, code, sizeof(code));
	b->cfg.kopts = (struct kernel_options){ .format = KERNEL_FORMAT_FLAT,
						.has_addr = 1,
						.addr = c->addr,
						.has_entry = c->has_entry,
						.entry = c->entry,
						.mode = c->mode };
	ck_assert_msg(mb_go(b) == 0, "%s", b->why);
	ck_assert_mem_eq(gp(b, c->addr, sizeof(code)), code, sizeof(code));
	ck_assert_int_eq(b->entry.mode, c->want_mode);
	ck_assert_uint_eq(b->entry.real_seg, c->seg);
	ck_assert_uint_eq(b->entry.rip, c->ip);
	ck_assert_uint_eq(b->entry.rsp,
			  c->want_mode == BOOT_MODE_REAL ? 0xfffe : 0);
	mb_free(b);
}
END_TEST

START_TEST(flat_refusals)
{
	struct mb *b = mb_new(16 * MiB);
	uint8_t code[0x100] = { 0 };

	b->cfg.kernel = temp_file(b, code, sizeof(code));
	b->cfg.kopts = (struct kernel_options){ .format = KERNEL_FORMAT_FLAT,
						.has_addr = 1 };
	b->cfg.kopts.addr = UINT64_MAX - 0x10;
	mb_fails(b, "does not fit in guest RAM");
	b->cfg.kopts.addr = 16 * MiB - 0x80;
	mb_fails(b, "does not fit in guest RAM");
	b->cfg.kopts.addr = 0x9fb80; /* runs into the EBDA */
	mb_fails(b, "BIOS area");
	b->cfg.kopts.addr = 0x480;
	b->cfg.kopts.mode = FLAT_MODE_32;
	mb_fails(b, "GDT");
	b->cfg.kopts.mode = FLAT_MODE_REAL; /* real mode: the GDT is unused */
	ck_assert_msg(mb_go(b) == 0, "%s", b->why);
	b->cfg.kopts.addr = 0xe000;
	b->cfg.kopts.mode = FLAT_MODE_64;
	mb_fails(b, "page tables");
	b->cfg.kopts.mode = FLAT_MODE_32;
	ck_assert_msg(mb_go(b) == 0, "%s", b->why);
	b->cfg.kopts.mode = FLAT_MODE_REAL;
	b->cfg.kopts.has_entry = 1;
	b->cfg.kopts.entry = 0x100000;
	mb_fails(b, "real mode");
	b->cfg.kopts.mode = FLAT_MODE_64;
	b->cfg.kopts.addr = 0x100000;
	b->cfg.kopts.entry = 4 * GiB;
	mb_fails(b, "4 GiB");
	mb_free(b);
}
END_TEST

START_TEST(format_detection)
{
	uint8_t *buf = calloc(1, 0x2000);

	ck_assert_int_eq(boot_detect_format(buf, 0x2000), KERNEL_FORMAT_AUTO);
	memcpy(buf, ELFMAG, SELFMAG);
	ck_assert_int_eq(boot_detect_format(buf, 0x2000), KERNEL_FORMAT_ELF);
	put_header(buf, 0x1000, 0x3, NULL);
	ck_assert_int_eq(boot_detect_format(buf, 0x2000),
			 KERNEL_FORMAT_MULTIBOOT);
	/* a bzImage wins over a header that happens to be in it */
	buf[0x1fe] = 0x55;
	buf[0x1ff] = 0xaa;
	memcpy(buf + 0x202, "HdrS", 4);
	ck_assert_int_eq(boot_detect_format(buf, 0x2000),
			 KERNEL_FORMAT_BZIMAGE);
	free(buf);
}
END_TEST

Suite *multiboot_suite(void)
{
	Suite *s = suite_create("multiboot");
	TCase *hdr = tcase_create("header");
	TCase *load = tcase_create("load");
	TCase *flat = tcase_create("flat");

	tcase_add_test(hdr, header_found_at_any_aligned_offset_in_8k);
	tcase_add_test(hdr, header_beyond_8k_is_not_found);
	tcase_add_test(hdr, misaligned_header_is_not_found);
	tcase_add_test(hdr, bad_checksum_is_reported_and_skipped);
	tcase_add_test(hdr, address_fields_cut_off);
	tcase_add_test(hdr, tiny_files_have_no_header);
	tcase_add_test(hdr, required_flags);
	tcase_add_loop_test(hdr, address_layout, 0,
			    sizeof(layouts) / sizeof(layouts[0]));
	tcase_add_test(hdr, format_detection);
	suite_add_tcase(s, hdr);
	tcase_add_loop_test(load, aout_image_loads_and_gets_info, 0, 2);
	tcase_add_test(load, modules_page_aligned_above_the_kernel);
	tcase_add_test(load, elf_multiboot_kernel);
	tcase_add_test(load, segments_outside_ram_or_below_1mib_are_refused);
	tcase_add_test(load, unsupported_or_broken_images_are_refused);
	tcase_add_test(load, info_area_and_ram_limits);
	tcase_add_test(load, modules_need_multiboot);
	tcase_add_test(load, too_many_modules_on_the_command_line);
	tcase_add_test(load, kernel_options_parse);
	tcase_add_test(load, kernel_options_addr_bases);
	suite_add_tcase(s, load);
	tcase_add_loop_test(flat, flat_entry_state, 0,
			    sizeof(flats) / sizeof(flats[0]));
	tcase_add_test(flat, flat_refusals);
	suite_add_tcase(s, flat);
	return s;
}
