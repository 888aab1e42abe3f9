/*
 * CPUID on every vCPU ("cpus=N" on the command line, as given to
 * --cpus): the BSP checks itself, starts the APs (lib/smp.c) and each AP
 * checks itself with cpuid_ok() from cpu_checks.h; the BSP prints one
 * PASS/FAIL line per CPU.  "pvm=1" leaves out the leaf 1 EDX HTT check:
 * on kvm_pvm the guest sees leaf 1 ECX/EDX that differ from what kvmini
 * gave KVM_SET_CPUID2 (EBX, with the APIC ID, is kvmini's).
 */
#include "args.h"
#include "cmdline_num.h"
#include "cpu_checks.h"
#include "runtime.h"
#include "serial.h"
#include "smp.h"
#include "test.h"

static uint32_t ncpus = 1;
static char whys[MAX_CPUS][WHY_LEN];
static volatile int oks[MAX_CPUS];

static void ap_check(uint32_t cpu)
{
	if (cpu < MAX_CPUS)
		oks[cpu] = cpuid_ok(cpu, ncpus, whys[cpu]);
}

int main(const struct hvm_start_info *si)
{
	uint32_t r[4], v[4];
	char name[32];
	int n;

	ncpus = arg_u32(si, "cpus", 1);
	if (cmdline_has(si, "pvm=1")) {
		check_leaf1_edx = 0;
		printf("SKIP cpuid_htt: kvm_pvm shows leaf 1 ECX/EDX other than "
		       "kvmini set (HTT stays 1 with one vCPU)\n");
	}
	cpuid(0, 0, r);
	v[0] = r[1], v[1] = r[3], v[2] = r[2], v[3] = 0;
	printf("info: vendor %s, max leaf %x, %u CPUs\n", (char *)v, r[0],
	       ncpus);
	cpuid(1, 0, r);
	printf("info: leaf 1 %08x %08x %08x %08x\n", r[0], r[1], r[2], r[3]);
	oks[0] = cpuid_ok(0, ncpus, whys[0]);
	if (ncpus > 1) {
		n = smp_boot(ncpus, ap_check, 5000);
		test_check(n == (int)ncpus - 1, "cpuid_aps_started",
			   "%d of %u APs reported", n, ncpus - 1);
	}
	for (uint32_t i = 0; i < ncpus && i < MAX_CPUS; i++) {
		/* "cpuid_cpu2" */
		memcpy(name, "cpuid_cpu", 9);
		name[9] = (char)('0' + i / 10 % 10);
		name[10] = (char)('0' + i % 10);
		name[11] = 0;
		if (i < 10)
			name[9] = name[10], name[10] = 0;
		test_check(oks[i], name, "%s",
			   whys[i][0] ? whys[i] : "did not run");
	}
	return 0;
}
