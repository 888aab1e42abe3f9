// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net receive (devices/virtio_net.c rx()) with MRG_RXBUF: frames
 * are read from the tap straight into the guest's buffers for about the
 * size of the last frame, a bigger frame's rest is copied into more
 * buffers, and a frame the posted buffers cannot hold waits whole in the
 * device until more come.  A SOCK_SEQPACKET pair stands in for the tap
 * (one record per frame).  Each frame is put back together from the used
 * ring and compared, num_buffers included (virtio 1.2 5.1.6.3.2).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "guest_mem.h"
#include "suites.h"
#include "virtio_net.h"
#include "virtqueue.h"
#include "vm.h"

#define MEM_SIZE (16ULL << 20)
#define QSIZE	 256
#define DESC	 0x10000ULL
#define AVAIL	 0x20000ULL
#define USED	 0x30000ULL
#define INDIRECT 0x40000ULL  /* one table of up to 1024 entries */
#define BUFS	 0x100000ULL /* buffer of chain i: BUFS + i * BUF_LEN */
#define BUF_LEN	 4096
#define TINY	 0x300000ULL /* 64-byte segments of the indirect chain */
#define HDR	 12
#define KEPT_MAX (65536 + 30)
#define MRG	 (1ULL << VIRTIO_NET_F_MRG_RXBUF | 1ULL << VIRTIO_F_VERSION_1)

struct rxt {
	struct vm *vm;
	struct virtq vq;
	struct virtq_req *req;
	int sv[2]; /* sv[1]: the host side writes frames; sv[0]: the "tap" */
	uint16_t avail_idx, used_seen;
	uint8_t kept[KEPT_MAX];
	size_t kept_len;
	uint64_t copied; /* by kvmini into guest buffers, last run_rx */
};

