// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues from the device side: virtq_map(), the validating
 * descriptor reader virtq_pop(), virtq_push() and the notification rules.
 * Rings are written byte by byte into a real struct guest_mem at the
 * offsets of virtio 1.2 section 2.7, independently of the kernel header
 * structs that devices/virtqueue.c uses.
 *
 * Guard pages: the descriptor table, the avail ring, the used ring and the
 * indirect tables each end right before a PROT_NONE page inside guest RAM,
 * so a reader that walks one entry too far faults instead of reading
 * neighbouring memory.  Buffers outside RAM are never mapped at all; the
 * ASan build checks every access to the request's segment array.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guest_mem.h"
#include "layout.h"
#include "suites.h"
#include "virtqueue.h"

#define MEM_SIZE (16ULL << 20)
#define PAGE	 0x1000ULL

/* Each area ends at a guard page: table/ring end == guard start. */
#define DESC_END  0x11000ULL
#define AVAIL_END 0x13000ULL
#define USED_END  0x15000ULL
#define IND_END	  0x30000ULL  /* indirect tables (up to 0x20000 bytes) */
#define BUF	  0x100000ULL /* data buffers */

/* Descriptor flags (2.7.5) */
#define F_NEXT	       1
#define F_WRITE	       2
#define F_INDIRECT     4
/* avail->flags (2.7.6) */
#define F_NO_INTERRUPT 1

struct ring {
	struct guest_mem mem;
	struct virtq vq;
	struct virtq_req *req;
	uint16_t avail_idx; /* the driver's shadow */
	uint8_t used_snap[6 + 8 * 256 + 2];
};

static uint64_t desc_gpa(uint16_t size)
{
	return DESC_END - 16ULL * size;
}

static uint64_t avail_gpa(uint16_t size)
{
	return AVAIL_END - (6 + 2ULL * size); /* 6 + 2n is even: aligned */
}

static uint64_t used_gpa(uint16_t size)
{
	return USED_END - (8 + 8ULL * size); /* 2 bytes slack for alignment */
}

static uint64_t ind_gpa(unsigned int entries)
{
	return IND_END - 16ULL * entries;
}

static void guard(struct ring *r, uint64_t gpa)
{
	ck_assert_int_eq(mprotect(r->mem.base + gpa, PAGE, PROT_NONE), 0);
}

static void wr(struct ring *r, uint64_t gpa, const void *p, uint64_t len)
{
	ck_assert_int_eq(guest_mem_write(&r->mem, gpa, p, len), 0);
}

static void wr16(struct ring *r, uint64_t gpa, uint16_t v)
{
	wr(r, gpa, &v, 2);
}

static uint16_t rd16(struct ring *r, uint64_t gpa)
{
	uint16_t v;

	ck_assert_int_eq(guest_mem_read(&r->mem, gpa, &v, 2), 0);
	return v;
}

static uint32_t rd32(struct ring *r, uint64_t gpa)
{
	uint32_t v;

	ck_assert_int_eq(guest_mem_read(&r->mem, gpa, &v, 4), 0);
	return v;
}

/* A descriptor at @table_gpa[@i]: le64 addr, le32 len, le16 flags, next. */
static void put_desc_at(struct ring *r, uint64_t table_gpa, unsigned int i,
			uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	uint8_t d[16];

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	wr(r, table_gpa + 16ULL * i, d, 16);
}

static void put_desc(struct ring *r, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	put_desc_at(r, desc_gpa(r->vq.size), i, addr, len, flags, next);
}

static void set_avail_idx(struct ring *r, uint16_t idx)
{
	wr16(r, avail_gpa(r->vq.size) + 2, idx);
}

/* The driver makes chain @head available (2.7.13). */
static void offer(struct ring *r, uint16_t head)
{
	uint16_t n = r->vq.size;

	wr16(r, avail_gpa(n) + 4 + 2ULL * (r->avail_idx % n), head);
	set_avail_idx(r, ++r->avail_idx);
}

static uint16_t used_idx(struct ring *r)
{
	return rd16(r, used_gpa(r->vq.size) + 2);
}

/* avail_event: the le16 right after used->ring[size] (2.7.10) */
static uint16_t avail_event(struct ring *r)
{
	return rd16(r, used_gpa(r->vq.size) + 4 + 8ULL * r->vq.size);
}

/* used_event: the le16 right after avail->ring[size] */
static void set_used_event(struct ring *r, uint16_t v)
{
	wr16(r, avail_gpa(r->vq.size) + 4 + 2ULL * r->vq.size, v);
}

static void ring_open_mem(struct ring *r, uint16_t size, uint64_t mem_size)
{
	memset(r, 0, sizeof(*r));
	ck_assert_uint_le(size, 256);
	ck_assert_int_eq(guest_mem_init(&r->mem, mem_size), 0);
	guard(r, DESC_END);
	guard(r, AVAIL_END);
	guard(r, USED_END);
	guard(r, IND_END);
	r->vq.max_size = 256;
	virtq_reset(&r->vq);
	r->vq.size = size;
	r->vq.desc_gpa = desc_gpa(size);
	r->vq.avail_gpa = avail_gpa(size);
	r->vq.used_gpa = used_gpa(size);
	ck_assert_int_eq(virtq_map(&r->vq, &r->mem), 0);
	/* exactly one request: ASan sees any write past seg[] */
	r->req = malloc(sizeof(*r->req));
	ck_assert_ptr_nonnull(r->req);
	memset(r->req, 0xa5, sizeof(*r->req));
}

static void ring_open(struct ring *r, uint16_t size)
{
	ring_open_mem(r, size, MEM_SIZE);
}

static void ring_close(struct ring *r)
{
	free(r->req);
	guest_mem_destroy(&r->mem);
}

static int pop(struct ring *r)
{
	return virtq_pop(&r->vq, &r->mem, r->req);
}

static uint8_t *host(struct ring *r, uint64_t gpa)
{
	return gpa_ptr(&r->mem, gpa, 1);
}

/* The queue state a malformed chain must leave alone. */
static void snapshot(struct ring *r)
{
	uint64_t len = 8 + 8ULL * r->vq.size;

	ck_assert_uint_le(len, sizeof(r->used_snap));
	ck_assert_int_eq(guest_mem_read(&r->mem, used_gpa(r->vq.size),
					r->used_snap, len),
			 0);
}

static void expect_malformed(struct ring *r)
{
	uint16_t last = r->vq.last_avail, used = r->vq.used_idx;
	uint8_t now[sizeof(r->used_snap)];
	uint64_t len = 8 + 8ULL * r->vq.size;

	snapshot(r);
	ck_assert_int_eq(pop(r), -1);
	ck_assert_uint_eq(r->vq.last_avail, last);
	ck_assert_uint_eq(r->vq.used_idx, used);
	ck_assert_int_eq(
		guest_mem_read(&r->mem, used_gpa(r->vq.size), now, len), 0);
	ck_assert_mem_eq(now, r->used_snap, len); /* avail_event included */
}

