/*
 * virtio-blk against hostile descriptor chains.  Each case runs on a
 * freshly reset device: build a bad chain by hand, publish it, kick, and
 * poll (bounded) until the device either completes it or sets
 * DEVICE_NEEDS_RESET.  What counts as handled depends on the case:
 *
 *   VALID  the status byte is reachable and writable: the device must
 *          answer IOERR or UNSUPP (or set DEVICE_NEEDS_RESET)
 *   ANY    the chain is broken but has a status byte: IOERR, UNSUPP,
 *          completing without a status, or DEVICE_NEEDS_RESET
 *   NONE   no usable status byte (unreachable, outside RAM, or
 *          device-readable): complete without writing it, or
 *          DEVICE_NEEDS_RESET
 *
 * A timeout (neither) fails, so does OK, a second completion, or a write
 * into a buffer marked device-readable.  After each case the device is
 * reset and must read sector 0 correctly again.  Nothing here may change
 * the disk: guest-tests/run.sh compares the image with a copy.
 *
 * Last, reset_in_flight: several large reads are handed over and the
 * device is reset at once, likely while the host still reads (kvmini's
 * io_uring path): after the reset the device must not write guest memory,
 * so buffers and status bytes refilled after it must stay as they are.
 */
#include "blk_common.h"
#include "serial.h"

enum mode { VALID, ANY, NONE, GOOD };

struct ctx {
	struct blk *b;
	uint64_t outside; /* guest-physical, below 4 GiB, not RAM */
	uint64_t ram_end; /* end of RAM below 4 GiB */
	uint8_t *data;	  /* 4 KiB, preset to 0xa5 */
	struct virtq_desc *table, *table2;
};

struct hcase {
	const char *name;
	enum mode mode;
	uint16_t (*build)(struct ctx *c);
	uint8_t indirect;    /* needs VIRTIO_F_RING_INDIRECT_DESC */
	uint8_t ro_data;     /* data buffer is device-readable: must stay 0xa5 */
	uint8_t ro_status;   /* status is device-readable: must stay 0xff */
};

#define W    VIRTQ_DESC_F_WRITE
#define N    VIRTQ_DESC_F_NEXT
#define IND  VIRTQ_DESC_F_INDIRECT
#define HOLE 0xfff00000ULL /* in the MMIO hole, below the LAPIC page */
#define ADDR(p) ((uint64_t)(uintptr_t)(p))

static void d(struct ctx *c, uint16_t i, uint64_t addr, uint32_t len,
	      uint16_t flags, uint16_t next)
{
	virtq_set_desc(&c->b->vq, i, addr, len, flags, next);
}

static void t(struct virtq_desc *tab, uint16_t i, uint64_t addr, uint32_t len,
	      uint16_t flags, uint16_t next)
{
	tab[i] = (struct virtq_desc){ addr, len, flags, next };
}

/* header (type, sector), data (addr, len, flags), status: descriptors 0..2 */
static uint16_t req(struct ctx *c, uint32_t type, uint64_t sector,
		    uint64_t addr, uint32_t len, uint16_t dflags)
{
	blk_set_hdr(c->b, type, sector);
	d(c, 0, ADDR(c->b->hdr), 16, N, 1);
	d(c, 1, addr, len, dflags | N, 2);
	d(c, 2, ADDR(c->b->status), 1, W, 0);
	return 0;
}

/* (1) loops */
static uint16_t loop3(struct ctx *c)
{
	req(c, VIRTIO_BLK_T_IN, 0, ADDR(c->data), 512, W);
	d(c, 2, ADDR(c->b->status), 1, W | N, 0);
	return 0;
}

static uint16_t self_loop(struct ctx *c)
{
	blk_set_hdr(c->b, VIRTIO_BLK_T_IN, 0);
	d(c, 0, ADDR(c->b->hdr), 16, N, 0);
	return 0;
}

