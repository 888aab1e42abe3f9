/*
 * virtio-net benchmark guest (tools/bench.sh): Ethernet frames between the
 * guest and the host peer on the other end of the tap (tools/bench/netpeer,
 * inside the bench's own network namespace).  Parameters on the kernel
 * command line, e.g.
 *
 *   mode=tx size=1514 count=20000 batch=32
 *
 *   mode   tx  send count frames of size bytes as fast as the transmit
 *              ring allows (the peer counts them)
 *          rx  count frames of size bytes that the peer injects as fast as
 *              it can, from the first one seen to the count-th after it
 *          rr  request/response: send one frame of size bytes, wait for
 *              the peer's echo, repeat count times (after warmup more)
 *   size   frame bytes without the 12-byte virtio header: 60 .. 1514
 *          (default 1514; no FCS)
 *   count  frames (tx, rx) or round trips (rr)
 *   batch  descriptors handed back to the device at once, with one
 *          notification: 1 .. 128 (default 32)
 *   warmup round trips not counted (rr; default 16)
 *
 * Not a test: the frames are not checked beyond the used ring's ids (tx),
 * lengths (rx, rr: "bad" counts frames of another length).  Everything
 * per frame is kept to a few instructions, because on a PVM host this
 * guest's code runs in KVM's instruction emulator: both rings are laid out
 * once with driver-ring entry i naming descriptor i (one buffer each), so
 * handing k buffers to the device is one store to avail->idx and one
 * notification.  Completions are polled in memory (no exit per poll,
 * VIRTQ_AVAIL_F_NO_INTERRUPT on both queues); only VERSION_1 and MAC are
 * negotiated (no offloads, no mergeable buffers, no EVENT_IDX).
 *
 * A 64-bit guest: device discovery and bring-up run at CPL0, the timed
 * loops at CPL3 through run_user(), natively on a kvm_pvm host, whose
 * instruction emulator runs CPL0 code at ~0.5 MIPS (docs/bench.md).
 * kvm_pvm gives CPL3 no IOPL, so the CPL3 code does no port I/O: no
 * printf (failures are recorded and printed at CPL0) and no PM timer.
 *
 * Timing.  The TSC, read at CPL3 (natively on kvm_pvm too; neither VMM
 * sees it; tsc64 below says what it costs), converted to ACPI PM timer ticks
 * (3.579545 MHz) with a rate measured against the PM timer at CPL0 from before
 * the timed work to after it (bench_clock.h).  A PM timer read is an exit to
 * the VMM, whose cost depends on the VMM and on what else it is doing (QEMU
 * serves it under the global lock that its I/O thread holds while it moves
 * frames: on the PVM development machine a read took ~10 us on an idle QEMU and
 * ~50 us in the middle of a round-trip run, ~10 us on kvmini), so none sits in
 * the timed work.  Loops look at the TSC (for the stall checks) every "check"
 * polls, a number calibrated at CPL3 to take 5-10 ms.
 *
 * Prints "BENCH net ready ..." once the device is up (the peer starts then)
 * and "BENCH done mode=M frames=N size=S ticks=T ..." at the end, T in PM
 * timer ticks: tx from the first notification to the count-th completion,
 * rx from the first frame seen to the count-th after it, rr the sum of the
 * counted round trips, each from just before the request is made
 * available to just after its echo is seen (one rdtsc is inside every
 * round trip).  rr also prints rtt_p50, rtt_p99, rtt_min, rtt_max in
 * ticks (a round trip over 4.58 ms counts as that in the percentiles:
 * "over" says how many); all print tsc64 and tmr64, the ticks that 64
 * rdtsc and 64 PM timer reads take.  Then powers off the way blk_bench
 * does (kvmini and QEMU q35).
 */
#include "args.h"
#include "bench_clock.h"
#include "cpu.h"
#include "io.h"
#include "net_frame.h"
#include "runtime.h"
#include "serial.h"
#include "virtio_net.h"

#define QSIZE	    256
#define RXBUF	    1536 /* >= 12 + 1514 */
/* in the 64-bit runtime's CPL3 scratch (lib/cpu.h): never cleared, so
 * setup costs the same for any size */