/* ---- virtq_map ---- */

static int map_with(uint16_t size, uint64_t d, uint64_t a, uint64_t u)
{
	struct guest_mem mem;
	struct virtq vq;
	int ret;

	ck_assert_int_eq(guest_mem_init(&mem, MEM_SIZE), 0);
	memset(&vq, 0, sizeof(vq));
	vq.max_size = 256;
	virtq_reset(&vq);
	vq.size = size;
	vq.desc_gpa = d;
	vq.avail_gpa = a;
	vq.used_gpa = u;
	ret = virtq_map(&vq, &mem);
	if (ret == 0) {
		ck_assert_ptr_eq(vq.desc, gpa_ptr(&mem, d, 1));
		ck_assert_ptr_eq(vq.avail, gpa_ptr(&mem, a, 1));
		ck_assert_ptr_eq(vq.used, gpa_ptr(&mem, u, 1));
		ck_assert_uint_eq(vq.last_avail, 0);
		ck_assert_uint_eq(vq.used_idx, 0);
	}
	guest_mem_destroy(&mem);
	return ret;
}

START_TEST(map_accepts_a_valid_layout)
{
	ck_assert_int_eq(map_with(256, 0x10000, 0x20000, 0x30000), 0);
	ck_assert_int_eq(map_with(1, 0x10000, 0x20000, 0x30000), 0);
	ck_assert_int_eq(map_with(8, 0x10, 0x2, 0x4), 0);
	ck_assert_int_eq(map_with(8, 0, 0x20000, 0x30000), 0);
	/* each ring as close to the end of RAM as its alignment allows */
	ck_assert_int_eq(map_with(256, MEM_SIZE - 16 * 256, 0x20000, 0x30000),
			 0);
	ck_assert_int_eq(
		map_with(256, 0x10000, MEM_SIZE - (6 + 2 * 256), 0x30000), 0);
	ck_assert_int_eq(map_with(8, 0x10000, 0x20000, MEM_SIZE - 72), 0);
}
END_TEST

START_TEST(map_refuses_bad_sizes)
{
	ck_assert_int_eq(map_with(0, 0x10000, 0x20000, 0x30000), -1);
	ck_assert_int_eq(map_with(3, 0x10000, 0x20000, 0x30000), -1);
	ck_assert_int_eq(map_with(6, 0x10000, 0x20000, 0x30000), -1);
	ck_assert_int_eq(map_with(255, 0x10000, 0x20000, 0x30000), -1);
	ck_assert_int_eq(map_with(512, 0x10000, 0x20000, 0x30000), -1);
	ck_assert_int_eq(map_with(0x8000, 0x10000, 0x20000, 0x30000), -1);
	ck_assert_int_eq(map_with(0xffff, 0x10000, 0x20000, 0x30000), -1);
}
END_TEST

START_TEST(map_refuses_misaligned_rings)
{
	for (uint64_t m = 1; m < 16; m++)
		ck_assert_int_eq(map_with(8, 0x10000 + m, 0x20000, 0x30000),
				 -1);
	ck_assert_int_eq(map_with(8, 0x10000, 0x20001, 0x30000), -1);
	for (uint64_t m = 1; m < 4; m++)
		ck_assert_int_eq(map_with(8, 0x10000, 0x20000, 0x30000 + m),
				 -1);
	/* exactly the required alignment is enough */
	ck_assert_int_eq(map_with(8, 0x10010, 0x20002, 0x30004), 0);
}
END_TEST

START_TEST(map_refuses_rings_outside_ram)
{
	/* each ring aligned but running past the end of RAM */
	ck_assert_int_eq(map_with(8, MEM_SIZE - 112, 0x20000, 0x30000), -1);
	ck_assert_int_eq(map_with(8, 0x10000, MEM_SIZE - 20, 0x30000), -1);
	ck_assert_int_eq(map_with(8, 0x10000, 0x20000, MEM_SIZE - 68), -1);
	/* wholly outside */
	ck_assert_int_eq(map_with(8, MEM_SIZE, 0x20000, 0x30000), -1);
	ck_assert_int_eq(map_with(8, 0x10000, MEM_SIZE, 0x30000), -1);
	ck_assert_int_eq(map_with(8, 0x10000, 0x20000, MEM_SIZE), -1);
	ck_assert_int_eq(map_with(8, MMIO_HOLE_START, 0x20000, 0x30000), -1);
	/* addr + len wraps around 2^64 */
	ck_assert_int_eq(map_with(8, UINT64_MAX - 15, 0x20000, 0x30000), -1);
	ck_assert_int_eq(map_with(8, 0x10000, UINT64_MAX - 1, 0x30000), -1);
	ck_assert_int_eq(map_with(8, 0x10000, 0x20000, UINT64_MAX - 3), -1);
	ck_assert_int_eq(map_with(256, UINT64_MAX - 0xfff, 0x20000, 0x30000),
			 -1);
}
END_TEST

START_TEST(unmapped_queue_has_nothing)
{
	struct virtq vq;
	struct guest_mem mem;
	struct virtq_req *req = malloc(sizeof(*req));

	ck_assert_int_eq(guest_mem_init(&mem, MEM_SIZE), 0);
	memset(&vq, 0, sizeof(vq));
	vq.max_size = 8;
	virtq_reset(&vq);
	ck_assert_uint_eq(vq.size, 8);
	ck_assert_uint_eq(vq.msix_vector, 0xffff);
	ck_assert_int_eq(virtq_pop(&vq, &mem, req), 0);
	free(req);
	guest_mem_destroy(&mem);
}
END_TEST

/* ---- virtq_pop: well-formed chains ---- */

START_TEST(pop_single_descriptor)
{
	struct ring r;

	ring_open(&r, 8);
	ck_assert_int_eq(pop(&r), 0); /* nothing offered yet */
	put_desc(&r, 5, BUF, 512, 0, 0);
	offer(&r, 5);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->head, 5);
	ck_assert_uint_eq(r.req->nr_out, 1);
	ck_assert_uint_eq(r.req->nr_in, 0);
	ck_assert_uint_eq(r.req->out_len, 512);
	ck_assert_uint_eq(r.req->in_len, 0);
	ck_assert_ptr_eq(r.req->seg[0].addr, host(&r, BUF));
	ck_assert_uint_eq(r.req->seg[0].len, 512);
	ck_assert_uint_eq(r.vq.last_avail, 1);
	ck_assert_int_eq(pop(&r), 0);
	ring_close(&r);
}
END_TEST