/* (2) buffers outside guest RAM */
static uint16_t in_beyond_ram(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_IN, 0, c->outside, 512, W);
}

static uint16_t in_straddles_ram_end(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_IN, 0, c->ram_end - 256, 512, W);
}

static uint16_t in_mmio_hole(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_IN, 0, HOLE, 512, W);
}

/* DMA into the device's own registers (its common config in the BAR) */
static uint16_t in_own_bar(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_IN, 0, c->b->vp.common.addr, 512, W);
}

static uint16_t in_addr_64bit(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_IN, 0, 0xffffffffffff0000ULL, 512, W);
}

static uint16_t out_mmio_hole(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_OUT, 9, HOLE, 512, 0);
}

static uint16_t hdr_outside(struct ctx *c)
{
	req(c, VIRTIO_BLK_T_IN, 0, ADDR(c->data), 512, W);
	d(c, 0, HOLE, 16, N, 1);
	return 0;
}

static uint16_t status_outside(struct ctx *c)
{
	req(c, VIRTIO_BLK_T_IN, 0, ADDR(c->data), 512, W);
	d(c, 2, c->outside, 1, W, 0);
	return 0;
}

/* (3) addr + len wraps past 2^64 (to 0x100, which is RAM) */
static uint16_t in_wraps(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_IN, 0, 0xffffffffffffff00ULL, 512, W);
}

static uint16_t out_wraps(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_OUT, 9, 0xffffffffffffff00ULL, 512, 0);
}

/* (4) buffers the device must write, marked device-readable (and the
 * reverse: OUT data marked device-writable) */
static uint16_t in_data_readable(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_IN, 0, ADDR(c->data), 512, 0);
}

static uint16_t get_id_readable(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_GET_ID, 0, ADDR(c->data), 20, 0);
}

static uint16_t out_data_writable(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_OUT, 9, ADDR(c->data), 512, W);
}

static uint16_t status_readable(struct ctx *c)
{
	req(c, VIRTIO_BLK_T_IN, 0, ADDR(c->data), 512, W);
	d(c, 2, ADDR(c->b->status), 1, 0, 0);
	return 0;
}

static uint16_t writable_first(struct ctx *c)
{
	blk_set_hdr(c->b, VIRTIO_BLK_T_IN, 0);
	d(c, 0, ADDR(c->data), 512, W | N, 1);
	d(c, 1, ADDR(c->b->hdr), 16, N, 2);
	d(c, 2, ADDR(c->b->status), 1, W, 0);
	return 0;
}

/* (5) indirect tables */
static uint16_t ind_table(struct ctx *c, uint64_t addr, uint32_t len)
{
	d(c, 0, addr, len, IND, 0);
	return 0;
}

static void ind_fill(struct ctx *c)
{
	blk_set_hdr(c->b, VIRTIO_BLK_T_IN, 0);
	t(c->table, 0, ADDR(c->b->hdr), 16, N, 1);
	t(c->table, 1, ADDR(c->data), 512, W | N, 2);
	t(c->table, 2, ADDR(c->b->status), 1, W, 0);
}

static uint16_t ind_good(struct ctx *c)
{
	ind_fill(c);
	return ind_table(c, ADDR(c->table), 48);
}

static uint16_t ind_len_40(struct ctx *c)
{
	ind_fill(c);
	return ind_table(c, ADDR(c->table), 40);
}

static uint16_t ind_len_0(struct ctx *c)
{
	ind_fill(c);
	return ind_table(c, ADDR(c->table), 0);
}

static uint16_t ind_nested(struct ctx *c)
{
	ind_fill(c);
	t(c->table2, 0, ADDR(c->data), 512, W, 0);
	t(c->table, 1, ADDR(c->table2), 16, IND | N, 2);
	return ind_table(c, ADDR(c->table), 48);
}

static uint16_t ind_outside(struct ctx *c)
{
	return ind_table(c, c->outside, 48);
}

