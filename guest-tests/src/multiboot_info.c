/*
 * A Multiboot v1 kernel that checks what kvmini handed it: the boot magic,
 * the info flags, the memory map against the RAM size on its command line
 * (mem=SIZE; no usable entry in the 3-4 GiB hole or past the end of RAM,
 * mem_lower/mem_upper agreeing with the map, the info itself not in usable
 * RAM), the loader name, and the modules: mods=N of them, page-aligned,
 * above the kernel, inside usable RAM, not overlapping, module i of
 * m<i>size= bytes whose checksum (s = s * 31 + byte, 32 bits) is m<i>sum=.
 * Module 1's string must be "mod1 arg=1,x"; module 0's ends in
 * "/mb_mod0.bin".  The runner checks the "cmdline:" line it prints.
 */
#include "args.h"
#include "runtime.h"
#include "serial.h"

#define MB_BOOT_MAGIC 0x2badb002u
#define MB_WANT_FLAGS ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9))
#define HOLE_START    0xc0000000ULL
#define HOLE_END      0x100000000ULL

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

struct mb_mod {
	uint32_t start, end, string, reserved;
};

extern char __bss_end[];
static int failures;

static void check(int ok, const char *what, uint32_t got)
{
	if (!ok) {
		printf("FAIL %s (0x%x)\n", what, got);
		failures++;
	}
}

static uint32_t cmdline_num(const char *cmdline, const char *key, int *ok)
{
	const char *c = cmdline;
	struct arg a;

	while (arg_next(&c, &a))
		if (a.val && arg_eq(a.word, a.klen, key))
			return arg_num(a.val, a.vlen, ok);
	*ok = 0;
	return 0;
}

static int str_eq(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && !memcmp(a, b, strlen(a));
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !memcmp(s + n - t, tail, t);
}

/* usable (type 1) RAM that holds all of [a, b)? */
static int in_ram(const struct mb_info *mbi, uint64_t a, uint64_t b)
{
	uint32_t p = mbi->mmap_addr;

	for (; p < mbi->mmap_addr + mbi->mmap_length;
	     p += ((const struct mb_mmap *)p)->size + 4) {
		const struct mb_mmap *e = (const struct mb_mmap *)p;

		if (e->type == 1 && a >= e->addr && b <= e->addr + e->len)
			return 1;
	}
	return 0;
}

static void check_mmap(const struct mb_info *mbi, uint64_t mem)
{
	uint64_t top = mem <= HOLE_START ? mem : HOLE_END + mem - HOLE_START;
	uint64_t usable = 0, prev_end = 0, low_end = 0, upper_end = 0;
	uint32_t p, n = 0;

	for (p = mbi->mmap_addr; p < mbi->mmap_addr + mbi->mmap_length;
	     p += ((const struct mb_mmap *)p)->size + 4, n++) {
		const struct mb_mmap *e = (const struct mb_mmap *)p;
		uint64_t end = e->addr + e->len;

		printf("mmap 0x%llx-0x%llx type %u\n", e->addr, end, e->type);
		check(e->size >= 20 && n < 32, "mmap entry size", e->size);
		check(e->addr >= prev_end, "mmap sorted, no overlap", n);
		prev_end = end;
		if (e->type != 1)
			continue;
		usable += e->len;
		check(end <= top, "usable RAM past the end of RAM", n);
		check(end <= HOLE_START || e->addr >= HOLE_END,
		      "usable RAM in the 3-4 GiB hole", n);
		if (e->addr == 0)
			low_end = end;
		if (e->addr == 0x100000)
			upper_end = end;
	}
	check(usable <= mem && usable + 0x100000 >= mem,
	      "usable RAM is the RAM size less at most 1 MiB",
	      (uint32_t)(usable >> 10));
	check(low_end && mbi->mem_lower == low_end >> 10 &&
		      mbi->mem_lower <= 640,
	      "mem_lower matches the map", mbi->mem_lower);
	check(upper_end && mbi->mem_upper == (upper_end - 0x100000) >> 10,
	      "mem_upper matches the map", mbi->mem_upper);
	check(!in_ram(mbi, (uint32_t)mbi, (uint32_t)mbi + sizeof(*mbi)),
	      "the info structure lies in usable RAM", (uint32_t)mbi);
}

static uint32_t checksum(const uint8_t *p, uint32_t n)
{
	uint32_t s = 0;

	while (n--)
		s = s * 31 + *p++;
	return s;
}

static void check_module(const struct mb_info *mbi, const char *cmdline,
			 uint32_t i, uint32_t prev_end)
{
	const struct mb_mod *m = (const struct mb_mod *)mbi->mods_addr + i;
	char key[8] = { 'm', (char)('0' + i), 's', 'i', 'z', 'e', 0 };
	int ok = 1;
	uint32_t size = cmdline_num(cmdline, key, &ok);
	uint32_t sum;

	key[2] = 's', key[3] = 'u', key[4] = 'm', key[5] = 0;
	sum = cmdline_num(cmdline, key, &ok);
	printf("module %u: 0x%x-0x%x '%s'\n", i, m->start, m->end,
	       (const char *)m->string);
	check(ok, "m<i>size= and m<i>sum= on the command line", i);
	check(!(m->start & 0xfff), "module page-aligned", m->start);
	check(m->start >= (uint32_t)__bss_end && m->start >= prev_end,
	      "module above the kernel and the module before", m->start);
	check(in_ram(mbi, m->start, m->end), "module in usable RAM", i);
	check(m->end - m->start == size, "module size", m->end - m->start);
	check(checksum((const uint8_t *)m->start, size) == sum,
	      "module contents", i);
	check(i != 0 || ends_with((const char *)m->string, "/mb_mod0.bin"),
	      "module 0 string is its file name", i);
	check(i != 1 || str_eq((const char *)m->string, "mod1 arg=1,x"),
	      "module 1 string is its cmdline=", i);
}

int mb_main(uint32_t magic, const struct mb_info *mbi);

int mb_main(uint32_t magic, const struct mb_info *mbi)
{
	const char *cmdline = (const char *)mbi->cmdline;
	uint32_t mem, mods, prev_end = 0;
	int ok = 1;

	check(magic == MB_BOOT_MAGIC, "EAX boot magic", magic);
	check((mbi->flags & MB_WANT_FLAGS) == MB_WANT_FLAGS, "info flags",
	      mbi->flags);
	if (failures)
		return 1;
	printf("cmdline: %s\n", cmdline);
	check(str_eq((const char *)mbi->boot_loader_name, "kvmini"),
	      "boot_loader_name", 0);
	mem = cmdline_num(cmdline, "mem", &ok);
	mods = cmdline_num(cmdline, "mods", &ok);
	check(ok, "mem= and mods= on the command line", 0);
	check_mmap(mbi, mem);
	check(mbi->mods_count == mods, "mods_count", mbi->mods_count);
	for (uint32_t i = 0; i < mbi->mods_count && i < 10; i++) {
		check_module(mbi, cmdline, i, prev_end);
		prev_end = ((const struct mb_mod *)mbi->mods_addr)[i].end;
	}
	printf("%s multiboot_info\n", failures ? "FAIL" : "PASS");
	return failures;
}
