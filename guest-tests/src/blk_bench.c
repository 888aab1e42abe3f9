/*
 * virtio-blk benchmark guest (tools/bench.sh): I/O on the first virtio-blk
 * disk with parameters from the kernel command line, e.g.
 *
 *   mode=seqread bs=1048576 count=256 qd=1
 *
 *   mode   seqread | seqwrite | randread (4 KiB-aligned random blocks of bs)
 *   bs     bytes per request: a power of 2, 512 .. 1 MiB (default 4096)
 *   count  requests in all; 0 is the baseline: boot, find and start the
 *          device, set up the buffers, power off
 *   qd     requests kept in flight, 1 .. 64 (default 1)
 *   seed   for randread (default 1)
 *
 * Not a test: no data is checked, only every completion (used id, status
 * byte).  Each in-flight slot owns a fixed 3-descriptor chain (header,
 * data, status) set up once, so a request costs the guest a header update,
 * one driver-ring entry and one notification per batch: this guest runs in
 * KVM's instruction emulator on PVM hosts, where every instruction counts.
 * Completions are polled in memory (no exit per poll).  Writes end with a
 * FLUSH (when offered), counted in the time.
 *
 * Prints "BENCH done N requests ... ticks T" (T: ACPI PM timer ticks at
 * 3.579545 MHz from the first submission to the last completion), then
 * powers off in a way both kvmini and QEMU q35 understand (see
 * poweroff_any).  Buffers live above the runtime's DMA arena and are
 * never cleared, so setup costs the same whatever bs and qd are.
 */
#include "args.h"
#include "blk_common.h"
#include "io.h"
#include "serial.h"

#define MAX_QD	     64
#define BUF_BASE     0x01400000u /* past DMA_END (0x01200000) */
#define STALL_TICKS  (10u * PM_TMR_HZ) /* no completion for 10 s: give up */

enum mode { SEQREAD, SEQWRITE, RANDREAD };

static struct {
	enum mode mode;
	uint32_t bs, count, qd, seed, exitport;
} p = { SEQREAD, 4096, 0, 1, 1, 0 };

static struct blk blk;

struct slot {
	struct virtio_blk_hdr *hdr;
	volatile uint8_t *status;
	uint8_t *buf;
	int busy;
};
static struct slot slots[MAX_QD];

/* PM timer, sampled often */
static struct pm_clock tmr;

/* key=value words; unknown keys (console=..., from a default command
 * line) are ignored, bad values are not */
static int parse_cmdline(const char *c)
{
	struct arg a;

	while (arg_next(&c, &a)) {
		uint32_t v;
		int ok = 1;

		if (!a.val)
			continue;
		if (arg_eq(a.word, a.klen, "mode")) {
			if (arg_eq(a.val, a.vlen, "seqread"))
				p.mode = SEQREAD;
			else if (arg_eq(a.val, a.vlen, "seqwrite"))
				p.mode = SEQWRITE;
			else if (arg_eq(a.val, a.vlen, "randread"))
				p.mode = RANDREAD;
			else {
				puts("mode: want seqread, seqwrite or randread\n");
				return -1;
			}
			continue;
		}
		v = arg_num(a.val, a.vlen, &ok);
		if (arg_eq(a.word, a.klen, "bs"))
			p.bs = v;
		else if (arg_eq(a.word, a.klen, "count"))
			p.count = v;
		else if (arg_eq(a.word, a.klen, "qd"))
			p.qd = v;
		else if (arg_eq(a.word, a.klen, "seed"))
			p.seed = v ? v : 1;
		else if (arg_eq(a.word, a.klen, "exitport"))
			p.exitport = v;
		if (!ok) {
			printf("bad value in '%s'\n", a.word);
			return -1;
		}
	}
	return 0;
}

static uint32_t log2u(uint32_t v)
{
	uint32_t s = 0;

	while ((1u << s) < v)
		s++;
	return s;
}

static uint32_t rnd_state;

static uint32_t xorshift32(void)
{
	uint32_t x = rnd_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rnd_state = x;
}

/* where the next request goes */
static uint64_t seq_next; /* in bs units */
static uint32_t nblocks;  /* whole bs blocks on the disk (capped at 2^32-1) */
static uint32_t bs_shift;