START_TEST(pop_readable_then_writable_chain)
{
	static const struct {
		uint16_t idx, next;
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
	} chain[] = {
		{ 3, 7, BUF + 0x0000, 16, F_NEXT },
		{ 7, 1, BUF + 0x1000, 100, F_NEXT },
		{ 1, 6, BUF + 0x2000, 4096, F_NEXT | F_WRITE },
		{ 6, 0, BUF + 0x4000, 1, F_WRITE },
	};
	struct ring r;

	ring_open(&r, 8);
	for (size_t i = 0; i < 4; i++)
		put_desc(&r, chain[i].idx, chain[i].addr, chain[i].len,
			 chain[i].flags, chain[i].next);
	offer(&r, 3);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->head, 3);
	ck_assert_uint_eq(r.req->nr_out, 2);
	ck_assert_uint_eq(r.req->nr_in, 2);
	ck_assert_uint_eq(r.req->out_len, 116);
	ck_assert_uint_eq(r.req->in_len, 4097);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_ptr_eq(r.req->seg[i].addr, host(&r, chain[i].addr));
		ck_assert_uint_eq(r.req->seg[i].len, chain[i].len);
	}
	ring_close(&r);
}
END_TEST

START_TEST(pop_writable_only_chain)
{
	struct ring r;

	ring_open(&r, 4);
	put_desc(&r, 0, BUF, 8, F_WRITE | F_NEXT, 1);
	put_desc(&r, 1, BUF + 8, 8, F_WRITE, 0);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->nr_out, 0);
	ck_assert_uint_eq(r.req->nr_in, 2);
	ck_assert_uint_eq(r.req->in_len, 16);
	ring_close(&r);
}
END_TEST

START_TEST(pop_chain_as_long_as_the_queue)
{
	struct ring r;

	ring_open(&r, 16);
	for (uint16_t i = 0; i < 16; i++)
		put_desc(&r, i, BUF + 0x100 * i, 0x100, i < 15 ? F_NEXT : 0,
			 i + 1);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->nr_out, 16);
	ck_assert_uint_eq(r.req->out_len, 16 * 0x100);
	ck_assert_ptr_eq(r.req->seg[15].addr, host(&r, BUF + 0xf00));
	ring_close(&r);
}
END_TEST

START_TEST(pop_several_chains_in_order)
{
	struct ring r;

	ring_open(&r, 4);
	put_desc(&r, 2, BUF, 1, 0, 0);
	put_desc(&r, 0, BUF + 1, 2, 0, 0);
	put_desc(&r, 3, BUF + 3, 3, F_WRITE, 0);
	offer(&r, 2);
	offer(&r, 0);
	offer(&r, 3);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->head, 2);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->head, 0);
	ck_assert_uint_eq(r.req->out_len, 2);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->head, 3);
	ck_assert_uint_eq(r.req->nr_out, 0);
	ck_assert_uint_eq(r.req->in_len, 3);
	ck_assert_int_eq(pop(&r), 0);
	ck_assert_uint_eq(r.vq.last_avail, 3);
	ring_close(&r);
}
END_TEST

START_TEST(pop_indirect_table)
{
	struct ring r;
	uint64_t t = ind_gpa(4);

	ring_open(&r, 8);
	r.vq.indirect = 1;
	/* entries linked out of order: 0 -> 2 -> 1 -> 3 */
	put_desc_at(&r, t, 0, BUF + 0x000, 16, F_NEXT, 2);
	put_desc_at(&r, t, 2, BUF + 0x100, 32, F_NEXT, 1);
	put_desc_at(&r, t, 1, BUF + 0x200, 64, F_NEXT | F_WRITE, 3);
	put_desc_at(&r, t, 3, BUF + 0x300, 1, F_WRITE, 0);
	/* the indirect descriptor's own WRITE flag means nothing (2.7.5.3) */
	put_desc(&r, 6, t, 4 * 16, F_INDIRECT, 0);
	offer(&r, 6);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->head, 6);
	ck_assert_uint_eq(r.req->nr_out, 2);
	ck_assert_uint_eq(r.req->nr_in, 2);
	ck_assert_uint_eq(r.req->out_len, 48);
	ck_assert_uint_eq(r.req->in_len, 65);
	ck_assert_ptr_eq(r.req->seg[0].addr, host(&r, BUF + 0x000));
	ck_assert_ptr_eq(r.req->seg[1].addr, host(&r, BUF + 0x100));
	ck_assert_ptr_eq(r.req->seg[2].addr, host(&r, BUF + 0x200));
	ck_assert_ptr_eq(r.req->seg[3].addr, host(&r, BUF + 0x300));
	ring_close(&r);
}
END_TEST

START_TEST(pop_indirect_table_of_max_segments)
{
	struct ring r;
	uint64_t t = ind_gpa(VIRTQ_MAX_SEGS);

	ring_open(&r, 8);
	r.vq.indirect = 1;
	for (unsigned int i = 0; i < VIRTQ_MAX_SEGS; i++)
		put_desc_at(&r, t, i, BUF + i, 1,
			    i + 1 < VIRTQ_MAX_SEGS ? F_NEXT : 0, i + 1);
	put_desc(&r, 0, t, 16 * VIRTQ_MAX_SEGS, F_INDIRECT, 0);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->nr_out, VIRTQ_MAX_SEGS);
	ck_assert_uint_eq(r.req->out_len, VIRTQ_MAX_SEGS);
	ck_assert_ptr_eq(r.req->seg[VIRTQ_MAX_SEGS - 1].addr,
			 host(&r, BUF + VIRTQ_MAX_SEGS - 1));
	ring_close(&r);
}
END_TEST

START_TEST(pop_skips_zero_length_descriptors)
{
	struct ring r;

	ring_open(&r, 8);
	/* a zero-length descriptor's address is never used: may be bogus */
	put_desc(&r, 0, UINT64_MAX, 0, F_NEXT, 1);
	put_desc(&r, 1, BUF, 16, F_NEXT, 2);
	put_desc(&r, 2, MEM_SIZE, 0, F_NEXT | F_WRITE, 3);
	put_desc(&r, 3, BUF + 0x100, 32, F_WRITE, 0);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->nr_out, 1);
	ck_assert_uint_eq(r.req->nr_in, 1);
	ck_assert_uint_eq(r.req->out_len, 16);
	ck_assert_uint_eq(r.req->in_len, 32);
	ck_assert_ptr_eq(r.req->seg[0].addr, host(&r, BUF));
	ck_assert_ptr_eq(r.req->seg[1].addr, host(&r, BUF + 0x100));
	ring_close(&r);
}
END_TEST

START_TEST(pop_buffer_ending_at_end_of_ram)
{
	struct ring r;

	ring_open(&r, 4);
	put_desc(&r, 0, MEM_SIZE - 4096, 4096, F_WRITE, 0);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_ptr_eq(r.req->seg[0].addr, host(&r, MEM_SIZE - 4096));
	ring_close(&r);
}
END_TEST

