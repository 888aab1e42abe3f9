// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "observe.h"
#include "stats.h"
#include "vm.h"

#define LOAD(x)	    __atomic_load_n(&(x), __ATOMIC_RELAXED)
/* one writer per counter: a plain add, stored so readers see no tearing */
#define BUMP(x, by) __atomic_store_n(&(x), (x) + (by), __ATOMIC_RELAXED)
#define SET(x, v)   __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

struct exit_stats *stats_alloc(void)
{
	return calloc(1, sizeof(struct exit_stats));
}

unsigned int stats_bucket(uint64_t ns)
{
	unsigned int msb, shift;

	if (ns < STATS_SUB)
		return (unsigned int)ns;
	msb = 63 - __builtin_clzll(ns);
	if (msb > STATS_MAX_LOG2)
		return STATS_BUCKETS - 1;
	shift = msb - STATS_SUB_BITS;
	return STATS_SUB + shift * STATS_SUB +
	       (unsigned int)((ns >> shift) & (STATS_SUB - 1));
}

uint64_t stats_bucket_upper(unsigned int bucket)
{
	unsigned int shift, sub;

	if (bucket < STATS_SUB)
		return bucket;
	if (bucket >= STATS_BUCKETS - 1)
		return UINT64_MAX;
	shift = (bucket - STATS_SUB) / STATS_SUB;
	sub = (bucket - STATS_SUB) % STATS_SUB;
	return ((uint64_t)(STATS_SUB + sub + 1) << shift) - 1;
}

void stats_record(struct exit_stats *s, uint32_t reason, uint64_t ns)
{
	struct reason_stats *r;

	if (reason >= VCPU_EXIT_REASONS)
		reason = 0; /* KVM_EXIT_UNKNOWN: still counted */
	r = &s->reason[reason];
	if (!r->count || ns < r->min_ns)
		SET(r->min_ns, ns);
	if (ns > r->max_ns)
		SET(r->max_ns, ns);
	BUMP(r->sum_ns, ns);
	BUMP(r->buckets[stats_bucket(ns)], 1);
	BUMP(r->count, 1);
}

uint64_t stats_quantile(const struct reason_stats *r, double q)
{
	uint64_t total = 0, seen = 0, rank;

	for (unsigned int b = 0; b < STATS_BUCKETS; b++)
		total += LOAD(r->buckets[b]);
	if (!total)
		return 0;
	rank = (uint64_t)(q * (double)total);
	if ((double)rank < q * (double)total)
		rank++; /* ceil */
	if (rank < 1)
		rank = 1;
	for (unsigned int b = 0; b < STATS_BUCKETS; b++) {
		seen += LOAD(r->buckets[b]);
		if (seen >= rank) {
			uint64_t upper = stats_bucket_upper(b);
			uint64_t max = LOAD(r->max_ns);

			return upper < max ? upper : max;
		}
	}
	return LOAD(r->max_ns);
}

static void print_vcpu(FILE *f, struct vcpu *vcpu)
{
	struct exit_stats *s = vcpu->observer ? vcpu->observer->stats : NULL;

	if (!s)
		return;
	for (uint32_t i = 0; i < VCPU_EXIT_REASONS; i++) {
		const struct reason_stats *r = &s->reason[i];
		uint64_t n = LOAD(r->count);

		if (!n)
			continue;
		fprintf(f,
			"%4d  %-16s %10" PRIu64 " %9" PRIu64 " %9" PRIu64
			" %9" PRIu64 " %9" PRIu64 " %10.3f\n",
			vcpu->id, kvm_exit_reason_name(i), n, LOAD(r->min_ns),
			stats_quantile(r, 0.5), stats_quantile(r, 0.99),
			LOAD(r->max_ns), (double)LOAD(r->sum_ns) / 1e6);
	}
}

static void print_bus(FILE *f, struct bus *bus)
{
	fprintf(f, "%-5s device       base        len      reads     writes\n",
		bus->name);
	pthread_rwlock_rdlock(&bus->lock);
	for (int i = 0; i < bus->nr; i++) {
		struct bus_region *r = &bus->regions[i];

		fprintf(f,
			"      %-12s 0x%-8" PRIx64 " %6" PRIu64 " %10" PRIu64
			" %10" PRIu64 "\n",
			r->name, r->base, r->len, LOAD(r->reads),
			LOAD(r->writes));
	}
	fprintf(f, "      %-30s %10" PRIu64 " %10" PRIu64 "\n", "(unclaimed)",
		LOAD(bus->unclaimed_reads), LOAD(bus->unclaimed_writes));
	pthread_rwlock_unlock(&bus->lock);
}

/* stderr gets the report in one write; \n becomes \r\n on a terminal */
static void emit(const char *text, size_t len)
{
	const char *eol = observe_eol(STDERR_FILENO);
	char *out = malloc(2 * len + 1), *p = out;

	if (!out)
		return;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n' && eol[0] == '\r')
			*p++ = '\r';
		*p++ = text[i];
	}
	for (size_t off = 0; off < (size_t)(p - out);) {
		ssize_t n = write(STDERR_FILENO, out + off, p - out - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(out);
}

void stats_print(struct vm *vm, const char *when)
{
	uint64_t ns = observe_since_start_ns();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	fprintf(f,
		"kvmini: --stats %s, %" PRIu64 ".%06" PRIu64
		" s after VM start\n"
		"exit handling time in ns (KVM_RUN return to handler return); "
		"median and p99 are\nbucket upper bounds of a histogram with %d "
		"buckets per power of two (<= 25%% high)\n"
		"vcpu  reason                count       min    median       "
		"p99       max   total_ms\n",
		when, ns / 1000000000, ns / 1000 % 1000000, STATS_SUB);
	for (int i = 0; i < vm->nr_vcpus; i++)
		print_vcpu(f, vm->vcpus[i]);
	print_bus(f, &vm->pio);
	print_bus(f, &vm->mmio);
	fclose(f);
	emit(text, len);
	free(text);
}
