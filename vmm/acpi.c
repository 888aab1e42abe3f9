// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables (ACPI 6.4, chapter 5), built in a host buffer and copied to
 * ACPI_TABLES_ADDR, where an OS scanning 0xe0000..0xfffff finds the RSDP.
 *
 * Layout, offsets from ACPI_TABLES_ADDR (16-byte aligned, FACS 64):
 *
 *   0x000  RSDP   36 bytes, revision 2
 *   0x030  RSDT   36 + 4 * 3 (FADT, MADT, MCFG)
 *   0x060  XSDT   36 + 8 * 3 (the same three, 64-bit)
 *   0x0a0  FADT   276 bytes, revision 6.4
 *   0x1c0  FACS   64 bytes
 *   0x200  MCFG   44 + 16 (one ECAM allocation: segment 0, bus 0)
 *   0x240  MADT   44 + 8 * nr_cpus + 12 + 2 * 10 + 6
 *   ...    DSDT   36 + AML (about 2 KiB: \_SB.PCI0, \_SB.MRES, \_S5);
 *                 last, so that it may grow
 *
 * With 254 CPUs, the most 8-bit xAPIC IDs allow (see plat_valid()), the
 * MADT is 2114 bytes and the DSDT starts at 0xa90: the whole set stays
 * well inside ACPI_TABLES_MAX (64 KiB).
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

/*
 * PCI Express memory-mapped configuration space (PCI Firmware spec 3.x,
 * MCFG): the header, 8 reserved bytes, then one allocation per range of
 * buses.  ECAM gives each bus 1 MiB (32 devices x 8 functions x 4 KiB).
 */
struct acpi_mcfg {
	struct acpi_header h;
	uint8_t reserved[8];
} __attribute__((packed));

struct mcfg_alloc {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
} __attribute__((packed));

/* PCI configuration mechanism #1 decodes 0xcf8-0xcff (0xcf9: reset) */
#define PCI_CONFIG_PORTS 8

#define ECAM_BUS_SIZE  0x100000ULL
#define PCI_ECAM_BUSES (PCI_ECAM_SIZE / ECAM_BUS_SIZE)
_Static_assert(PCI_ECAM_BUSES >= 1 && PCI_ECAM_BUSES <= 256 &&
		       PCI_ECAM_SIZE % ECAM_BUS_SIZE == 0,
	       "ECAM covers whole buses");
_Static_assert(PCI_INTX_GSI_BASE + PCI_INTX_GSI_NR <= IOAPIC_NR_PINS,
	       "PCI INTx GSIs are IOAPIC pins");

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
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG size");
_Static_assert(sizeof(struct mcfg_alloc) == 16, "MCFG allocation size");

/* Tables listed in the RSDT/XSDT; the FACS and DSDT hang off the FADT. */
enum { SDT_FADT, SDT_MADT, SDT_MCFG, SDT_NR };

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
#define AML_BUFFER_OP	      0x11
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

/* Name (NAME, Integer), in the smallest encoding. */
static void aml_name_integer(struct aml *a, const char *name, uint64_t v)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, name);
	aml_integer(a, v);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * EISAID ("PNP0A08"): a 32-bit compressed EISA ID (ACPI 6.4, 6.1.5).  The
 * three letters take 5 bits each ('A' = 1) in the first two bytes, most
 * significant first; the four hex digits fill the last two bytes, high
 * nibble first.  "PNP0A08" is 0x080ad041: bytes 41 d0 0a 08.
 */
static void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7) {
		a->err = true;
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			a->err = true;
	}
	for (int i = 3; i < 7; i++) {
		if (hex_digit(id[i]) < 0)
			a->err = true;
	}
	if (a->err)
		return;
	/* letters: byte 0 = L0 << 2 | L1 >> 3, byte 1 = L1 << 5 | L2 */
	v |= (uint32_t)(((id[0] - 0x40) << 2) | ((id[1] - 0x40) >> 3));
	v |= (uint32_t)((((id[1] - 0x40) & 0x7) << 5) | (id[2] - 0x40)) << 8;
	v |= (uint32_t)(hex_digit(id[3]) << 4 | hex_digit(id[4])) << 16;
	v |= (uint32_t)(hex_digit(id[5]) << 4 | hex_digit(id[6])) << 24;
	aml_name_integer(a, name, v);
}