static uint64_t next_sector(void)
{
	uint64_t blkno;

	if (p.mode == RANDREAD) {
		/* a power of 2 range would be cheaper; modulo is fine */
		blkno = xorshift32() % nblocks;
	} else {
		blkno = seq_next++;
		if (seq_next >= nblocks)
			seq_next = 0;
	}
	return blkno << (bs_shift - 9);
}

static void submit(struct blk *b, uint32_t i)
{
	struct slot *s = &slots[i];

	s->hdr->sector = next_sector();
	*s->status = BLK_STATUS_UNTOUCHED;
	s->busy = 1;
	virtq_publish(&b->vq, (uint16_t)(3 * i));
}

static int run(const struct hvm_start_info *si)
{
	struct blk *b = &blk;
	uint32_t type, i, submitted = 0, completed = 0, polls = 0;
	uint32_t since_progress = 0, flush_ticks = 0;
	uint64_t top = ram_top(si);
	uint32_t bufend;

	if (parse_cmdline(pvh_cmdline(si)))
		return -1;
	if (p.bs < 512 || p.bs > (1u << 20) || (p.bs & (p.bs - 1))) {
		printf("bs %u: want a power of 2 from 512 to 1048576\n", p.bs);
		return -1;
	}
	if (p.qd < 1 || p.qd > MAX_QD) {
		printf("qd %u: want 1..%u\n", p.qd, MAX_QD);
		return -1;
	}
	bs_shift = log2u(p.bs);
	bufend = BUF_BASE + p.qd * p.bs;
	if (top && bufend > top) {
		printf("buffers need RAM up to %x, have %llx\n", bufend, top);
		return -1;
	}
	printf("BENCH mode=%s bs=%u count=%u qd=%u\n",
	       p.mode == SEQREAD ? "seqread" :
	       p.mode == SEQWRITE ? "seqwrite" : "randread",
	       p.bs, p.count, p.qd);

	pci_assign_bars(VIRTIO_PCI_VENDOR, VIRTIO_ID_BLOCK_PCI);
	if (blk_find(b, 256))
		return -1;
	if (blk_start(b, VIRTIO_BLK_F_FLUSH))
		return -1;
	if (b->vq.size < 3 * p.qd + 2) { /* + the FLUSH chain */
		printf("queue size %u: too small for qd %u\n", b->vq.size, p.qd);
		return -1;
	}
	if ((b->capacity >> (bs_shift - 9)) == 0) {
		printf("disk of %llu sectors is smaller than bs\n", b->capacity);
		return -1;
	}
	nblocks = (b->capacity >> (bs_shift - 9)) > 0xffffffffULL
			  ? 0xffffffffu
			  : (uint32_t)(b->capacity >> (bs_shift - 9));
	printf("capacity %llu sectors, queue size %u\n", b->capacity,
	       b->vq.size);
	rnd_state = p.seed;

	/* slot i: descriptors 3i (header), 3i+1 (data), 3i+2 (status) */
	type = p.mode == SEQWRITE ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	for (i = 0; i < p.qd; i++) {
		struct slot *s = &slots[i];
		uint16_t d = (uint16_t)(3 * i);

		s->hdr = dma_alloc(sizeof(*s->hdr), 16);
		s->status = dma_alloc(1, 16);
		s->buf = (uint8_t *)(uintptr_t)(BUF_BASE + i * p.bs);
		s->hdr->type = type;
		s->hdr->reserved = 0;
		virtq_set_desc(&b->vq, d, (uintptr_t)s->hdr, sizeof(*s->hdr),
			       VIRTQ_DESC_F_NEXT, d + 1);
		virtq_set_desc(&b->vq, d + 1, (uintptr_t)s->buf, p.bs,
			       VIRTQ_DESC_F_NEXT |
				       (type == VIRTIO_BLK_T_IN
						? VIRTQ_DESC_F_WRITE
						: 0),
			       d + 2);
		virtq_set_desc(&b->vq, d + 2, (uintptr_t)s->status, 1,
			       VIRTQ_DESC_F_WRITE, 0);
	}
	/* written data: a stamp per sector rather than whatever RAM holds
	 * (a full fill would cost the emulator a lot) */
	if (p.mode == SEQWRITE)
		for (i = 0; i < p.qd * p.bs; i += SECTOR_SIZE)
			*(volatile uint32_t *)(uintptr_t)(BUF_BASE + i) =
				0x4b564d00u ^ i;

	/* polled: no used-buffer notifications, please (2.7.7) */
	b->vq.avail->flags = 1; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	pm_clock_start(&tmr);
	for (i = 0; i < p.qd && submitted < p.count; i++, submitted++)
		submit(b, i);
	if (submitted)
		vpci_kick(&b->vp, &b->vq);

	while (completed < p.count) {
		uint32_t id, len, n = 0, got = completed;

		while (virtq_get_used(&b->vq, &id, &len)) {
			struct slot *s;

			i = id / 3;
			if (id % 3 || i >= p.qd || !slots[i].busy) {
				printf("completion with used id %u: not a "
				       "head in flight\n", id);
				return -1;
			}
			s = &slots[i];
			s->busy = 0;
			if (*s->status != VIRTIO_BLK_S_OK) {
				printf("request %u: status %u (%s)\n",
				       completed, *s->status,
				       *s->status == BLK_STATUS_UNTOUCHED
					       ? "not written"
					       : blk_result_name(*s->status));
				return -1;
			}
			completed++;
			if (submitted < p.count) {
				submit(b, i);
				submitted++;
				n++;
			}
		}
		if (n)
			vpci_kick(&b->vp, &b->vq);
		got = completed - got;
		if (got)
			since_progress = 0;
		/* sample the timer (an exit to the VMM) now and then: often
		 * enough for a 24-bit counter (4.7 s), rarely enough to cost
		 * nothing measurable */
		if ((got && (completed & 63) < got) || ++polls >= 2048) {
			uint32_t before = tmr.ticks;

			polls = 0;
			pm_clock_sample(&tmr);
			if (!got && (since_progress += tmr.ticks - before) >
					    STALL_TICKS) {
				printf("stalled: %u of %u requests completed, "
				       "%u submitted\n",
				       completed, p.count, submitted);
				return -1;
			}
		}
	}
	if (p.mode == SEQWRITE && p.count &&
	    (b->vp.features & VIRTIO_BLK_F_FLUSH)) {
		/* a 2-descriptor chain past the slots' with slot 0's header
		 * and status (idle now); polled like the rest, since flushing
		 * a writeback cache may take longer than blk_io waits */
		uint16_t d = (uint16_t)(3 * p.qd);
		uint32_t before, id, len;

		slots[0].hdr->type = VIRTIO_BLK_T_FLUSH;
		slots[0].hdr->sector = 0;
		*slots[0].status = BLK_STATUS_UNTOUCHED;
		virtq_set_desc(&b->vq, d, (uintptr_t)slots[0].hdr,
			       sizeof(*slots[0].hdr), VIRTQ_DESC_F_NEXT, d + 1);
		virtq_set_desc(&b->vq, d + 1, (uintptr_t)slots[0].status, 1,
			       VIRTQ_DESC_F_WRITE, 0);
		pm_clock_sample(&tmr);
		before = tmr.ticks;
		since_progress = 0;
		virtq_publish(&b->vq, d);
		vpci_kick(&b->vp, &b->vq);
		while (!virtq_get_used(&b->vq, &id, &len)) {
			if (++polls >= 2048) {
				uint32_t t = tmr.ticks;

				polls = 0;
				pm_clock_sample(&tmr);
				if ((since_progress += tmr.ticks - t) >
				    STALL_TICKS) {
					puts("flush: no completion in 10 s\n");
					return -1;
				}
			}
		}
		if (id != d || *slots[0].status != VIRTIO_BLK_S_OK) {
			printf("flush: used id %u, status %u\n", id,
			       *slots[0].status);
			return -1;
		}
		pm_clock_sample(&tmr);
		flush_ticks = tmr.ticks - before;
	}
	pm_clock_sample(&tmr);
	printf("BENCH done %u requests of %u bytes ticks %u flush_ticks %u\n",
	       completed, p.bs, tmr.ticks, flush_ticks);
	return 0;
}

int main(const struct hvm_start_info *si)
{
	if (run(si))
		puts("BENCH FAIL\n");
	poweroff_any((uint16_t)p.exitport);
}
