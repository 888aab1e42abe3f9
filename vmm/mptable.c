// SPDX-License-Identifier: GPL-2.0
/*
 * Intel MultiProcessor Specification 1.4 tables, for guests that boot
 * without ACPI (acpi=off) or predate it.
 *
 * Layout at MPTABLE_ADDR (inside 0xf0000..0xfffff, where an OS scans):
 *
 *   +0x00  MP floating pointer structure, 16 bytes
 *   +0x10  MP configuration table header, 44 bytes, then the entries,
 *          sorted by type as the spec requires:
 *            nr_cpus processors (20 bytes each), then 8 bytes each: two
 *            buses (PCI, ISA), one IOAPIC, 15 ISA I/O interrupts (IRQs
 *            0-15 but 2), 128 PCI I/O interrupts (32 slots x INTA-D), 2
 *            local interrupts.  With 254 CPUs: 16 + 44 + 5080 + 148 * 8
 *            = 6324 bytes.
 *
 * Bus IDs: the spec numbers buses from 0; an OS matches a PCI device's
 * bus number against the MP bus ID of its interrupt entries (Linux does
 * so in IO_APIC_get_PCI_irq_vector()), so PCI bus 0 must be MP bus 0 and
 * ISA takes the next ID, 1.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "platform.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "x86 only");

struct mpf_intel {
	char signature[4]; /* "_MP_" */
	uint32_t config_addr;
	uint8_t length; /* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5]; /* [0] == 0: a config table is present */
} __attribute__((packed));

struct mpc_header {
	char signature[4]; /* "PCMP" */
	uint16_t length;   /* base table: header and entries */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table_addr;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apic_id;
	uint8_t apic_ver;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t bus_id;
	char bus_type[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t id;
	uint8_t version;
	uint8_t flags;
	uint32_t addr;
} __attribute__((packed));

/* I/O and local interrupt assignment entries share one layout. */
struct mpc_intsrc {
	uint8_t type;
	uint8_t irq_type;
	uint16_t flags;
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic;
	uint8_t dst_pin; /* IOAPIC INTIN# or local APIC LINTIN# */
} __attribute__((packed));

_Static_assert(sizeof(struct mpf_intel) == 16, "MP floating pointer size");
_Static_assert(sizeof(struct mpc_header) == 44, "MP header size");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP processor entry size");
_Static_assert(sizeof(struct mpc_bus) == 8, "MP bus entry size");
_Static_assert(sizeof(struct mpc_ioapic) == 8, "MP IOAPIC entry size");
_Static_assert(sizeof(struct mpc_intsrc) == 8, "MP interrupt entry size");

#define MP_SPEC_REV	  4 /* version 1.4 */
#define MP_ENTRY_CPU	  0
#define MP_ENTRY_BUS	  1
#define MP_ENTRY_IOAPIC	  2
#define MP_ENTRY_IOINT	  3
#define MP_ENTRY_LINT	  4
#define MP_CPU_ENABLED	  (1u << 0)
#define MP_CPU_BSP	  (1u << 1)
#define MP_IOAPIC_ENABLED (1u << 0)
#define MP_INT_INT	  0
#define MP_INT_NMI	  1
#define MP_INT_EXTINT	  3
#define MP_IRQ_CONFORMS	  0 /* polarity and trigger as the bus says */
/* I/O interrupt flags: polarity bits 1:0, trigger mode bits 3:2 */
#define MP_IRQ_ACTIVE_LOW (3u << 0)
#define MP_IRQ_LEVEL	  (3u << 2)
#define MP_ALL_LAPICS	  0xff
#define MP_PCI_BUS	  0 /* == PCI bus number 0 */
#define MP_ISA_BUS	  1
#define MP_NR_BUSES	  2
#define MP_NR_ISA_IRQS	  16
#define MP_PCI_SLOTS	  32
#define MP_PCI_PINS	  4 /* INTA#..INTD# */

#define MP_LAPIC_VERSION  0x14
#define MP_IOAPIC_VERSION 0x11
/* Family 6, model 0, stepping 0; FPU, TSC, MSR, CX8 and APIC present. */
#define MP_CPU_SIGNATURE  0x600
#define MP_CPU_FEATURES \
	((1u << 0) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 9))

