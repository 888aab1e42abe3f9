// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables (ACPI 6.4, chapter 5), built in a host buffer and copied to
 * ACPI_TABLES_ADDR, where an OS scanning 0xe0000..0xfffff finds the RSDP.
 *
 * Layout, offsets from ACPI_TABLES_ADDR (16-byte aligned, FACS 64):
 *
 *   0x000  RSDP   36 bytes, revision 2
 *   0x030  RSDT   36 + 4 * 2 (FADT, MADT)
 *   0x060  XSDT   36 + 8 * 2 (the same two, 64-bit)
 *   0x0a0  FADT   276 bytes, revision 6.4
 *   0x1c0  FACS   64 bytes
 *   0x200  MADT   44 + 8 * nr_cpus + 12 + 2 * 10 + 6
 *   ...    DSDT   36 + AML (21 bytes now); last, so that it may grow
 *
 * With 254 CPUs, the most 8-bit xAPIC IDs allow (see plat_valid()), the
 * MADT is 2114 bytes and the DSDT ends at 0xa89: ACPI_TABLES_MAX is 64 KiB.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "platform.h"

/* Tables are built with plain stores into packed little-endian structs. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "x86 only");

#define ACPI_OEM_ID	  "KVMINI"
#define ACPI_OEM_TABLE_ID "KVMINI  "
#define ACPI_CREATOR_ID	  "KVMI"

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum; /* covers the first 20 bytes (ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_addr;
	uint32_t length;
	uint64_t xsdt_addr;
	uint8_t ext_checksum; /* covers all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

#define GAS_SYSTEM_IO	 1
#define GAS_ACCESS_BYTE	 1
#define GAS_ACCESS_WORD	 2
#define GAS_ACCESS_DWORD 3

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0; /* was INT_MODEL in ACPI 1.0 */
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	char hypervisor_vendor[8];
} __attribute__((packed));

/* FADT flags */
#define FADT_WBINVD	     (1u << 0)
#define FADT_PROC_C1	     (1u << 2)
#define FADT_PWR_BUTTON	     (1u << 4) /* set: no fixed power button */
#define FADT_SLP_BUTTON	     (1u << 5) /* set: no fixed sleep button */
#define FADT_FIX_RTC	     (1u << 6) /* set: no RTC_STS in PM1 */
#define FADT_TMR_VAL_EXT     (1u << 8) /* 32-bit PM timer */
#define FADT_RESET_REG_SUP   (1u << 10)
#define FADT_HW_REDUCED_ACPI (1u << 20)

/* IA-PC boot architecture flags */
#define IAPC_LEGACY_DEVICES	  (1u << 0)
#define IAPC_8042		  (1u << 1)
#define IAPC_VGA_NOT_PRESENT	  (1u << 2)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

/* C2/C3 latencies above these limits mean "state not supported". */
#define FADT_NO_C2_LAT 101
#define FADT_NO_C3_LAT 1001

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));

#define MADT_PCAT_COMPAT (1u << 0)

struct madt_lapic {
	uint8_t type;
	uint8_t length;
	uint8_t uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type;
	uint8_t length;
	uint8_t id;
	uint8_t reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_iso {
	uint8_t type;
	uint8_t length;
	uint8_t bus;
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type;
	uint8_t length;
	uint8_t uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

#define MADT_TYPE_LAPIC	    0
#define MADT_TYPE_IOAPIC    1
#define MADT_TYPE_ISO	    2
#define MADT_TYPE_LAPIC_NMI 4
#define MADT_LAPIC_ENABLED  (1u << 0)
#define MADT_ALL_CPUS	    0xff
/* MPS INTI flags: polarity in bits 1:0, trigger mode in bits 3:2 */
#define MPS_INTI_CONFORMS   0x0000
#define MPS_INTI_HIGH_LEVEL 0x000d

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP size");
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header size");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS size");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT size");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS size");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT size");
_Static_assert(sizeof(struct madt_iso) == 10, "MADT ISO size");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT NMI size");

/* Tables listed in the RSDT/XSDT; the FACS and DSDT hang off the FADT. */
enum { SDT_FADT, SDT_MADT, SDT_NR };

