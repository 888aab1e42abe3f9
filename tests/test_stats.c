// SPDX-License-Identifier: GPL-2.0
/* --stats histogram: bucket bounds and quantiles (vmm/stats.c). */
#include <stdint.h>
#include <stdlib.h>

#include "stats.h"
#include "suites.h"

/* every value lies in its bucket, whose upper bound is at most 25% high */
START_TEST(test_bucket_bounds)
{
	for (uint64_t v = 0; v < (1ULL << 41); v = v < 64 ? v + 1 : v * 9 / 8) {
		unsigned int b = stats_bucket(v);
		uint64_t upper = stats_bucket_upper(b);

		ck_assert_uint_lt(b, STATS_BUCKETS);
		ck_assert_uint_ge(upper, v);
		if (b < STATS_BUCKETS - 1) {
			ck_assert_uint_le(upper, v + v / 4);
			/* the next value past the bound is in the next bucket */
			ck_assert_uint_eq(stats_bucket(upper + 1), b + 1);
		}
	}
	ck_assert_uint_eq(stats_bucket(UINT64_MAX), STATS_BUCKETS - 1);
}
END_TEST

START_TEST(test_quantiles)
{
	struct exit_stats *s = stats_alloc();
	const struct reason_stats *r = &s->reason[KVM_EXIT_IO];

	/* 98 fast exits of 1000 ns, 2 slow ones of 100000 ns */
	for (int i = 0; i < 98; i++)
		stats_record(s, KVM_EXIT_IO, 1000);
	stats_record(s, KVM_EXIT_IO, 100000);
	stats_record(s, KVM_EXIT_IO, 100000);
	ck_assert_uint_eq(r->count, 100);
	ck_assert_uint_eq(r->min_ns, 1000);
	ck_assert_uint_eq(r->max_ns, 100000);
	ck_assert_uint_eq(r->sum_ns, 98 * 1000 + 200000);
	ck_assert_uint_ge(stats_quantile(r, 0.5), 1000);
	ck_assert_uint_le(stats_quantile(r, 0.5), 1250);
	/* the 99th of 100 samples is a slow one; never above the max */
	ck_assert_uint_eq(stats_quantile(r, 0.99), 100000);
	ck_assert_uint_eq(stats_quantile(&s->reason[KVM_EXIT_MMIO], 0.5), 0);
	/* reasons past the table count as UNKNOWN instead of overflowing */
	stats_record(s, 1000, 5);
	ck_assert_uint_eq(s->reason[KVM_EXIT_UNKNOWN].count, 1);
	free(s);
}
END_TEST

Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("histogram");

	tcase_add_test(tc, test_bucket_bounds);
	tcase_add_test(tc, test_quantiles);
	suite_add_tcase(s, tc);
	return s;
}