/* Name (NAME, Buffer () { bytes }): BufferOp PkgLength BufferSize bytes */
static void aml_name_buffer(struct aml *a, const char *name, const void *buf,
			    size_t len)
{
	size_t mark;

	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, name);
	mark = aml_open(a, AML_BUFFER_OP);
	aml_integer(a, len);
	aml_bytes(a, buf, len);
	aml_close(a, mark);
}

/*
 * Resource templates (ACPI 6.4, 6.4): the byte stream a _CRS Buffer
 * holds.  Small items have a one-byte tag (bit 7 clear, name in bits 6:3,
 * length in bits 2:0); large items a tag byte (bit 7 set, name in bits
 * 6:0) and a 16-bit length of what follows.  All fields little-endian.
 */
#define RES_TMPL_MAX 160

struct res_tmpl {
	uint8_t data[RES_TMPL_MAX];
	size_t len;
	bool err;
};

static void rt_le(struct res_tmpl *r, uint64_t v, size_t n)
{
	if (r->err || n > sizeof(r->data) - r->len) {
		r->err = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		r->data[r->len++] = v >> (8 * i);
}

#define RES_IO_PORT	0x47 /* small item 0x08, length 7 */
#define RES_END_TAG	0x79 /* small item 0x0f, length 1 */
#define RES_MEM32_FIXED 0x86
#define RES_DWORD_SPACE 0x87
#define RES_WORD_SPACE	0x88
#define RES_QWORD_SPACE 0x8a
/* Address space descriptors: resource type, general and type flags */
#define RES_TYPE_MEM	0
#define RES_TYPE_IO	1
#define RES_TYPE_BUS	2
#define RES_MIN_FIXED	(1u << 2)
#define RES_MAX_FIXED	(1u << 3)
#define RES_IO_ENTIRE	0x03 /* _RNG: ISA and non-ISA ranges */
#define RES_MEM_RW	0x01 /* _RW; _MEM 0: non-cacheable */
#define RES_IO_DECODE16 0x01

/*
 * Word (width 2), DWord (4) or QWord (8) Address Space Descriptor for a
 * window the bridge produces for its children:
 *   tag, length (3 + 5 * width), resource type, general flags, type
 *   flags, then _GRA, _MIN, _MAX, _TRA, _LEN, each width bytes.
 * General flags: bit 0 clear = producer, bit 1 clear = positive decode,
 * _MIF and _MAF set.  A fixed-size, fixed-location window must have
 * _GRA 0 and _LEN = _MAX - _MIN + 1; _TRA 0: no translation.
 */
static void rt_addr_space(struct res_tmpl *r, size_t width, uint8_t type,
			  uint8_t type_flags, uint64_t min, uint64_t max)
{
	static const uint8_t tag[9] = { [2] = RES_WORD_SPACE,
					[4] = RES_DWORD_SPACE,
					[8] = RES_QWORD_SPACE };

	rt_le(r, tag[width], 1);
	rt_le(r, 3 + 5 * width, 2);
	rt_le(r, type, 1);
	rt_le(r, RES_MIN_FIXED | RES_MAX_FIXED, 1);
	rt_le(r, type_flags, 1);
	rt_le(r, 0, width);		/* _GRA */
	rt_le(r, min, width);		/* _MIN */
	rt_le(r, max, width);		/* _MAX */
	rt_le(r, 0, width);		/* _TRA */
	rt_le(r, max - min + 1, width); /* _LEN */
}

/*
 * I/O Port Descriptor: tag 0x47, information (bit 0: 16-bit decode),
 * _MIN, _MAX (16 bits each), _ALN, _LEN (one byte each).
 */
static void rt_io_port(struct res_tmpl *r, uint16_t base, uint8_t len)
{
	rt_le(r, RES_IO_PORT, 1);
	rt_le(r, RES_IO_DECODE16, 1);
	rt_le(r, base, 2);
	rt_le(r, base, 2);
	rt_le(r, 1, 1);
	rt_le(r, len, 1);
}

/*
 * 32-Bit Fixed Memory Range Descriptor: tag 0x86, length 9, information
 * (bit 0: read/write), base, length.
 */
static void rt_mem32_fixed(struct res_tmpl *r, uint32_t base, uint32_t len)
{
	rt_le(r, RES_MEM32_FIXED, 1);
	rt_le(r, 9, 2);
	rt_le(r, RES_MEM_RW, 1);
	rt_le(r, base, 4);
	rt_le(r, len, 4);
}

/* End Tag: 0x79, then a checksum byte; 0 means "treat as valid". */
static void rt_end(struct res_tmpl *r)
{
	rt_le(r, RES_END_TAG, 1);
	rt_le(r, 0, 1);
}

static void aml_name_res_tmpl(struct aml *a, const char *name,
			      const struct res_tmpl *r)
{
	if (r->err) {
		a->err = true;
		return;
	}
	aml_name_buffer(a, name, r->data, r->len);
}

/*
 * What the host bridge decodes (PCI Firmware spec 3.x, 4.1.2; ACPI 6.4,
 * 6.4.3.5): bus numbers 0-255; all I/O ports but the configuration
 * mechanism's 0xcf8-0xcff, which it consumes itself (listed as a plain
 * I/O port descriptor; Linux drops exactly that range from the windows);
 * the 32-bit memory window and, if there is one, the 64-bit window.
 */
static void pci0_crs(struct res_tmpl *r, const struct platform_info *plat)
{
	rt_addr_space(r, 2, RES_TYPE_BUS, 0, 0x00, 0xff);
	rt_io_port(r, PCI_CONFIG_ADDR_PORT, PCI_CONFIG_PORTS);
	rt_addr_space(r, 2, RES_TYPE_IO, RES_IO_ENTIRE, 0x0000,
		      PCI_CONFIG_ADDR_PORT - 1);
	rt_addr_space(r, 2, RES_TYPE_IO, RES_IO_ENTIRE,
		      PCI_CONFIG_ADDR_PORT + PCI_CONFIG_PORTS, 0xffff);
	rt_addr_space(r, 4, RES_TYPE_MEM, RES_MEM_RW, PCI_MMIO32_START,
		      PCI_MMIO32_END - 1);
	if (plat->pci_mmio64_size)
		rt_addr_space(
			r, 8, RES_TYPE_MEM, RES_MEM_RW, plat->pci_mmio64_start,
			plat->pci_mmio64_start + plat->pci_mmio64_size - 1);
	rt_end(r);
}

/* PCI INTx routing: slot S pin P (0 = INTA) raises GSI 16 + (S + P) % 8. */
static uint32_t pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return PCI_INTX_GSI_BASE + (slot + pin) % PCI_INTX_GSI_NR;
}