#define RX_BASE	    0x01400000u
#define TX_BASE	    (RX_BASE + QSIZE * RXBUF)
#define HIST_BASE   0x01480000u
#define HIST_FINE   16384 /* one bin per tick: 0 .. 4.58 ms */
#define HIST_COARSE (HIST_FINE / 256)
#define HIST_END    (HIST_BASE + 4 * (HIST_FINE + HIST_COARSE))
#define STALL_S	    10 /* no progress for 10 s: give up */
#define FIRST_S	    60 /* rx: the first frame, 60 s */

enum mode { TX, RX, RR };

static struct {
	enum mode mode;
	uint32_t size, count, batch, warmup, exitport;
} p = { TX, NF_MAX_LEN, 0, 32, 16, 0 };

static struct net net;
static uint16_t mask;

/* calibration: TSC cycles per PM tick, times 16; per second; polls per
 * check; what 64 rdtsc (at CPL3) and 64 PM timer reads (at CPL0) take,
 * in ticks */
static uint32_t cpt16, polls_per_check, tsc64, tmr64;
static uint64_t sec_cycles;
static struct bclock clk;

/* the timed span, in TSC cycles */
static uint64_t span_tsc, span_cycles, tsc_progress;
static int moved;

/* why the CPL3 part failed: a printf format with up to two numbers,
 * printed at CPL0 */
static struct {
	const char *fmt;
	uint32_t a, b;
} fail;

static int failed(const char *fmt, uint32_t a, uint32_t b)
{
	fail.fmt = fmt;
	fail.a = a;
	fail.b = b;
	return -1;
}

/* a timed span starts */
static void span_start(void)
{
	span_tsc = tsc_progress = rdtsc();
	moved = 0;
}

static void span_end(void)
{
	span_cycles = rdtsc() - span_tsc;
}

/* every polls_per_check polls: 1 if nothing moved (moved = 1 from the
 * loop) for limit_s seconds */
static int check(uint32_t limit_s)
{
	uint64_t now = rdtsc();

	if (moved) {
		moved = 0;
		tsc_progress = now;
	}
	return now - tsc_progress > limit_s * sec_cycles;
}

/* TSC cycles to PM ticks; 0xffffffff if over 2^28 cycles */
static inline uint32_t cycles_to_ticks(uint32_t c)
{
	return c < (1u << 28) ? (c << 4) / cpt16 : 0xffffffffu;
}

static volatile uint16_t *volatile spin_idx;

/* CPL0: the TSC rate against the PM timer (bench_clock.h), and what a PM
 * timer read costs */
static void calibrate_clock(void)
{
	uint32_t t0, t1 = 0, i;

	bclock_start(&clk);
	sec_cycles = clk.cycles_per_sec;
	cpt16 = (uint32_t)(sec_cycles * 16 / PM_TMR_HZ);
	if (!cpt16)
		cpt16 = 1;
	t0 = inl(ACPI_PM_TMR);
	for (i = 0; i < 64; i++)
		t1 = inl(ACPI_PM_TMR);
	tmr64 = (t1 - t0) & 0xffffff;
}

/* CPL3: polls, the rx loop's read of the used index, doubled until they
 * take 5 ms at the speed the timed loops run at; what rdtsc costs there */
static uint64_t calibrate_polls(uint64_t unused)
{
	uint32_t n, i;
	uint64_t c0, c1 = 0;

	(void)unused;
	spin_idx = &net.rx.used->idx;
	for (n = 16;; n *= 2) {
		uint16_t last = *spin_idx;

		c0 = rdtsc();
		for (i = 0; i < n; i++)
			if (*spin_idx != last)
				break;
		c1 = rdtsc();
		if (c1 - c0 >= sec_cycles / 200 || n >= (1u << 30))
			break;
	}
	polls_per_check = n;
	c0 = rdtsc();
	for (i = 0; i < 64; i++)
		c1 = rdtsc();
	tsc64 = cycles_to_ticks((uint32_t)(c1 - c0));
	return current_cpl();
}

/* key=value words; unknown keys are ignored, bad values are not */
static int parse_cmdline(const char *c)
{
	struct arg a;

	while (arg_next(&c, &a)) {
		uint32_t v;
		int ok = 1;

		if (!a.val)
			continue;
		if (arg_eq(a.word, a.klen, "mode")) {
			if (arg_eq(a.val, a.vlen, "tx"))
				p.mode = TX;
			else if (arg_eq(a.val, a.vlen, "rx"))
				p.mode = RX;
			else if (arg_eq(a.val, a.vlen, "rr"))
				p.mode = RR;
			else {
				puts("mode: want tx, rx or rr\n");
				return -1;
			}
			continue;
		}
		v = arg_num(a.val, a.vlen, &ok);
		if (arg_eq(a.word, a.klen, "size"))
			p.size = v;
		else if (arg_eq(a.word, a.klen, "count"))
			p.count = v;
		else if (arg_eq(a.word, a.klen, "batch"))
			p.batch = v;
		else if (arg_eq(a.word, a.klen, "warmup"))
			p.warmup = v;
		else if (arg_eq(a.word, a.klen, "exitport"))
			p.exitport = v;
		if (!ok) {
			printf("bad value in '%s'\n", a.word);
			return -1;
		}
	}
	return 0;
}

