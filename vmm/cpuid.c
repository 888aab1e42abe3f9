// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID as the guest sees it: what KVM supports, with a topology of one
 * socket holding nr_vcpus cores of one thread each, and each vCPU's APIC
 * ID in every leaf that reports one.  KVM's paravirt leaves (0x40000000+)
 * pass through unchanged.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vcpu.h"
#include "vm.h"

#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_ECX_HYPERVISOR	 (1U << 31)
#define CPUID_1_EDX_HTT		 (1U << 28)
#define TOPO_LEVEL_SMT		 1
#define TOPO_LEVEL_CORE		 2
#define TOPO_SUBLEAVES		 3

/* Bits of APIC ID that number the cores: ceil(log2(n)). */
static unsigned int core_id_bits(int n)
{
	unsigned int bits = 0;

	while ((1 << bits) < n)
		bits++;
	return bits;
}

static void set_leaf_1(struct kvm_cpuid_entry2 *e, int apic_id, int n,
		       bool tsc_deadline)
{
	unsigned int ids = 1U << core_id_bits(n);

	e->ebx =
		(e->ebx & 0xffff) | (ids & 0xff) << 16 | (apic_id & 0xff) << 24;
	e->ecx |= CPUID_1_ECX_HYPERVISOR;
	/*
	 * Kernels before 6.14 leave the TSC-deadline timer out of
	 * KVM_GET_SUPPORTED_CPUID: userspace with an in-kernel LAPIC (always,
	 * here) sets it when KVM has the capability.  Without it Linux
	 * calibrates the LAPIC timer against the PIT at boot (~0.1 s).
	 */
	if (tsc_deadline)
		e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
	if (n > 1)
		e->edx |= CPUID_1_EDX_HTT;
	else
		e->edx &= ~CPUID_1_EDX_HTT;
}

static void set_leaf_4(struct kvm_cpuid_entry2 *e, int n)
{
	unsigned int cache_level = (e->eax >> 5) & 7;
	unsigned int sharing = cache_level >= 3 ? n - 1 : 0;

	e->eax &= 0x3fff;
	e->eax |= ((1U << core_id_bits(n)) - 1) << 26 | (sharing & 0xfff) << 14;
}

/* Leaves 0xB and 0x1F: level 0 = SMT (1 thread), level 1 = core. */
static void set_extended_topology(struct kvm_cpuid_entry2 *e, int apic_id,
				  int n)
{
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = TOPO_LEVEL_SMT << 8;
		break;
	case 1:
		e->eax = core_id_bits(n);
		e->ebx = n;
		e->ecx = TOPO_LEVEL_CORE << 8 | 1;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index;
	}
	e->edx = apic_id;
}

static void set_amd_leaves(struct kvm_cpuid_entry2 *e, int apic_id, int n)
{
	if (e->function == 0x80000008) {
		e->ecx &= ~0xf0ffU;
		e->ecx |= (n - 1) | core_id_bits(n) << 12;
	} else if (e->function == 0x8000001e) {
		e->eax = apic_id;
		e->ebx = (e->ebx & ~0xffU) | (apic_id & 0xff);
		e->ecx = 0;
	}
}

static int has_entry(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return 1;
	return 0;
}

/*
 * Some hosts' KVM (seen on AMD) lists leaf 0xB with subleaf 0 only; the
 * guest would then read zeros for the core level.  Give each topology
 * leaf that exists subleaves 0..2 (SMT, core, the invalid terminator).
 */
static void add_topology_subleaves(struct kvm_cpuid2 *c)
{
	static const uint32_t leaves[] = { 0xb, 0x1f };

	for (unsigned int l = 0; l < 2; l++) {
		if (!has_entry(c, leaves[l], 0))
			continue;
		for (uint32_t idx = 1; idx < TOPO_SUBLEAVES; idx++)
			if (!has_entry(c, leaves[l], idx))
				c->entries[c->nent++] = (struct kvm_cpuid_entry2){
					.function = leaves[l],
					.index = idx,
					.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX
				};
	}
}

int vcpu_setup_cpuid(struct vcpu *vcpu)
{
	const struct kvm_cpuid2 *sup = vcpu->vm->cpuid;
	int n = vcpu->vm->nr_vcpus;
	bool tsc_deadline = ioctl(vcpu->vm->kvm_fd, KVM_CHECK_EXTENSION,
				  KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	struct kvm_cpuid2 *c;
	size_t sz = sizeof(*c) + sup->nent * sizeof(c->entries[0]);
	int ret;

	/* room for add_topology_subleaves() */
	c = malloc(sz + 2 * TOPO_SUBLEAVES * sizeof(c->entries[0]));
	if (!c)
		return -1;
	memcpy(c, sup, sz);
	add_topology_subleaves(c);
	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1: set_leaf_1(e, vcpu->id, n, tsc_deadline); break;
		case 4: set_leaf_4(e, n); break;
		case 0xb:
		case 0x1f: set_extended_topology(e, vcpu->id, n); break;
		case 0x80000008:
		case 0x8000001e: set_amd_leaves(e, vcpu->id, n); break;
		default: break;
		}
	}
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	return ret;
}