START_TEST(pop_buffers_above_and_across_the_hole)
{
	struct ring r;
	uint64_t high = MMIO_HOLE_END + 0x1000;

	ring_open_mem(&r, 4, MMIO_HOLE_START + (2ULL << 20));
	put_desc(&r, 0, high, 0x1000, F_WRITE, 0);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_ptr_eq(r.req->seg[0].addr, gpa_ptr(&r.mem, high, 1));
	/* the last byte of low RAM plus the first of the hole */
	put_desc(&r, 1, MMIO_HOLE_START - 8, 16, 0, 0);
	offer(&r, 1);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

/* ---- copying in and out of a chain ---- */

START_TEST(copy_from_crosses_readable_segments)
{
	struct ring r;
	char buf[32];

	ring_open(&r, 8);
	wr(&r, BUF + 0x000, "abc", 3);
	wr(&r, BUF + 0x100, "defgh", 5);
	wr(&r, BUF + 0x200, "ijklmnop", 8);
	wr(&r, BUF + 0x300, "WRITABLE", 8);
	put_desc(&r, 0, BUF + 0x000, 3, F_NEXT, 1);
	put_desc(&r, 1, BUF + 0x100, 5, F_NEXT, 2);
	put_desc(&r, 2, BUF + 0x200, 8, F_NEXT, 3);
	put_desc(&r, 3, BUF + 0x300, 8, F_WRITE, 0);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);

	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(virtq_copy_from(r.req, 0, buf, 16), 16);
	ck_assert_str_eq(buf, "abcdefghijklmnop");
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(virtq_copy_from(r.req, 2, buf, 7), 7);
	ck_assert_str_eq(buf, "cdefghi");
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(virtq_copy_from(r.req, 3, buf, 5), 5);
	ck_assert_str_eq(buf, "defgh");
	/* readable bytes only: never the writable segment */
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(virtq_copy_from(r.req, 10, buf, 30), 6);
	ck_assert_str_eq(buf, "klmnop");
	ck_assert_uint_eq(virtq_copy_from(r.req, 16, buf, 1), 0);
	ck_assert_uint_eq(virtq_copy_from(r.req, UINT64_MAX, buf, 1), 0);
	ck_assert_uint_eq(virtq_copy_from(r.req, 5, buf, 0), 0);
	ring_close(&r);
}
END_TEST

START_TEST(copy_to_crosses_writable_segments)
{
	struct ring r;
	char buf[32];

	ring_open(&r, 8);
	wr(&r, BUF + 0x000, "readonly", 8);
	wr(&r, BUF + 0x100, "....", 4);
	wr(&r, BUF + 0x200, "....", 4);
	wr(&r, BUF + 0x300, "........", 8);
	put_desc(&r, 0, BUF + 0x000, 8, F_NEXT, 1);
	put_desc(&r, 1, BUF + 0x100, 4, F_NEXT | F_WRITE, 2);
	put_desc(&r, 2, BUF + 0x200, 4, F_NEXT | F_WRITE, 3);
	put_desc(&r, 3, BUF + 0x300, 8, F_WRITE, 0);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);

	/* offsets count writable bytes only */
	ck_assert_uint_eq(virtq_copy_to(r.req, 3, "ABCDEF", 6), 6);
	ck_assert_int_eq(guest_mem_read(&r.mem, BUF + 0x100, buf, 4), 0);
	ck_assert_mem_eq(buf, "...A", 4);
	ck_assert_int_eq(guest_mem_read(&r.mem, BUF + 0x200, buf, 4), 0);
	ck_assert_mem_eq(buf, "BCDE", 4);
	ck_assert_int_eq(guest_mem_read(&r.mem, BUF + 0x300, buf, 8), 0);
	ck_assert_mem_eq(buf, "F.......", 8);
	ck_assert_int_eq(guest_mem_read(&r.mem, BUF, buf, 8), 0);
	ck_assert_mem_eq(buf, "readonly", 8);
	/* truncated at the end of the writable bytes */
	ck_assert_uint_eq(virtq_copy_to(r.req, 12, "0123456789", 10), 4);
	ck_assert_int_eq(guest_mem_read(&r.mem, BUF + 0x300, buf, 8), 0);
	ck_assert_mem_eq(buf, "F...0123", 8);
	ck_assert_int_eq(guest_mem_read(&r.mem, BUF + 0x308, buf, 1), 0);
	ck_assert_int_eq(buf[0], 0);
	ck_assert_uint_eq(virtq_copy_to(r.req, 16, "x", 1), 0);
	ck_assert_uint_eq(virtq_copy_to(r.req, UINT64_MAX, "x", 1), 0);
	ring_close(&r);
}
END_TEST

/* ---- virtq_pop: hostile chains ---- */

START_TEST(hostile_head_out_of_range)
{
	struct ring r;

	ring_open(&r, 8);
	offer(&r, 8); /* desc[8] would be the guard page */
	expect_malformed(&r);
	ring_close(&r);

	ring_open(&r, 8);
	offer(&r, 0xffff);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_next_out_of_range)
{
	struct ring r;

	ring_open(&r, 8);
	put_desc(&r, 0, BUF, 16, F_NEXT, 1);
	put_desc(&r, 1, BUF, 16, F_NEXT, 8);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);

	ring_open(&r, 8);
	put_desc(&r, 0, BUF, 16, F_NEXT, 0xffff);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_loops)
{
	struct ring r;

	/* a -> b -> a */
	ring_open(&r, 8);
	put_desc(&r, 2, BUF, 16, F_NEXT, 5);
	put_desc(&r, 5, BUF, 16, F_NEXT, 2);
	offer(&r, 2);
	expect_malformed(&r);
	ring_close(&r);

	/* self-loop */
	ring_open(&r, 8);
	put_desc(&r, 4, BUF, 16, F_NEXT, 4);
	offer(&r, 4);
	expect_malformed(&r);
	ring_close(&r);

	/* a loop of zero-length descriptors transfers nothing but is a loop */
	ring_open(&r, 8);
	put_desc(&r, 4, BUF, 0, F_NEXT, 4);
	offer(&r, 4);
	expect_malformed(&r);
	ring_close(&r);

	/* writable self-loop: in_len would grow without bound */
	ring_open(&r, 8);
	put_desc(&r, 1, BUF, 0xffffffff, F_NEXT | F_WRITE, 1);
	offer(&r, 1);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_chain_longer_than_the_queue)
{
	struct ring r;

	/* every descriptor once, then back to the start: size + 1 long */
	ring_open(&r, 16);
	for (uint16_t i = 0; i < 16; i++)
		put_desc(&r, i, BUF + 0x100 * i, 0x100, F_NEXT, (i + 1) % 16);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);

	/* a tail loop entered after a prefix */
	ring_open(&r, 16);
	for (uint16_t i = 0; i < 16; i++)
		put_desc(&r, i, BUF, 1, F_NEXT, i + 1 < 16 ? i + 1 : 8);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_buffer_outside_ram)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{ MEM_SIZE, 1 },
		{ MEM_SIZE - 8, 16 }, /* straddles the end */
		{ MEM_SIZE - 1, 2 },
		{ 0, 0xffffffff },	/* longer than RAM */
		{ MMIO_HOLE_START, 4 }, /* not RAM: the hole */
		{ PCI_ECAM_BASE, 4 },
		{ UINT64_MAX - 7, 16 }, /* addr + len wraps */
		{ UINT64_MAX, 1 },
		{ UINT64_MAX, 0xffffffff },
		{ 1ULL << 63, 0x1000 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ring r;

		/* alone, and behind a good readable descriptor */
		ring_open(&r, 8);
		put_desc(&r, 0, bad[i].addr, bad[i].len, 0, 0);
		put_desc(&r, 1, BUF, 16, F_NEXT, 2);
		put_desc(&r, 2, bad[i].addr, bad[i].len, F_WRITE, 0);
		offer(&r, 0);
		offer(&r, 1);
		expect_malformed(&r);
		r.vq.last_avail = 1; /* as if the device moved on */
		expect_malformed(&r);
		ring_close(&r);
	}
}
END_TEST

