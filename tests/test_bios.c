// SPDX-License-Identifier: GPL-2.0
/*
 * The firmware's disk port (devices/bios_dev.c): every request the guest
 * can build is checked before any host I/O.  And the info block kvmini
 * hands the firmware (vmm/boot_bios.c): memory map, sizes, geometry.
 */
#include <stdint.h>
#include <string.h>

#include "../bios/abi.h"
#include "bios_dev.h"
#include "boot.h"
#include "layout.h"
#include "suites.h"
#include "vm.h"

#define MiB (1ULL << 20)

static struct guest_mem mem;
static const struct bios_drive drives[] = {
	{ .sectors = 2048, .read_only = 0 },
	{ .sectors = 100, .read_only = 1 },
};

static void setup(void)
{
	ck_assert_int_eq(guest_mem_init(&mem, 16 * MiB), 0);
}

static void teardown(void)
{
	guest_mem_destroy(&mem);
}

static uint8_t check(uint32_t cmd, uint32_t drive, uint64_t lba, uint32_t count,
		     uint32_t buf, void **host)
{
	struct bios_disk_req r = { .cmd = cmd,
				   .drive = drive,
				   .lba = lba,
				   .count = count,
				   .buf = buf };

	return bios_disk_check(&mem, drives, 2, &r, host);
}

START_TEST(valid_requests_get_the_guest_buffer)
{
	void *host;

	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 0, 0, 1, 0x7c00, &host),
			  BIOS_ST_OK);
	ck_assert_ptr_eq(host, gpa_ptr(&mem, 0x7c00, 512));
	ck_assert_uint_eq(
		check(BIOS_DISK_CMD_WRITE, 0, 2047, 1, 0x10000, &host),
		BIOS_ST_OK);
	ck_assert_ptr_eq(host, gpa_ptr(&mem, 0x10000, 512));
	/* reading a read-only disk is fine */
	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 1, 99, 1, 0x8000, &host),
			  BIOS_ST_OK);
	/* nothing to move, even at the very end: a no-op, no buffer */
	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 0, 2048, 0, 0, &host),
			  BIOS_ST_OK);
	ck_assert_ptr_null(host);
}
END_TEST

START_TEST(bad_command_drive_or_count)
{
	void *host = &host;

	ck_assert_uint_eq(check(0, 0, 0, 1, 0x7c00, &host),
			  BIOS_ST_BAD_COMMAND);
	ck_assert_ptr_null(host);
	ck_assert_uint_eq(check(3, 0, 0, 1, 0x7c00, &host),
			  BIOS_ST_BAD_COMMAND);
	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 2, 0, 1, 0x7c00, &host),
			  BIOS_ST_BAD_COMMAND);
	ck_assert_uint_eq(
		check(BIOS_DISK_CMD_READ, UINT32_MAX, 0, 1, 0x7c00, &host),
		BIOS_ST_BAD_COMMAND);
	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 0, 0,
				BIOS_DISK_MAX_COUNT + 1, 0, &host),
			  BIOS_ST_BAD_COMMAND);
	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 0, 0, UINT32_MAX, 0, &host),
			  BIOS_ST_BAD_COMMAND);
}
END_TEST

START_TEST(read_only_disks_refuse_writes)
{
	void *host = &host;

	ck_assert_uint_eq(check(BIOS_DISK_CMD_WRITE, 1, 0, 1, 0x7c00, &host),
			  BIOS_ST_WRITE_PROTECT);
	ck_assert_ptr_null(host);
	/* even an empty write */
	ck_assert_uint_eq(check(BIOS_DISK_CMD_WRITE, 1, 0, 0, 0x7c00, &host),
			  BIOS_ST_WRITE_PROTECT);
}
END_TEST

START_TEST(past_the_end_of_the_disk)
{
	void *host = &host;

	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 0, 2048, 1, 0x7c00, &host),
			  BIOS_ST_NOT_FOUND);
	ck_assert_ptr_null(host);
	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 0, 2047, 2, 0x7c00, &host),
			  BIOS_ST_NOT_FOUND);
	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 0, 2049, 0, 0x7c00, &host),
			  BIOS_ST_NOT_FOUND);
	/* lba + count would wrap around 64 bits */
	ck_assert_uint_eq(
		check(BIOS_DISK_CMD_READ, 0, UINT64_MAX, 2, 0x7c00, &host),
		BIOS_ST_NOT_FOUND);
	ck_assert_uint_eq(check(BIOS_DISK_CMD_WRITE, 0, UINT64_MAX - 1,
				BIOS_DISK_MAX_COUNT, 0x7c00, &host),
			  BIOS_ST_NOT_FOUND);
}
END_TEST