#define PCI_SLOTS    32
#define PCI_INT_PINS 4

/*
 * Name (_PRT, Package () { Package () { 0xSSSSFFFF, pin, Zero, GSI }, ...
 * }) (ACPI 6.4, 6.2.13): one entry per slot and pin; the address's
 * function 0xffff means "any function", and Source Zero makes the last
 * element a GSI (level-triggered, active-low).  128 entries, ~1.6 KiB.
 */
static void pci0_prt(struct aml *a)
{
	size_t prt, entry;

	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, "_PRT");
	prt = aml_open(a, AML_PACKAGE_OP);
	aml_byte(a, PCI_SLOTS * PCI_INT_PINS); /* NumElements */
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++) {
		for (unsigned int pin = 0; pin < PCI_INT_PINS; pin++) {
			entry = aml_open(a, AML_PACKAGE_OP);
			aml_byte(a, 4);
			aml_integer(a, (uint64_t)slot << 16 | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0); /* Source: none, GSI below */
			aml_integer(a, pci_intx_gsi(slot, pin));
			aml_close(a, entry);
		}
	}
	aml_close(a, prt);
}

/*
 * Device (PCI0): the PCI Express root bridge for segment 0, bus 0 (its
 * ECAM is in the MCFG; no _OSC, so the OS leaves native PCIe hotplug,
 * AER, PME and ASPM alone).  No _ADR: ACPI 6.4, 6.1 wants either _HID
 * or _ADR in a device, not both.
 */