START_TEST(hostile_readable_after_writable)
{
	struct ring r;

	ring_open(&r, 8);
	put_desc(&r, 0, BUF, 16, F_NEXT, 1);
	put_desc(&r, 1, BUF + 16, 16, F_NEXT | F_WRITE, 2);
	put_desc(&r, 2, BUF + 32, 16, 0, 0);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);

	/* the same rule inside an indirect table */
	ring_open(&r, 8);
	r.vq.indirect = 1;
	put_desc_at(&r, ind_gpa(2), 0, BUF, 16, F_NEXT | F_WRITE, 1);
	put_desc_at(&r, ind_gpa(2), 1, BUF + 16, 16, 0, 0);
	put_desc(&r, 0, ind_gpa(2), 32, F_INDIRECT, 0);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

/* A well-formed two-entry indirect table at ind_gpa(2). */
static void good_table(struct ring *r)
{
	put_desc_at(r, ind_gpa(2), 0, BUF, 16, F_NEXT, 1);
	put_desc_at(r, ind_gpa(2), 1, BUF + 16, 16, F_WRITE, 0);
}

START_TEST(hostile_indirect_not_negotiated)
{
	struct ring r;

	ring_open(&r, 8);
	good_table(&r);
	put_desc(&r, 0, ind_gpa(2), 32, F_INDIRECT, 0);
	offer(&r, 0);
	expect_malformed(&r);
	/* the same chain is fine once the feature is negotiated */
	r.vq.indirect = 1;
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->nr_out, 1);
	ck_assert_uint_eq(r.req->nr_in, 1);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_indirect_with_next)
{
	struct ring r;

	ring_open(&r, 8);
	r.vq.indirect = 1;
	good_table(&r);
	put_desc(&r, 0, ind_gpa(2), 32, F_INDIRECT | F_NEXT, 1);
	put_desc(&r, 1, BUF + 0x100, 16, F_WRITE, 0);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_indirect_bad_lengths)
{
	static const uint32_t lens[] = {
		0,	     1,		 8,  15,
		17,	     24,	 31, 16 * (VIRTQ_MAX_SEGS + 1),
		16 * 0x1000, 0xfffffff0,
	};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct ring r;

		ring_open(&r, 8);
		r.vq.indirect = 1;
		/* a table that would be fine if it were read as 16 entries */
		for (unsigned int e = 0; e < 16; e++)
			put_desc_at(&r, ind_gpa(VIRTQ_MAX_SEGS + 1), e, BUF, 1,
				    0, 0);
		put_desc(&r, 0, ind_gpa(VIRTQ_MAX_SEGS + 1), lens[i],
			 F_INDIRECT, 0);
		offer(&r, 0);
		expect_malformed(&r);
		ring_close(&r);
	}
}
END_TEST

START_TEST(hostile_indirect_table_outside_ram)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{ MEM_SIZE, 16 },
		{ MEM_SIZE - 16, 32 },
		{ MMIO_HOLE_START, 16 },
		{ UINT64_MAX - 15, 32 }, /* wraps */
		{ UINT64_MAX & ~15ULL, 16 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ring r;

		ring_open(&r, 8);
		r.vq.indirect = 1;
		put_desc(&r, 0, bad[i].addr, bad[i].len, F_INDIRECT, 0);
		offer(&r, 0);
		expect_malformed(&r);
		ring_close(&r);
	}
}
END_TEST

START_TEST(hostile_nested_indirect)
{
	struct ring r;
	uint64_t outer = ind_gpa(2), inner = ind_gpa(2) - 0x1000;

	ring_open(&r, 8);
	r.vq.indirect = 1;
	put_desc_at(&r, inner, 0, BUF, 16, 0, 0);
	put_desc_at(&r, outer, 0, BUF, 16, F_NEXT, 1);
	put_desc_at(&r, outer, 1, inner, 16, F_INDIRECT, 0);
	put_desc(&r, 0, outer, 32, F_INDIRECT, 0);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);

	/* a table that points at itself */
	ring_open(&r, 8);
	r.vq.indirect = 1;
	put_desc_at(&r, outer, 0, outer, 32, F_INDIRECT, 0);
	put_desc(&r, 0, outer, 32, F_INDIRECT, 0);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_indirect_chain_leaves_its_table)
{
	struct ring r;

	/* next == number of entries: one past the table (the guard page) */
	ring_open(&r, 8);
	r.vq.indirect = 1;
	put_desc_at(&r, ind_gpa(2), 0, BUF, 16, F_NEXT, 1);
	put_desc_at(&r, ind_gpa(2), 1, BUF, 16, F_NEXT, 2);
	put_desc(&r, 0, ind_gpa(2), 32, F_INDIRECT, 0);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);

	/* a loop inside the table */
	ring_open(&r, 8);
	r.vq.indirect = 1;
	put_desc_at(&r, ind_gpa(2), 0, BUF, 16, F_NEXT, 1);
	put_desc_at(&r, ind_gpa(2), 1, BUF, 16, F_NEXT, 0);
	put_desc(&r, 0, ind_gpa(2), 32, F_INDIRECT, 0);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);

	/* a table entry outside RAM */
	ring_open(&r, 8);
	r.vq.indirect = 1;
	put_desc_at(&r, ind_gpa(2), 0, BUF, 16, F_NEXT, 1);
	put_desc_at(&r, ind_gpa(2), 1, UINT64_MAX - 3, 8, F_WRITE, 0);
	put_desc(&r, 0, ind_gpa(2), 32, F_INDIRECT, 0);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_too_many_segments)
{
	struct ring r;
	uint64_t t = ind_gpa(VIRTQ_MAX_SEGS);

	/* a direct descriptor plus a full indirect table: one too many */
	ring_open(&r, 8);
	r.vq.indirect = 1;
	for (unsigned int i = 0; i < VIRTQ_MAX_SEGS; i++)
		put_desc_at(&r, t, i, BUF + i, 1,
			    i + 1 < VIRTQ_MAX_SEGS ? F_NEXT : 0, i + 1);
	put_desc(&r, 0, BUF, 16, F_NEXT, 1);
	put_desc(&r, 1, t, 16 * VIRTQ_MAX_SEGS, F_INDIRECT, 0);
	offer(&r, 0);
	expect_malformed(&r);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_avail_idx_jumps_ahead)
{
	struct ring r;

	ring_open(&r, 8);
	for (uint16_t i = 0; i < 8; i++)
		put_desc(&r, i, BUF, 16, 0, 0);
	set_avail_idx(&r, 9); /* size + 1 ahead of last_avail 0 */
	expect_malformed(&r);
	set_avail_idx(&r, 0x8000);
	expect_malformed(&r);
	set_avail_idx(&r, 0xffff); /* "one behind": also far ahead */
	expect_malformed(&r);
	/* exactly size ahead is a full ring: fine */
	set_avail_idx(&r, 8);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pop(&r), 1);
	ck_assert_int_eq(pop(&r), 0);
	ring_close(&r);

	/* the same measured from a last_avail just below the wrap */
	ring_open(&r, 8);
	put_desc(&r, 0, BUF, 16, 0, 0);
	r.vq.last_avail = 0xfffe;
	set_avail_idx(&r, 7); /* 0xfffe + 9, wrapped */
	expect_malformed(&r);
	set_avail_idx(&r, 6); /* 0xfffe + 8: a full ring */
	ck_assert_int_eq(pop(&r), 1);
	ring_close(&r);
}
END_TEST

