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
 * one driver-ring entry and one notification per batch.  Completions are
 * polled in memory (no exit per poll).  Writes end with a FLUSH (when
 * offered), counted in the time.
 *
 * A 64-bit guest: device discovery and bring-up run at CPL0, the timed
 * loop (submissions, used-ring polling, notifications, PM timer reads)
 * at CPL3 through run_user() with IOPL 3.  On a kvm_pvm host CPL0 code
 * runs in KVM's instruction emulator (~0.5 MIPS) and CPL3 code natively,
 * so at CPL0 the guest's own per-request work would be most of what is
 * measured; at CPL3 it costs what it costs on hardware, and the figures
 * are the VMM's.  On hardware KVM the CPL makes no difference.
 *
 * Prints "BENCH done N requests ... ticks T" (T: ACPI PM timer ticks at
 * 3.579545 MHz from the first submission to the last completion), then
 * powers off in a way both kvmini and QEMU q35 understand (see
 * poweroff_any).  Buffers live past the 64-bit runtime's CPL3 stack and AP
 * stacks (lib/cpu.h) and are never cleared, so setup costs the same
 * whatever bs and qd are.
 */
#include "args.h"
#include "bench_clock.h"
#include "blk_common.h"
#include "cpu.h"
#include "io.h"
#include "serial.h"

#define MAX_QD	     64
#define BUF_BASE     0x02000000u /* past the AP stacks (lib/cpu.h) */
#define STALL_S	     10		 /* no completion for 10 s: give up */
#define CHECKS_PER_S 500	 /* idle polls between stall checks: 2 ms */

/* what the CPL3 loop hands back through run_user() (0: an exception) */
#define LOOP_OK	  1
#define LOOP_FAIL 2

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

/* TSC to PM ticks (bench_clock.h) */
static struct bclock clk;

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

/*
 * The CPL3 part.  No port I/O there (kvm_pvm raises #GP for in/out at
 * CPL3, IOPL or not): the clock is the TSC (bench_clock.h), the
 * notifications are MMIO, and failures are recorded for CPL0 to print.
 */
enum loop_fail {
	LF_NONE,
	LF_BAD_ID,
	LF_STATUS,
	LF_STALL,
	LF_FLUSH_STALL,
	LF_FLUSH
};
static struct {
	enum loop_fail why;
	uint32_t a, b;
} fail;
static uint32_t submitted, completed, polls_per_check, loop_cpl;
static uint64_t span_cycles, flush_cycles, check_cycles, stall_cycles;

static int loop_failed(enum loop_fail why, uint32_t a, uint32_t b)
{
	fail.why = why;
	fail.a = a;
	fail.b = b;
	return -1;
}

/* idle polls of the used ring that take 1/CHECKS_PER_S s at the speed
 * this code runs at: the stall check (an rdtsc) comes every that many
 * polls, neither every microsecond natively nor every few seconds in an
 * emulator */
static uint32_t calibrate_polls(struct virtq *vq)
{
	uint32_t n, i;
	uint64_t t;

	for (n = 256;; n *= 2) {
		t = rdtsc();
		for (i = 0; i < n; i++)
			if (virtq_pending(vq)) /* nothing submitted yet */
				break;
		if (rdtsc() - t >= check_cycles || n >= (1u << 28))
			return n;
	}
}

/* every completion: a head in flight with status OK; then the slot is
 * reused for the next request.  0, or -1 (fail says why) */
static int reap(struct blk *b, uint32_t *kicks)
{
	uint32_t id, len, i;

	while (virtq_get_used(&b->vq, &id, &len)) {
		struct slot *s;

		i = id / 3;
		if (id % 3 || i >= p.qd || !slots[i].busy)
			return loop_failed(LF_BAD_ID, id, 0);
		s = &slots[i];
		s->busy = 0;
		if (*s->status != VIRTIO_BLK_S_OK)
			return loop_failed(LF_STATUS, completed, *s->status);
		completed++;
		if (submitted < p.count) {
			submit(b, i);
			submitted++;
			(*kicks)++;
		}
	}
	return 0;
}