/* IRQ 2 is the 8259 cascade: its pin 2 belongs to the PIT (IRQ 0). */
#define MP_NR_IOINTS (MP_NR_ISA_IRQS - 1 + MP_PCI_SLOTS * MP_PCI_PINS)
#define MP_NR_LINTS  2

_Static_assert(PCI_INTX_GSI_BASE + PCI_INTX_GSI_NR <= IOAPIC_NR_PINS,
	       "PCI INTx GSIs are IOAPIC pins");

static size_t mpc_size(int nr_cpus)
{
	return sizeof(struct mpc_header) + nr_cpus * sizeof(struct mpc_cpu) +
	       MP_NR_BUSES * sizeof(struct mpc_bus) +
	       sizeof(struct mpc_ioapic) +
	       (MP_NR_IOINTS + MP_NR_LINTS) * sizeof(struct mpc_intsrc);
}

static uint8_t *mpc_cpus(uint8_t *p, int nr_cpus)
{
	for (int i = 0; i < nr_cpus; i++, p += sizeof(struct mpc_cpu))
		*(struct mpc_cpu *)p = (struct mpc_cpu){
			.type = MP_ENTRY_CPU,
			.apic_id = i,
			.apic_ver = MP_LAPIC_VERSION,
			.flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.signature = MP_CPU_SIGNATURE,
			.features = MP_CPU_FEATURES,
		};
	return p;
}

static uint8_t *mpc_intsrc(uint8_t *p, const struct mpc_intsrc *e)
{
	memcpy(p, e, sizeof(*e));
	return p + sizeof(*e);
}

/* ISA IRQs: edge, active high, as the ISA bus defines them ("conforms"). */
static uint8_t *mpc_isa_int(uint8_t *p, uint8_t type, uint8_t irq_type,
			    uint8_t src_irq, uint8_t dst_apic, uint8_t dst_pin)
{
	return mpc_intsrc(p, &(struct mpc_intsrc){ .type = type,
						   .irq_type = irq_type,
						   .flags = MP_IRQ_CONFORMS,
						   .src_bus = MP_ISA_BUS,
						   .src_irq = src_irq,
						   .dst_apic = dst_apic,
						   .dst_pin = dst_pin });
}

/*
 * PCI INTx: the source bus IRQ is the device number in bits 6:2 and the
 * pin (0 = INTA#) in bits 1:0; slot S pin P raises GSI 16 + (S + P) % 8,
 * which is the IOAPIC's INTIN (its GSI base is 0).  Level, active low.
 */
static uint8_t *mpc_pci_ints(uint8_t *p, uint8_t ioapic_id)
{
	struct mpc_intsrc e = { .type = MP_ENTRY_IOINT,
				.irq_type = MP_INT_INT,
				.flags = MP_IRQ_ACTIVE_LOW | MP_IRQ_LEVEL,
				.src_bus = MP_PCI_BUS,
				.dst_apic = ioapic_id };

	for (unsigned int slot = 0; slot < MP_PCI_SLOTS; slot++) {
		for (unsigned int pin = 0; pin < MP_PCI_PINS; pin++) {
			e.src_irq = slot << 2 | pin;
			e.dst_pin = PCI_INTX_GSI_BASE +
				    (slot + pin) % PCI_INTX_GSI_NR;
			p = mpc_intsrc(p, &e);
		}
	}
	return p;
}

static uint8_t *mpc_bus(uint8_t *p, uint8_t id, const char *type)
{
	struct mpc_bus *bus = (struct mpc_bus *)p;

	bus->type = MP_ENTRY_BUS;
	bus->bus_id = id;
	memcpy(bus->bus_type, type, 6);
	return p + sizeof(*bus);
}

