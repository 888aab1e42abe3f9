/*
 * Local APIC (xAPIC, MMIO at 0xfee00000), IOAPIC (0xfec00000) and the
 * legacy 8259 PIC.  On kvmini all three live in KVM (KVM_CREATE_IRQCHIP):
 * their registers never exit to kvmini.
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include <stdint.h>

#include "io.h"

#define LAPIC_BASE	 0xfee00000UL
#define LAPIC_ID	 0x020
#define LAPIC_VERSION	 0x030
#define LAPIC_TPR	 0x080
#define LAPIC_EOI	 0x0b0
#define LAPIC_SVR	 0x0f0
#define LAPIC_ISR	 0x100
#define LAPIC_IRR	 0x200
#define LAPIC_ICR_LO	 0x300
#define LAPIC_ICR_HI	 0x310
#define LAPIC_LVT_TIMER	 0x320
#define LAPIC_LVT_LINT0	 0x350
#define LAPIC_LVT_LINT1	 0x360
#define LAPIC_LVT_ERROR	 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	 0x390
#define LAPIC_TIMER_DIV	 0x3e0

#define LVT_MASKED	   (1U << 16)
#define LVT_TIMER_PERIODIC (1U << 17)
#define ICR_INIT	   0x500
#define ICR_STARTUP	   0x600
#define ICR_LEVEL_ASSERT   0x4000
#define ICR_BUSY	   0x1000

#define IOAPIC_BASE	  0xfec00000UL
#define IOAPIC_REG_ID	  0x00
#define IOAPIC_REG_VER	  0x01
#define IOAPIC_REDTBL(p)  (0x10 + 2 * (p))
#define IOAPIC_LEVEL	  (1U << 15)
#define IOAPIC_ACTIVE_LOW (1U << 13)
#define IOAPIC_MASKED	  (1U << 16)

static inline uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(LAPIC_BASE + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(LAPIC_BASE + reg, v);
}

static inline uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

static inline void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* software-enable the LAPIC (spurious vector 0xff), TPR 0, LINT0 masked
 * so the 8259 cannot reach the CPU */
void lapic_enable(void);
/* one-shot (periodic = 0) or periodic timer: vector, initial count, the
 * divider 1, 2, 4, ..., 128 */
void lapic_timer_start(uint8_t vector, uint32_t count, uint32_t divide,
		       int periodic);
void lapic_timer_stop(void);
/* send an IPI (ICR low bits) to dest; waits until the send completed */
void lapic_send_ipi(uint32_t dest, uint32_t icr_lo);

uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
/* pin -> vector, fixed delivery, physical destination dest; flags:
 * IOAPIC_LEVEL, IOAPIC_ACTIVE_LOW, IOAPIC_MASKED */
void ioapic_route(unsigned int pin, uint8_t vector, uint8_t dest,
		  uint32_t flags);
void ioapic_mask(unsigned int pin);

/* initialise both 8259s (vectors 0x20/0x28) and mask every line */
void pic_disable(void);

#endif
