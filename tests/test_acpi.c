// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables, read back the way a guest OS reads them: scan for the
 * RSDP, follow the XSDT, check every checksum.  Field offsets are the
 * ACPI spec's, written out here independently of vmm/acpi.c's structs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "guest_mem.h"
#include "layout.h"
#include "platform.h"
#include "suites.h"

static const int cpu_counts[] = {1, 2, 4, 254};
#define NR_CPU_COUNTS ((int)(sizeof(cpu_counts) / sizeof(cpu_counts[0])))

static uint16_t rd16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
	return rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static const uint8_t *gp(const struct guest_mem *mem, uint64_t gpa,
			 uint64_t len)
{
	const uint8_t *p = gpa_ptr(mem, gpa, len);

	ck_assert_msg(p, "0x%llx+%llu not in RAM", (unsigned long long)gpa,
		      (unsigned long long)len);
	return p;
}

static void build(struct guest_mem *mem, int nr_cpus, uint64_t *rsdp)
{
	struct platform_info plat = {.nr_cpus = nr_cpus, .ioapic_id = nr_cpus};

	ck_assert_int_eq(guest_mem_init(mem, 64 << 20), 0);
	ck_assert_int_eq(acpi_tables_build(mem, &plat, rsdp), 0);
}

/* As Linux does: 16-byte steps, signature plus the ACPI 1.0 checksum. */
static uint64_t scan_rsdp(const struct guest_mem *mem)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
		const uint8_t *p = gpa_ptr(mem, a, 20);

		if (p && !memcmp(p, "RSD PTR ", 8) && sum8(p, 20) == 0)
			return a;
	}
	return 0;
}

/* A system description table: right signature, sane length, sum 0. */
static const uint8_t *sdt(const struct guest_mem *mem, uint64_t gpa,
			  const char *sig)
{
	const uint8_t *h = gp(mem, gpa, 36);
	uint32_t len = rd32(h + 4);

	ck_assert_msg(!memcmp(h, sig, 4), "want %s at 0x%llx, got %.4s", sig,
		      (unsigned long long)gpa, (const char *)h);
	ck_assert_uint_ge(len, 36);
	ck_assert_uint_ge(gpa, ACPI_TABLES_ADDR);
	ck_assert_uint_le(gpa + len, ACPI_TABLES_ADDR + ACPI_TABLES_MAX);
	ck_assert_uint_eq(sum8(gp(mem, gpa, len), len), 0);
	ck_assert_mem_eq(h + 10, "KVMINI", 6);
	return h;
}

static const uint8_t *rsdp_of(const struct guest_mem *mem, uint64_t rsdp)
{
	return gp(mem, rsdp, 36);
}

static uint64_t xsdt_find(const struct guest_mem *mem, uint64_t rsdp,
			  const char *sig)
{
	const uint8_t *x = sdt(mem, rd64(rsdp_of(mem, rsdp) + 24), "XSDT");

	for (uint32_t off = 36; off + 8 <= rd32(x + 4); off += 8) {
		uint64_t a = rd64(x + off);

		if (!memcmp(gp(mem, a, 4), sig, 4))
			return a;
	}
	ck_abort_msg("%s not in the XSDT", sig);
	return 0;
}

