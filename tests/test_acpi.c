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

static void build_plat(struct guest_mem *mem, const struct platform_info *plat,
		       uint64_t *rsdp)
{
	ck_assert_int_eq(guest_mem_init(mem, 64 << 20), 0);
	ck_assert_int_eq(acpi_tables_build(mem, plat, rsdp), 0);
}

static void build(struct guest_mem *mem, int nr_cpus, uint64_t *rsdp)
{
	struct platform_info plat = { .nr_cpus = nr_cpus,
				      .ioapic_id = nr_cpus };

	build_plat(mem, &plat, rsdp);
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

static uint64_t rsdt_find(const struct guest_mem *mem, uint64_t rsdp,
			  const char *sig)
{
	const uint8_t *r = sdt(mem, rd32(rsdp_of(mem, rsdp) + 16), "RSDT");

	for (uint32_t off = 36; off + 4 <= rd32(r + 4); off += 4) {
		uint64_t a = rd32(r + off);

		if (!memcmp(gp(mem, a, 4), sig, 4))
			return a;
	}
	ck_abort_msg("%s not in the RSDT", sig);
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
	int facp = 0, apic = 0, mcfg = 0;

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
		mcfg += !memcmp(t, "MCFG", 4);
	}
	ck_assert_int_eq(facp, 1);
	ck_assert_int_eq(apic, 1);
	ck_assert_int_eq(mcfg, 1);
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

/*
 * A small AML reader (ACPI 6.4 chapter 20) for the terms kvmini's DSDT
 * uses: Scope, Device, Name; Integer, String, Buffer and Package data.
 * Every length is checked against what encloses it.
 */
static size_t pkg_length(const uint8_t *p, uint32_t *len)
{
	size_t n = (p[0] >> 6) + 1;

	if (n == 1) {
		*len = p[0] & 0x3f;
		return 1;
	}
	ck_assert_uint_eq(p[0] & 0x30, 0); /* reserved bits */
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

/*
 * An Integer at p, which must use the smallest encoding: ZeroOp, OneOp,
 * then Byte/Word/DWord/QWordConst only when the smaller ones cannot hold
 * the value.  Returns its size.
 */
static size_t aml_read_int(const uint8_t *p, size_t avail, uint64_t *v)
{
	static const size_t width[] = {
		[0x0a] = 1, [0x0b] = 2, [0x0c] = 4, [0x0e] = 8
	};
	size_t w;

	ck_assert_uint_ge(avail, 1);
	if (p[0] <= 1) {
		*v = p[0];
		return 1;
	}
	ck_assert_msg(p[0] == 0x0a || p[0] == 0x0b || p[0] == 0x0c ||
			      p[0] == 0x0e,
		      "not an integer: 0x%02x", p[0]);
	w = width[p[0]];
	ck_assert_uint_ge(avail, 1 + w);
	*v = 0;
	for (size_t i = 0; i < w; i++)
		*v |= (uint64_t)p[1 + i] << (8 * i);
	/* smallest form: the value needs more than the next smaller one */
	if (w == 1)
		ck_assert_uint_gt(*v, 1);
	else
		ck_assert_uint_gt(*v, (1ULL << (4 * w)) - 1);
	return 1 + w;
}

/* Size of a DataRefObject at p (the kinds a Name() in the DSDT uses). */
static size_t data_object(const uint8_t *p, size_t avail)
{
	uint32_t len;
	uint64_t v;
	size_t n;

	ck_assert_uint_ge(avail, 1);
	switch (p[0]) {
	case 0xff: return 1;
	case 0x00:
	case 0x01:
	case 0x0a:
	case 0x0b:
	case 0x0c:
	case 0x0e: return aml_read_int(p, avail, &v);
	case 0x0d:
		n = strnlen((const char *)p + 1, avail - 1);
		ck_assert_uint_lt(n, avail - 1);
		return n + 2;
	case 0x11: /* Buffer */
	case 0x12: /* Package */
		pkg_length(p + 1, &len);
		ck_assert_uint_le(1 + len, avail);
		return 1 + len;
	}
	ck_abort_msg("unexpected data object 0x%02x", p[0]);
	return 0;
}

enum { T_SCOPE, T_DEVICE, T_NAME };

struct aml_term {
	int kind;
	const uint8_t *name; /* the NameString */
	size_t name_len;
	const uint8_t *body; /* Scope/Device: TermList; Name: the object */
	size_t body_len;
};

/* One term at p, with avail bytes left; returns its size. */
static size_t aml_term(const uint8_t *p, size_t avail, struct aml_term *t)
{
	size_t op, hdr, size;
	uint32_t len;

	if (p[0] == 0x08) { /* Name */
		t->kind = T_NAME;
		t->name = p + 1;
		t->name_len = name_string(p + 1);
		ck_assert_uint_le(1 + t->name_len, avail);
		t->body = p + 1 + t->name_len;
		t->body_len = data_object(t->body, avail - 1 - t->name_len);
		return 1 + t->name_len + t->body_len;
	}
	if (p[0] == 0x10) { /* Scope */
		t->kind = T_SCOPE;
		op = 1;
	} else if (avail >= 2 && p[0] == 0x5b && p[1] == 0x82) { /* Device */
		t->kind = T_DEVICE;
		op = 2;
	} else {
		ck_abort_msg("unexpected AML op 0x%02x", p[0]);
	}
	hdr = op + pkg_length(p + op, &len);
	size = op + len;
	ck_assert_uint_le(size, avail);
	t->name = p + hdr;
	t->name_len = name_string(t->name);
	ck_assert_uint_le(hdr + t->name_len, size);
	t->body = t->name + t->name_len;
	t->body_len = size - hdr - t->name_len;
	return size;
}

/* Terms must tile the list exactly, and so must every nested list. */
static int walk_terms(const uint8_t *aml, size_t size)
{
	struct aml_term t;
	size_t pos = 0;
	int n = 0;

	while (pos < size) {
		pos += aml_term(aml + pos, size - pos, &t);
		if (t.kind != T_NAME)
			n += walk_terms(t.body, t.body_len);
		n++;
	}
	ck_assert_uint_eq(pos, size);
	return n;
}

/* The term of this kind whose NameString ends in seg (4 chars), or NULL. */
static bool find_term(const uint8_t *list, size_t size, int kind,
		      const char *seg, struct aml_term *out)
{
	struct aml_term t;
	size_t pos = 0;

	while (pos < size) {
		pos += aml_term(list + pos, size - pos, &t);
		if (t.kind == kind && t.name_len >= 4 &&
		    !memcmp(t.name + t.name_len - 4, seg, 4)) {
			*out = t;
			return true;
		}
	}
	return false;
}

/* The value of Name (seg, Integer) in a device body. */
static uint64_t name_int(const struct aml_term *dev, const char *seg)
{
	struct aml_term t;
	uint64_t v;

	ck_assert_msg(find_term(dev->body, dev->body_len, T_NAME, seg, &t),
		      "no %s", seg);
	ck_assert_uint_eq(aml_read_int(t.body, t.body_len, &v), t.body_len);
	return v;
}

/* The DSDT's AML, after checking the table and walking all of it. */
static const uint8_t *dsdt_aml(const struct guest_mem *mem, uint64_t rsdp,
			       size_t *len)
{
	const uint8_t *f = sdt(mem, xsdt_find(mem, rsdp, "FACP"), "FACP");
	const uint8_t *d = sdt(mem, rd32(f + 40), "DSDT");

	*len = rd32(d + 4) - 36;
	walk_terms(d + 36, *len);
	return d + 36;
}

/*
 * The device in Scope (\_SB) whose _HID is this EISA ID, encoded as a
 * DWordConst (it is above 0xffff).
 */
static bool sb_device(const struct guest_mem *mem, uint64_t rsdp,
		      const uint8_t eisa[4], struct aml_term *dev)
{
	static const uint8_t sb[] = { '\\', '_', 'S', 'B', '_' };
	struct aml_term scope, hid;
	size_t len, pos = 0;
	const uint8_t *aml = dsdt_aml(mem, rsdp, &len);

	ck_assert(find_term(aml, len, T_SCOPE, "_SB_", &scope));
	ck_assert_uint_eq(scope.name_len, sizeof(sb));
	ck_assert_mem_eq(scope.name, sb, sizeof(sb));
	while (pos < scope.body_len) {
		pos += aml_term(scope.body + pos, scope.body_len - pos, dev);
		if (dev->kind != T_DEVICE ||
		    !find_term(dev->body, dev->body_len, T_NAME, "_HID", &hid))
			continue;
		if (hid.body_len == 5 && hid.body[0] == 0x0c &&
		    !memcmp(hid.body + 1, eisa, 4))
			return true;
	}
	return false;
}

static const uint8_t eisa_pnp0a08[4] = { 0x41, 0xd0, 0x0a, 0x08 };
static const uint8_t eisa_pnp0a03[4] = { 0x41, 0xd0, 0x0a, 0x03 };
static const uint8_t eisa_pnp0c02[4] = { 0x41, 0xd0, 0x0c, 0x02 };

/* What a _CRS resource template holds, as far as these tests care. */
struct crs {
	int bus, io_win, io_cfg, mem32, mem64, mem32_fixed, other;
	uint64_t bus_min, bus_max;
	uint64_t io_min[4], io_max[4];
	uint64_t m32_min, m32_max, m64_min, m64_max;
	uint64_t fixed_base, fixed_len;
};

static uint64_t rd_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/*
 * Word/DWord/QWord Address Space Descriptor (ACPI 6.4, 6.4.3.5): a fixed
 * window the bridge produces: _MIF and _MAF set, producer, positive
 * decode, _GRA 0, _TRA 0 and _LEN = _MAX - _MIN + 1.
 */
static void crs_addr_space(const uint8_t *d, size_t len, size_t w,
			   struct crs *c)
{
	uint64_t gra, min, max, tra, rlen;

	ck_assert_uint_eq(len, 3 + 3 + 5 * w);
	ck_assert_uint_eq(d[4], 0x0c); /* MaxFixed, MinFixed, producer */
	gra = rd_le(d + 6, w);
	min = rd_le(d + 6 + w, w);
	max = rd_le(d + 6 + 2 * w, w);
	tra = rd_le(d + 6 + 3 * w, w);
	rlen = rd_le(d + 6 + 4 * w, w);
	ck_assert_uint_eq(gra, 0);
	ck_assert_uint_eq(tra, 0);
	ck_assert_uint_le(min, max);
	ck_assert_uint_eq(rlen, max - min + 1);
	switch (d[3]) {
	case 0: /* memory: read/write, non-cacheable, AddressRangeMemory */
		ck_assert_uint_eq(d[5], 0x01);
		if (w == 8) {
			c->m64_min = min;
			c->m64_max = max;
			c->mem64++;
		} else {
			ck_assert_uint_eq(w, 4);
			c->m32_min = min;
			c->m32_max = max;
			c->mem32++;
		}
		break;
	case 1: /* I/O: entire range, static, dense */
		ck_assert_uint_eq(w, 2);
		ck_assert_uint_eq(d[5], 0x03);
		ck_assert_int_lt(c->io_win, 4);
		c->io_min[c->io_win] = min;
		c->io_max[c->io_win] = max;
		c->io_win++;
		break;
	case 2:
		ck_assert_uint_eq(w, 2);
		c->bus_min = min;
		c->bus_max = max;
		c->bus++;
		break;
	default: ck_abort_msg("resource type %u", d[3]);
	}
}

static void crs_large(const uint8_t *d, size_t len, struct crs *c)
{
	switch (d[0]) {
	case 0x88: crs_addr_space(d, len, 2, c); break;
	case 0x87: crs_addr_space(d, len, 4, c); break;
	case 0x8a: crs_addr_space(d, len, 8, c); break;
	case 0x86: /* 32-Bit Fixed Memory Range */
		ck_assert_uint_eq(len, 12);
		ck_assert_uint_eq(d[3] & 1, 1); /* read/write */
		c->fixed_base = rd32(d + 4);
		c->fixed_len = rd32(d + 8);
		c->mem32_fixed++;
		break;
	default: c->other++;
	}
}

/*
 * A resource template: small items (tag bit 7 clear, length in bits 2:0)
 * and large items (16-bit length after the tag) tile the buffer, and the
 * End Tag (0x79, checksum 0 or a sum of 0) is the last thing in it.
 */
static void parse_res_tmpl(const uint8_t *b, size_t n, struct crs *c)
{
	size_t off = 0, len;
	bool end = false;

	memset(c, 0, sizeof(*c));
	while (off < n) {
		const uint8_t *d = b + off;

		ck_assert_msg(!end, "data after the End Tag");
		if (d[0] & 0x80) {
			ck_assert_uint_le(off + 3, n);
			len = 3 + rd16(d + 1);
			ck_assert_uint_le(off + len, n);
			crs_large(d, len, c);
		} else {
			len = 1 + (d[0] & 7);
			ck_assert_uint_le(off + len, n);
			if (d[0] == 0x79) {
				end = true;
				ck_assert(d[1] == 0 || sum8(b, off + 2) == 0);
			} else if (d[0] == 0x47) {		/* I/O Port */
				ck_assert_uint_eq(d[1] & 1, 1); /* 16-bit */
				ck_assert_uint_eq(rd16(d + 2), rd16(d + 4));
				ck_assert_uint_eq(rd16(d + 2), 0xcf8);
				ck_assert_uint_eq(d[7], 8);
				c->io_cfg++;
			} else {
				c->other++;
			}
		}
		off += len;
	}
	ck_assert(end);
	ck_assert_uint_eq(off, n);
}

/* Name (_CRS, Buffer (size) {...}): BufferSize agrees with PkgLength. */
static void device_crs(const struct aml_term *dev, struct crs *c)
{
	struct aml_term t;
	uint32_t len;
	uint64_t size;
	size_t n, m;

	ck_assert(find_term(dev->body, dev->body_len, T_NAME, "_CRS", &t));
	ck_assert_uint_eq(t.body[0], 0x11);
	n = 1 + pkg_length(t.body + 1, &len);
	ck_assert_uint_eq(1 + len, t.body_len);
	m = aml_read_int(t.body + n, t.body_len - n, &size);
	ck_assert_uint_eq(size, t.body_len - n - m);
	parse_res_tmpl(t.body + n + m, size, c);
}

START_TEST(dsdt_declares_s5)
{
	struct guest_mem mem;
	uint64_t rsdp;
	const uint8_t *f, *d;
	uint8_t want[16] = { 0x08, '_', 'S', '5', '_', 0x12, 0, 4 };
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
	walk_terms(d + 36, rd32(d + 4) - 36);
	guest_mem_destroy(&mem);
}
END_TEST

/* Without and with a 64-bit PCI window (above RAM, as vm.c places it). */
static const struct platform_info pci_plats[] = {
	{ .nr_cpus = 2, .ioapic_id = 2 },
	{ .nr_cpus = 2,
	  .ioapic_id = 2,
	  .pci_mmio64_start = 0x1000000000ULL,
	  .pci_mmio64_size = PCI_MMIO64_SIZE },
	{ .nr_cpus = 254,
	  .ioapic_id = 254,
	  .pci_mmio64_start = 0x4000000000ULL,
	  .pci_mmio64_size = PCI_MMIO64_SIZE },
};
#define NR_PCI_PLATS ((int)(sizeof(pci_plats) / sizeof(pci_plats[0])))

static bool has_io_window(const struct crs *c, uint64_t min, uint64_t max)
{
	for (int i = 0; i < c->io_win; i++)
		if (c->io_min[i] == min && c->io_max[i] == max)
			return true;
	return false;
}

START_TEST(dsdt_describes_pci_root_bridge)
{
	const struct platform_info *plat = &pci_plats[_i];
	struct guest_mem mem;
	struct aml_term pci0, cid;
	struct crs c;
	uint64_t rsdp;

	build_plat(&mem, plat, &rsdp);
	ck_assert_msg(sb_device(&mem, rsdp, eisa_pnp0a08, &pci0),
		      "no PNP0A08 device in \\_SB");
	ck_assert_uint_eq(pci0.name_len, 4);
	ck_assert_mem_eq(pci0.name, "PCI0", 4);
	ck_assert(find_term(pci0.body, pci0.body_len, T_NAME, "_CID", &cid));
	ck_assert_uint_eq(cid.body_len, 5);
	ck_assert_uint_eq(cid.body[0], 0x0c);
	ck_assert_mem_eq(cid.body + 1, eisa_pnp0a03, 4);
	ck_assert_uint_eq(name_int(&pci0, "_UID"), 0);
	ck_assert_uint_eq(name_int(&pci0, "_SEG"), 0);
	ck_assert_uint_eq(name_int(&pci0, "_BBN"), 0);

	device_crs(&pci0, &c);
	ck_assert_int_eq(c.bus, 1);
	ck_assert_uint_eq(c.bus_min, 0x00);
	ck_assert_uint_eq(c.bus_max, 0xff);
	/* all I/O ports but the config mechanism's, which the bridge uses */
	ck_assert_int_eq(c.io_cfg, 1);
	ck_assert_int_eq(c.io_win, 2);
	ck_assert(has_io_window(&c, 0x0000, 0x0cf7));
	ck_assert(has_io_window(&c, 0x0d00, 0xffff));
	ck_assert_int_eq(c.mem32, 1);
	ck_assert_uint_eq(c.m32_min, PCI_MMIO32_START);
	ck_assert_uint_eq(c.m32_max, PCI_MMIO32_END - 1);
	/* the ECAM and the IOAPIC/LAPIC pages are not bridge windows */
	ck_assert_uint_le(c.m32_max, PCI_ECAM_BASE - 1);
	if (plat->pci_mmio64_size) {
		ck_assert_int_eq(c.mem64, 1);
		ck_assert_uint_eq(c.m64_min, plat->pci_mmio64_start);
		ck_assert_uint_eq(c.m64_max, plat->pci_mmio64_start +
						     plat->pci_mmio64_size - 1);
	} else {
		ck_assert_int_eq(c.mem64, 0);
	}
	ck_assert_int_eq(c.mem32_fixed, 0);
	ck_assert_int_eq(c.other, 0);
	guest_mem_destroy(&mem);
}
END_TEST

/*
 * Name (_PRT, Package (128) { Package (4) { 0xSSSSFFFF, pin, 0, GSI } })
 * with one entry per slot and pin, slot S pin P on GSI 16 + (S + P) % 8.
 */
START_TEST(prt_routes_every_slot_and_pin)
{
	struct guest_mem mem;
	struct aml_term pci0, prt;
	uint8_t seen[32][4] = { { 0 } };
	const uint8_t *p, *end;
	uint64_t rsdp;
	uint32_t len;
	int entries = 0;

	build(&mem, 4, &rsdp);
	ck_assert(sb_device(&mem, rsdp, eisa_pnp0a08, &pci0));
	ck_assert(find_term(pci0.body, pci0.body_len, T_NAME, "_PRT", &prt));
	ck_assert_uint_eq(prt.body[0], 0x12);
	p = prt.body + 1 + pkg_length(prt.body + 1, &len);
	end = prt.body + 1 + len;
	ck_assert_ptr_eq(end, prt.body + prt.body_len);
	ck_assert_uint_eq(*p++, 128); /* NumElements */
	while (p < end) {
		const uint8_t *e_end;
		uint64_t addr, pin, src, gsi, slot;

		ck_assert_uint_eq(*p, 0x12);
		e_end = p + 1;
		p += 1 + pkg_length(p + 1, &len);
		e_end += len;
		ck_assert(e_end <= end);
		ck_assert_uint_eq(*p++, 4);
		p += aml_read_int(p, e_end - p, &addr);
		p += aml_read_int(p, e_end - p, &pin);
		p += aml_read_int(p, e_end - p, &src);
		p += aml_read_int(p, e_end - p, &gsi);
		ck_assert_ptr_eq(p, e_end); /* PkgLength covers exactly 4 */
		ck_assert_uint_eq(addr & 0xffff, 0xffff); /* any function */
		slot = addr >> 16;
		ck_assert_uint_lt(slot, 32);
		ck_assert_uint_lt(pin, 4);
		ck_assert_uint_eq(src, 0); /* static: the last one is a GSI */
		ck_assert_uint_eq(gsi, PCI_INTX_GSI_BASE +
					       (slot + pin) % PCI_INTX_GSI_NR);
		ck_assert_uint_lt(gsi, IOAPIC_NR_PINS);
		ck_assert_uint_eq(seen[slot][pin]++, 0);
		entries++;
	}
	ck_assert_ptr_eq(p, end);
	ck_assert_int_eq(entries, 128);
	guest_mem_destroy(&mem);
}
END_TEST

/* MCFG (PCI Firmware spec): one ECAM allocation, segment 0, from bus 0. */
START_TEST(mcfg_describes_ecam)
{
	struct guest_mem mem;
	uint64_t rsdp, gpa;
	const uint8_t *m;
	static const uint8_t zero[8];

	build(&mem, cpu_counts[_i], &rsdp);
	gpa = xsdt_find(&mem, rsdp, "MCFG");
	ck_assert_uint_eq(rsdt_find(&mem, rsdp, "MCFG"), gpa);
	m = sdt(&mem, gpa, "MCFG");
	ck_assert_uint_eq(rd32(m + 4), 44 + 16);
	ck_assert_uint_eq(m[8], 1);
	ck_assert_mem_eq(m + 36, zero, 8);
	ck_assert_uint_eq(rd64(m + 44), PCI_ECAM_BASE);
	ck_assert_uint_eq(rd16(m + 52), 0); /* segment */
	ck_assert_uint_eq(m[54], 0);	    /* start bus */
	ck_assert_uint_eq(m[55], (PCI_ECAM_SIZE >> 20) - 1);
	ck_assert_uint_eq(rd32(m + 56), 0);
	guest_mem_destroy(&mem);
}
END_TEST

/* Linux trusts the MCFG only if a PNP0C01/PNP0C02 _CRS reserves it. */
START_TEST(ecam_is_a_motherboard_resource)
{
	struct guest_mem mem;
	struct aml_term mres;
	struct crs c;
	uint64_t rsdp;

	build(&mem, 1, &rsdp);
	ck_assert_msg(sb_device(&mem, rsdp, eisa_pnp0c02, &mres),
		      "no PNP0C02 device in \\_SB");
	device_crs(&mres, &c);
	ck_assert_int_eq(c.mem32_fixed, 1);
	ck_assert_uint_eq(c.fixed_base, PCI_ECAM_BASE);
	ck_assert_uint_eq(c.fixed_len, PCI_ECAM_SIZE);
	ck_assert_int_eq(
		c.bus + c.io_win + c.io_cfg + c.mem32 + c.mem64 + c.other, 0);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(madt_describes_cpus_and_ioapic)
{
	int nr = cpu_counts[_i];
	struct guest_mem mem;
	uint64_t rsdp;
	const uint8_t *m;
	uint8_t seen[256] = { 0 };
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
	return (struct span){ gpa, rd32(sdt(mem, gpa, sig) + 4) };
}

START_TEST(tables_fit_and_do_not_overlap)
{
	struct guest_mem mem;
	uint64_t rsdp, fadt;
	const uint8_t *r, *f;
	struct span s[8];
	int n = 0;

	build(&mem, cpu_counts[_i], &rsdp);
	r = rsdp_of(&mem, rsdp);
	fadt = xsdt_find(&mem, rsdp, "FACP");
	f = gp(&mem, fadt, 276);
	s[n++] = (struct span){ rsdp, 36 };
	s[n++] = span_of(&mem, rd32(r + 16), "RSDT");
	s[n++] = span_of(&mem, rd64(r + 24), "XSDT");
	s[n++] = span_of(&mem, fadt, "FACP");
	s[n++] = span_of(&mem, xsdt_find(&mem, rsdp, "APIC"), "APIC");
	s[n++] = span_of(&mem, xsdt_find(&mem, rsdp, "MCFG"), "MCFG");
	s[n++] = span_of(&mem, rd32(f + 40), "DSDT");
	s[n++] = (struct span){ rd32(f + 36), 64 };
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
		{ .nr_cpus = 0, .ioapic_id = 0 },
		{ .nr_cpus = -1, .ioapic_id = 1 },
		{ .nr_cpus = 255, .ioapic_id = 255 },
		{ .nr_cpus = 4, .ioapic_id = 3 }, /* collides with CPU 3 */
		/* 64-bit PCI windows below 4 GiB or wrapping around */
		{ .nr_cpus = 1,
		  .ioapic_id = 1,
		  .pci_mmio64_start = 0x80000000,
		  .pci_mmio64_size = 0x10000000 },
		{ .nr_cpus = 1,
		  .ioapic_id = 1,
		  .pci_mmio64_start = 0xfffffff000000000ULL,
		  .pci_mmio64_size = 0x2000000000ULL },
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
	struct platform_info plat = { .nr_cpus = 1, .ioapic_id = 1 };
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
	static const uint8_t b[] = { 0x01, 0x02, 0xff, 0x80, 0x80 };

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
	tcase_add_loop_test(tc, dsdt_describes_pci_root_bridge, 0,
			    NR_PCI_PLATS);
	tcase_add_test(tc, prt_routes_every_slot_and_pin);
	tcase_add_loop_test(tc, mcfg_describes_ecam, 0, NR_CPU_COUNTS);
	tcase_add_test(tc, ecam_is_a_motherboard_resource);
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
