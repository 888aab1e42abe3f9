/*
 * LAPIC timer interrupts: one-shot (exactly one interrupt, the current
 * count at 0 afterwards), periodic (ten interrupts, not earlier than ten
 * periods by the ACPI PM timer: a lower bound only, never an upper one),
 * and periodic while the CPU runs at CPL3 (the interrupt comes in through
 * the TSS's RSP0 and goes back to CPL3).  KVM's LAPIC timer counts at
 * 1 GHz (one tick per ns) before the divider.
 */
#include "apic.h"
#include "cpu.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

#define VEC_TIMER   0x40
#define NS_PER_TICK 16	  /* divide by 16 at 1 GHz */
#define PERIOD	    62500 /* 1 ms */

static volatile uint32_t ticks, user_ticks;

static void on_timer(struct int_frame *f)
{
	ticks++;
	if ((f->cs & 3) == 3)
		user_ticks++;
	lapic_eoi();
}

/* interrupts on until ticks reaches n or ms pass; the PM ticks it took.
 * Polls the PM timer rather than hlt: nothing else would wake a hlt
 * when the interrupt (rightly) does not come. */
static uint32_t wait_ticks(uint32_t n, uint32_t ms)
{
	struct deadline d;

	deadline_start(&d, ms);
	irq_enable();
	while (ticks < n && !deadline_passed(&d))
		cpu_relax();
	irq_disable();
	/* sampled after the last interrupt: never less than the real time,
	 * however slowly a busy host ran the polls */
	pm_clock_sample(&d.clk);
	return d.clk.ticks;
}

static uint64_t user_spin(uint64_t n)
{
	uint64_t spins = 0;

	while (user_ticks < n && spins < (1ULL << 36))
		spins++;
	return spins;
}

int main(const struct hvm_start_info *si)
{
	uint32_t c0, c1, pm, min_pm;

	(void)si;
	set_int_handler(VEC_TIMER, on_timer);
	pic_disable();
	lapic_enable();

	/* one-shot: 2 ms */
	lapic_timer_start(VEC_TIMER, 2 * PERIOD, 16, 0);
	c0 = lapic_read(LAPIC_TIMER_CUR);
	c1 = lapic_read(LAPIC_TIMER_CUR);
	test_check(c0 && c1 < c0 && c0 <= 2 * PERIOD, "lapic_timer_counts_down",
		   "current count %u then %u (initial %u)", c0, c1, 2 * PERIOD);
	pm = wait_ticks(1, 1000);
	test_check(ticks == 1, "lapic_timer_oneshot", "%u interrupts", ticks);
	wait_ticks(2, 20); /* a second one must not come */
	test_check(ticks == 1 && lapic_read(LAPIC_TIMER_CUR) == 0,
		   "lapic_timer_oneshot_once",
		   "%u interrupts, current count %u", ticks,
		   lapic_read(LAPIC_TIMER_CUR));
	printf("info: one-shot of 2 ms fired after %u us\n",
	       pm_ticks_to_us(pm));

	/* periodic: 10 x 1 ms */
	ticks = 0;
	lapic_timer_start(VEC_TIMER, PERIOD, 16, 1);
	pm = wait_ticks(10, 2000);
	lapic_timer_stop();
	min_pm = 10ULL * PERIOD * NS_PER_TICK * PM_TMR_HZ / 1000000000ULL;
	test_check(ticks >= 10, "lapic_timer_periodic", "%u interrupts in 2 s",
		   ticks);
	/* with slack for the PM timer's own granularity */
	test_check(pm + 400 >= min_pm, "lapic_timer_periodic_not_early",
		   "10 periods of 1 ms took %u PM ticks, under %u", pm, min_pm);
	printf("info: 10 periodic interrupts of 1 ms took %u us\n",
	       pm_ticks_to_us(pm));

	/* periodic while at CPL3 */
	ticks = 0;
	lapic_timer_start(VEC_TIMER, PERIOD, 16, 1);
	run_user(user_spin, 5, 1, 0);
	lapic_timer_stop();
	test_check(user_fault_vector < 0 && user_ticks >= 5,
		   "lapic_timer_at_cpl3",
		   "%u of %u interrupts came from CPL3 (fault %d)", user_ticks,
		   ticks, user_fault_vector);
	test_check(unexpected_interrupts == 0, "lapic_timer_no_strays",
		   "%u unexpected interrupts", unexpected_interrupts);
	return 0;
}