START_TEST(hostile_chain_does_not_advance_or_publish)
{
	struct ring r;

	ring_open(&r, 8);
	r.vq.event_idx = 1;
	put_desc(&r, 0, BUF, 16, F_NEXT, 0);
	offer(&r, 0);
	/* expect_malformed compares avail_event too: not written */
	expect_malformed(&r);
	ck_assert_uint_eq(avail_event(&r), 0);
	ring_close(&r);
}
END_TEST

/* ---- virtq_push and the indices ---- */

START_TEST(push_writes_used_elements_and_idx)
{
	struct ring r;
	uint64_t u;

	ring_open(&r, 4);
	u = used_gpa(4);
	virtq_push(&r.vq, 3, 0x1234);
	ck_assert_uint_eq(used_idx(&r), 1);
	ck_assert_uint_eq(rd32(&r, u + 4), 3);
	ck_assert_uint_eq(rd32(&r, u + 8), 0x1234);
	virtq_push(&r.vq, 1, 0);
	virtq_push(&r.vq, 0, 7);
	virtq_push(&r.vq, 2, 9);
	ck_assert_uint_eq(used_idx(&r), 4);
	ck_assert_uint_eq(rd32(&r, u + 4 + 8 * 3), 2);
	ck_assert_uint_eq(rd32(&r, u + 8 + 8 * 3), 9);
	/* the fifth wraps onto ring[0] */
	virtq_push(&r.vq, 1, 0xffffffff);
	ck_assert_uint_eq(used_idx(&r), 5);
	ck_assert_uint_eq(rd32(&r, u + 4), 1);
	ck_assert_uint_eq(rd32(&r, u + 8), 0xffffffff);
	ck_assert_uint_eq(rd16(&r, u), 0); /* used->flags untouched */
	ring_close(&r);
}
END_TEST

START_TEST(indices_wrap_at_65535)
{
	struct ring r;

	ring_open(&r, 4);
	for (uint16_t i = 0; i < 4; i++)
		put_desc(&r, i, BUF + 0x10 * i, 0x10, 0, 0);
	r.vq.last_avail = 65534;
	r.vq.used_idx = 65534;
	r.avail_idx = 65534;
	set_avail_idx(&r, 65534);
	ck_assert_int_eq(pop(&r), 0);
	offer(&r, 2); /* ring[65534 % 4 = 2], idx 65535 */
	offer(&r, 3); /* ring[3], idx 0 */
	offer(&r, 1); /* ring[0], idx 1 */
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->head, 2);
	ck_assert_uint_eq(r.vq.last_avail, 65535);
	virtq_push(&r.vq, r.req->head, 1);
	ck_assert_uint_eq(used_idx(&r), 65535);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->head, 3);
	ck_assert_uint_eq(r.vq.last_avail, 0);
	virtq_push(&r.vq, r.req->head, 2);
	ck_assert_uint_eq(used_idx(&r), 0);
	ck_assert_uint_eq(rd32(&r, used_gpa(4) + 4 + 8 * 3), 3);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(r.req->head, 1);
	ck_assert_uint_eq(r.vq.last_avail, 1);
	virtq_push(&r.vq, r.req->head, 3);
	ck_assert_uint_eq(used_idx(&r), 1);
	ck_assert_uint_eq(rd32(&r, used_gpa(4) + 4), 1);
	ck_assert_uint_eq(rd32(&r, used_gpa(4) + 8), 3);
	ck_assert_int_eq(pop(&r), 0);
	ring_close(&r);
}
END_TEST

START_TEST(event_idx_publishes_avail_event)
{
	struct ring r;

	ring_open(&r, 8);
	r.vq.event_idx = 1;
	for (uint16_t i = 0; i < 3; i++) {
		put_desc(&r, i, BUF, 16, 0, 0);
		offer(&r, i);
	}
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(avail_event(&r), 1);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(avail_event(&r), 2);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(avail_event(&r), 3);
	ck_assert_uint_eq(avail_event(&r), r.vq.last_avail);
	ck_assert_int_eq(pop(&r), 0);
	ck_assert_uint_eq(avail_event(&r), 3);
	ring_close(&r);

	/* without EVENT_IDX the field is the driver's padding: untouched */
	ring_open(&r, 8);
	put_desc(&r, 0, BUF, 16, 0, 0);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(avail_event(&r), 0);
	ring_close(&r);
}
END_TEST

START_TEST(avail_event_wraps)
{
	struct ring r;

	ring_open(&r, 4);
	r.vq.event_idx = 1;
	put_desc(&r, 0, BUF, 16, 0, 0);
	wr16(&r, used_gpa(4) + 4 + 8 * 4, 0xbeef);
	r.vq.last_avail = r.avail_idx = 65535;
	set_avail_idx(&r, 65535);
	offer(&r, 0);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_uint_eq(avail_event(&r), 0);
	ring_close(&r);
}
END_TEST

/* The driver's side of avail_event (vring_need_event, 2.7.10): does
 * moving avail->idx from @old to @now notify the device? */