static void dsdt_pci0(struct aml *a, const struct platform_info *plat)
{
	struct res_tmpl crs = { .len = 0 };
	size_t dev = aml_open(a, AML_DEVICE_OP);

	aml_namestring(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08");
	aml_name_eisaid(a, "_CID", "PNP0A03");
	aml_name_integer(a, "_UID", 0);
	aml_name_integer(a, "_SEG", 0);
	aml_name_integer(a, "_BBN", 0);
	pci0_crs(&crs, plat);
	aml_name_res_tmpl(a, "_CRS", &crs);
	pci0_prt(a);
	aml_close(a, dev);
}

/*
 * Device (MRES): motherboard resources.  Linux uses the MCFG's ECAM only
 * if it is reserved in the e820 map or by a PNP0C01/PNP0C02 _CRS.
 */
static void dsdt_mres(struct aml *a)
{
	struct res_tmpl crs = { .len = 0 };
	size_t dev = aml_open(a, AML_DEVICE_OP);

	aml_namestring(a, "MRES");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	rt_mem32_fixed(&crs, PCI_ECAM_BASE, PCI_ECAM_SIZE);
	rt_end(&crs);
	aml_name_res_tmpl(a, "_CRS", &crs);
	aml_close(a, dev);
}

/* Scope (\_SB) { Device (PCI0) {...} Device (MRES) {...} } */
static void dsdt_sb_scope(struct aml *a, const struct platform_info *plat)
{
	size_t scope = aml_open(a, AML_SCOPE_OP);

	aml_namestring(a, "\\_SB");
	dsdt_pci0(a, plat);
	dsdt_mres(a);
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
static int build_dsdt(struct acpi_buf *b, const struct platform_info *plat,
		      uint32_t *gpa)
{
	struct acpi_header *h = acpi_alloc(b, sizeof(*h), 16, gpa);
	struct aml a;

	if (!h)
		return -1;
	a = (struct aml){ .data = (uint8_t *)(h + 1),
			  .cap = ACPI_TABLES_MAX - b->used };
	dsdt_sb_scope(&a, plat);
	dsdt_s5(&a);
	if (a.err)
		return -1;
	b->used += a.len;
	/* Revision 2: AML integers are 64 bits wide. */
	acpi_header_init(h, "DSDT", sizeof(*h) + a.len, 2);
	acpi_header_seal(h);
	return 0;
}

/* One allocation: ECAM for segment 0, buses 0..PCI_ECAM_BUSES-1. */
static void build_mcfg(struct acpi_mcfg *m)
{
	struct mcfg_alloc *e = (struct mcfg_alloc *)(m + 1);

	acpi_header_init(&m->h, "MCFG", sizeof(*m) + sizeof(*e), 1);
	*e = (struct mcfg_alloc){ .base = PCI_ECAM_BASE,
				  .segment = 0,
				  .start_bus = 0,
				  .end_bus = PCI_ECAM_BUSES - 1 };
	acpi_header_seal(&m->h);
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
	uint64_t start = plat->pci_mmio64_start, size = plat->pci_mmio64_size;

	/* a 64-bit window lies above 4 GiB and does not wrap */
	if (size && (start < MMIO_HOLE_END || start + size - 1 < start))
		return false;
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
	struct acpi_mcfg *mcfg;
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
	l->mcfg = acpi_alloc(b, sizeof(*l->mcfg) + sizeof(struct mcfg_alloc),
			     16, &l->sdt_gpa[SDT_MCFG]);
	l->madt = acpi_alloc(b, madt_size(plat->nr_cpus), 16,
			     &l->sdt_gpa[SDT_MADT]);
	if (!l->rsdp || !l->rsdt || !l->xsdt || !l->fadt || !l->facs ||
	    !l->mcfg || !l->madt)
		return -1;
	return build_dsdt(b, plat, &l->dsdt_gpa);
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
	build_mcfg(l.mcfg);
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
