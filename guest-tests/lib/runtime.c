/*
 * Freestanding runtime: string functions, PVH memory map, the DMA arena,
 * PM-timer deadlines, power-off.  See runtime.h.
 */
#include "runtime.h"
#include "io.h"
#include "serial.h"

#define ACPI_PM1_CNT 0x604
#define SLP_EN	     (1 << 13)
#define SLP_S5	     ((5 << 10) | SLP_EN)

void *memset(void *s, int c, size_t n)
{
	void *d = s;

	__asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ __volatile__("rep movsb"
			     : "+D"(d), "+S"(src), "+c"(n)
			     :
			     : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

uint64_t ram_top(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *e;
	uint64_t top = 0;
	uint32_t i;

	if (si->magic != HVM_START_MAGIC || si->version < 1 ||
	    si->memmap_paddr == 0 || si->memmap_paddr >= 0x100000000ULL)
		return 0;
	e = (const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
	for (i = 0; i < si->memmap_entries && i < 64; i++) {
		uint64_t end = e[i].addr + e[i].size;

		if (e[i].type == 1 && e[i].addr < 0x100000000ULL && end > top)
			top = end;
	}
	return top;
}

static uint32_t dma_next = DMA_BASE;

void *dma_alloc(uint32_t size, uint32_t align)
{
	uint32_t p = (dma_next + align - 1) & ~(align - 1);

	if (p < dma_next || size > DMA_END - p) {
		printf("FAIL: dma_alloc(%u) past the arena\n", size);
		poweroff();
	}
	dma_next = p + size;
	memset((void *)(uintptr_t)p, 0, size);
	return (void *)(uintptr_t)p;
}

void deadline_start(struct deadline *d, uint32_t ms)
{
	pm_clock_start(&d->clk);
	d->limit = ms * (PM_TMR_HZ / 1000);
	/* a backstop if the timer does not count: a poll costs at least one
	 * exit to kvmini, well over a microsecond */
	d->polls = ms * 1000;
}

int deadline_passed(struct deadline *d)
{
	pm_clock_sample(&d->clk);
	if (d->polls)
		d->polls--;
	return d->clk.ticks >= d->limit || d->polls == 0;
}

void poweroff(void)
{
	outw(ACPI_PM1_CNT, SLP_S5);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

void poweroff_any(uint16_t exitport)
{
	outw(ACPI_PM1_CNT, SLP_S5);
	outw(ACPI_PM1_CNT, (0 << 10) | SLP_EN);
	if (exitport)
		outb(exitport, 0);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

void guest_exit(int rc)
{
	printf("main returned %d\n", rc);
	poweroff();
}