/* Bump allocator over the host copy of the ACPI region. */
struct acpi_buf {
	uint8_t *data;
	uint32_t used;
};

static void *acpi_alloc(struct acpi_buf *b, uint32_t len, uint32_t align,
			uint32_t *gpa)
{
	uint32_t off = (b->used + align - 1) & ~(align - 1);

	if (off > ACPI_TABLES_MAX || len > ACPI_TABLES_MAX - off)
		return NULL;
	b->used = off + len;
	*gpa = ACPI_TABLES_ADDR + off;
	return b->data + off;
}

/*
 * Returns the 8-bit sum of the bytes.  A valid ACPI or MP table sums to
 * zero, so a writer zeroes the checksum byte and then stores -sum there.
 */
uint8_t table_checksum(const void *buf, uint64_t len)
{
	const uint8_t *p = buf;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

static void acpi_header_init(struct acpi_header *h, const char *sig,
			     uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
}

/* Last step for every table: everything it covers must be written. */
static void acpi_header_seal(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = -table_checksum(h, h->length);
}

/*
 * AML emitter (ACPI 6.4 chapter 20).  Errors (out of space, bad name)
 * are sticky in ->err and checked once at the end.
 */
struct aml {
	uint8_t *data;
	size_t cap;
	size_t len;
	bool err;
};

#define AML_ZERO_OP	      0x00
#define AML_ONE_OP	      0x01
#define AML_NAME_OP	      0x08
#define AML_BYTE_PREFIX	      0x0a
#define AML_WORD_PREFIX	      0x0b
#define AML_DWORD_PREFIX      0x0c
#define AML_QWORD_PREFIX      0x0e
#define AML_SCOPE_OP	      0x10
#define AML_PACKAGE_OP	      0x12
#define AML_DUAL_NAME_PREFIX  0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX     0x5b
#define AML_DEVICE_OP	      0x5b82 /* ExtOpPrefix, DeviceOp */

static void aml_bytes(struct aml *a, const void *src, size_t n)
{
	if (a->err || n > a->cap - a->len) {
		a->err = true;
		return;
	}
	memcpy(a->data + a->len, src, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t v)
{
	aml_bytes(a, &v, 1);
}

/* Smallest encoding of an Integer constant. */
static void aml_integer(struct aml *a, uint64_t v)
{
	if (v <= 1) {
		aml_byte(a, v ? AML_ONE_OP : AML_ZERO_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_bytes(a, &v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_bytes(a, &v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_bytes(a, &v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_bytes(a, &v, 8);
	}
}

/* One NameSeg: 1-4 chars of [A-Z0-9_], no leading digit, '_'-padded. */
static void aml_nameseg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };

	if (n == 0 || n > 4 || (s[0] >= '0' && s[0] <= '9')) {
		a->err = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bool ok = (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
			  (s[i] >= '0' && s[i] <= '9');

		if (!ok)
			a->err = true;
		seg[i] = s[i];
	}
	aml_bytes(a, seg, 4);
}

/* NameString from an ASL-style path: "\\_SB.PCI0", "^FOO", "_S5". */
static void aml_namestring(struct aml *a, const char *path)
{
	size_t nsegs = 1;

	while (*path == '\\' || *path == '^')
		aml_byte(a, (uint8_t)*path++);
	if (!*path) {
		aml_byte(a, 0); /* NullName */
		return;
	}
	for (const char *p = path; *p; p++)
		nsegs += *p == '.';
	if (nsegs == 2)
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	else if (nsegs > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nsegs);
	}
	while (*path) {
		size_t n = strcspn(path, ".");

		aml_nameseg(a, path, n);
		path += n + (path[n] == '.');
	}
}

/*
 * Opens a construct that carries a PkgLength (Scope, Package, Device...):
 * emits the opcode and returns where the PkgLength goes.  The caller then
 * emits the body and passes the mark to aml_close().
 */
static size_t aml_open(struct aml *a, unsigned int op)
{
	if (op > 0xff)
		aml_byte(a, op >> 8);
	aml_byte(a, op & 0xff);
	return a->len;
}

/*
 * PkgLength counts itself plus the body.  One byte holds up to 63; longer
 * lengths take 2-4 bytes: bits 7:6 of the lead byte give the count of
 * extra bytes, its bits 3:0 the low nibble, each extra byte 8 more bits.
 */
static void aml_close(struct aml *a, size_t mark)
{
	size_t body = a->len - mark, n, total;
	uint8_t enc[4];

	for (n = 1; n < 4; n++)
		if (body + n <=
		    (n == 1 ? 0x3fu : (1u << (4 + 8 * (n - 1))) - 1))
			break;
	total = body + n;
	if (a->err || total > 0x0fffffff || n > a->cap - a->len) {
		a->err = true;
		return;
	}
	if (n == 1) {
		enc[0] = total;
	} else {
		enc[0] = (n - 1) << 6 | (total & 0xf);
		for (size_t i = 1; i < n; i++)
			enc[i] = total >> (4 + 8 * (i - 1));
	}
	memmove(a->data + mark + n, a->data + mark, body);
	memcpy(a->data + mark, enc, n);
	a->len += n;
}

/* Scope (\_SB) { }: where devices go (a PCI root bridge, later). */
static void dsdt_sb_scope(struct aml *a)
{
	size_t scope = aml_open(a, AML_SCOPE_OP);

	aml_namestring(a, "\\_SB");
	aml_close(a, scope);
}

/*
 * Name (_S5, Package () { SLP_TYP, SLP_TYP, 0, 0 }): the PM1a/PM1b SLP_TYP
 * values the OS writes to PM1_CNT to power off.  With SLP_TYP 5:
 *   08 5F 53 35 5F   NameOp "_S5_"
 *   12 08 04         PackageOp, PkgLength 8, NumElements 4
 *   0A 05 0A 05      BytePrefix 5, BytePrefix 5
 *   00 00            ZeroOp, ZeroOp (reserved)
 */
static void dsdt_s5(struct aml *a)
{
	size_t pkg;

	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, "_S5");
	pkg = aml_open(a, AML_PACKAGE_OP);
	aml_byte(a, 4);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_close(a, pkg);
}

/* The DSDT goes last in the region: its AML may use all that is left. */
static int build_dsdt(struct acpi_buf *b, uint32_t *gpa)
{
	struct acpi_header *h = acpi_alloc(b, sizeof(*h), 16, gpa);
	struct aml a;

	if (!h)
		return -1;
	a = (struct aml){ .data = (uint8_t *)(h + 1),
			  .cap = ACPI_TABLES_MAX - b->used };
	dsdt_sb_scope(&a);
	dsdt_s5(&a);
	if (a.err)
		return -1;
	b->used += a.len;
	/* Revision 2: AML integers are 64 bits wide. */
	acpi_header_init(h, "DSDT", sizeof(*h) + a.len, 2);
	acpi_header_seal(h);
	return 0;
}

static void build_facs(struct acpi_facs *f)
{
	memcpy(f->signature, "FACS", 4);
	f->length = sizeof(*f);
	f->version = 2;
}

static struct acpi_gas gas_io(uint16_t port, uint8_t bits, uint8_t access)
{
	return (struct acpi_gas){ .space_id = GAS_SYSTEM_IO,
				  .bit_width = bits,
				  .access_size = access,
				  .address = port };
}

/* PM1 event/control, PM timer and reset register: devices/acpi_pm.c */
static void fadt_fixed_hw(struct acpi_fadt *f)
{
	f->sci_int = ACPI_SCI_IRQ;
	/* No SMI command port: the OS finds the machine in ACPI mode. */
	f->smi_cmd = 0;
	f->pm1a_evt_blk = ACPI_PM1_EVT;
	f->pm1_evt_len = 4;
	f->x_pm1a_evt_blk = gas_io(ACPI_PM1_EVT, 32, GAS_ACCESS_WORD);
	f->pm1a_cnt_blk = ACPI_PM1_CNT;
	f->pm1_cnt_len = 2;
	f->x_pm1a_cnt_blk = gas_io(ACPI_PM1_CNT, 16, GAS_ACCESS_WORD);
	f->pm_tmr_blk = ACPI_PM_TMR;
	f->pm_tmr_len = 4;
	f->x_pm_tmr_blk = gas_io(ACPI_PM_TMR, 32, GAS_ACCESS_DWORD);
	f->reset_reg = gas_io(ACPI_RESET_PORT, 8, GAS_ACCESS_BYTE);
	f->reset_value = ACPI_RESET_VALUE;
}

static void build_fadt(struct acpi_fadt *f, uint32_t dsdt, uint32_t facs)
{
	acpi_header_init(&f->h, "FACP", sizeof(*f), 6);
	f->minor_version = 4;
	/* FIRMWARE_CTRL and X_FIRMWARE_CTRL are exclusive: FACS < 4 GiB. */
	f->firmware_ctrl = facs;
	f->dsdt = dsdt;
	f->x_dsdt = dsdt;
	f->preferred_pm_profile = 0; /* unspecified */
	fadt_fixed_hw(f);
	f->p_lvl2_lat = FADT_NO_C2_LAT;
	f->p_lvl3_lat = FADT_NO_C3_LAT;
	/*
	 * No 8042 (Linux then skips probing for a PS/2 controller), no VGA;
	 * the CMOS RTC at 0x70 exists, so CMOS_RTC_NOT_PRESENT stays clear.
	 */
	f->iapc_boot_arch = IAPC_VGA_NOT_PRESENT;
	/* PWR_BUTTON clear: the power button is the fixed-feature one. */
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC |
		   FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP;
	memcpy(f->hypervisor_vendor, "KVMINI\0\0", 8);
	acpi_header_seal(&f->h);
}

static uint32_t madt_size(int nr_cpus)
{
	return sizeof(struct acpi_madt) + nr_cpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_iso) +
	       sizeof(struct madt_lapic_nmi);
}

static struct madt_iso madt_iso(uint8_t irq, uint32_t gsi, uint16_t flags)
{
	return (struct madt_iso){ .type = MADT_TYPE_ISO,
				  .length = sizeof(struct madt_iso),
				  .bus = 0, /* ISA */
				  .source = irq,
				  .gsi = gsi,
				  .flags = flags };
}

static void build_madt(struct acpi_madt *m, const struct platform_info *plat)
{
	struct madt_lapic *cpu = (struct madt_lapic *)(m + 1);
	struct madt_ioapic *io;
	struct madt_iso *iso;
	struct madt_lapic_nmi *nmi;

	acpi_header_init(&m->h, "APIC", madt_size(plat->nr_cpus), 5);
	m->lapic_addr = LAPIC_ADDR;
	/* KVM's in-kernel irqchip emulates the two 8259s as well. */
	m->flags = MADT_PCAT_COMPAT;

	for (int i = 0; i < plat->nr_cpus; i++, cpu++)
		*cpu = (struct madt_lapic){ .type = MADT_TYPE_LAPIC,
					    .length = sizeof(*cpu),
					    .uid = i,
					    .apic_id = i,
					    .flags = MADT_LAPIC_ENABLED };

	io = (struct madt_ioapic *)cpu;
	*io = (struct madt_ioapic){ .type = MADT_TYPE_IOAPIC,
				    .length = sizeof(*io),
				    .id = plat->ioapic_id,
				    .addr = IOAPIC_ADDR,
				    .gsi_base = 0 };

	/* The PIT sits on pin 2; the SCI is level-triggered, active high. */
	iso = (struct madt_iso *)(io + 1);
	iso[0] = madt_iso(0, 2, MPS_INTI_CONFORMS);
	iso[1] = madt_iso(ACPI_SCI_IRQ, ACPI_SCI_IRQ, MPS_INTI_HIGH_LEVEL);

	nmi = (struct madt_lapic_nmi *)(iso + 2);
	*nmi = (struct madt_lapic_nmi){ .type = MADT_TYPE_LAPIC_NMI,
					.length = sizeof(*nmi),
					.uid = MADT_ALL_CPUS,
					.flags = MPS_INTI_CONFORMS,
					.lint = 1 };
	acpi_header_seal(&m->h);
}

/* RSDT and XSDT list the same tables; old OSes only read the RSDT. */
static void build_rsdt_xsdt(struct acpi_header *rsdt, struct acpi_header *xsdt,
			    const uint32_t *tables)
{
	acpi_header_init(rsdt, "RSDT", sizeof(*rsdt) + 4 * SDT_NR, 1);
	acpi_header_init(xsdt, "XSDT", sizeof(*xsdt) + 8 * SDT_NR, 1);
	for (int i = 0; i < SDT_NR; i++) {
		uint64_t addr = tables[i];

		memcpy((uint8_t *)(rsdt + 1) + 4 * i, &tables[i], 4);
		memcpy((uint8_t *)(xsdt + 1) + 8 * i, &addr, 8);
	}
	acpi_header_seal(rsdt);
	acpi_header_seal(xsdt);
}

static void build_rsdp(struct acpi_rsdp *r, uint32_t rsdt, uint32_t xsdt)
{
	memcpy(r->signature, "RSD PTR ", 8);
	memcpy(r->oem_id, ACPI_OEM_ID, 6);
	r->revision = 2;
	r->rsdt_addr = rsdt;
	r->length = sizeof(*r);
	r->xsdt_addr = xsdt;
	r->checksum = -table_checksum(r, 20);
	r->ext_checksum = -table_checksum(r, sizeof(*r));
}

/*
 * CPUs have xAPIC IDs 0..nr_cpus-1 and the IOAPIC its own ID; 0xff is the
 * broadcast ID, so at most 254 CPUs (plus the IOAPIC at 254) fit.
 */
static bool plat_valid(const struct platform_info *plat)
{
	return plat->nr_cpus >= 1 && plat->ioapic_id >= plat->nr_cpus &&
	       plat->ioapic_id != 0xff;
}

/* Where each table lives: in the host buffer and in the guest. */
struct acpi_layout {
	struct acpi_rsdp *rsdp;
	struct acpi_header *rsdt, *xsdt;
	struct acpi_fadt *fadt;
	struct acpi_facs *facs;
	struct acpi_madt *madt;
	uint32_t rsdp_gpa, rsdt_gpa, xsdt_gpa, facs_gpa, dsdt_gpa;
	uint32_t sdt_gpa[SDT_NR];
};

/*
 * Places every table (DSDT last) before filling any: the FADT and the
 * XSDT point at tables laid out after them.
 */
static int acpi_place(struct acpi_buf *b, const struct platform_info *plat,
		      struct acpi_layout *l)
{
	l->rsdp = acpi_alloc(b, sizeof(*l->rsdp), 16, &l->rsdp_gpa);
	l->rsdt =
		acpi_alloc(b, sizeof(*l->rsdt) + 4 * SDT_NR, 16, &l->rsdt_gpa);
	l->xsdt =
		acpi_alloc(b, sizeof(*l->xsdt) + 8 * SDT_NR, 16, &l->xsdt_gpa);
	l->fadt = acpi_alloc(b, sizeof(*l->fadt), 16, &l->sdt_gpa[SDT_FADT]);
	l->facs = acpi_alloc(b, sizeof(*l->facs), 64, &l->facs_gpa);
	l->madt = acpi_alloc(b, madt_size(plat->nr_cpus), 16,
			     &l->sdt_gpa[SDT_MADT]);
	if (!l->rsdp || !l->rsdt || !l->xsdt || !l->fadt || !l->facs ||
	    !l->madt)
		return -1;
	return build_dsdt(b, &l->dsdt_gpa);
}

int acpi_tables_build(const struct guest_mem *mem,
		      const struct platform_info *plat, uint64_t *rsdp_gpa)
{
	struct acpi_buf b = { .data = calloc(1, ACPI_TABLES_MAX) };
	struct acpi_layout l;
	int ret = -1;

	if (!b.data)
		return -1;
	if (!plat_valid(plat) || acpi_place(&b, plat, &l))
		goto out;
	build_facs(l.facs);
	build_madt(l.madt, plat);
	build_fadt(l.fadt, l.dsdt_gpa, l.facs_gpa);
	build_rsdt_xsdt(l.rsdt, l.xsdt, l.sdt_gpa);
	build_rsdp(l.rsdp, l.rsdt_gpa, l.xsdt_gpa);
	if (guest_mem_write(mem, ACPI_TABLES_ADDR, b.data, b.used))
		goto out;
	*rsdp_gpa = l.rsdp_gpa;
	ret = 0;
out:
	free(b.data);
	return ret;
}