START_TEST(buffers_must_be_guest_ram)
{
	void *host = &host;

	/* crosses the end of the 16 MiB of RAM */
	ck_assert_uint_eq(
		check(BIOS_DISK_CMD_READ, 0, 0, 2, 16 * MiB - 512, &host),
		BIOS_ST_BOUNDARY);
	ck_assert_ptr_null(host);
	ck_assert_uint_eq(
		check(BIOS_DISK_CMD_READ, 0, 0, 1, 16 * MiB - 512, &host),
		BIOS_ST_OK);
	/* the MMIO hole, the reset-vector alias, the top of 32 bits */
	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 0, 0, 1, 0xc0000000, &host),
			  BIOS_ST_BOUNDARY);
	ck_assert_uint_eq(
		check(BIOS_DISK_CMD_WRITE, 0, 0, 1, BIOS_ROM_ALIAS, &host),
		BIOS_ST_BOUNDARY);
	ck_assert_uint_eq(check(BIOS_DISK_CMD_READ, 0, 0, 1, UINT32_MAX, &host),
			  BIOS_ST_BOUNDARY);
	/* the largest transfer, from address 0: 32 MiB, more than RAM; on
	 * the 2048-sector disk the range check answers first */
	ck_assert_uint_eq(
		check(BIOS_DISK_CMD_READ, 0, 0, BIOS_DISK_MAX_COUNT, 0, &host),
		BIOS_ST_NOT_FOUND);
}
END_TEST

/* A disk big enough that the buffer check is the one that answers. */
START_TEST(largest_transfer_is_more_than_ram)
{
	static const struct bios_drive big = { .sectors = 1ULL << 32 };
	struct bios_disk_req r = { .cmd = BIOS_DISK_CMD_READ,
				   .count = BIOS_DISK_MAX_COUNT };
	void *host = &host;

	ck_assert_uint_eq(bios_disk_check(&mem, &big, 1, &r, &host),
			  BIOS_ST_BOUNDARY);
	ck_assert_ptr_null(host);
	/* 8 MiB from 8 MiB: the last byte of RAM, still inside */
	r.count = 8 * MiB / 512;
	r.buf = 8 * MiB;
	r.lba = (1ULL << 32) - r.count;
	ck_assert_uint_eq(bios_disk_check(&mem, &big, 1, &r, &host),
			  BIOS_ST_OK);
	ck_assert_ptr_eq(host, gpa_ptr(&mem, 8 * MiB, 8 * MiB));
	r.buf += 512;
	ck_assert_uint_eq(bios_disk_check(&mem, &big, 1, &r, &host),
			  BIOS_ST_BOUNDARY);
}
END_TEST

START_TEST(chs_geometry)
{
	uint16_t c;
	uint8_t h, s;

	bios_chs_geometry(2048, &c, &h, &s);
	ck_assert_uint_eq(h, 16);
	ck_assert_uint_eq(s, 63);
	ck_assert_uint_eq(c, 2);
	bios_chs_geometry(1, &c, &h, &s);
	ck_assert_uint_eq(c, 1); /* never 0 cylinders: AH=08h returns c - 1 */
	bios_chs_geometry(1024ULL * 16 * 63, &c, &h, &s);
	ck_assert_uint_eq(h, 16);
	ck_assert_uint_eq(c, 1024);
	bios_chs_geometry(1024ULL * 16 * 63 + 1, &c, &h, &s);
	ck_assert_uint_eq(h, 255);
	bios_chs_geometry(20ULL << 30 >> 9, &c, &h, &s); /* 20 GiB */
	ck_assert_uint_eq(h, 255);
	ck_assert_uint_eq(c, 1024); /* CHS's limit; EDD sees the rest */
}
END_TEST

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* e820 entry i of the info block */
static struct boot_e820_entry e820(const uint8_t *bi, int i)
{
	struct boot_e820_entry e;

	memcpy(&e, bi + BI_E820 + i * BI_E820_SIZE, sizeof(e));
	return e;
}

static void info_for(uint64_t size, uint8_t *bi)
{
	static struct vm vm; /* no disks: the memory part only */

	memset(&vm, 0, sizeof(vm));
	ck_assert_int_eq(guest_mem_init(&vm.mem, size), 0);
	ck_assert_int_eq(bios_info_build(&vm, bi), 0);
	guest_mem_destroy(&vm.mem);
}