START_TEST(rsdp_found_by_scan)
{
	struct guest_mem mem;
	uint64_t rsdp = 0, found;
	const uint8_t *r;

	build(&mem, cpu_counts[_i], &rsdp);
	found = scan_rsdp(&mem);
	ck_assert_uint_eq(found, rsdp);
	ck_assert_uint_eq(found, ACPI_TABLES_ADDR);
	ck_assert_uint_eq(found % 16, 0);
	r = rsdp_of(&mem, rsdp);
	ck_assert_uint_eq(r[15], 2);	     /* revision */
	ck_assert_uint_eq(rd32(r + 20), 36); /* length */
	ck_assert_uint_eq(sum8(r, 36), 0);   /* extended checksum */
	ck_assert_mem_eq(r + 9, "KVMINI", 6);
	ck_assert_uint_ne(rd32(r + 16), 0); /* RSDT */
	ck_assert_uint_ne(rd64(r + 24), 0); /* XSDT */
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(rsdt_and_xsdt_list_the_same_valid_tables)
{
	struct guest_mem mem;
	uint64_t rsdp;
	const uint8_t *r, *rt, *xt;
	uint32_t n;
	int facp = 0, apic = 0;

	build(&mem, cpu_counts[_i], &rsdp);
	r = rsdp_of(&mem, rsdp);
	rt = sdt(&mem, rd32(r + 16), "RSDT");
	xt = sdt(&mem, rd64(r + 24), "XSDT");
	n = (rd32(xt + 4) - 36) / 8;
	ck_assert_uint_eq(rd32(xt + 4), 36 + 8 * n);
	ck_assert_uint_eq(rd32(rt + 4), 36 + 4 * n);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = rd64(xt + 36 + 8 * i);
		const uint8_t *t = gp(&mem, a, 4);

		ck_assert_uint_eq(rd32(rt + 36 + 4 * i), a);
		/* sdt() checks the checksum and that it fits the region */
		sdt(&mem, a, (const char *)t);
		facp += !memcmp(t, "FACP", 4);
		apic += !memcmp(t, "APIC", 4);
	}
	ck_assert_int_eq(facp, 1);
	ck_assert_int_eq(apic, 1);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(fadt_points_at_dsdt_and_facs)
{
	struct guest_mem mem;
	uint64_t rsdp, facs_gpa;
	const uint8_t *f, *facs;

	build(&mem, 2, &rsdp);
	f = sdt(&mem, xsdt_find(&mem, rsdp, "FACP"), "FACP");
	ck_assert_uint_eq(rd32(f + 4), 276);
	ck_assert_uint_eq(f[8], 6); /* major revision */
	ck_assert_uint_ne(rd32(f + 40), 0);
	ck_assert_uint_eq(rd64(f + 140), rd32(f + 40)); /* X_DSDT */
	sdt(&mem, rd32(f + 40), "DSDT");

	facs_gpa = rd32(f + 36);
	/* X_FIRMWARE_CTRL must be 0 when FIRMWARE_CTRL is set */
	ck_assert_uint_eq(rd64(f + 132), 0);
	ck_assert_uint_eq(facs_gpa % 64, 0);
	facs = gp(&mem, facs_gpa, 64);
	ck_assert_mem_eq(facs, "FACS", 4);
	ck_assert_uint_eq(rd32(facs + 4), 64);
	ck_assert_uint_eq(facs[32], 2); /* version */
	ck_assert_uint_ge(facs_gpa, ACPI_TABLES_ADDR);
	ck_assert_uint_le(facs_gpa + 64, ACPI_TABLES_ADDR + ACPI_TABLES_MAX);
	guest_mem_destroy(&mem);
}
END_TEST

/* Generic Address Structure: system I/O, the given width and port. */
static void check_gas_io(const uint8_t *g, unsigned int bits, uint64_t port)
{
	ck_assert_uint_eq(g[0], 1);
	ck_assert_uint_eq(g[1], bits);
	ck_assert_uint_eq(g[2], 0);
	ck_assert_uint_eq(rd64(g + 4), port);
}

START_TEST(fadt_describes_fixed_hardware)
{
	struct guest_mem mem;
	uint64_t rsdp;
	const uint8_t *f;
	uint32_t flags;
	uint16_t boot;

	build(&mem, 1, &rsdp);
	f = sdt(&mem, xsdt_find(&mem, rsdp, "FACP"), "FACP");
	ck_assert_uint_eq(rd16(f + 46), ACPI_SCI_IRQ);
	ck_assert_uint_eq(rd32(f + 48), 0); /* SMI_CMD: already in ACPI */
	ck_assert_uint_eq(rd32(f + 56), ACPI_PM1_EVT);
	ck_assert_uint_eq(f[88], 4);
	check_gas_io(f + 148, 32, ACPI_PM1_EVT);
	ck_assert_uint_eq(rd32(f + 64), ACPI_PM1_CNT);
	ck_assert_uint_eq(f[89], 2);
	check_gas_io(f + 172, 16, ACPI_PM1_CNT);
	ck_assert_uint_eq(rd32(f + 76), ACPI_PM_TMR);
	ck_assert_uint_eq(f[91], 4);
	check_gas_io(f + 208, 32, ACPI_PM_TMR);
	/* no PM1b, PM2 or GPE blocks */
	ck_assert_uint_eq(rd32(f + 60) | rd32(f + 68) | rd32(f + 72), 0);
	ck_assert_uint_eq(rd32(f + 80) | rd32(f + 84) | f[92] | f[93], 0);
	check_gas_io(f + 116, 8, ACPI_RESET_PORT);
	ck_assert_uint_eq(f[128], ACPI_RESET_VALUE);

	flags = rd32(f + 112);
	ck_assert(flags & (1u << 0));	  /* WBINVD */
	ck_assert(flags & (1u << 2));	  /* PROC_C1 */
	ck_assert(!(flags & (1u << 4)));  /* fixed power button */
	ck_assert(flags & (1u << 5));	  /* no fixed sleep button */
	ck_assert(flags & (1u << 8));	  /* 32-bit PM timer */
	ck_assert(flags & (1u << 10));	  /* RESET_REG_SUP */
	ck_assert(!(flags & (1u << 20))); /* not HW-reduced */

	boot = rd16(f + 109);
	ck_assert(!(boot & (1u << 1))); /* no 8042 */
	ck_assert(boot & (1u << 2));	/* no VGA */
	ck_assert(!(boot & (1u << 5))); /* CMOS RTC present */
	guest_mem_destroy(&mem);
}
END_TEST

static bool contains(const uint8_t *hay, size_t n, const uint8_t *needle,
		     size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return true;
	return false;
}

/* AML integer encoding, for the bytes the test expects. */
static size_t aml_int(uint8_t *out, uint8_t v)
{
	if (v <= 1) {
		out[0] = v;
		return 1;
	}
	out[0] = 0x0a;
	out[1] = v;
	return 2;
}

static size_t pkg_length(const uint8_t *p, uint32_t *len)
{
	size_t n = (p[0] >> 6) + 1;

	if (n == 1) {
		*len = p[0] & 0x3f;
		return 1;
	}
	*len = p[0] & 0x0f;
	for (size_t i = 1; i < n; i++)
		*len |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return n;
}

static size_t name_string(const uint8_t *p)
{
	size_t i = 0;

	while (p[i] == '\\' || p[i] == '^')
		i++;
	if (p[i] == 0x00)
		return i + 1;
	if (p[i] == 0x2e)
		return i + 1 + 8;
	if (p[i] == 0x2f)
		return i + 2 + 4 * p[i + 1];
	return i + 4;
}

/* Size of a DataRefObject at p (the kinds a Name() in the DSDT uses). */
static size_t data_object(const uint8_t *p)
{
	uint32_t len;

	switch (p[0]) {
	case 0x00:
	case 0x01:
	case 0xff:
		return 1;
	case 0x0a:
		return 2;
	case 0x0b:
		return 3;
	case 0x0c:
		return 5;
	case 0x0e:
		return 9;
	case 0x0d:
		return strlen((const char *)p + 1) + 2;
	case 0x12:
		pkg_length(p + 1, &len);
		return 1 + len;
	}
	ck_abort_msg("unexpected data object 0x%02x", p[0]);
	return 0;
}

/* Top-level terms must tile the AML exactly: PkgLengths are right. */
static void walk_top_level(const uint8_t *aml, size_t size)
{
	size_t pos = 0;
	uint32_t len;

	while (pos < size) {
		const uint8_t *p = aml + pos;

		if (p[0] == 0x10) { /* Scope */
			pkg_length(p + 1, &len);
			pos += 1 + len;
		} else if (p[0] == 0x5b && p[1] == 0x82) { /* Device */
			pkg_length(p + 2, &len);
			pos += 2 + len;
		} else if (p[0] == 0x08) { /* Name */
			size_t n = 1 + name_string(p + 1);

			pos += n + data_object(p + n);
		} else {
			ck_abort_msg("unexpected AML op 0x%02x", p[0]);
		}
		ck_assert_uint_le(pos, size);
	}
	ck_assert_uint_eq(pos, size);
}

START_TEST(dsdt_declares_s5)
{
	struct guest_mem mem;
	uint64_t rsdp;
	const uint8_t *f, *d;
	uint8_t want[16] = {0x08, '_', 'S', '5', '_', 0x12, 0, 4};
	size_t n = 8;

	build(&mem, 4, &rsdp);
	f = sdt(&mem, xsdt_find(&mem, rsdp, "FACP"), "FACP");
	d = sdt(&mem, rd32(f + 40), "DSDT");
	ck_assert_uint_ge(d[8], 2); /* 64-bit AML integers */
	n += aml_int(want + n, ACPI_S5_SLP_TYP);
	n += aml_int(want + n, ACPI_S5_SLP_TYP);
	n += aml_int(want + n, 0);
	n += aml_int(want + n, 0);
	want[6] = n - 6; /* PkgLength: from itself to the end */
	ck_assert(contains(d + 36, rd32(d + 4) - 36, want, n));
	walk_top_level(d + 36, rd32(d + 4) - 36);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(madt_describes_cpus_and_ioapic)
{
	int nr = cpu_counts[_i];
	struct guest_mem mem;
	uint64_t rsdp;
	const uint8_t *m;
	uint8_t seen[256] = {0};
	int cpus = 0, ioapics = 0, nmis = 0, iso_pit = 0, iso_sci = 0;
	uint32_t off, len;

	build(&mem, nr, &rsdp);
	m = sdt(&mem, xsdt_find(&mem, rsdp, "APIC"), "APIC");
	len = rd32(m + 4);
	ck_assert_uint_eq(rd32(m + 36), LAPIC_ADDR);
	ck_assert_uint_eq(rd32(m + 40) & 1, 1); /* PCAT_COMPAT */
	for (off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		ck_assert_uint_ge(e[1], 2);
		ck_assert_uint_le(off + e[1], len);
		if (e[0] == 0) { /* Processor Local APIC */
			ck_assert_uint_eq(e[1], 8);
			ck_assert_uint_eq(e[2], e[3]); /* UID == APIC ID */
			ck_assert_uint_lt(e[3], nr);
			ck_assert_uint_eq(seen[e[3]]++, 0);
			ck_assert_uint_eq(rd32(e + 4) & 1, 1);
			cpus++;
		} else if (e[0] == 1) { /* I/O APIC */
			ck_assert_uint_eq(e[1], 12);
			ck_assert_uint_eq(e[2], nr);
			ck_assert_uint_eq(rd32(e + 4), IOAPIC_ADDR);
			ck_assert_uint_eq(rd32(e + 8), 0);
			ioapics++;
		} else if (e[0] == 2) { /* Interrupt Source Override */
			ck_assert_uint_eq(e[1], 10);
			ck_assert_uint_eq(e[2], 0);
			iso_pit += e[3] == 0 && rd32(e + 4) == 2 &&
				   rd16(e + 8) == 0;
			iso_sci += e[3] == ACPI_SCI_IRQ &&
				   rd32(e + 4) == ACPI_SCI_IRQ &&
				   rd16(e + 8) == 0x000d;
		} else if (e[0] == 4) { /* Local APIC NMI */
			ck_assert_uint_eq(e[1], 6);
			nmis += e[2] == 0xff && e[5] == 1;
		}
	}
	ck_assert_uint_eq(off, len);
	ck_assert_int_eq(cpus, nr);
	ck_assert_int_eq(ioapics, 1);
	ck_assert_int_eq(iso_pit, 1);
	ck_assert_int_eq(iso_sci, 1);
	ck_assert_int_eq(nmis, 1);
	guest_mem_destroy(&mem);
}
END_TEST

struct span {
	uint64_t start, len;
};

static struct span span_of(const struct guest_mem *mem, uint64_t gpa,
			   const char *sig)
{
	return (struct span){gpa, rd32(sdt(mem, gpa, sig) + 4)};
}

START_TEST(tables_fit_and_do_not_overlap)
{
	struct guest_mem mem;
	uint64_t rsdp, fadt;
	const uint8_t *r, *f;
	struct span s[7];
	int n = 0;

	build(&mem, cpu_counts[_i], &rsdp);
	r = rsdp_of(&mem, rsdp);
	fadt = xsdt_find(&mem, rsdp, "FACP");
	f = gp(&mem, fadt, 276);
	s[n++] = (struct span){rsdp, 36};
	s[n++] = span_of(&mem, rd32(r + 16), "RSDT");
	s[n++] = span_of(&mem, rd64(r + 24), "XSDT");
	s[n++] = span_of(&mem, fadt, "FACP");
	s[n++] = span_of(&mem, xsdt_find(&mem, rsdp, "APIC"), "APIC");
	s[n++] = span_of(&mem, rd32(f + 40), "DSDT");
	s[n++] = (struct span){rd32(f + 36), 64};
	for (int i = 0; i < n; i++) {
		ck_assert_uint_ge(s[i].start, ACPI_TABLES_ADDR);
		ck_assert_uint_le(s[i].start + s[i].len,
				  ACPI_TABLES_ADDR + ACPI_TABLES_MAX);
		for (int j = 0; j < i; j++)
			ck_assert_msg(s[i].start >= s[j].start + s[j].len ||
					      s[j].start >=
						      s[i].start + s[i].len,
				      "tables %d and %d overlap", i, j);
	}
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(impossible_platforms_are_refused)
{
	/* 255 CPUs leave the IOAPIC the broadcast ID 0xff */
	static const struct platform_info bad[] = {
		{.nr_cpus = 0, .ioapic_id = 0},
		{.nr_cpus = -1, .ioapic_id = 1},
		{.nr_cpus = 255, .ioapic_id = 255},
		{.nr_cpus = 4, .ioapic_id = 3}, /* collides with CPU 3 */
	};
	struct guest_mem mem;
	uint64_t rsdp = 0x1234;

	ck_assert_int_eq(guest_mem_init(&mem, 64 << 20), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(acpi_tables_build(&mem, &bad[i], &rsdp), -1);
	/* nothing half-written for an OS to find */
	ck_assert_uint_eq(scan_rsdp(&mem), 0);
	ck_assert_uint_eq(rsdp, 0x1234);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(small_ram_is_refused)
{
	struct platform_info plat = {.nr_cpus = 1, .ioapic_id = 1};
	struct guest_mem mem;
	uint64_t rsdp;

	/* 512 KiB: 0xe0000 is past the end of RAM */
	ck_assert_int_eq(guest_mem_init(&mem, 512 << 10), 0);
	ck_assert_int_eq(acpi_tables_build(&mem, &plat, &rsdp), -1);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(checksum_is_the_byte_sum)
{
	static const uint8_t b[] = {0x01, 0x02, 0xff, 0x80, 0x80};

	ck_assert_uint_eq(table_checksum(b, 0), 0);
	ck_assert_uint_eq(table_checksum(b, 3), 0x02);
	ck_assert_uint_eq(table_checksum(b, 5), 0x02);
	ck_assert_uint_eq(table_checksum(b + 3, 2), 0x00);
}
END_TEST

Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("tables");

	tcase_add_loop_test(tc, rsdp_found_by_scan, 0, NR_CPU_COUNTS);
	tcase_add_loop_test(tc, rsdt_and_xsdt_list_the_same_valid_tables, 0,
			    NR_CPU_COUNTS);
	tcase_add_test(tc, fadt_points_at_dsdt_and_facs);
	tcase_add_test(tc, fadt_describes_fixed_hardware);
	tcase_add_test(tc, dsdt_declares_s5);
	tcase_add_loop_test(tc, madt_describes_cpus_and_ioapic, 0,
			    NR_CPU_COUNTS);
	tcase_add_loop_test(tc, tables_fit_and_do_not_overlap, 0,
			    NR_CPU_COUNTS);
	tcase_add_test(tc, impossible_platforms_are_refused);
	tcase_add_test(tc, small_ram_is_refused);
	tcase_add_test(tc, checksum_is_the_byte_sum);
	suite_add_tcase(s, tc);
	return s;
}