static int driver_notifies(struct ring *r, uint16_t old, uint16_t now)
{
	return (uint16_t)(now - avail_event(r) - 1) < (uint16_t)(now - old);
}

/*
 * A device that needs more chains than are posted (virtio-net: a 64 KiB
 * frame over mergeable buffers) pops what there is, finds the ring empty
 * and gives them back.  The driver's next buffer must still notify it:
 * avail_event at the avail->idx it has seen, not where last_avail went
 * back to (a TCP transfer in the lab's net scenario stalled on this).
 */
START_TEST(unpop_keeps_the_driver_notifying)
{
	struct ring r;

	ring_open(&r, 8);
	r.vq.event_idx = 1;
	for (uint16_t i = 0; i < 3; i++) {
		put_desc(&r, i, BUF + 0x100 * i, 16, F_WRITE, 0);
		offer(&r, i);
	}
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_int_eq(pop(&r), 1);
	ck_assert_int_eq(pop(&r), 0); /* not enough: give all back */
	virtq_unpop(&r.vq, 3);
	ck_assert_uint_eq(r.vq.last_avail, 0);
	ck_assert_uint_eq(avail_event(&r), 3);
	ck_assert_int_eq(driver_notifies(&r, 3, 4), 1);
	put_desc(&r, 3, BUF + 0x300, 16, F_WRITE, 0);
	offer(&r, 3);
	/* the same chains again, in order, then the new one */
	for (uint16_t i = 0; i < 4; i++) {
		ck_assert_int_eq(pop(&r), 1);
		ck_assert_uint_eq(r.req->head, i);
	}
	ck_assert_int_eq(pop(&r), 0);
	ck_assert_uint_eq(avail_event(&r), 4);
	ck_assert_int_eq(driver_notifies(&r, 4, 5), 1);
	ring_close(&r);
}
END_TEST

/* An empty ring always leaves avail_event at avail->idx (and so asks for
 * the next notification), whatever the field held before. */
START_TEST(empty_pop_publishes_avail_event)
{
	struct ring r;

	ring_open(&r, 8);
	r.vq.event_idx = 1;
	wr16(&r, used_gpa(8) + 4 + 8 * 8, 0xbeef);
	r.vq.last_avail = r.avail_idx = 5;
	set_avail_idx(&r, 5);
	ck_assert_int_eq(pop(&r), 0);
	ck_assert_uint_eq(avail_event(&r), 5);
	ck_assert_int_eq(driver_notifies(&r, 5, 6), 1);
	ring_close(&r);

	/* without EVENT_IDX the field is the driver's padding: untouched */
	ring_open(&r, 8);
	wr16(&r, used_gpa(8) + 4 + 8 * 8, 0xbeef);
	ck_assert_int_eq(pop(&r), 0);
	ck_assert_uint_eq(avail_event(&r), 0xbeef);
	ring_close(&r);
}
END_TEST

START_TEST(push_many_moves_used_idx_once)
{
	struct ring r;
	uint16_t heads[3] = { 2, 0, 1 };
	uint32_t lens[3] = { 100, 200, 300 };
	uint64_t u;

	ring_open(&r, 4);
	u = used_gpa(4);
	r.vq.used_idx = 3; /* the batch wraps: ring[3], ring[0], ring[1] */
	wr16(&r, u + 2, 3);
	virtq_push_many(&r.vq, heads, lens, 3);
	ck_assert_uint_eq(used_idx(&r), 6);
	ck_assert_uint_eq(r.vq.used_idx, 6);
	ck_assert_uint_eq(rd32(&r, u + 4 + 8 * 3), 2);
	ck_assert_uint_eq(rd32(&r, u + 8 + 8 * 3), 100);
	ck_assert_uint_eq(rd32(&r, u + 4), 0);
	ck_assert_uint_eq(rd32(&r, u + 8), 200);
	ck_assert_uint_eq(rd32(&r, u + 4 + 8), 1);
	ck_assert_uint_eq(rd32(&r, u + 8 + 8), 300);
	/* across the 16-bit wrap of the index */
	r.vq.used_idx = 65535;
	virtq_push_many(&r.vq, heads + 1, lens + 1, 2);
	ck_assert_uint_eq(used_idx(&r), 1);
	ck_assert_uint_eq(rd32(&r, u + 4 + 8 * 3), 0); /* 65535 % 4 */
	ck_assert_uint_eq(rd32(&r, u + 8 + 8 * 3), 200);
	ck_assert_uint_eq(rd32(&r, u + 4), 1); /* 65536 % 4 */
	ck_assert_uint_eq(rd32(&r, u + 8), 300);
	ring_close(&r);
}
END_TEST

/* ---- interrupt suppression ---- */

START_TEST(no_interrupt_flag_without_event_idx)
{
	struct ring r;

	ring_open(&r, 8);
	virtq_push(&r.vq, 0, 0);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1); /* no memory */
	wr16(&r, avail_gpa(8), F_NO_INTERRUPT);
	virtq_push(&r.vq, 0, 0);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 0);
	wr16(&r, avail_gpa(8), 0);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1);
	/* used_event means nothing without the feature */
	set_used_event(&r, 0x1234);
	wr16(&r, avail_gpa(8), 0);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1);
	ring_close(&r);
}
END_TEST

/*
 * virtio 1.2 2.7.10 (and vring_need_event in the spec's appendix): with
 * EVENT_IDX the device notifies iff
 *	(u16)(new_idx - used_event - 1) < (u16)(new_idx - old_idx)
 * i.e. iff used_event lies in [old_idx, new_idx) modulo 2^16, where old_idx
 * is used->idx at the previous notification decision.
 */
static int notify_case(struct ring *r, uint16_t old, uint16_t now,
		       uint16_t event)
{
	r->vq.signalled_used = old;
	r->vq.signalled_valid = 1;
	r->vq.used_idx = now;
	set_used_event(r, event);
	return virtq_should_notify(&r->vq);
}

