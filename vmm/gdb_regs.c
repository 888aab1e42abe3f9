// SPDX-License-Identifier: GPL-2.0
/*
 * Registers for gdb: an amd64 target description (GDB manual, "Target
 * Descriptions" and "i386 Features"): org.gnu.gdb.i386.core (general,
 * segment and x87 registers: gdb's amd64 code insists on all 40),
 * org.gnu.gdb.i386.sse, org.gnu.gdb.i386.segments (fs_base, gs_base) and
 * our own org.kvmini.sys with the control registers.  The remote register
 * number is the index in regs[]; 'g' sends them in that order.
 */
#include <stdio.h>
#include <string.h>

#include "gdb.h"

enum reg_kind {
	REG_PLAIN, /* bytes at .offset, zero-extended to the wire size */
	REG_FTAG,  /* full x87 tag word from KVM's abridged one */
	REG_ZERO,  /* not kept by KVM: reads 0, writes ignored */
};

struct reg_desc {
	const char *name;
	int bits;
	const char *type;
	const char *group; /* NULL: gdb's default */
	int feature;
	enum reg_kind kind;
	size_t offset; /* into struct gdb_cpu_state */
	size_t src_size;
};

enum { F_CORE, F_SSE, F_SEGMENTS, F_SYS, NR_FEATURES };

static const char *const feature_names[NR_FEATURES] = {
	"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
	"org.gnu.gdb.i386.segments", "org.kvmini.sys"
};

#define ST(field) offsetof(struct gdb_cpu_state, field)
#define GPR(n, f, t)                                             \
	{                                                        \
		n, 64, t, NULL, F_CORE, REG_PLAIN, ST(regs.f), 8 \
	}
#define SEL(n, f)                                                              \
	{                                                                      \
		n, 32, "int32", NULL, F_CORE, REG_PLAIN, ST(sregs.f.selector), \
			2                                                      \
	}
#define ST_REG(i)                                                 \
	{                                                         \
		"st" #i, 80, "i387_ext", NULL, F_CORE, REG_PLAIN, \
			ST(fpu.fpr[i]), 10                        \
	}
#define X87(n, f, sz)                                                   \
	{                                                               \
		n, 32, "int", "float", F_CORE, REG_PLAIN, ST(fpu.f), sz \
	}
#define XMM(i)                                                     \
	{                                                          \
		"xmm" #i, 128, "uint128", "sse", F_SSE, REG_PLAIN, \
			ST(fpu.xmm[i]), 16                         \
	}
#define SYS(n, f)                                                          \
	{                                                                  \
		n, 64, "int64", "system", F_SYS, REG_PLAIN, ST(sregs.f), 8 \
	}

static const struct reg_desc regs[] = {
	GPR("rax", rax, "int64"),
	GPR("rbx", rbx, "int64"),
	GPR("rcx", rcx, "int64"),
	GPR("rdx", rdx, "int64"),
	GPR("rsi", rsi, "int64"),
	GPR("rdi", rdi, "int64"),
	GPR("rbp", rbp, "data_ptr"),
	GPR("rsp", rsp, "data_ptr"),
	GPR("r8", r8, "int64"),
	GPR("r9", r9, "int64"),
	GPR("r10", r10, "int64"),
	GPR("r11", r11, "int64"),
	GPR("r12", r12, "int64"),
	GPR("r13", r13, "int64"),
	GPR("r14", r14, "int64"),
	GPR("r15", r15, "int64"),
	GPR("rip", rip, "code_ptr"),
	{ "eflags", 32, "int32", NULL, F_CORE, REG_PLAIN, ST(regs.rflags), 4 },
	SEL("cs", cs),
	SEL("ss", ss),
	SEL("ds", ds),
	SEL("es", es),
	SEL("fs", fs),
	SEL("gs", gs),
	ST_REG(0),
	ST_REG(1),
	ST_REG(2),
	ST_REG(3),
	ST_REG(4),
	ST_REG(5),
	ST_REG(6),
	ST_REG(7),
	X87("fctrl", fcw, 2),
	X87("fstat", fsw, 2),
	{ "ftag", 32, "int", "float", F_CORE, REG_FTAG, ST(fpu.ftwx), 1 },
	{ "fiseg", 32, "int", "float", F_CORE, REG_ZERO, 0, 0 },
	X87("fioff", last_ip, 4),
	{ "foseg", 32, "int", "float", F_CORE, REG_ZERO, 0, 0 },
	X87("fooff", last_dp, 4),
	X87("fop", last_opcode, 2),
	XMM(0),
	XMM(1),
	XMM(2),
	XMM(3),
	XMM(4),
	XMM(5),
	XMM(6),
	XMM(7),
	XMM(8),
	XMM(9),
	XMM(10),
	XMM(11),
	XMM(12),
	XMM(13),
	XMM(14),
	XMM(15),
	{ "mxcsr", 32, "int", "vector", F_SSE, REG_PLAIN, ST(fpu.mxcsr), 4 },
	{ "fs_base", 64, "int", NULL, F_SEGMENTS, REG_PLAIN, ST(sregs.fs.base),
	  8 },
	{ "gs_base", 64, "int", NULL, F_SEGMENTS, REG_PLAIN, ST(sregs.gs.base),
	  8 },
	SYS("cr0", cr0),
	SYS("cr2", cr2),
	SYS("cr3", cr3),
	SYS("cr4", cr4),
	SYS("cr8", cr8),
	SYS("efer", efer),
};

