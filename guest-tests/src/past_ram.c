/*
 * Past the end of RAM ("mem=MIB", as given to --mem): the first bytes
 * after the top of RAM (low RAM when --mem is at most 3 GiB, else high
 * RAM above 4 GiB) are nobody's, so reads at widths 1/2/4/8 come back
 * all-ones (kvmini's unclaimed MMIO), writes are ignored, and kvmini
 * carries on: the last line proves it.
 */
#include "cmdline_num.h"
#include "cpu.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

#define GIB (1ULL << 30)

int main(const struct hvm_start_info *si)
{
	uint64_t mem = (uint64_t)arg_u32(si, "mem", 0) << 20, top, v;
	int ok = 1;

	if (!test_check(mem != 0, "past_ram_arg", "no mem= argument"))
		return 0;
	top = mem <= 3 * GIB ? mem : 4 * GIB + (mem - 3 * GIB);
	if (top > 4 * GIB &&
	    !test_check(map_identity(top - 8, top + 0x200000) == 0,
			"past_ram_map", "cannot map %llx",
			(unsigned long long)top))
		return 0;
	printf("info: top of RAM %llx\n", (unsigned long long)top);
	ok &= mmio_read8(top) == 0xff;
	ok &= mmio_read16(top + 2) == 0xffff;
	ok &= mmio_read32(top + 4) == 0xffffffffu;
	ok &= *(volatile uint64_t *)(top + 8) == ~0ULL;
	test_check(ok, "past_ram_reads_ones",
		   "a read past RAM was not all-ones");
	*(volatile uint64_t *)(top + 16) = 0x0123456789abcdefULL;
	mmio_write8(top, 0);
	mmio_write32(top + 4, 0);
	v = *(volatile uint64_t *)(top + 16);
	test_check(v == ~0ULL && mmio_read8(top) == 0xff &&
			   mmio_read32(top + 4) == 0xffffffffu,
		   "past_ram_writes_ignored", "wrote past RAM, read back %llx",
		   (unsigned long long)v);
	return 0;
}