START_TEST(event_idx_need_event_boundaries)
{
	struct ring r;

	ring_open(&r, 8);
	r.vq.event_idx = 1;
	wr16(&r, avail_gpa(8), F_NO_INTERRUPT); /* ignored with EVENT_IDX */
	/* old = 10, new = 14: notify iff 10 <= used_event <= 13 */
	ck_assert_int_eq(notify_case(&r, 10, 14, 9), 0);
	ck_assert_int_eq(notify_case(&r, 10, 14, 10), 1);
	ck_assert_int_eq(notify_case(&r, 10, 14, 11), 1);
	ck_assert_int_eq(notify_case(&r, 10, 14, 13), 1);
	ck_assert_int_eq(notify_case(&r, 10, 14, 14), 0);
	ck_assert_int_eq(notify_case(&r, 10, 14, 15), 0);
	ck_assert_int_eq(notify_case(&r, 10, 14, 0x800a), 0);
	/* one new buffer: only used_event == old */
	ck_assert_int_eq(notify_case(&r, 7, 8, 7), 1);
	ck_assert_int_eq(notify_case(&r, 7, 8, 8), 0);
	ck_assert_int_eq(notify_case(&r, 7, 8, 6), 0);
	/* nothing new: never */
	ck_assert_int_eq(notify_case(&r, 5, 5, 5), 0);
	ck_assert_int_eq(notify_case(&r, 5, 5, 4), 0);
	ck_assert_int_eq(notify_case(&r, 5, 5, 6), 0);
	/* across the wrap: old = 65534, new = 2 */
	ck_assert_int_eq(notify_case(&r, 65534, 2, 65533), 0);
	ck_assert_int_eq(notify_case(&r, 65534, 2, 65534), 1);
	ck_assert_int_eq(notify_case(&r, 65534, 2, 65535), 1);
	ck_assert_int_eq(notify_case(&r, 65534, 2, 0), 1);
	ck_assert_int_eq(notify_case(&r, 65534, 2, 1), 1);
	ck_assert_int_eq(notify_case(&r, 65534, 2, 2), 0);
	ring_close(&r);
}
END_TEST

START_TEST(event_idx_sequence)
{
	struct ring r;

	ring_open(&r, 8);
	r.vq.event_idx = 1;
	/* the first decision always notifies: nothing to compare with */
	set_used_event(&r, 0x4000);
	virtq_push(&r.vq, 0, 0);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1);
	/* the decision is remembered: nothing new since, no notification */
	set_used_event(&r, 0);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 0);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 0);
	/* "interrupt me once used ring entry 2 is written": idx 2 -> 3 */
	set_used_event(&r, 2);
	virtq_push(&r.vq, 0, 0); /* idx 2: used_event 2 not yet used */
	ck_assert_int_eq(virtq_should_notify(&r.vq), 0);
	virtq_push(&r.vq, 0, 0); /* idx 3: entry 2 is now used */
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1);
	/* several pushes, one decision: used_event anywhere in between */
	set_used_event(&r, 4);
	virtq_push(&r.vq, 0, 0);
	virtq_push(&r.vq, 0, 0);
	virtq_push(&r.vq, 0, 0); /* 3 -> 6 */
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1);
	/* a used_event the driver already left behind */
	set_used_event(&r, 5);
	virtq_push(&r.vq, 0, 0); /* 6 -> 7 */
	ck_assert_int_eq(virtq_should_notify(&r.vq), 0);
	ring_close(&r);

	/* first call with nothing pushed at all */
	ring_open(&r, 8);
	r.vq.event_idx = 1;
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 0);
	ring_close(&r);
}
END_TEST

START_TEST(remap_forgets_the_last_decision)
{
	struct ring r;

	ring_open(&r, 8);
	r.vq.event_idx = 1;
	virtq_push(&r.vq, 0, 0);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1);
	ck_assert_int_eq(virtq_map(&r.vq, &r.mem), 0);
	ck_assert_uint_eq(r.vq.used_idx, 0);
	ck_assert_uint_eq(r.vq.last_avail, 0);
	/* used->idx is 1 again, as at the last decision: still notifies */
	set_used_event(&r, 0x4000);
	virtq_push(&r.vq, 0, 0);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 1);
	ck_assert_int_eq(virtq_should_notify(&r.vq), 0);
	ring_close(&r);
}
END_TEST

Suite *virtqueue_suite(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *map = tcase_create("map");
	TCase *ok = tcase_create("pop");
	TCase *copy = tcase_create("copy");
	TCase *bad = tcase_create("hostile");
	TCase *used = tcase_create("used");
	TCase *irq = tcase_create("notify");

	tcase_add_test(map, map_accepts_a_valid_layout);
	tcase_add_test(map, map_refuses_bad_sizes);
	tcase_add_test(map, map_refuses_misaligned_rings);
	tcase_add_test(map, map_refuses_rings_outside_ram);
	tcase_add_test(map, unmapped_queue_has_nothing);
	suite_add_tcase(s, map);

	tcase_add_test(ok, pop_single_descriptor);
	tcase_add_test(ok, pop_readable_then_writable_chain);
	tcase_add_test(ok, pop_writable_only_chain);
	tcase_add_test(ok, pop_chain_as_long_as_the_queue);
	tcase_add_test(ok, pop_several_chains_in_order);
	tcase_add_test(ok, pop_indirect_table);
	tcase_add_test(ok, pop_indirect_table_of_max_segments);
	tcase_add_test(ok, pop_skips_zero_length_descriptors);
	tcase_add_test(ok, pop_buffer_ending_at_end_of_ram);
	tcase_add_test(ok, pop_buffers_above_and_across_the_hole);
	suite_add_tcase(s, ok);

	tcase_add_test(copy, copy_from_crosses_readable_segments);
	tcase_add_test(copy, copy_to_crosses_writable_segments);
	suite_add_tcase(s, copy);

	tcase_add_test(bad, hostile_head_out_of_range);
	tcase_add_test(bad, hostile_next_out_of_range);
	tcase_add_test(bad, hostile_loops);
	tcase_add_test(bad, hostile_chain_longer_than_the_queue);
	tcase_add_test(bad, hostile_buffer_outside_ram);
	tcase_add_test(bad, hostile_readable_after_writable);
	tcase_add_test(bad, hostile_indirect_not_negotiated);
	tcase_add_test(bad, hostile_indirect_with_next);
	tcase_add_test(bad, hostile_indirect_bad_lengths);
	tcase_add_test(bad, hostile_indirect_table_outside_ram);
	tcase_add_test(bad, hostile_nested_indirect);
	tcase_add_test(bad, hostile_indirect_chain_leaves_its_table);
	tcase_add_test(bad, hostile_too_many_segments);
	tcase_add_test(bad, hostile_avail_idx_jumps_ahead);
	tcase_add_test(bad, hostile_chain_does_not_advance_or_publish);
	suite_add_tcase(s, bad);

	tcase_add_test(used, push_writes_used_elements_and_idx);
	tcase_add_test(used, indices_wrap_at_65535);
	tcase_add_test(used, event_idx_publishes_avail_event);
	tcase_add_test(used, avail_event_wraps);
	tcase_add_test(used, unpop_keeps_the_driver_notifying);
	tcase_add_test(used, empty_pop_publishes_avail_event);
	tcase_add_test(used, push_many_moves_used_idx_once);
	suite_add_tcase(s, used);

	tcase_add_test(irq, no_interrupt_flag_without_event_idx);
	tcase_add_test(irq, event_idx_need_event_boundaries);
	tcase_add_test(irq, event_idx_sequence);
	tcase_add_test(irq, remap_forgets_the_last_decision);
	suite_add_tcase(s, irq);
	return s;
}