START_TEST(info_block_memory_map)
{
	uint8_t bi[BI_SIZE];
	struct boot_e820_entry e;
	uint32_t magic;

	info_for(64 * MiB, bi);
	memcpy(&magic, bi + BI_MAGIC, 4);
	ck_assert_uint_eq(magic, BIOS_INFO_MAGIC);
	ck_assert_uint_eq(bi[BI_NR_DRIVES], 0);
	/* RAM, the reserved BIOS area, RAM above 1 MiB, the ROM alias */
	ck_assert_uint_eq(bi[BI_NR_E820], 4);
	e = e820(bi, 0);
	ck_assert_uint_eq(e.addr, 0);
	ck_assert_uint_eq(e.size, EBDA_ADDR);
	ck_assert_uint_eq(e.type, 1);
	e = e820(bi, 1);
	ck_assert_uint_eq(e.addr, EBDA_ADDR);
	ck_assert_uint_eq(e.addr + e.size, 1 * MiB); /* BIOS image inside */
	ck_assert_uint_eq(e.type, 2);
	e = e820(bi, 2);
	ck_assert_uint_eq(e.addr, 1 * MiB);
	ck_assert_uint_eq(e.size, 63 * MiB);
	ck_assert_uint_eq(e.type, 1);
	e = e820(bi, 3);
	ck_assert_uint_eq(e.addr, BIOS_ROM_ALIAS);
	ck_assert_uint_eq(e.addr + e.size, 1ULL << 32);
	ck_assert_uint_eq(e.type, 2);
	ck_assert_uint_eq(get16(bi + BI_BASE_KB), 639);
	ck_assert_uint_eq(get16(bi + BI_EXT_KB), 15 * 1024);
	ck_assert_uint_eq(get16(bi + BI_HIGH_64K), 48 * 16);
}
END_TEST

START_TEST(info_block_sizes_small_and_split)
{
	uint8_t bi[BI_SIZE];

	info_for(8 * MiB, bi);
	ck_assert_uint_eq(get16(bi + BI_EXT_KB), 7 * 1024);
	ck_assert_uint_eq(get16(bi + BI_HIGH_64K), 0);
	/* above 3 GiB: E801h counts only up to the hole; e820 has both */
	info_for(5ULL << 30, bi);
	ck_assert_uint_eq(get16(bi + BI_HIGH_64K),
			  (0xc0000000 - 16 * MiB) >> 16);
	ck_assert_uint_eq(bi[BI_NR_E820], 5);
	ck_assert_uint_eq(e820(bi, 3).addr, 1ULL << 32);
	ck_assert_uint_eq(e820(bi, 3).size, 2ULL << 30);
}
END_TEST

/* The firmware fits below the tables' limits and its variables fit in
 * the 1 KiB EBDA. */
START_TEST(layout_fits)
{
	ck_assert_uint_le(MPTABLE_ADDR + MPTABLE_MAX, BIOS_ROM_ADDR);
	ck_assert_uint_le(ACPI_TABLES_ADDR + ACPI_TABLES_MAX, MPTABLE_ADDR);
	ck_assert_uint_eq(BIOS_ROM_ADDR + BIOS_ROM_SIZE, BIOS_AREA_END);
	ck_assert_uint_le(BIOS_VAR_KEY_VALID + 1, 1024);
	ck_assert_uint_eq(BIOS_EBDA_SEG * 16ULL, EBDA_ADDR);
	ck_assert_uint_le(MAX_DISKS, BI_DRIVES_MAX);
}
END_TEST

Suite *bios_suite(void)
{
	Suite *s = suite_create("bios");
	TCase *tc = tcase_create("disk_port");
	TCase *info = tcase_create("info_block");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_requests_get_the_guest_buffer);
	tcase_add_test(tc, bad_command_drive_or_count);
	tcase_add_test(tc, read_only_disks_refuse_writes);
	tcase_add_test(tc, past_the_end_of_the_disk);
	tcase_add_test(tc, buffers_must_be_guest_ram);
	tcase_add_test(tc, largest_transfer_is_more_than_ram);
	tcase_add_test(info, chs_geometry);
	tcase_add_test(info, info_block_memory_map);
	tcase_add_test(info, info_block_sizes_small_and_split);
	tcase_add_test(info, layout_fits);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, info);
	return s;
}
