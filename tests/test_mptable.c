// SPDX-License-Identifier: GPL-2.0
/*
 * MP tables, read back as an OS does: scan 0xf0000..0xfffff for the
 * floating pointer, then walk the configuration table.  Offsets are the
 * MP spec 1.4's, written out here independently of vmm/mptable.c.
 */
#include <stdint.h>
#include <string.h>

#include "guest_mem.h"
#include "layout.h"
#include "platform.h"
#include "suites.h"

static const int cpu_counts[] = { 1, 2, 4, 254 };
#define NR_CPU_COUNTS ((int)(sizeof(cpu_counts) / sizeof(cpu_counts[0])))

static uint16_t rd16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
	return rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void build(struct guest_mem *mem, int nr_cpus)
{
	struct platform_info plat = { .nr_cpus = nr_cpus,
				      .ioapic_id = nr_cpus };

	ck_assert_int_eq(guest_mem_init(mem, 64 << 20), 0);
	ck_assert_int_eq(mptable_build(mem, &plat), 0);
}

/* Every valid "_MP_" on a 16-byte boundary; returns how many. */
static int scan_mpf(const struct guest_mem *mem, uint64_t *found)
{
	int n = 0;

	for (uint64_t a = 0xf0000; a < 0x100000; a += 16) {
		const uint8_t *p = gpa_ptr(mem, a, 16);

		if (p && !memcmp(p, "_MP_", 4) && p[8] == 1 &&
		    sum8(p, 16) == 0) {
			*found = a;
			n++;
		}
	}
	return n;
}

/* The config table the floating pointer names, checked; NULL if none. */
static const uint8_t *config_table(const struct guest_mem *mem)
{
	uint64_t mpf = 0, cfg;
	const uint8_t *f, *c;
	uint16_t len;

	ck_assert_int_eq(scan_mpf(mem, &mpf), 1);
	f = gpa_ptr(mem, mpf, 16);
	ck_assert_uint_eq(f[9], 4);  /* spec 1.4 */
	ck_assert_uint_eq(f[11], 0); /* config table present */
	cfg = rd32(f + 4);
	c = gpa_ptr(mem, cfg, 44);
	ck_assert_ptr_nonnull(c);
	ck_assert_mem_eq(c, "PCMP", 4);
	len = rd16(c + 4);
	ck_assert_uint_ge(len, 44);
	ck_assert_uint_ge(cfg, MPTABLE_ADDR);
	ck_assert_uint_le(cfg + len, MPTABLE_ADDR + MPTABLE_MAX);
	ck_assert_ptr_nonnull(gpa_ptr(mem, cfg, len));
	ck_assert_uint_eq(sum8(c, len), 0);
	ck_assert_uint_eq(c[6], 4);
	ck_assert_mem_eq(c + 8, "KVMINI", 6);
	ck_assert_uint_eq(rd32(c + 36), LAPIC_ADDR);
	ck_assert_uint_eq(rd16(c + 40), 0); /* no extended table */
	return c;
}

START_TEST(floating_pointer_found_by_scan)
{
	struct guest_mem mem;
	uint64_t mpf = 0;

	build(&mem, cpu_counts[_i]);
	ck_assert_int_eq(scan_mpf(&mem, &mpf), 1);
	ck_assert_uint_eq(mpf, MPTABLE_ADDR);
	config_table(&mem);
	guest_mem_destroy(&mem);
}
END_TEST

struct mp_census {
	int cpus, bsps, buses, ioapics, lint_extint, lint_nmi;
	int isa_bus, pci_bus; /* MP bus IDs, -1 until seen */
	int irq_pin[16];      /* ISA IRQ -> IOAPIC pin, -1 if unrouted */
	int pci_ints;
	int pci_pin[32][4]; /* PCI slot, INTx -> IOAPIC pin, -1 if none */
	uint8_t pin_used[256];
	uint8_t cpu_seen[256];
	uint8_t bus_seen[256];
};

static void count_cpu(struct mp_census *m, const uint8_t *e, int nr)
{
	ck_assert_uint_lt(e[1], nr);
	ck_assert_uint_eq(m->cpu_seen[e[1]]++, 0);
	ck_assert_uint_eq(e[3] & 1, 1); /* enabled */
	if (e[3] & 2) {
		ck_assert_uint_eq(e[1], 0); /* the BSP is CPU 0 */
		m->bsps++;
	}
	ck_assert_uint_eq((rd32(e + 4) >> 8) & 0xf, 6); /* family */
	m->cpus++;
}

