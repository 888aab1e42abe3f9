/*
 * What kvmini's CPUID promises on each vCPU (vmm/cpuid.c), checked by
 * the CPU that runs it: cpuid_topo runs it on every vCPU.  The first
 * mismatch goes to why[] (CPU-local: APs must not print over each other).
 */
#ifndef CPU_CHECKS_H
#define CPU_CHECKS_H

#include "apic.h"
#include "cpu.h"

#define WHY_LEN 96

static void why_set(char *why, const char *s, uint32_t got, uint32_t want)
{
	static const char hex[] = "0123456789abcdef";
	char *p = why;

	while (*s && p < why + WHY_LEN - 40)
		*p++ = *s++;
	for (int k = 0; k < 2; k++) {
		uint32_t v = k ? want : got;

		for (const char *t = k ? ", want " : ": got "; *t; t++)
			*p++ = *t;
		for (int i = 28; i >= 0; i -= 4)
			*p++ = hex[(v >> i) & 15];
	}
	*p = 0;
}

static unsigned int id_bits(uint32_t n)
{
	unsigned int b = 0;

	while ((1U << b) < n)
		b++;
	return b;
}

#define EXPECT(got, want, what)                     \
	do {                                        \
		uint32_t g_ = (got), w_ = (want);   \
		if (g_ != w_) {                     \
			why_set(why, what, g_, w_); \
			return 0;                   \
		}                                   \
	} while (0)

/* set to 0 on kvm_pvm, whose leaf 1 ECX/EDX are not what kvmini set */
static int check_leaf1_edx = 1;

/* 1 if this CPU (APIC ID cpu of ncpus) sees the promised CPUID */
static int cpuid_ok(uint32_t cpu, uint32_t ncpus, char *why)
{
	uint32_t r[4], max;

	cpuid(0, 0, r);
	max = r[0];
	EXPECT(max >= 0xb, 1, "leaf 0 max basic leaf >= 0xb");
	cpuid(1, 0, r);
	EXPECT(r[1] >> 24, cpu, "leaf 1 EBX[31:24] initial APIC ID");
	EXPECT(r[2] >> 31, 1, "leaf 1 ECX[31] hypervisor bit");
	if (check_leaf1_edx)
		EXPECT((r[3] >> 28) & 1, ncpus > 1, "leaf 1 EDX[28] HTT");
	EXPECT((r[1] >> 16) & 0xff, 1U << id_bits(ncpus),
	       "leaf 1 EBX[23:16] addressable IDs");
	cpuid(0xb, 0, r);
	EXPECT(r[3], cpu, "leaf 0xb.0 EDX x2APIC ID");
	EXPECT((r[2] >> 8) & 0xff, 1, "leaf 0xb.0 ECX[15:8] level type SMT");
	EXPECT(r[1] & 0xffff, 1, "leaf 0xb.0 EBX threads per core");
	cpuid(0xb, 1, r);
	EXPECT(r[3], cpu, "leaf 0xb.1 EDX x2APIC ID");
	EXPECT((r[2] >> 8) & 0xff, 2, "leaf 0xb.1 ECX[15:8] level type core");
	EXPECT(r[1] & 0xffff, ncpus, "leaf 0xb.1 EBX logical CPUs");
	EXPECT(r[0] & 0x1f, id_bits(ncpus), "leaf 0xb.1 EAX[4:0] ID shift");
	cpuid(0xb, 2, r);
	EXPECT((r[2] >> 8) & 0xff, 0, "leaf 0xb.2 ECX[15:8] invalid level");
	cpuid(0x40000000, 0, r);
	EXPECT(r[1], 0x4b4d564b, "leaf 0x40000000 EBX 'KVMK'");
	EXPECT(r[2], 0x564b4d56, "leaf 0x40000000 ECX 'VMKV'");
	EXPECT(r[3], 0x0000004d, "leaf 0x40000000 EDX 'M'");
	EXPECT(r[0] >= 0x40000001 && r[0] < 0x40000100, 1,
	       "leaf 0x40000000 EAX max hypervisor leaf sane");
	cpuid(0x80000000, 0, r);
	EXPECT(r[0] >= 0x80000008 && r[0] < 0x80000100, 1,
	       "leaf 0x80000000 EAX max extended leaf sane");
	EXPECT(lapic_id(), cpu, "LAPIC ID register");
	EXPECT((uint32_t)(rdmsr(0x1b) >> 8) & 1, cpu == 0,
	       "IA32_APIC_BASE BSP flag");
	return 1;
}

#endif
