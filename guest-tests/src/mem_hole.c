/*
 * Guest RAM and the 32-bit hole ("mem=MIB", as given to --mem): the PVH
 * memory map adds up to --mem (RAM plus the reserved EBDA/BIOS area below
 * 1 MiB), has no RAM in 0xc0000000-0xffffffff, puts what is over 3 GiB at
 * 4 GiB, and patterns written at the last bytes of low RAM and the
 * first/last bytes of high RAM read back (mapped 1:1 with map_identity),
 * without aliasing each other.
 */
#include "cmdline_num.h"
#include "cpu.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

#define GIB	   (1ULL << 30)
#define HOLE_START (3 * GIB)
#define HOLE_END   (4 * GIB)

static int poke(uint64_t a, uint64_t v)
{
	volatile uint64_t *p = (volatile uint64_t *)a;

	*p = v;
	return *p == v;
}

int main(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *e;
	uint64_t mem = (uint64_t)arg_u32(si, "mem", 0) << 20;
	uint64_t ram = 0, rsvd_low = 0, low_end = 0, high_end = 0, hole_ram = 0;
	uint64_t want_low, want_high;
	uint32_t i;

	if (!test_check(mem && si->version >= 1 && si->memmap_paddr &&
				si->memmap_entries,
			"mem_map_present",
			"no mem= argument or no PVH memory map"))
		return 0;
	e = (const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
	for (i = 0; i < si->memmap_entries && i < 64; i++) {
		uint64_t end = e[i].addr + e[i].size;

		printf("info: memmap %016llx-%016llx type %u\n",
		       (unsigned long long)e[i].addr, (unsigned long long)end,
		       e[i].type);
		if (e[i].type != 1) {
			if (end <= 0x100000)
				rsvd_low += e[i].size;
			continue;
		}
		ram += e[i].size;
		if (e[i].addr < HOLE_END && end > HOLE_START)
			hole_ram += e[i].size;
		if (end <= HOLE_START && end > low_end)
			low_end = end;
		if (e[i].addr >= HOLE_END && end > high_end)
			high_end = end;
	}
	want_low = mem < HOLE_START ? mem : HOLE_START;
	want_high = mem > HOLE_START ? HOLE_END + (mem - HOLE_START) : 0;
	test_check(ram + rsvd_low == mem, "mem_map_total",
		   "RAM %llx + reserved below 1 MiB %llx != --mem %llx",
		   (unsigned long long)ram, (unsigned long long)rsvd_low,
		   (unsigned long long)mem);
	test_check(hole_ram == 0, "mem_map_hole_empty",
		   "%llx bytes of RAM in the 3-4 GiB hole",
		   (unsigned long long)hole_ram);
	test_check(low_end == want_low && high_end == want_high,
		   "mem_map_layout",
		   "low RAM ends at %llx (want %llx), high at %llx (want %llx)",
		   (unsigned long long)low_end, (unsigned long long)want_low,
		   (unsigned long long)high_end, (unsigned long long)want_high);

	test_check(poke(low_end - 8, 0x1111222233334444ULL),
		   "mem_low_last_bytes", "no read-back at %llx",
		   (unsigned long long)(low_end - 8));
	if (!high_end) {
		printf("info: no RAM above 4 GiB with --mem %llu MiB\n",
		       (unsigned long long)(mem >> 20));
		return 0;
	}
	if (!test_check(map_identity(HOLE_END, high_end) == 0, "mem_map_high",
			"cannot map up to %llx", (unsigned long long)high_end))
		return 0;
	test_check(poke(HOLE_END, 0x5555666677778888ULL),
		   "mem_high_first_bytes", "no read-back at 4 GiB");
	test_check(poke(high_end - 8, 0x9999aaaabbbbccccULL),
		   "mem_high_last_bytes", "no read-back at %llx",
		   (unsigned long long)(high_end - 8));
	test_check(
		*(volatile uint64_t *)(low_end - 8) == 0x1111222233334444ULL &&
			*(volatile uint64_t *)HOLE_END == 0x5555666677778888ULL,
		"mem_no_alias", "high RAM writes changed low RAM (or back)");
	return 0;
}