static void count_bus(struct mp_census *m, const uint8_t *e)
{
	ck_assert_uint_eq(m->bus_seen[e[1]]++, 0);
	if (!memcmp(e + 2, "ISA   ", 6)) {
		ck_assert_int_eq(m->isa_bus, -1);
		m->isa_bus = e[1];
	} else if (!memcmp(e + 2, "PCI   ", 6)) {
		ck_assert_int_eq(m->pci_bus, -1);
		m->pci_bus = e[1];
	} else {
		ck_abort_msg("bus type %.6s", (const char *)e + 2);
	}
	m->buses++;
}

/*
 * PCI INTx: source bus IRQ = device << 2 | pin (0 = INTA#), level and
 * active low (flags 0x0f), INTIN 16 + (slot + pin) % 8.
 */
static void count_pci_int(struct mp_census *m, const uint8_t *e, int ioapic)
{
	unsigned int slot = (e[5] >> 2) & 0x1f, pin = e[5] & 3;

	ck_assert_uint_eq(e[1], 0);	      /* INT */
	ck_assert_uint_eq(rd16(e + 2), 0x0f); /* active low, level */
	ck_assert_uint_eq(e[5] & 0x80, 0);
	ck_assert_uint_eq(e[6], ioapic);
	ck_assert_int_eq(m->pci_pin[slot][pin], -1);
	ck_assert_uint_eq(e[7],
			  PCI_INTX_GSI_BASE + (slot + pin) % PCI_INTX_GSI_NR);
	ck_assert_uint_lt(e[7], IOAPIC_NR_PINS);
	m->pci_pin[slot][pin] = e[7];
	m->pci_ints++;
}

static void count_ioint(struct mp_census *m, const uint8_t *e, int ioapic)
{
	/* bus entries come first (sorted by type): both IDs are known */
	if (m->pci_bus >= 0 && e[4] == m->pci_bus) {
		count_pci_int(m, e, ioapic);
		return;
	}
	ck_assert_int_eq(e[4], m->isa_bus);
	ck_assert_uint_eq(e[1], 0);	   /* INT */
	ck_assert_uint_eq(rd16(e + 2), 0); /* conforms to ISA: edge, high */
	ck_assert_uint_lt(e[5], 16);
	ck_assert_uint_eq(e[6], ioapic);
	ck_assert_uint_lt(e[7], IOAPIC_NR_PINS);
	ck_assert_int_eq(m->irq_pin[e[5]], -1);
	ck_assert_uint_eq(m->pin_used[e[7]]++, 0);
	m->irq_pin[e[5]] = e[7];
}

static void count_lint(struct mp_census *m, const uint8_t *e)
{
	ck_assert_uint_eq(e[6], 0xff); /* every local APIC */
	m->lint_extint += e[1] == 3 && e[7] == 0;
	m->lint_nmi += e[1] == 1 && e[7] == 1;
}

static void census(const uint8_t *c, int nr, struct mp_census *m)
{
	uint16_t len = rd16(c + 4), count = rd16(c + 34);
	uint32_t off = 44;
	int last_type = 0;

	memset(m, 0, sizeof(*m));
	memset(m->irq_pin, -1, sizeof(m->irq_pin));
	memset(m->pci_pin, -1, sizeof(m->pci_pin));
	m->isa_bus = m->pci_bus = -1;
	for (int i = 0; i < count; i++) {
		const uint8_t *e = c + off;

		ck_assert_uint_le(off + 8, len);
		ck_assert_int_ge(e[0], last_type); /* sorted by type */
		last_type = e[0];
		switch (e[0]) {
		case 0:
			ck_assert_uint_le(off + 20, len);
			count_cpu(m, e, nr);
			off += 20;
			continue;
		case 1: count_bus(m, e); break;
		case 2:
			ck_assert_uint_eq(e[1], nr);
			ck_assert_uint_eq(e[3] & 1, 1);
			ck_assert_uint_eq(rd32(e + 4), IOAPIC_ADDR);
			m->ioapics++;
			break;
		case 3: count_ioint(m, e, nr); break;
		case 4: count_lint(m, e); break;
		default: ck_abort_msg("bad entry type %u", e[0]);
		}
		off += 8;
	}
	ck_assert_uint_eq(off, len); /* entry count and length agree */
}