/* Buses, the IOAPIC and the interrupt routing, after the processors. */
static uint8_t *mpc_platform(uint8_t *p, uint8_t ioapic_id)
{
	p = mpc_bus(p, MP_PCI_BUS, "PCI   ");
	p = mpc_bus(p, MP_ISA_BUS, "ISA   ");
	*(struct mpc_ioapic *)p = (struct mpc_ioapic){
		.type = MP_ENTRY_IOAPIC,
		.id = ioapic_id,
		.version = MP_IOAPIC_VERSION,
		.flags = MP_IOAPIC_ENABLED,
		.addr = IOAPIC_ADDR,
	};
	p += sizeof(struct mpc_ioapic);
	/* ISA IRQ n on INTIN n, but the PIT (IRQ 0) on INTIN 2. */
	for (int irq = 0; irq < MP_NR_ISA_IRQS; irq++)
		if (irq != 2)
			p = mpc_isa_int(p, MP_ENTRY_IOINT, MP_INT_INT, irq,
					ioapic_id, irq ? irq : 2);
	p = mpc_pci_ints(p, ioapic_id);
	/* Virtual wire: the 8259 on LINT0, NMI on LINT1, every CPU. */
	p = mpc_isa_int(p, MP_ENTRY_LINT, MP_INT_EXTINT, 0, MP_ALL_LAPICS, 0);
	return mpc_isa_int(p, MP_ENTRY_LINT, MP_INT_NMI, 0, MP_ALL_LAPICS, 1);
}

static void mpc_build(struct mpc_header *h, const struct platform_info *plat)
{
	size_t len = mpc_size(plat->nr_cpus);

	memcpy(h->signature, "PCMP", 4);
	h->length = len;
	h->spec_rev = MP_SPEC_REV;
	memcpy(h->oem_id, "KVMINI  ", 8);
	memcpy(h->product_id, "KVMINI VM   ", 12);
	h->entry_count =
		plat->nr_cpus + MP_NR_BUSES + 1 + MP_NR_IOINTS + MP_NR_LINTS;
	h->lapic_addr = LAPIC_ADDR;
	mpc_platform(mpc_cpus((uint8_t *)(h + 1), plat->nr_cpus),
		     plat->ioapic_id);
	h->checksum = -table_checksum(h, len);
}

static void mpf_build(struct mpf_intel *f, uint32_t config_addr)
{
	memcpy(f->signature, "_MP_", 4);
	f->config_addr = config_addr;
	f->length = 1;
	f->spec_rev = MP_SPEC_REV;
	/*
	 * feature[0] = 0: use the config table; feature[1] bit 7 clear: no
	 * IMCR, the 8259s are wired in virtual wire mode.
	 */
	f->checksum = -table_checksum(f, sizeof(*f));
}

/* Same limits as the MADT: 8-bit xAPIC IDs, 0xff is broadcast. */
static bool plat_valid(const struct platform_info *plat)
{
	return plat->nr_cpus >= 1 && plat->ioapic_id >= plat->nr_cpus &&
	       plat->ioapic_id != 0xff;
}

int mptable_build(const struct guest_mem *mem, const struct platform_info *plat)
{
	size_t len;
	uint8_t *buf;
	int ret;

	if (!plat_valid(plat))
		return -1;
	len = sizeof(struct mpf_intel) + mpc_size(plat->nr_cpus);
	if (len > MPTABLE_MAX)
		return -1;
	buf = calloc(1, len);
	if (!buf)
		return -1;
	mpc_build((struct mpc_header *)(buf + sizeof(struct mpf_intel)), plat);
	mpf_build((struct mpf_intel *)buf,
		  MPTABLE_ADDR + sizeof(struct mpf_intel));
	ret = guest_mem_write(mem, MPTABLE_ADDR, buf, len);
	free(buf);
	return ret;
}
