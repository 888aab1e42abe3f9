/*
 * LAPIC, IOAPIC and 8259 helpers.  See apic.h.
 */
#include "apic.h"

void lapic_enable(void)
{
	lapic_write(LAPIC_SVR, 0x100 | 0xff);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
}

void lapic_timer_start(uint8_t vector, uint32_t count, uint32_t divide,
		       int periodic)
{
	/* divide configuration: bits 3,1,0 = 111 for 1, 000..110 for 2..128 */
	uint32_t code = 7, d = 2;

	for (uint32_t c = 0; c < 7; c++, d <<= 1)
		if (d == divide)
			code = c;
	lapic_write(LAPIC_TIMER_DIV, (code & 3) | (code & 4) << 1);
	lapic_write(LAPIC_LVT_TIMER,
		    vector | (periodic ? LVT_TIMER_PERIODIC : 0));
	lapic_write(LAPIC_TIMER_INIT, count);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0);
}

void lapic_send_ipi(uint32_t dest, uint32_t icr_lo)
{
	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	for (int i = 0; i < 100000 && (lapic_read(LAPIC_ICR_LO) & ICR_BUSY);
	     i++)
		__asm__ __volatile__("pause");
}

uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(IOAPIC_BASE, reg);
	return mmio_read32(IOAPIC_BASE + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(IOAPIC_BASE, reg);
	mmio_write32(IOAPIC_BASE + 0x10, v);
}

void ioapic_route(unsigned int pin, uint8_t vector, uint8_t dest,
		  uint32_t flags)
{
	ioapic_write(IOAPIC_REDTBL(pin) + 1, (uint32_t)dest << 24);
	ioapic_write(IOAPIC_REDTBL(pin), vector | flags);
}

void ioapic_mask(unsigned int pin)
{
	ioapic_write(IOAPIC_REDTBL(pin), IOAPIC_MASKED);
}

void pic_disable(void)
{
	/* ICW1..ICW4 on both, then mask all: an uninitialised 8259 may
	 * still answer an INTA */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}
