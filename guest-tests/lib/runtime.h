/*
 * The rest of the freestanding runtime: the string functions gcc may call,
 * the PVH start_info, a bump allocator for device-visible buffers, timeouts
 * on the ACPI PM timer, and power-off.
 *
 * Guest memory map used by the C guests (kvmini owns everything below 1 MiB):
 *   0x00080000  top of the stack (grows down)
 *   0x00100000  the guest image (.text, .data, .bss)
 *   0x00200000  dma_alloc() arena: virtqueues and I/O buffers, up to 16 MiB
 */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* PVH boot ABI: what kvmini passes in EBX */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* 1 = RAM */
	uint32_t reserved;
};

/* end of the RAM that starts below 4 GiB (from the PVH memory map), 0 if unknown */
uint64_t ram_top(const struct hvm_start_info *si);

#define DMA_BASE 0x00200000u
#define DMA_END	 0x01200000u
/* zeroed, aligned (a power of 2) memory from the arena; never freed.
 * Running out is a bug in the test: it prints FAIL and powers off. */
void *dma_alloc(uint32_t size, uint32_t align);

/* the ACPI PM timer: port 0x608 on kvmini and QEMU q35 (ICH9 PMBASE 0x600) */
#define ACPI_PM_TMR 0x608
#define PM_TMR_HZ   3579545u

/* ticks counted on the PM timer, 24 or 32 bits wide: masked deltas, so
 * sample it more often than every 4.6 s */
struct pm_clock {
	uint32_t last;	/* last sample */
	uint32_t ticks; /* since pm_clock_start */
};

static inline void pm_clock_start(struct pm_clock *c)
{
	c->last = inl(ACPI_PM_TMR);
	c->ticks = 0;
}

static inline void pm_clock_sample(struct pm_clock *c)
{
	uint32_t now = inl(ACPI_PM_TMR);

	c->ticks += (now - c->last) & 0xffffff;
	c->last = now;
}

static inline uint32_t pm_ticks_to_us(uint32_t ticks)
{
	return (uint32_t)((uint64_t)ticks * 1000000 / PM_TMR_HZ);
}

/* timeouts on the PM timer */
struct deadline {
	struct pm_clock clk; /* ticks seen so far */
	uint32_t limit;	     /* ticks allowed */
	uint32_t polls;	     /* hard cap in case the timer does not run */
};
void deadline_start(struct deadline *d, uint32_t ms);
int deadline_passed(struct deadline *d);

/* ACPI S5: kvmini exits with code 0 */
void poweroff(void) __attribute__((noreturn));
/* S5 on kvmini (SLP_TYP 5, its \_S5) and on QEMU q35 (SLP_TYP 0: QEMU's
 * \_S5; it ignores 5, kvmini ignores 0); then, if exitport is not 0, a
 * write there (QEMU's isa-debug-exit) as a last resort */
void poweroff_any(uint16_t exitport) __attribute__((noreturn));
/* called by start32.S with main()'s return value */
void guest_exit(int rc) __attribute__((noreturn));

int main(const struct hvm_start_info *si);

#endif