/* the notification address of a queue, computed once */
static volatile uint16_t *notify_addr(struct virtq *vq)
{
	return (volatile uint16_t *)(net.vp.notify.addr +
				     (uint32_t)vq->notify_off *
					     net.vp.notify_mult);
}

static volatile uint16_t *tx_notify, *rx_notify;

static inline void kick(volatile uint16_t *addr, uint16_t q)
{
	barrier();
	*addr = q;
}

/* what the timed part found, printed at CPL0 */
static uint32_t frames, rtt_p50, rtt_p99, rtt_min, rtt_max, rtt_over;
static uint64_t rtt_sum; /* cycles */

static int run_tx(void)
{
	volatile struct virtq_used *u = net.tx.used;
	volatile uint16_t *aidx = &net.tx.avail->idx;
	uint32_t pub = 0, done = 0, polls = 0;
	uint16_t last = 0;

	span_start();
	while (done < p.count) {
		uint16_t now = u->idx;
		uint32_t freed;

		if (now != last) {
			uint16_t e = (uint16_t)(now - 1) & mask;

			barrier();
			if (u->ring[e].id != e)
				return failed("tx: used id %u at %u: not in "
					      "order\n",
					      u->ring[e].id, e);
			done += (uint16_t)(now - last);
			last = now;
			moved = 1;
		}
		freed = net.tx.size - (pub - done);
		if (pub < p.count &&
		    (freed >= p.batch || freed >= p.count - pub)) {
			pub += freed < p.count - pub ? freed : p.count - pub;
			barrier();
			*aidx = (uint16_t)pub;
			kick(tx_notify, NET_TXQ);
		}
		if (++polls >= polls_per_check) {
			polls = 0;
			if (check(STALL_S))
				return failed("stalled: tx, %u of %u done\n",
					      done, p.count);
		}
	}
	span_end();
	frames = done;
	return 0;
}

/* rx and rr: hand consumed receive buffers back once batch of them are */
static uint32_t rx_posted, rx_got, rx_bad;
static uint16_t rx_last;

static inline void rx_repost(void)
{
	if (rx_got + net.rx.size - rx_posted >= p.batch) {
		rx_posted = rx_got + net.rx.size;
		barrier();
		net.rx.avail->idx = (uint16_t)rx_posted;
		kick(rx_notify, NET_RXQ);
	}
}

/* new frames since the last look: their number; checks the last one's
 * length */
static inline uint32_t rx_poll(void)
{
	uint16_t now = net.rx.used->idx;
	uint32_t n;

	if (now == rx_last)
		return 0;
	barrier();
	if (net.rx.used->ring[(uint16_t)(now - 1) & mask].len !=
	    VNET_HDR_LEN + p.size)
		rx_bad++;
	n = (uint16_t)(now - rx_last);
	rx_last = now;
	rx_got += n;
	return n;
}

static int run_rx(void)
{
	uint32_t polls = 0, start;

	/* the first frame, however long the peer takes to start */
	span_start();
	while (!rx_poll()) {
		if (++polls >= polls_per_check) {
			polls = 0;
			if (check(FIRST_S))
				return failed("rx: no frame from the peer in "
					      "%u s\n",
					      FIRST_S, 0);
		}
	}
	span_start();
	start = rx_got;
	rx_bad = 0;
	while (rx_got - start < p.count) {
		if (rx_poll())
			moved = 1;
		rx_repost();
		if (++polls >= polls_per_check) {
			polls = 0;
			if (check(STALL_S))
				return failed("stalled: rx, %u of %u done\n",
					      rx_got - start, p.count);
		}
	}
	span_end();
	frames = rx_got - start;
	return 0;
}

/* round-trip times: one bin per tick below HIST_FINE, plus coarse bins
 * of 256 for finding a rank quickly; beyond: only counted */
