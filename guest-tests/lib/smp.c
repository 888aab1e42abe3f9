/*
 * INIT-SIPI-SIPI and the APs' C entry.  See smp.h.
 */
#include "apic.h"
#include "cpu.h"
#include "runtime.h"
#include "smp.h"

extern char tramp_start[], tramp_end[];

volatile uint64_t smp_online, smp_done;
static void (*volatile ap_fn)(uint32_t cpu);

/* from start64.S on each AP, in long mode on its own stack */
void ap_start64_c(void)
{
	uint32_t id;

	cpu_init_ap();
	id = lapic_id();
	__atomic_fetch_or(&smp_online, 1ULL << (id & 63), __ATOMIC_SEQ_CST);
	if (ap_fn)
		ap_fn(id);
	__atomic_fetch_or(&smp_done, 1ULL << (id & 63), __ATOMIC_SEQ_CST);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

int smp_boot(uint32_t ncpus, void (*fn)(uint32_t cpu), uint32_t timeout_ms)
{
	uint64_t want = 0;
	struct deadline d;
	int n = 0;

	memcpy((void *)(uintptr_t)TRAMP_BASE, tramp_start,
	       (size_t)(tramp_end - tramp_start));
	ap_fn = fn;
	for (uint32_t cpu = 1; cpu < ncpus && cpu < MAX_CPUS; cpu++) {
		want |= 1ULL << cpu;
		lapic_send_ipi(cpu, ICR_INIT | ICR_LEVEL_ASSERT);
		lapic_send_ipi(cpu, ICR_STARTUP | (TRAMP_BASE >> 12));
		lapic_send_ipi(cpu, ICR_STARTUP | (TRAMP_BASE >> 12));
	}
	deadline_start(&d, timeout_ms);
	while ((smp_done & want) != want && !deadline_passed(&d))
		__asm__ __volatile__("pause");
	for (uint64_t m = smp_done & want; m; m &= m - 1)
		n++;
	return n;
}
