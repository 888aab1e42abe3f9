/*
 * Interrupts through KVM's in-kernel IOAPIC: its ID/version registers
 * (24 pins), then two real sources routed to the BSP:
 *   - the in-kernel PIT's IRQ 0, which kvmini routes to IOAPIC pin 2
 *     (vmm/irq.c), channel 0 in mode 2 at 1 kHz;
 *   - COM1's THRE interrupt, IRQ 4 (pin 4), raised by kvmini's UART
 *     from userspace through KVM_IRQ_LINE: enabled by IER bit 1 and
 *     gated by MCR OUT2, acknowledged by reading IIR (0x02).
 * The 8259s are initialised and masked so nothing comes through LINT0.
 */
#include "apic.h"
#include "cpu.h"
#include "pit.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

#define VEC_PIT	   0x50
#define VEC_SERIAL 0x51
#define COM1	   0x3f8

static volatile uint32_t pit_irqs, serial_irqs, serial_bad_iir;

static void on_pit(struct int_frame *f)
{
	(void)f;
	pit_irqs++;
	lapic_eoi();
}

static void on_serial(struct int_frame *f)
{
	uint8_t iir = inb(COM1 + 2);

	(void)f;
	serial_irqs++;
	if ((iir & 0x0f) != 0x02)
		serial_bad_iir = iir | 0x100;
	lapic_eoi();
}

static void wait_for(volatile uint32_t *n, uint32_t want, uint32_t ms)
{
	struct deadline d;

	deadline_start(&d, ms);
	irq_enable();
	while (*n < want && !deadline_passed(&d))
		cpu_relax();
	irq_disable();
}

int main(const struct hvm_start_info *si)
{
	uint32_t ver, id;

	(void)si;
	pic_disable();
	lapic_enable();
	ver = ioapic_read(IOAPIC_REG_VER);
	id = ioapic_read(IOAPIC_REG_ID);
	test_check(((ver >> 16) & 0xff) == 23 && (ver & 0xff) == 0x11,
		   "ioapic_version", "version register %x: want 24 pins, 0x11",
		   ver);
	printf("info: IOAPIC ID %u\n", id >> 24);
	ioapic_route(2, VEC_PIT, 0, 0);
	ioapic_write(IOAPIC_REDTBL(2), ioapic_read(IOAPIC_REDTBL(2)));
	test_check((ioapic_read(IOAPIC_REDTBL(2)) & 0x1ffff) == VEC_PIT &&
			   ioapic_read(IOAPIC_REDTBL(2) + 1) >> 24 == 0,
		   "ioapic_redirection_readback", "pin 2 entry %x:%x",
		   ioapic_read(IOAPIC_REDTBL(2) + 1),
		   ioapic_read(IOAPIC_REDTBL(2)));

	set_int_handler(VEC_PIT, on_pit);
	pit_program(0, 2, PIT_HZ / 1000);
	wait_for(&pit_irqs, 5, 2000);
	ioapic_mask(2);
	outb(PIT_CMD, 0x30); /* channel 0 mode 0, no count: stops it */
	test_check(pit_irqs >= 5, "ioapic_pit_irq0_pin2",
		   "%u PIT interrupts through IOAPIC pin 2 in 2 s", pit_irqs);

	set_int_handler(VEC_SERIAL, on_serial);
	ioapic_route(4, VEC_SERIAL, 0, 0);
	outb(COM1 + 4, 0x08); /* MCR: OUT2 */
	outb(COM1 + 1, 0x02); /* IER: THRE */
	wait_for(&serial_irqs, 1, 1000);
	/* a byte out makes THR empty again: one more interrupt */
	outb(COM1, '.');
	wait_for(&serial_irqs, 2, 1000);
	outb(COM1 + 1, 0);
	outb(COM1 + 4, 0);
	ioapic_mask(4);
	putc('\n');
	test_check(serial_irqs >= 2 && !serial_bad_iir,
		   "ioapic_serial_thre_irq4",
		   "%u COM1 interrupts through IOAPIC pin 4 (bad IIR %x)",
		   serial_irqs, serial_bad_iir);
	test_check(unexpected_interrupts == 0, "ioapic_no_strays",
		   "%u unexpected interrupts", unexpected_interrupts);
	return 0;
}