static void *g(struct rxt *t, uint64_t gpa, uint64_t len)
{
	void *p = gpa_ptr(&t->vm->mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static void put_desc(struct rxt *t, uint64_t table, unsigned int i,
		     uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(g(t, table + 16ULL * i, 16), &d, 16);
}

/* The driver posts chain @head: one writable buffer of @len bytes. */
static void post(struct rxt *t, uint16_t head, uint32_t len)
{
	uint16_t *ring = g(t, AVAIL + 4, 2 * QSIZE);

	put_desc(t, DESC, head, BUFS + (uint64_t)head * BUF_LEN, len,
		 VRING_DESC_F_WRITE, 0);
	ring[t->avail_idx % QSIZE] = head;
	t->avail_idx++;
	memcpy(g(t, AVAIL + 2, 2), &t->avail_idx, 2);
}

/* Chains first .. first + count - 1, each one buffer of @len bytes. */
static void post_many(struct rxt *t, uint16_t first, uint16_t count,
		      uint32_t len)
{
	for (uint16_t i = first; i < first + count; i++)
		post(t, i, len);
}

static void setup_mem(struct rxt *t, uint64_t mem_size)
{
	memset(t, 0, sizeof(*t));
	t->vm = calloc(1, sizeof(*t->vm));
	ck_assert_ptr_nonnull(t->vm);
	ck_assert_int_eq(guest_mem_init(&t->vm->mem, mem_size), 0);
	t->vq.max_size = QSIZE;
	virtq_reset(&t->vq);
	t->vq.desc_gpa = DESC;
	t->vq.avail_gpa = AVAIL;
	t->vq.used_gpa = USED;
	ck_assert_int_eq(virtq_map(&t->vq, &t->vm->mem), 0);
	t->vq.enabled = 1;
	t->vq.event_idx = 1;
	t->vq.indirect = 1;
	t->req = malloc(sizeof(*t->req));
	ck_assert_ptr_nonnull(t->req);
	ck_assert_int_eq(
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, t->sv),
		0);
}

static void setup(struct rxt *t)
{
	setup_mem(t, MEM_SIZE);
}

static void teardown(struct rxt *t)
{
	close(t->sv[0]);
	close(t->sv[1]);
	free(t->req);
	guest_mem_destroy(&t->vm->mem);
	free(t->vm);
}

/* A frame of @len bytes: a zeroed virtio-net header, then a pattern. */
static void frame(uint8_t *f, size_t len, unsigned int seed)
{
	memset(f, 0, HDR);
	for (size_t i = HDR; i < len; i++)
		f[i] = (uint8_t)(seed * 31 + i * 7 + i / 251);
}

static void send_frame(struct rxt *t, size_t len, unsigned int seed)
{
	uint8_t *f = malloc(len);

	ck_assert_ptr_nonnull(f);
	frame(f, len, seed);
	ck_assert_int_eq(write(t->sv[1], f, len), (ssize_t)len);
	free(f);
}

static unsigned int run_rx(struct rxt *t)
{
	return virtio_net_test_rx(t->vm, &t->vq, t->req, MRG, t->sv[0], t->kept,
				  &t->kept_len, &t->copied);
}

static uint16_t used_idx(struct rxt *t)
{
	uint16_t v;

	memcpy(&v, g(t, USED + 2, 2), 2);
	return v;
}

/*
 * The next frame in the used ring: its chains put back together must be
 * frame(@len, @seed), spread over @bufs buffers (num_buffers says so too).
 */
static void expect_frame(struct rxt *t, size_t len, unsigned int seed,
			 unsigned int bufs)
{
	uint8_t *want = malloc(len), *got = calloc(1, len + BUF_LEN);
	struct virtio_net_hdr_v1 hdr;
	size_t off = 0;

	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	frame(want, len, seed);
	ck_assert_uint_ge(used_idx(t), t->used_seen + bufs);
	for (unsigned int i = 0; i < bufs; i++) {
		struct vring_used_elem e;

		memcpy(&e, g(t, USED + 4 + 8ULL * (t->used_seen % QSIZE), 8),
		       8);
		t->used_seen++;
		ck_assert_uint_lt(e.id, QSIZE);
		ck_assert_uint_le(e.len, BUF_LEN);
		ck_assert_uint_le(off + e.len, len);
		memcpy(got + off, g(t, BUFS + (uint64_t)e.id * BUF_LEN, e.len),
		       e.len);
		off += e.len;
	}
	ck_assert_uint_eq(off, len);
	memcpy(&hdr, got, HDR);
	ck_assert_uint_eq(hdr.num_buffers, bufs);
	hdr.num_buffers = 0;
	memcpy(got, &hdr, HDR);
	ck_assert_int_eq(memcmp(got, want, len), 0);
	free(want);
	free(got);
}

/* Big, small, medium: each from the buffers right after the last. */
START_TEST(rx_frames_of_mixed_sizes)
{
	struct rxt t;

	setup(&t);
	post_many(&t, 0, 64, BUF_LEN);
	send_frame(&t, 60000 + HDR, 1);
	send_frame(&t, 100, 2);
	send_frame(&t, 30000, 3);
	ck_assert_uint_eq(run_rx(&t) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(t.kept_len, 0);
	ck_assert_uint_eq(used_idx(&t), 15 + 1 + 8);
	expect_frame(&t, 60000 + HDR, 1, 15);
	expect_frame(&t, 100, 2, 1);
	expect_frame(&t, 30000, 3, 8);
	/* read straight into the buffers, but for the third frame's rest past
	 * the one 4 KiB buffer a 100-byte frame asked for */
	ck_assert_uint_eq(t.copied, 30000 - BUF_LEN);
	/* the chains popped for a big frame and not used went back */
	ck_assert_uint_eq(t.vq.last_avail, 24);
	teardown(&t);
}
END_TEST

/* After a small frame only one buffer is read into; the rest is copied. */
START_TEST(rx_bigger_frame_than_the_last)
{
	struct rxt t;

	setup(&t);
	post_many(&t, 0, 64, BUF_LEN);
	send_frame(&t, 200, 4);
	send_frame(&t, 40000, 5);
	send_frame(&t, 65536 + 14 + HDR, 6); /* the largest GSO frame */
	run_rx(&t);
	ck_assert_uint_eq(t.kept_len, 0);
	expect_frame(&t, 200, 4, 1);
	expect_frame(&t, 40000, 5, 10);
	expect_frame(&t, 65536 + 14 + HDR, 6, 17);
	/* only what went past the buffers popped for the last frame's size */
	ck_assert_uint_eq(t.copied, (40000 - BUF_LEN) +
					    (65536 + 14 + HDR - 10 * BUF_LEN));
	teardown(&t);
}
END_TEST

/* Too few buffers: nothing used, the frame kept whole, then delivered. */
START_TEST(rx_frame_waits_for_buffers)
{
	struct rxt t;

	setup(&t);
	post_many(&t, 0, 3, BUF_LEN);
	send_frame(&t, 20000, 7);
	run_rx(&t);
	ck_assert_uint_eq(used_idx(&t), 0);
	ck_assert_uint_eq(t.vq.last_avail, 0);
	ck_assert_uint_eq(t.kept_len, 20000);
	ck_assert_uint_eq(t.copied, 0);
	/* the guest writes into its buffers meanwhile: no matter */
	memset(g(&t, BUFS, 3 * BUF_LEN), 0xee, 3 * BUF_LEN);
	post_many(&t, 3, 5, BUF_LEN);
	send_frame(&t, 300, 8);
	run_rx(&t);
	ck_assert_uint_eq(t.kept_len, 0);
	expect_frame(&t, 20000, 7, 5);
	expect_frame(&t, 300, 8, 1);
	ck_assert_uint_eq(t.copied, 20000); /* the kept one; 300 read in */
	teardown(&t);
}
END_TEST

/* A chain of more segments than one readv takes goes the copying way. */
START_TEST(rx_chain_of_1024_segments)
{
	struct rxt t;
	uint16_t *ring;
	uint16_t one = 1;
	struct vring_used_elem e;
	uint8_t want[600], got[600];

	setup(&t);
	for (unsigned int i = 0; i < 1024; i++)
		put_desc(&t, INDIRECT, i, TINY + 64ULL * i, 64,
			 VRING_DESC_F_WRITE |
				 (i < 1023 ? VRING_DESC_F_NEXT : 0),
			 i + 1);
	put_desc(&t, DESC, 0, INDIRECT, 1024 * 16, VRING_DESC_F_INDIRECT, 0);
	ring = g(&t, AVAIL + 4, 2);
	ring[0] = 0;
	t.avail_idx = 1;
	memcpy(g(&t, AVAIL + 2, 2), &one, 2);
	send_frame(&t, sizeof(want), 9);
	ck_assert_uint_eq(run_rx(&t) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(used_idx(&t), 1);
	memcpy(&e, g(&t, USED + 4, 8), 8);
	ck_assert_uint_eq(e.id, 0);
	ck_assert_uint_eq(e.len, sizeof(want));
	ck_assert_uint_eq(t.copied, sizeof(want)); /* the copying path */
	memcpy(got, g(&t, TINY, sizeof(got)), sizeof(got));
	frame(want, sizeof(want), 9);
	ck_assert_uint_eq(got[10], 1); /* num_buffers */
	got[10] = 0;
	ck_assert_int_eq(memcmp(got, want, sizeof(want)), 0);
	teardown(&t);
}
END_TEST

/* A frame no full ring of tiny buffers holds is dropped, not kept. */
START_TEST(rx_frame_larger_than_the_ring)
{
	struct rxt t;

	setup(&t);
	post_many(&t, 0, QSIZE, 16);
	send_frame(&t, 5000, 11);
	send_frame(&t, 16, 12);
	ck_assert_uint_eq(run_rx(&t) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(t.kept_len, 0);
	ck_assert_uint_eq(used_idx(&t), 1);
	expect_frame(&t, 16, 12, 1);
	teardown(&t);
}
END_TEST

/*
 * A chain whose segments add up to more than 4 GiB (they may overlap: each
 * one only has to lie in guest RAM): 2 * 0xbff00000 + 0x8020000a bytes is
 * 10 more than 2^33, so anything keeping the length in 32 bits sees 10
 * bytes of room.  The frame must still land in it whole.
 */
START_TEST(rx_chain_longer_than_4_gib)
{
	struct rxt t;
	struct vring_used_elem e;
	uint8_t want[200];
	uint16_t one = 1, *ring;

	setup_mem(&t, 0xc0000000ULL); /* 3 GiB, reserved lazily */
	put_desc(&t, DESC, 0, BUFS, 0xbff00000,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(&t, DESC, 1, BUFS, 0xbff00000,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	put_desc(&t, DESC, 2, BUFS, 0x8020000a, VRING_DESC_F_WRITE, 0);
	ring = g(&t, AVAIL + 4, 2);
	ring[0] = 0;
	t.avail_idx = 1;
	memcpy(g(&t, AVAIL + 2, 2), &one, 2);
	post_many(&t, 3, 8, BUF_LEN);
	send_frame(&t, sizeof(want), 13);
	ck_assert_uint_eq(run_rx(&t) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(t.kept_len, 0);
	ck_assert_uint_eq(used_idx(&t), 1);
	memcpy(&e, g(&t, USED + 4, 8), 8);
	ck_assert_uint_eq(e.id, 0);
	ck_assert_uint_eq(e.len, sizeof(want));
	ck_assert_uint_eq(t.copied, sizeof(want)); /* the copying path */
	frame(want, sizeof(want), 13);
	want[10] = 1; /* num_buffers */
	ck_assert_int_eq(memcmp(g(&t, BUFS, sizeof(want)), want, sizeof(want)),
			 0);
	teardown(&t);
}
END_TEST

/* A first buffer too small for the header: NEEDS_RESET, nothing used. */
START_TEST(rx_buffer_smaller_than_the_header)
{
	struct rxt t;

	setup(&t);
	post(&t, 0, HDR - 4);
	post(&t, 1, BUF_LEN);
	send_frame(&t, 100, 10);
	ck_assert_uint_ne(run_rx(&t) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(used_idx(&t), 0);
	teardown(&t);
}
END_TEST

Suite *virtio_net_rx_suite(void)
{
	Suite *s = suite_create("virtio_net_rx");
	TCase *tc = tcase_create("rx");

	tcase_add_test(tc, rx_frames_of_mixed_sizes);
	tcase_add_test(tc, rx_bigger_frame_than_the_last);
	tcase_add_test(tc, rx_frame_waits_for_buffers);
	tcase_add_test(tc, rx_chain_of_1024_segments);
	tcase_add_test(tc, rx_frame_larger_than_the_ring);
	tcase_add_test(tc, rx_chain_longer_than_4_gib);
	tcase_add_test(tc, rx_buffer_smaller_than_the_header);
	suite_add_tcase(s, tc);
	return s;
}