/* every polls_per_check polls: 1 if nothing moved for STALL_S seconds */
static int stalled(uint64_t *progress, int *moved)
{
	uint64_t now = rdtsc();

	if (*moved) {
		*moved = 0;
		*progress = now;
	}
	return now - *progress > stall_cycles;
}

static int io_loop(struct blk *b, uint64_t start)
{
	uint32_t i, polls = 0;
	uint64_t progress = start;
	int moved = 0;

	for (i = 0; i < p.qd && submitted < p.count; i++, submitted++)
		submit(b, i);
	if (submitted)
		vpci_kick(&b->vp, &b->vq);

	while (completed < p.count) {
		uint32_t n = 0, got = completed;

		if (reap(b, &n))
			return -1;
		if (n)
			vpci_kick(&b->vp, &b->vq);
		if (completed != got)
			moved = 1;
		if (++polls >= polls_per_check) {
			polls = 0;
			if (stalled(&progress, &moved))
				return loop_failed(LF_STALL, completed,
						   submitted);
		}
	}
	return 0;
}

/* a 2-descriptor chain past the slots' with slot 0's header and status
 * (idle now); polled like the rest, since flushing a writeback cache may
 * take longer than blk_io waits */
static int flush(struct blk *b)
{
	uint16_t d = (uint16_t)(3 * p.qd);
	uint32_t id, len, polls = 0;
	uint64_t start, progress;
	int moved = 0;

	slots[0].hdr->type = VIRTIO_BLK_T_FLUSH;
	slots[0].hdr->sector = 0;
	*slots[0].status = BLK_STATUS_UNTOUCHED;
	virtq_set_desc(&b->vq, d, (uintptr_t)slots[0].hdr,
		       sizeof(*slots[0].hdr), VIRTQ_DESC_F_NEXT, d + 1);
	virtq_set_desc(&b->vq, d + 1, (uintptr_t)slots[0].status, 1,
		       VIRTQ_DESC_F_WRITE, 0);
	start = progress = rdtsc();
	virtq_publish(&b->vq, d);
	vpci_kick(&b->vp, &b->vq);
	while (!virtq_get_used(&b->vq, &id, &len)) {
		if (++polls >= polls_per_check) {
			polls = 0;
			if (stalled(&progress, &moved))
				return loop_failed(LF_FLUSH_STALL, 0, 0);
		}
	}
	if (id != d || *slots[0].status != VIRTIO_BLK_S_OK)
		return loop_failed(LF_FLUSH, id, *slots[0].status);
	flush_cycles = rdtsc() - start;
	return 0;
}

/* the timed part, run at CPL3 */
static uint64_t timed_loop(uint64_t unused)
{
	struct blk *b = &blk;
	uint64_t start;

	(void)unused;
	loop_cpl = current_cpl();
	polls_per_check = calibrate_polls(&b->vq);
	start = rdtsc();
	if (io_loop(b, start))
		return LOOP_FAIL;
	if (p.mode == SEQWRITE && p.count &&
	    (b->vp.features & VIRTIO_BLK_F_FLUSH) && flush(b))
		return LOOP_FAIL;
	span_cycles = rdtsc() - start;
	return LOOP_OK;
}

static void print_fail(void)
{
	switch (fail.why) {
	case LF_BAD_ID:
		printf("completion with used id %u: not a head in flight\n",
		       fail.a);
		break;
	case LF_STATUS:
		printf("request %u: status %u (%s)\n", fail.a, fail.b,
		       fail.b == BLK_STATUS_UNTOUCHED
			       ? "not written"
			       : blk_result_name((int)fail.b));
		break;
	case LF_STALL:
		printf("stalled: %u of %u requests completed, %u submitted\n",
		       fail.a, p.count, fail.b);
		break;
	case LF_FLUSH_STALL:
		printf("flush: no completion in %u s\n", STALL_S);
		break;
	case LF_FLUSH:
		printf("flush: used id %u, status %u\n", fail.a, fail.b);
		break;
	case LF_NONE:
		puts("the CPL3 loop failed for no recorded reason\n");
		break;
	}
}

