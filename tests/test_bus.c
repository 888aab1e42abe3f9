// SPDX-License-Identifier: GPL-2.0
/*
 * The port/MMIO bus: registration rules, dispatch with base-relative
 * offsets, the all-ones answer for unclaimed reads, and the counters.
 */
#include <stdint.h>
#include <string.h>

#include "bus.h"
#include "suites.h"

/* A fake device that records the last access it saw. */
struct fake_dev {
	uint64_t id;
	uint64_t off;
	unsigned int size;
	uint64_t val;
	int reads, writes;
};

static uint64_t fake_read(void *opaque, uint64_t off, unsigned int size)
{
	struct fake_dev *d = opaque;

	d->off = off;
	d->size = size;
	d->reads++;
	return d->id << 16 | off;
}

static void fake_write(void *opaque, uint64_t off, unsigned int size,
		       uint64_t val)
{
	struct fake_dev *d = opaque;

	d->off = off;
	d->size = size;
	d->val = val;
	d->writes++;
}

static const struct io_ops fake_ops = {
	.read = fake_read,
	.write = fake_write,
};

static int reg(struct bus *bus, uint64_t base, uint64_t len, struct fake_dev *d)
{
	return bus_register(bus, base, len, "fake", &fake_ops, d);
}

/* What the guest sees when it reads @addr (fake devices: id << 16 | off). */
static uint64_t rd(struct bus *bus, uint64_t addr, unsigned int size)
{
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL;

	bus_read(bus, addr, size, &v);
	return v;
}

static const struct bus_region *region_at(struct bus *bus, uint64_t base)
{
	for (int i = 0; i < bus->nr; i++)
		if (bus->regions[i].base == base)
			return &bus->regions[i];
	return NULL;
}

START_TEST(dispatch_passes_offset_relative_to_base)
{
	struct bus bus;
	struct fake_dev d = { .id = 7 };
	uint64_t v;

	bus_init(&bus, "port");
	ck_assert_int_eq(bus_register(&bus, 0x3f8, 8, "serial", &fake_ops, &d),
			 0);
	ck_assert_str_eq(bus_read(&bus, 0x3fa, 1, &v), "serial");
	ck_assert_uint_eq(v, 7 << 16 | 2);
	ck_assert_uint_eq(d.off, 2);
	ck_assert_uint_eq(d.size, 1);

	ck_assert_str_eq(bus_write(&bus, 0x3ff, 2, 0xabcd), "serial");
	ck_assert_uint_eq(d.off, 7);
	ck_assert_uint_eq(d.size, 2);
	ck_assert_uint_eq(d.val, 0xabcd);

	ck_assert_str_eq(bus_read(&bus, 0x3f8, 4, &v), "serial");
	ck_assert_uint_eq(d.off, 0);
	ck_assert_uint_eq(d.size, 4);
	bus_destroy(&bus);
}
END_TEST

START_TEST(bytes_just_outside_a_region_are_unclaimed)
{
	struct bus bus;
	struct fake_dev d = { .id = 1 };
	uint64_t v;

	bus_init(&bus, "port");
	ck_assert_int_eq(reg(&bus, 0x3f8, 8, &d), 0);
	ck_assert_ptr_null(bus_read(&bus, 0x3f7, 1, &v));
	ck_assert_ptr_null(bus_read(&bus, 0x400, 1, &v));
	ck_assert_ptr_null(bus_write(&bus, 0x400, 1, 0));
	ck_assert_int_eq(d.reads + d.writes, 0);
	bus_destroy(&bus);
}
END_TEST

START_TEST(overlapping_registrations_are_refused)
{
	struct bus bus;
	struct fake_dev a = { .id = 1 }, b = { .id = 2 };

	bus_init(&bus, "port");
	ck_assert_int_eq(reg(&bus, 0x100, 0x10, &a), 0);
	ck_assert_int_eq(reg(&bus, 0x100, 0x10, &b), -1); /* same */
	ck_assert_int_eq(reg(&bus, 0x10f, 1, &b), -1);	  /* last byte */
	ck_assert_int_eq(reg(&bus, 0xf0, 0x11, &b), -1);  /* first byte */
	ck_assert_int_eq(reg(&bus, 0x104, 2, &b), -1);	  /* inside */
	ck_assert_int_eq(reg(&bus, 0, 0x1000, &b), -1);	  /* around */
	ck_assert_int_eq(bus.nr, 1);

	/* neighbours that only touch are fine */
	ck_assert_int_eq(reg(&bus, 0xf0, 0x10, &b), 0);
	ck_assert_int_eq(reg(&bus, 0x110, 0x10, &b), 0);
	ck_assert_uint_eq(rd(&bus, 0x100, 1), 1 << 16 | 0);
	ck_assert_uint_eq(rd(&bus, 0xff, 1), 2 << 16 | 0xf);
	ck_assert_uint_eq(rd(&bus, 0x110, 1), 2 << 16 | 0);
	bus_destroy(&bus);
}
END_TEST