static uint16_t ind_wraps(struct ctx *c)
{
	return ind_table(c, 0xfffffffffffffff0ULL, 48);
}

static uint16_t ind_loop(struct ctx *c)
{
	ind_fill(c);
	t(c->table, 2, ADDR(c->b->status), 1, W | N, 0);
	return ind_table(c, ADDR(c->table), 48);
}

static uint16_t ind_next_past_table(struct ctx *c)
{
	ind_fill(c);
	t(c->table, 1, ADDR(c->data), 512, W | N, 7);
	return ind_table(c, ADDR(c->table), 48);
}

/* (6) indexes past the queue size */
static uint16_t head_past_size(struct ctx *c)
{
	return c->b->vq.size;
}

static uint16_t head_ffff(struct ctx *c)
{
	(void)c;
	return 0xffff;
}

static uint16_t next_past_size(struct ctx *c)
{
	req(c, VIRTIO_BLK_T_IN, 0, ADDR(c->data), 512, W);
	d(c, 0, ADDR(c->b->hdr), 16, N, c->b->vq.size + 3);
	return 0;
}

/* (7) writes past the end of the disk */
static uint16_t out_huge_at_end(struct ctx *c)
{
	uint64_t len = c->ram_end - 0x400000 - 0x100000;

	if (len > 0x1000000)
		len = 0x1000000;
	return req(c, VIRTIO_BLK_T_OUT, c->b->capacity - 1, 0x400000,
		   (uint32_t)len & ~511u, 0);
}

static uint16_t out_straddles_end(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_OUT, c->b->capacity - 1, ADDR(c->data),
		   1024, 0);
}

static uint16_t out_at_capacity(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_OUT, c->b->capacity, ADDR(c->data), 512, 0);
}

static uint16_t out_sector_max(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_OUT, ~0ULL, ADDR(c->data), 512, 0);
}

/* sector * 512 == 2^64: wraps to byte offset 0 */
static uint16_t out_sector_wraps(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_OUT, 1ULL << 55, ADDR(c->data), 512, 0);
}

static uint16_t out_len_4g(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_OUT, 1, 0x400000, 0xfffffe00u, 0);
}

static uint16_t in_len_4g(struct ctx *c)
{
	return req(c, VIRTIO_BLK_T_IN, 0, 0x400000, 0xfffffe00u, W);
}

static const struct hcase cases[] = {
	{ "loop_3", ANY, loop3, 0, 0, 0 },
	{ "loop_self", NONE, self_loop, 0, 0, 0 },
	{ "in_beyond_ram", VALID, in_beyond_ram, 0, 0, 0 },
	{ "in_straddles_ram_end", VALID, in_straddles_ram_end, 0, 0, 0 },
	{ "in_mmio_hole", VALID, in_mmio_hole, 0, 0, 0 },
	{ "in_own_bar", VALID, in_own_bar, 0, 0, 0 },
	{ "in_addr_64bit", VALID, in_addr_64bit, 0, 0, 0 },
	{ "out_mmio_hole", VALID, out_mmio_hole, 0, 0, 0 },
	{ "hdr_outside_ram", VALID, hdr_outside, 0, 0, 0 },
	{ "status_outside_ram", NONE, status_outside, 0, 0, 0 },
	{ "in_addr_len_wraps", VALID, in_wraps, 0, 0, 0 },
	{ "out_addr_len_wraps", VALID, out_wraps, 0, 0, 0 },
	{ "in_data_readable", VALID, in_data_readable, 0, 1, 0 },
	{ "get_id_readable", VALID, get_id_readable, 0, 1, 0 },
	{ "out_data_writable", VALID, out_data_writable, 0, 0, 0 },
	{ "status_readable", NONE, status_readable, 0, 0, 1 },
	{ "writable_before_readable", ANY, writable_first, 0, 0, 0 },
	{ "indirect_good", GOOD, ind_good, 1, 0, 0 },
	{ "indirect_len_40", ANY, ind_len_40, 1, 0, 0 },
	{ "indirect_len_0", NONE, ind_len_0, 1, 0, 0 },
	{ "indirect_nested", ANY, ind_nested, 1, 0, 0 },
	{ "indirect_outside_ram", NONE, ind_outside, 1, 0, 0 },
	{ "indirect_addr_wraps", NONE, ind_wraps, 1, 0, 0 },
	{ "indirect_loop", ANY, ind_loop, 1, 0, 0 },
	{ "indirect_next_past_end", NONE, ind_next_past_table, 1, 0, 0 },
	{ "head_past_queue_size", NONE, head_past_size, 0, 0, 0 },
	{ "head_ffff", NONE, head_ffff, 0, 0, 0 },
	{ "next_past_queue_size", NONE, next_past_size, 0, 0, 0 },
	{ "out_huge_at_end", VALID, out_huge_at_end, 0, 0, 0 },
	{ "out_straddles_end", VALID, out_straddles_end, 0, 0, 0 },
	{ "out_at_capacity", VALID, out_at_capacity, 0, 0, 0 },
	{ "out_sector_max", VALID, out_sector_max, 0, 0, 0 },
	{ "out_sector_wraps", VALID, out_sector_wraps, 0, 0, 0 },
	{ "out_len_4g", VALID, out_len_4g, 0, 0, 0 },
	{ "in_len_4g", VALID, in_len_4g, 0, 0, 0 },
};

