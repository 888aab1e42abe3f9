/*
 * SMP bring-up: the BSP starts every AP ("cpus=N", as given to --cpus)
 * with INIT, SIPI, SIPI through its LAPIC's ICR; each AP comes up in real
 * mode on the trampoline page (lib/trampoline.S), enters long mode and
 * computes a checksum over a buffer the BSP filled, mixed with its own
 * APIC ID, and reports it.  The BSP checks that every AP arrived, exactly
 * once, with the right checksum, that APs see themselves as not-BSP in
 * IA32_APIC_BASE, and that no AP clobbered another's stack.
 */
#include "apic.h"
#include "cmdline_num.h"
#include "cpu.h"
#include "runtime.h"
#include "serial.h"
#include "smp.h"
#include "test.h"

#define BUF_LEN 512

static uint8_t shared_buf[BUF_LEN];
static volatile uint32_t sums[MAX_CPUS];
static volatile uint32_t arrivals[MAX_CPUS];
static volatile uint64_t apic_base[MAX_CPUS];

static uint32_t checksum(uint32_t id)
{
	uint32_t h = 2166136261u ^ id; /* FNV-1a, seeded with the ID */

	for (int i = 0; i < BUF_LEN; i++)
		h = (h ^ shared_buf[i]) * 16777619u;
	return h;
}

static void ap_work(uint32_t cpu)
{
	uint32_t local = 0xc0ffee00 | cpu; /* on this AP's stack */

	if (cpu >= MAX_CPUS)
		return;
	__atomic_fetch_add(&arrivals[cpu], 1, __ATOMIC_SEQ_CST);
	apic_base[cpu] = rdmsr(0x1b);
	sums[cpu] = checksum(cpu) ^ (local & 0xff) ^ cpu;
}

int main(const struct hvm_start_info *si)
{
	uint32_t ncpus = arg_u32(si, "cpus", 1), bad = 0, got;
	char name[32];
	int n;

	for (int i = 0; i < BUF_LEN; i++)
		shared_buf[i] = (uint8_t)(i * 7 + 3);
	n = smp_boot(ncpus, ap_work, 5000);
	test_check(n == (int)ncpus - 1 && smp_online == smp_done,
		   "smp_all_arrived",
		   "%d of %u APs finished (online %llx, done %llx)", n,
		   ncpus - 1, (unsigned long long)smp_online,
		   (unsigned long long)smp_done);
	for (uint32_t i = 1; i < ncpus && i < MAX_CPUS; i++) {
		got = sums[i];
		memcpy(name, "smp_cpu_checksum_", 17);
		name[17] = (char)('0' + i / 10);
		name[18] = (char)('0' + i % 10);
		name[19] = 0;
		test_check(arrivals[i] == 1 && got == checksum(i), name,
			   "arrived %u times, checksum %x, want %x",
			   arrivals[i], got, checksum(i));
		if (apic_base[i] & (1 << 8))
			bad++;
	}
	test_check(ncpus < 2 || (arrivals[0] == 0 && bad == 0),
		   "smp_aps_not_bsp",
		   "%u APs with the BSP flag in IA32_APIC_BASE", bad);
	/* nothing started that should not have */
	test_check((smp_online & ~((1ULL << ncpus) - 2)) == 0,
		   "smp_no_extra_cpus", "online mask %llx for %u CPUs",
		   (unsigned long long)smp_online, ncpus);
	return 0;
}
