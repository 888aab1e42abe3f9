/*
 * MSRs: IA32_APIC_BASE (xAPIC at 0xfee00000, enabled, BSP), the
 * IA32_MISC_ENABLE fast-string bit kvmini sets (vmm/vcpu.c), EFER with
 * long mode on, the TSC counting, KERNEL_GS_BASE and TSC_AUX written and
 * read back (TSC_AUX also through rdtscp), and a #GP for an MSR nobody
 * implements, caught by the IDT (rdmsr_safe/wrmsr_safe).
 */
#include "cpu.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

#define MSR_TSC		   0x10
#define MSR_APIC_BASE	   0x1b
#define MSR_MISC_ENABLE	   0x1a0
#define MSR_EFER	   0xc0000080
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX	   0xc0000103
#define MSR_BOGUS	   0x00012345

int main(const struct hvm_start_info *si)
{
	uint64_t v, t0, t1;
	uint32_t r[4];
	int vec;

	(void)si;
	v = rdmsr(MSR_APIC_BASE);
	test_check((v & ~0xfffULL) == 0xfee00000 && (v & (1 << 11)) &&
			   (v & (1 << 8)),
		   "msr_apic_base",
		   "IA32_APIC_BASE %llx: want base fee00000, "
		   "enabled, BSP",
		   (unsigned long long)v);
	v = rdmsr(MSR_MISC_ENABLE);
	test_check(v & 1, "msr_misc_enable_fast_string",
		   "IA32_MISC_ENABLE %llx without fast strings (bit 0)",
		   (unsigned long long)v);
	v = rdmsr(MSR_EFER);
	test_check((v & 0x500) == 0x500, "msr_efer_long_mode",
		   "EFER %llx: LME and LMA not both set",
		   (unsigned long long)v);
	t0 = rdmsr(MSR_TSC);
	t1 = rdmsr(MSR_TSC);
	test_check(t1 > t0, "msr_tsc_counts", "IA32_TSC %llx then %llx",
		   (unsigned long long)t0, (unsigned long long)t1);

	wrmsr(MSR_KERNEL_GS_BASE, 0x0000123456789abcULL);
	v = rdmsr(MSR_KERNEL_GS_BASE);
	test_check(v == 0x0000123456789abcULL, "msr_kernel_gs_base",
		   "wrote 123456789abc, read %llx", (unsigned long long)v);
	wrmsr(MSR_KERNEL_GS_BASE, 0);

	cpuid(0x80000001, 0, r);
	if (r[3] & (1U << 27)) {
		uint32_t aux;

		wrmsr(MSR_TSC_AUX, 0x5a5a);
		v = rdmsr(MSR_TSC_AUX);
		__asm__ __volatile__("rdtscp" : "=c"(aux) : : "eax", "edx");
		test_check(v == 0x5a5a && aux == 0x5a5a, "msr_tsc_aux",
			   "wrote 5a5a, rdmsr %llx, rdtscp ecx %x",
			   (unsigned long long)v, aux);
	} else {
		printf("SKIP msr_tsc_aux: no rdtscp in CPUID\n");
	}

	vec = rdmsr_safe(MSR_BOGUS, &v);
	test_check(vec == 13, "msr_unknown_read_gp",
		   "rdmsr %x: fault vector %d, want 13 (#GP)", MSR_BOGUS, vec);
	vec = wrmsr_safe(MSR_BOGUS, 1);
	test_check(vec == 13, "msr_unknown_write_gp",
		   "wrmsr %x: fault vector %d, want 13 (#GP)", MSR_BOGUS, vec);
	/* a reserved bit of EFER: #GP too, and EFER unchanged */
	vec = wrmsr_safe(MSR_EFER, rdmsr(MSR_EFER) | (1ULL << 63));
	test_check(vec == 13 && !(rdmsr(MSR_EFER) >> 63),
		   "msr_efer_reserved_gp",
		   "wrmsr EFER bit 63: fault vector %d, want 13", vec);
	return 0;
}