static volatile uint32_t *const fine = (volatile uint32_t *)HIST_BASE;
static volatile uint32_t *const coarse =
	(volatile uint32_t *)(HIST_BASE + 4 * HIST_FINE);

/* the value of rank r (1-based); past the fine bins: HIST_FINE */
static uint32_t rank_value(uint32_t r)
{
	uint32_t c = 0, i = 0, j;

	for (i = 0; i < HIST_COARSE; i++) {
		if (c + coarse[i] >= r)
			break;
		c += coarse[i];
	}
	if (i == HIST_COARSE)
		return HIST_FINE;
	for (j = i * 256; j < (i + 1) * 256; j++) {
		c += fine[j];
		if (c >= r)
			return j;
	}
	return HIST_FINE;
}

static int run_rr(void)
{
	volatile struct virtq_used *txu = net.tx.used;
	volatile uint16_t *aidx = &net.tx.avail->idx;
	volatile uint16_t *ridx = &net.rx.used->idx;
	uint32_t pub = 0, it, total = p.warmup + p.count, d, polls, i;
	uint32_t mn = 0xffffffffu, mx = 0, over = 0;
	uint64_t c0, c1;

	memset((void *)HIST_BASE, 0, HIST_END - HIST_BASE);
	span_start();
	for (it = 0; it < total; it++) {
		/* the echo of the previous request means its transmit chain
		 * is done on both VMMs; wait anyway if the ring is full */
		polls = 0;
		while ((uint16_t)((uint16_t)pub - txu->idx) >= net.tx.size) {
			if (++polls >= polls_per_check) {
				polls = 0;
				if (check(STALL_S))
					return failed("rr: transmit ring "
						      "stuck\n",
						      0, 0);
			}
		}
		/* the timed part: as few instructions as can be */
		pub++;
		c0 = rdtsc();
		*aidx = (uint16_t)pub;
		kick(tx_notify, NET_TXQ);
		for (;;) {
			for (i = polls_per_check; i && *ridx == rx_last; i--)
				;
			if (i)
				break;
			if (check(STALL_S))
				return failed("rr: no echo for round trip %u "
					      "in %u s\n",
					      it, STALL_S);
		}
		c1 = rdtsc();
		rx_poll();
		moved = 1;
		rx_repost();
		if (it < p.warmup)
			continue;
		rtt_sum += c1 - c0;
		d = cycles_to_ticks(c1 - c0 > 0xffffffffu
					    ? 0xffffffffu
					    : (uint32_t)(c1 - c0));
		if (d < mn)
			mn = d;
		if (d > mx)
			mx = d;
		if (d < HIST_FINE) {
			fine[d]++;
			coarse[d >> 8]++;
		} else {
			over++;
		}
	}
	span_end();
	frames = p.count;
	rtt_p50 = rank_value((p.count + 1) / 2);
	rtt_p99 = rank_value(p.count - p.count / 100);
	rtt_min = mn;
	rtt_max = mx;
	rtt_over = over;
	return 0;
}

/* the timed part, at CPL3: LOOP_OK, or LOOP_FAIL with fail set */
#define LOOP_OK	  1
#define LOOP_FAIL 2
static uint64_t timed_part(uint64_t unused)
{
	int r;

	(void)unused;
	if (p.mode == TX)
		r = run_tx();
	else if (p.mode == RX)
		r = run_rx();
	else
		r = run_rr();
	return r ? LOOP_FAIL : LOOP_OK;
}

/* CPL0, after bclock_finish */
static void print_done(void)
{
	uint64_t ticks = bclock_ticks(&clk, span_cycles);

	switch (p.mode) {
	case TX:
		printf("BENCH done mode=tx frames=%u size=%u ticks=%llu "
		       "tsc64=%u tmr64=%u\n",
		       frames, p.size, (unsigned long long)ticks, tsc64, tmr64);
		break;
	case RX:
		printf("BENCH done mode=rx frames=%u size=%u ticks=%llu bad=%u "
		       "tsc64=%u tmr64=%u\n",
		       frames, p.size, (unsigned long long)ticks, rx_bad, tsc64,
		       tmr64);
		break;
	case RR:
		if (rx_got != p.warmup + p.count)
			printf("rr: %u frames received for %u requests\n",
			       rx_got, p.warmup + p.count);
		printf("BENCH done mode=rr frames=%u size=%u ticks=%llu "
		       "rtt_p50=%u rtt_p99=%u rtt_min=%u rtt_max=%u over=%u "
		       "bad=%u tsc64=%u tmr64=%u\n",
		       frames, p.size,
		       (unsigned long long)bclock_ticks(&clk, rtt_sum), rtt_p50,
		       rtt_p99, rtt_min, rtt_max, rtt_over, rx_bad, tsc64,
		       tmr64);
		break;
	}
}