START_TEST(empty_and_wrapping_ranges_are_refused)
{
	struct bus bus;
	struct fake_dev d = { 0 };

	bus_init(&bus, "mmio");
	ck_assert_int_eq(reg(&bus, 0x1000, 0, &d), -1);
	ck_assert_int_eq(reg(&bus, UINT64_MAX, 2, &d), -1);
	ck_assert_int_eq(reg(&bus, UINT64_MAX - 0xf, 0x20, &d), -1);
	ck_assert_int_eq(reg(&bus, 0x1000, UINT64_MAX, &d), -1);
	ck_assert_int_eq(bus.nr, 0);
	/* nothing half-registered: the whole space is still unclaimed */
	ck_assert_ptr_null(bus_read(&bus, UINT64_MAX, 1, &(uint64_t){ 0 }));
	ck_assert_ptr_null(bus_read(&bus, 0x1000, 1, &(uint64_t){ 0 }));
	bus_destroy(&bus);
}
END_TEST

START_TEST(full_table_is_refused)
{
	struct bus bus;
	struct fake_dev d = { 0 };

	bus_init(&bus, "port");
	for (int i = 0; i < BUS_MAX_REGIONS; i++)
		ck_assert_int_eq(reg(&bus, i * 0x10, 0x10, &d), 0);
	ck_assert_int_eq(reg(&bus, 0x10000, 1, &d), -1);
	ck_assert_int_eq(bus.nr, BUS_MAX_REGIONS);
	/* a free slot makes room again */
	ck_assert_int_eq(bus_unregister(&bus, 0x20), 0);
	ck_assert_int_eq(reg(&bus, 0x10000, 1, &d), 0);
	bus_destroy(&bus);
}
END_TEST

START_TEST(unclaimed_reads_are_all_ones_and_counted)
{
	struct bus bus;

	bus_init(&bus, "port");
	ck_assert_uint_eq(rd(&bus, 0x80, 1), 0xff);
	ck_assert_uint_eq(rd(&bus, 0x80, 2), 0xffff);
	ck_assert_uint_eq(rd(&bus, 0x80, 4), 0xffffffffULL);
	ck_assert_uint_eq(rd(&bus, 0x80, 8), UINT64_MAX);
	ck_assert_uint_eq(bus.unclaimed_reads, 4);
	ck_assert_ptr_null(bus_write(&bus, 0x80, 1, 0x12));
	ck_assert_ptr_null(bus_write(&bus, 0x81, 4, 0x12));
	ck_assert_uint_eq(bus.unclaimed_writes, 2);
	ck_assert_uint_eq(bus.unclaimed_reads, 4);
	bus_destroy(&bus);
}
END_TEST

START_TEST(region_without_read_op_reads_all_ones)
{
	static const struct io_ops write_only = { .write = fake_write };
	struct bus bus;
	struct fake_dev d = { 0 };

	bus_init(&bus, "port");
	ck_assert_int_eq(bus_register(&bus, 0x80, 1, "post", &write_only, &d),
			 0);
	ck_assert_uint_eq(rd(&bus, 0x80, 1), 0xff);
	ck_assert_uint_eq(rd(&bus, 0x80, 2), 0xffff);
	ck_assert_str_eq(bus_write(&bus, 0x80, 1, 0x42), "post");
	ck_assert_uint_eq(d.val, 0x42);
	bus_destroy(&bus);
}
END_TEST

START_TEST(unregister_frees_the_range)
{
	struct bus bus;
	struct fake_dev a = { .id = 1 }, b = { .id = 2 }, c = { .id = 3 };

	bus_init(&bus, "port");
	ck_assert_int_eq(reg(&bus, 0x10, 0x10, &a), 0);
	ck_assert_int_eq(reg(&bus, 0x20, 0x10, &b), 0);
	ck_assert_int_eq(reg(&bus, 0x30, 0x10, &c), 0);
	ck_assert_int_eq(bus_unregister(&bus, 0x24), -1); /* not a base */
	ck_assert_int_eq(bus_unregister(&bus, 0x1000), -1);
	ck_assert_int_eq(bus_unregister(&bus, 0x20), 0);
	ck_assert_int_eq(bus_unregister(&bus, 0x20), -1); /* gone */
	ck_assert_int_eq(bus.nr, 2);

	ck_assert_ptr_null(bus_read(&bus, 0x25, 1, &(uint64_t){ 0 }));
	/* the neighbours still answer, with the right device */
	ck_assert_uint_eq(rd(&bus, 0x1f, 1), 1 << 16 | 0xf);
	ck_assert_uint_eq(rd(&bus, 0x30, 1), 3 << 16 | 0);
	/* and the range can be claimed anew */
	ck_assert_int_eq(reg(&bus, 0x20, 0x10, &c), 0);
	ck_assert_uint_eq(rd(&bus, 0x2f, 1), 3 << 16 | 0xf);
	bus_destroy(&bus);
}
END_TEST

