/*
 * The in-kernel 8254 PIT (KVM_CREATE_PIT2, vmm/vm.c): channel 0 counts
 * down (two latched reads differ and stay below the reload value), the
 * read-back command returns the programmed mode in the status byte, and
 * channel 2 gated through port 0x61: OUT2 (bit 5) stays low while the
 * gate is off and goes high after the count once it is on, not earlier
 * than the count (a lower bound on the PM timer, no upper one).  Its
 * IRQ 0 through the IOAPIC is in ioapic_irq.
 */
#include "cpu.h"
#include "pit.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

#define CH2_COUNT 11932 /* 10 ms */

int main(const struct hvm_start_info *si)
{
	uint16_t a, b, reload = 50000;
	uint8_t status;
	struct deadline d;
	uint32_t polls = 0, min_pm;

	(void)si;
	pit_program(0, 2, reload);
	a = pit_latch(0);
	for (int i = 0; i < 20; i++)
		inb(0x80 + 1); /* some time passes: a few exits */
	b = pit_latch(0);
	test_check(a != b && a <= reload && b <= reload, "pit_ch0_counts",
		   "latched %u then %u (reload %u)", a, b, reload);

	outb(PIT_CMD, 0xc2); /* read-back: count and status of channel 0 */
	status = inb(PIT_CH0);
	a = inb(PIT_CH0);
	a |= inb(PIT_CH0) << 8;
	test_check((status & 0x3f) == 0x34 && a <= reload,
		   "pit_readback_status",
		   "status %x (want mode 2, lobyte/hibyte: 34), count %u",
		   status, a);
	outb(PIT_CMD, 0x30);

	/* channel 2, mode 0: OUT2 low until the count runs out */
	outb(PORT_61, inb(PORT_61) & ~0x03);
	/* timed from the count write: KVM's mode 0 counts while the gate is
	 * low (the 8254 would hold), so the gate only delays OUT2's read */
	deadline_start(&d, 1000);
	pit_program(2, 0, CH2_COUNT);
	test_check(!(inb(PORT_61) & 0x20), "pit_ch2_gate_off",
		   "OUT2 high with the gate off");
	outb(PORT_61, (inb(PORT_61) & ~0x02) | 0x01);
	while (!(inb(PORT_61) & 0x20) && !deadline_passed(&d))
		polls++;
	/* one more clock sample after OUT2 was seen high: the time measured
	 * is then never less than the real count time, however slowly the
	 * polls ran (a busy host stretches each exit) */
	pm_clock_sample(&d.clk);
	min_pm = (uint32_t)((uint64_t)CH2_COUNT * PM_TMR_HZ / PIT_HZ);
	test_check(inb(PORT_61) & 0x20, "pit_ch2_out2", "OUT2 never went high");
	test_check(d.clk.ticks + 400 >= min_pm, "pit_ch2_not_early",
		   "OUT2 high after %u PM ticks, count is %u", d.clk.ticks,
		   min_pm);
	printf("info: channel 2 count of 10 ms ended after %u us (%u polls)\n",
	       pm_ticks_to_us(d.clk.ticks), polls);
	outb(PORT_61, inb(PORT_61) & ~0x03);
	return 0;
}