/* a run_user() that did not come back with what it should: -1 */
static int user_failed(void)
{
	if (user_fault_vector >= 0)
		printf("exception %d at CPL3\n", user_fault_vector);
	return -1;
}

static int run(const struct hvm_start_info *si)
{
	static const uint8_t peer[6] = NF_PEER_MAC;
	uint64_t top = ram_top(si), r;
	uint8_t *txbuf = (uint8_t *)(uintptr_t)TX_BASE;
	char mac[18];
	uint32_t i;

	if (parse_cmdline(pvh_cmdline(si)))
		return -1;
	if (p.size < 60 || p.size > NF_MAX_LEN) {
		printf("size %u: want 60 .. %u\n", p.size, NF_MAX_LEN);
		return -1;
	}
	if (p.batch < 1 || p.batch > QSIZE / 2) {
		printf("batch %u: want 1 .. %u\n", p.batch, QSIZE / 2);
		return -1;
	}
	if (top && HIST_END > top) {
		printf("buffers need RAM up to %x, have %llx\n", HIST_END,
		       (unsigned long long)top);
		return -1;
	}
	printf("BENCH mode=%s size=%u count=%u batch=%u\n",
	       p.mode == TX   ? "tx"
	       : p.mode == RX ? "rx"
			      : "rr",
	       p.size, p.count, p.batch);

	pci_assign_bars(VIRTIO_PCI_VENDOR, VIRTIO_ID_NET_PCI);
	if (net_find(&net, QSIZE) || net_setup(&net, VIRTIO_NET_F_MAC))
		return -1;
	if (net.rx.size != net.tx.size || net.rx.size < 2 * p.batch) {
		printf("queue sizes %u/%u: too small for batch %u\n",
		       net.rx.size, net.tx.size, p.batch);
		return -1;
	}
	mask = (uint16_t)(net.rx.size - 1);
	tx_notify = notify_addr(&net.tx);
	rx_notify = notify_addr(&net.rx);

	/* one frame, sent over and over: to the peer, from us */
	memset(txbuf, 0, VNET_HDR_LEN);
	nf_build(txbuf + VNET_HDR_LEN, p.size, peer, net.mac, "BN", 0);
	for (i = 0; i < net.tx.size; i++) {
		virtq_set_desc(&net.tx, (uint16_t)i, TX_BASE,
			       VNET_HDR_LEN + p.size, 0, 0);
		net.tx.avail->ring[i] = (uint16_t)i;
	}
	/* every receive buffer posted before DRIVER_OK (5.1.5) */
	for (i = 0; i < net.rx.size; i++) {
		virtq_set_desc(&net.rx, (uint16_t)i, RX_BASE + i * RXBUF, RXBUF,
			       VIRTQ_DESC_F_WRITE, 0);
		net.rx.avail->ring[i] = (uint16_t)i;
	}
	net.rx.avail->flags = 1; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	net.tx.avail->flags = 1;
	barrier();
	rx_posted = net.rx.size;
	net.rx.avail->idx = (uint16_t)rx_posted;
	if (net_go(&net))
		return -1;
	net_mac_str(net.mac, mac);
	calibrate_clock();
	/* at CPL3 from here on, no interrupts (everything is polled), no
	 * IOPL (see the top); the ready line in between, at CPL0 */
	if (run_user(calibrate_polls, 0, 0, 0) != 3)
		return user_failed();
	printf("BENCH net ready mac=%s qsize=%u check=%u polls\n", mac,
	       net.rx.size, polls_per_check);
	r = run_user(timed_part, 0, 0, 0);
	bclock_finish(&clk);
	if (r != LOOP_OK) {
		if (r == LOOP_FAIL && fail.fmt)
			printf(fail.fmt, fail.a, fail.b);
		return user_failed();
	}
	print_done();
	return 0;
}

int main(const struct hvm_start_info *si)
{
	if (run(si))
		puts("BENCH FAIL\n");
	poweroff_any((uint16_t)p.exitport);
}
