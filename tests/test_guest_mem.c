// SPDX-License-Identifier: GPL-2.0
#include <stdint.h>

#include "guest_mem.h"
#include "layout.h"
#include "suites.h"

START_TEST(small_ram_is_one_region)
{
	struct guest_mem mem;

	ck_assert_int_eq(guest_mem_init(&mem, 64 << 20), 0);
	ck_assert_int_eq(mem.nr_regions, 1);
	ck_assert_ptr_nonnull(gpa_ptr(&mem, 0, 64 << 20));
	ck_assert_ptr_null(gpa_ptr(&mem, 0, (64 << 20) + 1));
	ck_assert_ptr_null(gpa_ptr(&mem, 64 << 20, 1));
	ck_assert_ptr_nonnull(gpa_ptr(&mem, (64 << 20) - 1, 1));
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(overflowing_ranges_are_refused)
{
	struct guest_mem mem;

	ck_assert_int_eq(guest_mem_init(&mem, 64 << 20), 0);
	ck_assert_ptr_null(gpa_ptr(&mem, 0x1000, UINT64_MAX));
	ck_assert_ptr_null(gpa_ptr(&mem, UINT64_MAX, 2));
	ck_assert_ptr_null(gpa_ptr(&mem, UINT64_MAX - 0xfff, 0x1000));
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(big_ram_is_split_around_the_hole)
{
	struct guest_mem mem;
	uint64_t size = 5ULL << 30;
	uint8_t *lo, *hi;

	ck_assert_int_eq(guest_mem_init(&mem, size), 0);
	ck_assert_int_eq(mem.nr_regions, 2);
	ck_assert_uint_eq(guest_mem_low_end(&mem), MMIO_HOLE_START);
	ck_assert_ptr_null(gpa_ptr(&mem, MMIO_HOLE_START, 1));
	ck_assert_ptr_null(gpa_ptr(&mem, IOAPIC_ADDR, 4));
	/* a range may not straddle the hole */
	ck_assert_ptr_null(gpa_ptr(&mem, MMIO_HOLE_START - 8, 16));
	lo = gpa_ptr(&mem, MMIO_HOLE_START - 1, 1);
	hi = gpa_ptr(&mem, MMIO_HOLE_END, 1);
	ck_assert_ptr_nonnull(lo);
	ck_assert_ptr_eq(hi, lo + 1);
	ck_assert_ptr_nonnull(gpa_ptr(&mem, MMIO_HOLE_END + (2ULL << 30) - 1, 1));
	ck_assert_ptr_null(gpa_ptr(&mem, MMIO_HOLE_END + (2ULL << 30), 1));
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(copy_helpers_check_bounds)
{
	struct guest_mem mem;
	uint32_t v = 0x12345678, r = 0;

	ck_assert_int_eq(guest_mem_init(&mem, 1 << 20), 0);
	ck_assert_int_eq(guest_mem_write(&mem, 0x100, &v, sizeof(v)), 0);
	ck_assert_int_eq(guest_mem_read(&mem, 0x100, &r, sizeof(r)), 0);
	ck_assert_uint_eq(r, v);
	ck_assert_int_eq(guest_mem_write(&mem, (1 << 20) - 2, &v, 4), -1);
	ck_assert_int_eq(guest_mem_read(&mem, (1 << 20) - 2, &r, 4), -1);
	guest_mem_destroy(&mem);
}
END_TEST

Suite *guest_mem_suite(void)
{
	Suite *s = suite_create("guest_mem");
	TCase *tc = tcase_create("accessor");

	tcase_add_test(tc, small_ram_is_one_region);
	tcase_add_test(tc, overflowing_ranges_are_refused);
	tcase_add_test(tc, big_ram_is_split_around_the_hole);
	tcase_add_test(tc, copy_helpers_check_bounds);
	suite_add_tcase(s, tc);
	return s;
}