#define WANTED (VIRTIO_F_RING_INDIRECT_DESC | VIRTIO_BLK_F_SEG_MAX | \
		VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_BLK_SIZE)
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct blk blk;

static int all(const uint8_t *p, uint8_t v, uint32_t n)
{
	while (n--)
		if (*p++ != v)
			return 0;
	return 1;
}

/* the outcome of one case, or 0 if it is handled */
static const char *judge(const struct hcase *hc, struct ctx *c, int r)
{
	struct blk *b = c->b;

	if (hc->ro_data && !all(c->data, 0xa5, 512))
		return "the device wrote into a device-readable data buffer";
	if (hc->ro_status && *b->status != BLK_STATUS_UNTOUCHED)
		return "the device wrote into a device-readable status byte";
	if (hc->mode == GOOD && r != VIRTIO_BLK_S_OK)
		return "a valid request did not complete with OK";
	if (r == BLK_NEEDS_RESET)
		return 0;
	if (r == BLK_TIMEOUT)
		return "neither completed nor DEVICE_NEEDS_RESET within 0.5 s";
	if (virtq_pending(&b->vq))
		return "more than one used entry for one chain";
	switch (hc->mode) {
	case GOOD:
		if (check_sector0(c->data))
			return "a valid request returned wrong data";
		return 0;
	case VALID:
		if (r == VIRTIO_BLK_S_IOERR || r == VIRTIO_BLK_S_UNSUPP)
			return 0;
		return r == BLK_NO_STATUS ? "completed without writing the status"
					  : "wanted IOERR, UNSUPP or DEVICE_NEEDS_RESET";
	case ANY:
		if (r == VIRTIO_BLK_S_IOERR || r == VIRTIO_BLK_S_UNSUPP ||
		    r == BLK_NO_STATUS)
			return 0;
		return "wanted IOERR, UNSUPP or DEVICE_NEEDS_RESET";
	case NONE:
		if (r == BLK_NO_STATUS)
			return 0;
		return "wrote a status byte it could not have found";
	}
	return "?";
}

/* reset, bring up, read sector 0: 0 if the device works */
static int recover(struct ctx *c)
{
	struct blk *b = c->b;

	if (blk_start(b, WANTED))
		return -1;
	memset(c->data, 0, 512);
	return blk_io(b, VIRTIO_BLK_T_IN, 0, c->data, 512, 1) ==
			       VIRTIO_BLK_S_OK &&
		       !check_sector0(c->data)
		       ? 0
		       : -1;
}