START_TEST(config_table_describes_the_machine)
{
	int nr = cpu_counts[_i];
	struct guest_mem mem;
	struct mp_census m;

	build(&mem, nr);
	census(config_table(&mem), nr, &m);
	ck_assert_int_eq(m.cpus, nr);
	ck_assert_int_eq(m.bsps, 1);
	ck_assert_int_eq(m.buses, 2);
	/* Linux matches a PCI device's bus number with the MP bus ID */
	ck_assert_int_eq(m.pci_bus, 0);
	ck_assert_int_eq(m.isa_bus, 1); /* IDs go up from 0 */
	ck_assert_int_eq(m.ioapics, 1);
	ck_assert_int_eq(m.lint_extint, 1);
	ck_assert_int_eq(m.lint_nmi, 1);
	ck_assert_int_eq(m.irq_pin[0], 2);
	for (int irq = 1; irq < 16; irq++)
		if (irq != 2) /* the cascade; its pin is the PIT's */
			ck_assert_int_eq(m.irq_pin[irq], irq);
	ck_assert_int_eq(m.irq_pin[SERIAL_COM1_IRQ], SERIAL_COM1_IRQ);
	/* every slot and pin; count_pci_int() checked each INTIN */
	ck_assert_int_eq(m.pci_ints, 32 * 4);
	for (int slot = 0; slot < 32; slot++)
		for (int pin = 0; pin < 4; pin++)
			ck_assert_int_ge(m.pci_pin[slot][pin], 16);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(impossible_platforms_are_refused)
{
	static const struct platform_info bad[] = {
		{ .nr_cpus = 0, .ioapic_id = 0 },
		{ .nr_cpus = -3, .ioapic_id = 1 },
		{ .nr_cpus = 255, .ioapic_id = 255 },
		{ .nr_cpus = 2, .ioapic_id = 0 }, /* collides with CPU 0 */
	};
	struct guest_mem mem;
	uint64_t mpf;

	ck_assert_int_eq(guest_mem_init(&mem, 64 << 20), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(mptable_build(&mem, &bad[i]), -1);
	ck_assert_int_eq(scan_mpf(&mem, &mpf), 0);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(small_ram_is_refused)
{
	struct platform_info plat = { .nr_cpus = 2, .ioapic_id = 2 };
	struct guest_mem mem;

	/* 512 KiB: 0xf0000 is past the end of RAM */
	ck_assert_int_eq(guest_mem_init(&mem, 512 << 10), 0);
	ck_assert_int_eq(mptable_build(&mem, &plat), -1);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(acpi_and_mp_tables_coexist)
{
	struct platform_info plat = { .nr_cpus = 254, .ioapic_id = 254 };
	struct guest_mem mem;
	struct mp_census m;
	uint64_t rsdp;
	const uint8_t *r;

	/* the ACPI region ends where the MP region starts: no overlap */
	ck_assert_uint_le(ACPI_TABLES_ADDR + ACPI_TABLES_MAX, MPTABLE_ADDR);
	ck_assert_int_eq(guest_mem_init(&mem, 64 << 20), 0);
	ck_assert_int_eq(acpi_tables_build(&mem, &plat, &rsdp), 0);
	ck_assert_int_eq(mptable_build(&mem, &plat), 0);
	census(config_table(&mem), plat.nr_cpus, &m);
	ck_assert_int_eq(m.cpus, plat.nr_cpus);
	ck_assert_int_eq(m.pci_ints, 128);
	r = gpa_ptr(&mem, rsdp, 36);
	ck_assert_mem_eq(r, "RSD PTR ", 8);
	ck_assert_uint_eq(sum8(r, 36), 0);
	guest_mem_destroy(&mem);
}
END_TEST

Suite *mptable_suite(void)
{
	Suite *s = suite_create("mptable");
	TCase *tc = tcase_create("tables");

	tcase_add_loop_test(tc, floating_pointer_found_by_scan, 0,
			    NR_CPU_COUNTS);
	tcase_add_loop_test(tc, config_table_describes_the_machine, 0,
			    NR_CPU_COUNTS);
	tcase_add_test(tc, impossible_platforms_are_refused);
	tcase_add_test(tc, small_ram_is_refused);
	tcase_add_test(tc, acpi_and_mp_tables_coexist);
	suite_add_tcase(s, tc);
	return s;
}