/* Registers BUS_MAX_REGIONS regions out of order: base = i * 0x1000. */
static void fill_shuffled(struct bus *bus, struct fake_dev *devs)
{
	for (int k = 0; k < BUS_MAX_REGIONS; k++) {
		/* 37 is odd, so k * 37 visits every slot once */
		int i = (k * 37) % BUS_MAX_REGIONS;

		devs[i].id = i + 1;
		ck_assert_int_eq(reg(bus, i * 0x1000ULL, 0x10, &devs[i]), 0);
	}
}

START_TEST(lookup_finds_every_region_among_many)
{
	struct fake_dev devs[BUS_MAX_REGIONS] = { 0 };
	struct bus bus;

	bus_init(&bus, "mmio");
	fill_shuffled(&bus, devs);
	for (int i = 1; i < bus.nr; i++)
		ck_assert_uint_lt(bus.regions[i - 1].base, bus.regions[i].base);
	for (int i = 0; i < BUS_MAX_REGIONS; i++) {
		uint64_t base = i * 0x1000ULL;

		ck_assert_uint_eq(rd(&bus, base, 1), (i + 1ULL) << 16);
		ck_assert_uint_eq(rd(&bus, base + 0xf, 1),
				  (i + 1ULL) << 16 | 0xf);
		/* the gap after each region is nobody's */
		ck_assert_ptr_null(
			bus_read(&bus, base + 0x10, 1, &(uint64_t){ 0 }));
	}
	/* first, middle and last by name, and past the end */
	ck_assert_uint_eq(rd(&bus, 0x0, 1) >> 16, 1);
	ck_assert_uint_eq(rd(&bus, 32 * 0x1000, 1) >> 16, 33);
	ck_assert_uint_eq(rd(&bus, 63 * 0x1000 + 8, 1) >> 16, 64);
	ck_assert_uint_eq(rd(&bus, 64 * 0x1000, 1), 0xff);
	bus_destroy(&bus);
}
END_TEST

START_TEST(per_region_counters)
{
	struct bus bus;
	struct fake_dev a = { .id = 1 }, b = { .id = 2 };

	bus_init(&bus, "port");
	ck_assert_int_eq(reg(&bus, 0x60, 1, &a), 0);
	ck_assert_int_eq(reg(&bus, 0x64, 1, &b), 0);
	for (int i = 0; i < 3; i++)
		rd(&bus, 0x60, 1);
	bus_write(&bus, 0x60, 1, 0);
	bus_write(&bus, 0x64, 1, 0);
	bus_write(&bus, 0x64, 1, 0);

	ck_assert_uint_eq(region_at(&bus, 0x60)->reads, 3);
	ck_assert_uint_eq(region_at(&bus, 0x60)->writes, 1);
	ck_assert_uint_eq(region_at(&bus, 0x64)->reads, 0);
	ck_assert_uint_eq(region_at(&bus, 0x64)->writes, 2);
	ck_assert_int_eq(a.reads, 3);
	ck_assert_int_eq(b.writes, 2);
	/* claimed accesses are not counted as unclaimed */
	ck_assert_uint_eq(bus.unclaimed_reads, 0);
	ck_assert_uint_eq(bus.unclaimed_writes, 0);
	bus_destroy(&bus);
}
END_TEST

Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *reg_tc = tcase_create("register");
	TCase *io_tc = tcase_create("dispatch");

	tcase_add_test(reg_tc, overlapping_registrations_are_refused);
	tcase_add_test(reg_tc, empty_and_wrapping_ranges_are_refused);
	tcase_add_test(reg_tc, full_table_is_refused);
	tcase_add_test(reg_tc, unregister_frees_the_range);
	suite_add_tcase(s, reg_tc);

	tcase_add_test(io_tc, dispatch_passes_offset_relative_to_base);
	tcase_add_test(io_tc, bytes_just_outside_a_region_are_unclaimed);
	tcase_add_test(io_tc, unclaimed_reads_are_all_ones_and_counted);
	tcase_add_test(io_tc, region_without_read_op_reads_all_ones);
	tcase_add_test(io_tc, lookup_finds_every_region_among_many);
	tcase_add_test(io_tc, per_region_counters);
	suite_add_tcase(s, io_tc);
	return s;
}
