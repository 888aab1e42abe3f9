/*
 * The bench guests' clock (blk_bench, net_bench): the TSC, read at CPL3,
 * converted to ACPI PM timer ticks with a rate measured at CPL0.
 *
 * Why not the PM timer itself: the timed loops run at CPL3, and kvm_pvm
 * gives CPL3 no IOPL (in/out raise #GP there whatever RFLAGS.IOPL says,
 * see io_ports.c), so port 0x608 can only be read at CPL0.  rdtsc works
 * at CPL3 on every host and never reaches the VMM (on kvm_pvm it runs
 * natively at CPL3, ~10 ns; at CPL0 the emulator takes ~4 us for it).
 *
 * bclock_start() (CPL0) samples the PM timer and the TSC together and
 * measures a first rate over CAL_TICKS; bclock_finish() (CPL0, after the
 * timed work) samples both again and takes the rate over the whole span,
 * with the 24-bit PM timer's wrap-arounds counted from the first rate.
 * The figures stay in PM ticks (3.579545 MHz), as tools/bench.sh expects.
 */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdint.h>

#include "cpu.h"
#include "runtime.h"

#define BCLOCK_CAL_TICKS (PM_TMR_HZ / 50) /* the first rate: 20 ms */
#define PM_MASK		 0xffffffu	  /* 24 bits on every PM timer */

struct bclock {
	uint32_t pm0;  /* PM timer at the start */
	uint64_t tsc0; /* TSC at the same moment */
	uint64_t rate; /* PM ticks per TSC cycle, 32.32 fixed point */
	uint64_t cycles_per_sec;
};

/* the PM timer and the TSC at (about) the same moment: the TSC half-way
 * between the two reads around the port read, which is an exit */
static inline uint32_t bclock_pair(uint64_t *tsc)
{
	uint64_t a = rdtsc();
	uint32_t pm = inl(ACPI_PM_TMR);
	uint64_t b = rdtsc();

	*tsc = a + (b - a) / 2;
	return pm;
}

static inline void bclock_set_rate(struct bclock *c, uint64_t ticks,
				   uint64_t cycles)
{
	if (!cycles)
		cycles = 1;
	if (!ticks)
		ticks = 1;
	if (ticks > 0xffffffffULL) /* over 20 minutes: keep the first rate */
		return;
	c->rate = (ticks << 32) / cycles;
	if (!c->rate)
		c->rate = 1;
	c->cycles_per_sec = cycles * PM_TMR_HZ / ticks;
}

/* CPL0 */
static inline void bclock_start(struct bclock *c)
{
	uint32_t pm;
	uint64_t tsc;

	c->pm0 = bclock_pair(&c->tsc0);
	do
		pm = bclock_pair(&tsc);
	while (((pm - c->pm0) & PM_MASK) < BCLOCK_CAL_TICKS);
	bclock_set_rate(c, (pm - c->pm0) & PM_MASK, tsc - c->tsc0);
}

/* TSC cycles to PM ticks at the current rate (cycles < 2^42: ~20 min) */
static inline uint64_t bclock_ticks(const struct bclock *c, uint64_t cycles)
{
	return cycles * c->rate >> 32;
}

/* CPL0: the rate over everything since bclock_start */
static inline void bclock_finish(struct bclock *c)
{
	uint64_t tsc, cycles, expect, ticks;
	uint32_t pm = bclock_pair(&tsc);

	cycles = tsc - c->tsc0;
	if (cycles >= 1ULL << 42)
		return;
	expect = bclock_ticks(c, cycles);
	ticks = (pm - c->pm0) & PM_MASK;
	/* whole wrap-arounds of the 24-bit counter, to the nearest */
	if (expect > ticks)
		ticks += (expect - ticks + (PM_MASK + 1) / 2) &
			 ~(uint64_t)PM_MASK;
	bclock_set_rate(c, ticks, cycles);
}

#endif