#define NR_REGS ((int)(sizeof(regs) / sizeof(regs[0])))

int gdb_regs_count(void)
{
	return NR_REGS;
}

size_t gdb_reg_size(int n)
{
	return n >= 0 && n < NR_REGS ? regs[n].bits / 8 : 0;
}

size_t gdb_regs_total_size(void)
{
	size_t total = 0;

	for (int i = 0; i < NR_REGS; i++)
		total += regs[i].bits / 8;
	return total;
}

/* FXSAVE keeps one "not empty" bit per register; gdb wants 2-bit tags. */
static uint16_t full_tag_word(uint8_t abridged)
{
	uint16_t tags = 0;

	for (int i = 0; i < 8; i++)
		tags |= (abridged & (1 << i) ? 0 : 3) << (2 * i);
	return tags;
}

void gdb_reg_get(const struct gdb_cpu_state *st, int n, uint8_t *out)
{
	const struct reg_desc *r = &regs[n];
	uint16_t tags;

	memset(out, 0, r->bits / 8);
	switch (r->kind) {
	case REG_PLAIN:
		memcpy(out, (const uint8_t *)st + r->offset, r->src_size);
		break;
	case REG_FTAG:
		tags = full_tag_word(st->fpu.ftwx);
		memcpy(out, &tags, sizeof(tags));
		break;
	case REG_ZERO: break;
	}
}

void gdb_reg_set(struct gdb_cpu_state *st, int n, const uint8_t *in)
{
	const struct reg_desc *r = &regs[n];
	uint16_t tags;
	uint8_t abridged = 0;

	switch (r->kind) {
	case REG_PLAIN:
		memcpy((uint8_t *)st + r->offset, in, r->src_size);
		break;
	case REG_FTAG:
		memcpy(&tags, in, sizeof(tags));
		for (int i = 0; i < 8; i++)
			if (((tags >> (2 * i)) & 3) != 3)
				abridged |= 1 << i;
		st->fpu.ftwx = abridged;
		break;
	case REG_ZERO: break;
	}
}

static size_t xml_feature(char *buf, size_t size, int feature)
{
	size_t len = snprintf(buf, size, "<feature name=\"%s\">\n",
			      feature_names[feature]);

	for (int i = 0; i < NR_REGS && len < size; i++) {
		const struct reg_desc *r = &regs[i];

		if (r->feature != feature)
			continue;
		len += snprintf(buf + len, size - len,
				"<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" "
				"regnum=\"%d\"%s%s%s/>\n",
				r->name, r->bits, r->type, i,
				r->group ? " group=\"" : "",
				r->group ? r->group : "", r->group ? "\"" : "");
	}
	if (len < size)
		len += snprintf(buf + len, size - len, "</feature>\n");
	return len;
}

const char *gdb_target_xml(void)
{
	static char xml[8192];
	size_t len;

	if (xml[0])
		return xml;
	len = snprintf(xml, sizeof(xml),
		       "<?xml version=\"1.0\"?>\n"
		       "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		       "<target version=\"1.0\">\n"
		       "<architecture>i386:x86-64</architecture>\n");
	for (int f = 0; f < NR_FEATURES && len < sizeof(xml); f++)
		len += xml_feature(xml + len, sizeof(xml) - len, f);
	if (len < sizeof(xml))
		snprintf(xml + len, sizeof(xml) - len, "</target>\n");
	return xml;
}
