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
 * bench_poweroff).  Buffers live above the runtime's DMA arena and are
 * never cleared, so setup costs the same whatever bs and qd are.
 */
#include "blk_common.h"
#include "io.h"
#include "serial.h"

#define ACPI_PM1_CNT 0x604 /* kvmini, and QEMU q35 (ICH9 PMBASE 0x600) */
#define ACPI_PM_TMR  0x608
#define SLP_EN	     (1 << 13)
#define MAX_QD	     64
#define BUF_BASE     0x01400000u /* past DMA_END (0x01200000) */
#define STALL_TICKS  (10u * 3579545u) /* no completion for 10 s: give up */

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

/* PM timer, 24 or 32 bits: accumulate masked deltas, sampled often */
static uint32_t tmr_last, ticks;

static void tmr_sample(void)
{
	uint32_t now = inl(ACPI_PM_TMR);

	ticks += (now - tmr_last) & 0xffffff;
	tmr_last = now;
}

static int streq(const char *a, const char *b, uint32_t n)
{
	return strlen(b) == n && memcmp(a, b, n) == 0;
}

/* decimal or 0x hex, optional K/M suffix; 0 and *ok = 0 on junk */
static uint32_t parse_num(const char *s, uint32_t n, int *ok)
{
	uint32_t v = 0, base = 10, i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, i = 2;
	if (i == n)
		*ok = 0;
	for (; i < n; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else if ((c == 'K' || c == 'k') && i + 1 == n)
			return v << 10;
		else if ((c == 'M' || c == 'm') && i + 1 == n)
			return v << 20;
		else {
			*ok = 0;
			return 0;
		}
		v = v * base + d;
	}
	return v;
}

/* key=value words; unknown keys (console=..., from a default command
 * line) are ignored, bad values are not */
static int parse_cmdline(const char *c)
{
	while (c && *c) {
		const char *w = c, *eq = 0;
		uint32_t n = 0, kn, v;
		int ok = 1;

		while (w[n] && w[n] != ' ') {
			if (w[n] == '=' && !eq)
				eq = w + n;
			n++;
		}
		c = w[n] ? w + n + 1 : w + n;
		if (!n || !eq)
			continue;
		kn = (uint32_t)(eq - w);
		if (streq(w, "mode", kn)) {
			if (streq(eq + 1, "seqread", n - kn - 1))
				p.mode = SEQREAD;
			else if (streq(eq + 1, "seqwrite", n - kn - 1))
				p.mode = SEQWRITE;
			else if (streq(eq + 1, "randread", n - kn - 1))
				p.mode = RANDREAD;
			else {
				puts("mode: want seqread, seqwrite or randread\n");
				return -1;
			}
			continue;
		}
		v = parse_num(eq + 1, n - kn - 1, &ok);
		if (streq(w, "bs", kn))
			p.bs = v;
		else if (streq(w, "count", kn))
			p.count = v;
		else if (streq(w, "qd", kn))
			p.qd = v;
		else if (streq(w, "seed", kn))
			p.seed = v ? v : 1;
		else if (streq(w, "exitport", kn))
			p.exitport = v;
		if (!ok) {
			printf("bad value in '%s'\n", w);
			return -1;
		}
	}
	return 0;
}

/*
 * Power off on kvmini (SLP_TYP 5 = its \_S5) and on QEMU q35 (SLP_TYP 0 is
 * QEMU's \_S5; it ignores 5, kvmini ignores 0).  exitport=PORT adds a
 * write there (QEMU's isa-debug-exit) as a last resort.
 */
static void __attribute__((noreturn)) bench_poweroff(void)
{
	outw(ACPI_PM1_CNT, (5 << 10) | SLP_EN);
	outw(ACPI_PM1_CNT, (0 << 10) | SLP_EN);
	if (p.exitport)
		outb((uint16_t)p.exitport, 0);
	for (;;)
		__asm__ __volatile__("cli; hlt");
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
 * Firmware that leaves BARs unassigned (QEMU's qboot, which tools/bench.sh
 * prefers to SeaBIOS because it boots in well under a second here): place
 * the device's unassigned memory BARs from 0xc0000000 up, size-aligned,
 * past any BAR already there.  kvmini assigns every BAR itself, so there
 * this changes nothing.
 */
static void assign_bars(void)
{
	struct pci_dev d;
	struct pci_bar bar;
	uint32_t next = 0xc0000000u;
	int n, step;

	if (!pci_find(VIRTIO_PCI_VENDOR, VIRTIO_ID_BLOCK_PCI, &d))
		return;
	for (n = 0; n < 6; n += step) {
		step = pci_bar(&d, n, &bar);
		if (bar.size && !bar.io && bar.base &&
		    bar.base + bar.size > next && bar.base < 0xfec00000u)
			next = (uint32_t)(bar.base + bar.size);
	}
	for (n = 0; n < 6; n += step) {
		uint32_t base;

		step = pci_bar(&d, n, &bar);
		if (!bar.size || bar.io || bar.base || bar.size > 0x10000000u)
			continue;
		base = (next + (uint32_t)bar.size - 1) & ~((uint32_t)bar.size - 1);
		pci_write32(&d, (uint8_t)(PCI_BAR0 + 4 * n),
			    base | (pci_read32(&d, (uint8_t)(PCI_BAR0 + 4 * n)) &
				    0xf));
		if (bar.mem64)
			pci_write32(&d, (uint8_t)(PCI_BAR0 + 4 * n + 4), 0);
		printf("assigned BAR%d at %x (size %llx)\n", n, base, bar.size);
		next = base + (uint32_t)bar.size;
	}
}

static int run(const struct hvm_start_info *si)
{
	struct blk *b = &blk;
	uint32_t type, i, submitted = 0, completed = 0, polls = 0;
	uint32_t since_progress = 0, flush_ticks = 0;
	uint64_t top = ram_top(si);
	uint32_t bufend;

	if (si->magic == HVM_START_MAGIC && si->cmdline_paddr &&
	    si->cmdline_paddr < 0x100000000ULL &&
	    parse_cmdline((const char *)(uintptr_t)si->cmdline_paddr))
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

	assign_bars();
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
	tmr_last = inl(ACPI_PM_TMR);
	ticks = 0;
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
			uint32_t before = ticks;

			polls = 0;
			tmr_sample();
			if (!got && (since_progress += ticks - before) >
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
		tmr_sample();
		before = ticks;
		since_progress = 0;
		virtq_publish(&b->vq, d);
		vpci_kick(&b->vp, &b->vq);
		while (!virtq_get_used(&b->vq, &id, &len)) {
			if (++polls >= 2048) {
				uint32_t t = ticks;

				polls = 0;
				tmr_sample();
				if ((since_progress += ticks - t) > STALL_TICKS) {
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
		tmr_sample();
		flush_ticks = ticks - before;
	}
	tmr_sample();
	printf("BENCH done %u requests of %u bytes ticks %u flush_ticks %u\n",
	       completed, p.bs, ticks, flush_ticks);
	return 0;
}

int main(const struct hvm_start_info *si)
{
	if (run(si))
		puts("BENCH FAIL\n");
	bench_poweroff();
}
