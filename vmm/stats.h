/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --stats: per vCPU and exit reason, how many exits and how long kvmini
 * took to handle them (from KVM_RUN's return to the handler's return),
 * in a histogram of 4 buckets per power of two nanoseconds; per device,
 * the bus access counts (devices/bus.c keeps those).
 */
#ifndef KVMINI_STATS_H
#define KVMINI_STATS_H

#include <stdint.h>

#include "vcpu.h"

#define STATS_SUB_BITS 2 /* 4 buckets per power of two: <= 25% high */
#define STATS_SUB      (1 << STATS_SUB_BITS)
#define STATS_MAX_LOG2 40 /* 2^40 ns, 18 minutes: the last bucket holds more \
			   */
#define STATS_BUCKETS \
	(STATS_SUB + (STATS_MAX_LOG2 - STATS_SUB_BITS + 1) * STATS_SUB)

struct reason_stats {
	uint64_t count;
	uint64_t min_ns;
	uint64_t max_ns;
	uint64_t sum_ns;
	uint64_t buckets[STATS_BUCKETS];
};

/* one per vCPU, written by its thread alone, read by anyone */
struct exit_stats {
	struct reason_stats reason[VCPU_EXIT_REASONS];
};

struct vm;

struct exit_stats *stats_alloc(void);
void stats_record(struct exit_stats *s, uint32_t reason, uint64_t ns);
/* The whole report on stderr in one write; @when: "at exit", ... */
void stats_print(struct vm *vm, const char *when);

/* histogram helpers, exposed for the unit tests */
unsigned int stats_bucket(uint64_t ns);
uint64_t stats_bucket_upper(unsigned int bucket);
/* smallest bucket upper bound with at least @q of the samples (0 < q <= 1) */
uint64_t stats_quantile(const struct reason_stats *r, double q);

#endif