/* parameters, device bring-up, the slots' chains: at CPL0 */
static int setup(const struct hvm_start_info *si)
{
	struct blk *b = &blk;
	uint32_t type, i;
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
		printf("buffers need RAM up to %x, have %llx\n", bufend,
		       (unsigned long long)top);
		return -1;
	}
	printf("BENCH mode=%s bs=%u count=%u qd=%u\n",
	       p.mode == SEQREAD    ? "seqread"
	       : p.mode == SEQWRITE ? "seqwrite"
				    : "randread",
	       p.bs, p.count, p.qd);

	pci_assign_bars(VIRTIO_PCI_VENDOR, VIRTIO_ID_BLOCK_PCI);
	if (blk_find(b, 256))
		return -1;
	if (blk_start(b, VIRTIO_BLK_F_FLUSH))
		return -1;
	if (b->vq.size < 3 * p.qd + 2) { /* + the FLUSH chain */
		printf("queue size %u: too small for qd %u\n", b->vq.size,
		       p.qd);
		return -1;
	}
	if ((b->capacity >> (bs_shift - 9)) == 0) {
		printf("disk of %llu sectors is smaller than bs\n",
		       (unsigned long long)b->capacity);
		return -1;
	}
	nblocks = (b->capacity >> (bs_shift - 9)) > 0xffffffffULL
			  ? 0xffffffffu
			  : (uint32_t)(b->capacity >> (bs_shift - 9));
	printf("capacity %llu sectors, queue size %u\n",
	       (unsigned long long)b->capacity, b->vq.size);
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
			       VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN
							    ? VIRTQ_DESC_F_WRITE
							    : 0),
			       d + 2);
		virtq_set_desc(&b->vq, d + 2, (uintptr_t)s->status, 1,
			       VIRTQ_DESC_F_WRITE, 0);
	}
	/* written data: a stamp per sector rather than whatever RAM holds
	 * (a full fill would cost the emulator a lot at CPL0) */
	if (p.mode == SEQWRITE)
		for (i = 0; i < p.qd * p.bs; i += SECTOR_SIZE)
			*(volatile uint32_t *)(uintptr_t)(BUF_BASE + i) =
				0x4b564d00u ^ i;

	/* polled: no used-buffer notifications, please (2.7.7) */
	b->vq.avail->flags = 1; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	return 0;
}

static int run(const struct hvm_start_info *si)
{
	uint64_t r;

	if (setup(si))
		return -1;
	bclock_start(&clk);
	check_cycles = clk.cycles_per_sec / CHECKS_PER_S;
	stall_cycles = clk.cycles_per_sec * STALL_S;
	/* no interrupts (everything is polled), no IOPL (see above) */
	r = run_user(timed_loop, 0, 0, 0);
	bclock_finish(&clk);
	if (user_fault_vector >= 0) {
		printf("the CPL3 loop ended with exception %d\n",
		       user_fault_vector);
		return -1;
	}
	if (r != LOOP_OK) {
		print_fail();
		return -1;
	}
	printf("BENCH done %u requests of %u bytes ticks %llu flush_ticks %llu "
	       "cpl %u check_polls %u tsc_hz %llu\n",
	       completed, p.bs,
	       (unsigned long long)bclock_ticks(&clk, span_cycles),
	       (unsigned long long)bclock_ticks(&clk, flush_cycles), loop_cpl,
	       polls_per_check, (unsigned long long)clk.cycles_per_sec);
	return 0;
}

int main(const struct hvm_start_info *si)
{
	if (run(si))
		puts("BENCH FAIL\n");
	poweroff_any((uint16_t)p.exitport);
}