#define FLIGHT	    5
#define FLIGHT_LEN  (256u * 1024)
#define FLIGHT_FILL 0x5a

/*
 * Right after the reset: the buffers whose start still holds the fill
 * (their read had not written them) must keep it for 200 ms: a read that
 * ends later wrote guest memory after the reset.
 */
static const char *check_unchanged(uint8_t *bufs)
{
	unsigned int unread = 0;
	struct pm_clock clk;

	for (unsigned int i = 0; i < FLIGHT; i++)
		if (bufs[i * FLIGHT_LEN] == FLIGHT_FILL)
			unread |= 1u << i;
	barrier();
	pm_clock_start(&clk);
	do
		pm_clock_sample(&clk);
	while (clk.ticks < PM_TMR_HZ / 5); /* 200 ms */
	barrier();
	for (unsigned int i = 0; i < FLIGHT; i++)
		if ((unread & (1u << i)) && bufs[i * FLIGHT_LEN] != FLIGHT_FILL)
			return "a read in flight at the reset wrote guest memory "
			       "after the device said it was reset";
	return 0;
}

/* after the reset: nothing of the old requests may land anymore */
static const char *check_quiet(uint8_t *bufs, uint8_t *status)
{
	struct pm_clock clk;

	memset(bufs, FLIGHT_FILL, FLIGHT * FLIGHT_LEN);
	memset(status, FLIGHT_FILL, FLIGHT);
	barrier();
	pm_clock_start(&clk);
	do
		pm_clock_sample(&clk);
	while (clk.ticks < PM_TMR_HZ / 5); /* 200 ms */
	barrier();
	if (!all(bufs, FLIGHT_FILL, FLIGHT * FLIGHT_LEN))
		return "a read handed over before the reset wrote guest memory "
		       "after it";
	if (!all(status, FLIGHT_FILL, FLIGHT))
		return "a status byte was written after the reset";
	return 0;
}

/*
 * With EVENT_IDX the device publishes avail_event (after used->ring[size])
 * as it takes chains: wait until it took all @n (at most 1 s), then count
 * those not completed yet: in the device's hands.
 */
static unsigned int taken_not_done(struct virtq *vq, uint16_t n)
{
	volatile uint16_t *avail_event =
		(volatile uint16_t *)&vq->used->ring[vq->size];
	struct pm_clock clk;

	pm_clock_start(&clk);
	do
		pm_clock_sample(&clk);
	while (*avail_event != n && clk.ticks < PM_TMR_HZ);
	barrier();
	return (uint16_t)(n - vq->used->idx);
}

static int reset_in_flight(struct ctx *c)
{
	struct blk *b = c->b;
	struct virtio_blk_hdr *hdr = dma_alloc(4096, 4096);
	uint8_t *status = (uint8_t *)(hdr + FLIGHT);
	uint8_t *bufs = dma_alloc(FLIGHT * FLIGHT_LEN, 4096);
	const char *bad = 0;
	unsigned int in_flight;
	uint16_t head;

	/* EVENT_IDX: the device says when it has taken the requests */
	if (blk_start(b, WANTED | VIRTIO_F_RING_EVENT_IDX))
		return -1;
	for (unsigned i = 0; i < FLIGHT; i++) {
		struct vq_buf chain[3] = {
			{ ADDR(&hdr[i]), sizeof(hdr[i]), 0 },
			{ ADDR(bufs + i * FLIGHT_LEN), FLIGHT_LEN, VIRTQ_DESC_F_WRITE },
			{ ADDR(&status[i]), 1, VIRTQ_DESC_F_WRITE },
		};

		hdr[i] = (struct virtio_blk_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
		status[i] = BLK_STATUS_UNTOUCHED;
		/* a read that ends overwrites this with sector 0's pattern */
		memset(bufs + i * FLIGHT_LEN, FLIGHT_FILL, 8);
		head = virtq_add_chain(&b->vq, chain, 3);
		virtq_publish(&b->vq, head);
	}
	vpci_kick(&b->vp, &b->vq);
	/* reset as soon as the device took them: reads still in its hands */
	in_flight = taken_not_done(&b->vq, FLIGHT);
	/* the reset alone, and at once the reads it returned before: the
	 * device must have finished (or dropped) them all by then */
	if (vpci_reset(&b->vp))
		bad = "the reset did not complete";
	if (!bad)
		bad = check_unchanged(bufs);
	/* printed only now: the console's port I/O takes milliseconds */
	printf("reset_in_flight: %u of %u reads in flight at the reset\n",
	       in_flight, FLIGHT);
	if (!bad && blk_start(b, WANTED))
		bad = "bring-up after the reset failed";
	if (!bad)
		bad = check_quiet(bufs, status);
	printf("%s reset_in_flight            %s%s\n", bad ? "FAIL case" : "case",
	       bad ? ": " : "", bad ? bad : "quiet after the reset");
	if (recover(c)) {
		printf("FAIL case reset_in_flight: the device does not work "
		       "after it\n");
		return -1;
	}
	return bad ? -1 : 0;
}

int main(const struct hvm_start_info *si)
{
	struct blk *b = &blk;
	struct ctx c = { .b = b };
	unsigned i, run = 0, failed = 0;

	c.ram_end = ram_top(si);
	if (c.ram_end < 0x2000000 || c.ram_end > 0xc0000000) {
		printf("FAIL virtio_blk_hostile: RAM end %llx (run with --mem "
		       "32M..3G)\n",
		       c.ram_end);
		return 1;
	}
	c.outside = (c.ram_end + 0x1fffff) & ~0xfffffULL;
	if (c.outside >= 0xc0000000)
		c.outside = HOLE;
	printf("RAM ends at %llx; outside-RAM address %llx\n", c.ram_end,
	       c.outside);
	c.data = dma_alloc(4096, 4096);
	c.table = dma_alloc(4096, 4096);
	c.table2 = dma_alloc(4096, 4096);

	if (blk_find(b, 16) || recover(&c)) {
		puts("FAIL virtio_blk_hostile: the device does not work to "
		     "begin with\n");
		return 1;
	}
	print_features(b);

	for (i = 0; i < NCASES; i++) {
		const struct hcase *hc = &cases[i];
		const char *bad;
		uint16_t head;
		int r;

		if (hc->indirect &&
		    !(b->vp.features & VIRTIO_F_RING_INDIRECT_DESC)) {
			printf("case %-26s skipped: no RING_INDIRECT_DESC\n",
			       hc->name);
			continue;
		}
		run++;
		if (blk_start(b, WANTED)) {
			printf("FAIL case %s: bring-up\n", hc->name);
			failed++;
			continue;
		}
		memset(c.data, 0xa5, 4096);
		memset(c.table, 0, 4096);
		memset(c.table2, 0, 4096);
		head = hc->build(&c);
		r = blk_submit(b, head, 500);
		bad = judge(hc, &c, r);
		printf("%s %-26s %s", bad ? "FAIL case" : "case", hc->name,
		       blk_result_name(r));
		if (r != BLK_TIMEOUT && r != BLK_NEEDS_RESET) {
			printf(" (used id %u len %u)", b->used_id, b->used_len);
		}
		if (bad)
			printf(": %s", bad);
		if (recover(&c)) {
			printf("%sthe device does not work after a reset",
			       bad ? "; " : ": ");
			bad = "no recovery";
		}
		putc('\n');
		if (bad)
			failed++;
	}
	run++;
	if (reset_in_flight(&c))
		failed++;
	if (failed) {
		printf("FAIL virtio_blk_hostile: %u of %u cases failed\n", failed,
		       run);
		return 1;
	}
	printf("PASS virtio_blk_hostile (%u cases)\n", run);
	return 0;
}
