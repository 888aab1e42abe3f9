/*
 * Data-safety and isolation guest for tests/safety.sh.  The kernel command
 * line picks a mode; numbers are decimal or 0x hex:
 *
 *   mode=kill seed=S nblk=N k=K
 *       writes past the end (must be IOERR: "PASTEND ok"), then blocks
 *       1..N-1 of 4 KiB in generation S, a FLUSH every K blocks, and after
 *       each completed FLUSH "ACKED n": blocks 1..n are durable.  "DONE"
 *       at the end.  The host kills kvmini somewhere in between.
 *   mode=load seed=S nblk=N
 *       writes blocks 1..N-1, flushes, reads them back and checks them.
 *   mode=fill seed=S
 *       writes blocks until the device answers IOERR (the host file system
 *       is full), checks that later writes fail too and that the earlier
 *       ones read back, DISCARDs what it wrote and writes again: that must
 *       work now.  "FILL ..." lines say what it saw.
 *   mode=trunc
 *       "READY", then reads the last block until it fails (the host
 *       truncated the image); a block near the start still reads.
 *   mode=uartflood | mode=exitflood
 *       console output / port-I/O exits as fast as it can, forever.
 *   mode=vqflood [bad=1]
 *       resubmits one 1 MiB read endlessly, kicking after every batch,
 *       and echoes console input lines ("ECHO: line"); "quit" ends it.
 *       bad=1: the chain is hostile instead (a descriptor loop, or a
 *       buffer far past RAM, in turns); each time the device sets
 *       DEVICE_NEEDS_RESET the guest resets it and starts over.
 *
 * Every 512-byte sector a generation writes is self-describing: magic
 * "KVSAFE01", block, sector in block, seed, ~seed, then words
 * (base ^ w * 0x9e3779b9) for w = 6..127, base a hash of the three.
 * tests/safety.sh recomputes the same words on the host.
 * Ends with test_finish(): exit 33 (PASS) or 35 (FAIL) with --test-exit.
 */
#include "args.h"
#include "blk_common.h"
#include "io.h"
#include "serial.h"
#include "test.h"

#define BLOCK	       4096
#define SECT_PER_BLK   (BLOCK / SECTOR_SIZE)
#define WAIT_MS	       600000 /* a hang guard only: 30 VMs share 2 CPUs */
#define UNCLAIMED_PORT 0x1234
#define COM1	       0x3f8
#define FLOOD_BYTES    (1u << 20)
#define FLOOD_SEGS     16

#define VIRTIO_BLK_F_DISCARD (1ULL << 13)
#define VIRTIO_BLK_T_DISCARD 11

static struct {
	char mode[16];
	uint32_t seed, nblk, k, bad;
} p = { "", 1, 64, 4, 0 };

static struct blk blk;

static int parse_cmdline(const char *c)
{
	struct arg a;

	while (arg_next(&c, &a)) {
		uint32_t v;
		int ok = 1;

		if (!a.val)
			continue;
		if (arg_eq(a.word, a.klen, "mode")) {
			uint32_t n = a.vlen < sizeof(p.mode) - 1
					     ? a.vlen
					     : sizeof(p.mode) - 1;
			memcpy(p.mode, a.val, n);
			p.mode[n] = 0;
			continue;
		}
		v = arg_num(a.val, a.vlen, &ok);
		if (arg_eq(a.word, a.klen, "seed"))
			p.seed = v;
		else if (arg_eq(a.word, a.klen, "nblk"))
			p.nblk = v;
		else if (arg_eq(a.word, a.klen, "k"))
			p.k = v ? v : 1;
		else if (arg_eq(a.word, a.klen, "bad"))
			p.bad = v;
		else
			continue;
		if (!ok) {
			printf("bad value in '%s'\n", a.word);
			return -1;
		}
	}
	return 0;
}

static int mode_is(const char *m)
{
	return arg_eq(p.mode, strlen(p.mode), m);
}

static void fill_block(uint32_t *w, uint32_t seed, uint32_t block)
{
	for (uint32_t s = 0; s < SECT_PER_BLK; s++, w += 128) {
		uint32_t base = seed * 0x01000193u ^ block * 0x85ebca6bu ^
				s * 0xc2b2ae35u;
		uint32_t x = 6 * 0x9e3779b9u;

		w[0] = 0x4153564b; /* "KVSA" */
		w[1] = 0x31304546; /* "FE01" */
		w[2] = block;
		w[3] = s;
		w[4] = seed;
		w[5] = ~seed;
		for (uint32_t i = 6; i < 128; i++, x += 0x9e3779b9u)
			w[i] = base ^ x;
	}
}

/* A request with a long hang guard (blk_io's 2 s is too short under load). */
static int io(uint32_t type, uint64_t sector, void *data, uint32_t len,
	      int device_writes)
{
	struct vq_buf bufs[3];
	uint16_t head;
	int n = 0, r;

	blk_set_hdr(&blk, type, sector);
	bufs[n++] = (struct vq_buf){ (uintptr_t)blk.hdr, sizeof(*blk.hdr), 0 };
	if (len)
		bufs[n++] = (struct vq_buf){ (uintptr_t)data, len,
					     device_writes ? VIRTQ_DESC_F_WRITE
							   : 0 };
	bufs[n++] =
		(struct vq_buf){ (uintptr_t)blk.status, 1, VIRTQ_DESC_F_WRITE };
	head = virtq_add_chain(&blk.vq, bufs, n);
	r = blk_submit(&blk, head, WAIT_MS);
	if (r != BLK_TIMEOUT && r != BLK_NEEDS_RESET && blk.used_id != head)
		return BLK_BAD_ID;
	return r;
}

static int write_block(uint32_t *buf, uint32_t block)
{
	fill_block(buf, p.seed, block);
	return io(VIRTIO_BLK_T_OUT, (uint64_t)block * SECT_PER_BLK, buf, BLOCK,
		  0);
}

static int start(uint64_t features)
{
	if (blk_find(&blk, 64) || blk_start(&blk, features)) {
		test_fail("start", "no usable virtio-blk device");
		return -1;
	}
	return 0;
}

/* Writes outside the image must fail and leave the file alone. */
static void past_end(uint32_t *buf)
{
	uint64_t cap = blk.capacity;
	int at = io(VIRTIO_BLK_T_OUT, cap, buf, BLOCK, 0);
	int across = io(VIRTIO_BLK_T_OUT, cap - 4, buf, BLOCK, 0);
	int far = io(VIRTIO_BLK_T_OUT, cap + 0x100000000ULL, buf, BLOCK, 0);

	if (test_check(at == VIRTIO_BLK_S_IOERR &&
			       across == VIRTIO_BLK_S_IOERR &&
			       far == VIRTIO_BLK_S_IOERR,
		       "past_end", "at end %s, across end %s, far %s",
		       blk_result_name(at), blk_result_name(across),
		       blk_result_name(far)))
		puts("PASTEND ok\n");
}

static void mode_kill(uint32_t *buf)
{
	uint32_t b, max = blk.capacity / SECT_PER_BLK;
	int r;

	if (p.nblk > max)
		p.nblk = max;
	past_end(buf);
	for (b = 1; b < p.nblk; b++) {
		r = write_block(buf, b);
		if (r != VIRTIO_BLK_S_OK) {
			test_fail("kill", "write block %u: %s", b,
				  blk_result_name(r));
			return;
		}
		if (b % p.k && b + 1 < p.nblk)
			continue;
		r = io(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0);
		if (r != VIRTIO_BLK_S_OK) {
			test_fail("kill", "flush after block %u: %s", b,
				  blk_result_name(r));
			return;
		}
		printf("ACKED %u\n", b);
	}
	puts("DONE\n");
	test_pass("kill");
}

static int check_block(uint32_t *buf, uint32_t *want, uint32_t b)
{
	int r = io(VIRTIO_BLK_T_IN, (uint64_t)b * SECT_PER_BLK, buf, BLOCK, 1);

	if (r != VIRTIO_BLK_S_OK) {
		test_fail("readback", "block %u: %s", b, blk_result_name(r));
		return -1;
	}
	fill_block(want, p.seed, b);
	if (memcmp(buf, want, BLOCK)) {
		test_fail("readback", "block %u differs", b);
		return -1;
	}
	return 0;
}

static void mode_load(uint32_t *buf, uint32_t *want)
{
	uint32_t b;
	int r;

	for (b = 1; b < p.nblk; b++) {
		r = write_block(buf, b);
		if (!test_check(r == VIRTIO_BLK_S_OK, "load_write",
				"block %u: %s", b, blk_result_name(r)))
			return;
	}
	r = io(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0);
	test_check(r == VIRTIO_BLK_S_OK, "load_flush", "%s",
		   blk_result_name(r));
	for (b = 1; b < p.nblk; b++)
		if (check_block(buf, want, b))
			return;
	printf("LOAD seed=%u ok\n", p.seed);
	test_pass("load_readback");
}

static int discard(uint64_t sector, uint32_t count)
{
	struct range {
		uint64_t sector;
		uint32_t num_sectors, flags;
	} *rg = dma_alloc(sizeof(*rg), 16);

	*rg = (struct range){ sector, count, 0 };
	return io(VIRTIO_BLK_T_DISCARD, 0, rg, sizeof(*rg), 0);
}

static void mode_fill(uint32_t *buf, uint32_t *want)
{
	uint32_t b, ok, max = blk.capacity / SECT_PER_BLK, later = 0;
	int r = VIRTIO_BLK_S_OK;

	for (b = 1; b < max; b++) {
		r = write_block(buf, b);
		if (r != VIRTIO_BLK_S_OK)
			break;
	}
	ok = b - 1;
	printf("FILL %u blocks written, then %s\n", ok, blk_result_name(r));
	if (!test_check(r == VIRTIO_BLK_S_IOERR && ok > 0, "fill_ioerr",
			"%u blocks, then %s (wanted some, then IOERR)", ok,
			blk_result_name(r)))
		return;
	/* more new blocks: still no space, every one must fail the same way */
	for (uint32_t i = 1; i <= 8 && b + i < max; i++) {
		r = write_block(buf, b + i);
		if (r == VIRTIO_BLK_S_IOERR)
			later++;
		else
			printf("FILL later write %u: %s\n", b + i,
			       blk_result_name(r));
	}
	test_check(later == 8, "fill_still_ioerr", "%u of 8 were IOERR", later);
	r = io(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0);
	printf("FILL flush: %s\n", blk_result_name(r));
	for (b = 1; b <= ok; b++)
		if (check_block(buf, want, b))
			return;
	test_pass("fill_readback");
	printf("FILL readback of %u blocks ok\n", ok);
	if (!(blk.vp.features & VIRTIO_BLK_F_DISCARD)) {
		test_fail("fill_discard", "DISCARD not offered");
		return;
	}
	/* give back the second half: the host punches holes, space is free */
	r = discard((uint64_t)(ok / 2 + 1) * SECT_PER_BLK,
		    (ok - ok / 2) * SECT_PER_BLK);
	test_check(r == VIRTIO_BLK_S_OK, "fill_discard", "%s",
		   blk_result_name(r));
	r = write_block(buf, ok + 1);
	printf("FILL write after discard: %s\n", blk_result_name(r));
	test_check(r == VIRTIO_BLK_S_OK, "fill_write_again", "%s",
		   blk_result_name(r));
	for (b = 1; b <= ok / 2; b++)
		if (check_block(buf, want, b))
			return;
	test_pass("fill_first_half_intact");
}

static void mode_trunc(uint32_t *buf, uint32_t *want)
{
	uint64_t last = blk.capacity - SECT_PER_BLK;
	uint32_t reads = 0;
	int r;

	(void)want;
	puts("READY\n");
	do {
		r = io(VIRTIO_BLK_T_IN, last, buf, BLOCK, 1);
		reads++;
	} while (r == VIRTIO_BLK_S_OK);
	printf("TRUNC read of the last block after %u reads: %s\n", reads,
	       blk_result_name(r));
	test_check(r == VIRTIO_BLK_S_IOERR, "trunc_ioerr", "%s",
		   blk_result_name(r));
	r = io(VIRTIO_BLK_T_IN, SECT_PER_BLK, buf, BLOCK, 1);
	test_check(r == VIRTIO_BLK_S_OK, "trunc_start_reads", "%s",
		   blk_result_name(r));
}

static void uart_flood(void)
{
	puts("FLOOD uart\n");
	for (;;)
		outb(COM1, 'x');
}

static void exit_flood(void)
{
	puts("FLOOD exits\n");
	for (;;)
		outb(UNCLAIMED_PORT, 0);
}

/* one line of console input, echoed when complete; 1 for "quit" */
static int poll_console(char *line, uint32_t *len)
{
	while (inb(COM1 + 5) & 1) {
		char c = inb(COM1);

		if (c != '\n' && c != '\r') {
			if (*len < 63)
				line[(*len)++] = c;
			continue;
		}
		line[*len] = 0;
		if (*len)
			printf("ECHO: %s\n", line);
		if (arg_eq(line, *len, "quit"))
			return 1;
		*len = 0;
	}
	return 0;
}

#define FEATURES \
	(VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_SIZE_MAX)

/* header, FLOOD_SEGS data buffers, status: a valid 1 MiB read */
static uint16_t good_chain(uint8_t *data)
{
	struct vq_buf bufs[FLOOD_SEGS + 2];
	uint32_t seg = FLOOD_BYTES / FLOOD_SEGS;
	int n = 0;

	if (blk.size_max && seg > blk.size_max)
		seg = blk.size_max;
	blk_set_hdr(&blk, VIRTIO_BLK_T_IN, 0);
	bufs[n++] = (struct vq_buf){ (uintptr_t)blk.hdr, sizeof(*blk.hdr), 0 };
	for (int i = 0; i < FLOOD_SEGS; i++)
		bufs[n++] = (struct vq_buf){ (uintptr_t)data + i * seg, seg,
					     VIRTQ_DESC_F_WRITE };
	bufs[n++] =
		(struct vq_buf){ (uintptr_t)blk.status, 1, VIRTQ_DESC_F_WRITE };
	return virtq_add_chain(&blk.vq, bufs, n);
}

/* descriptors 0..2; kind 0: the status links back to the header (a
 * loop), kind 1: the data buffer is 2 GiB long (past RAM) */
static uint16_t bad_chain(uint8_t *data, uint32_t kind)
{
	struct virtq *vq = &blk.vq;
	uint16_t nf = VIRTQ_DESC_F_NEXT, wr = VIRTQ_DESC_F_WRITE;

	blk_set_hdr(&blk, VIRTIO_BLK_T_IN, 0);
	virtq_set_desc(vq, 0, (uintptr_t)blk.hdr, sizeof(*blk.hdr), nf, 1);
	virtq_set_desc(vq, 1, (uintptr_t)data, kind ? 0x80000000u : 4096,
		       nf | wr, 2);
	virtq_set_desc(vq, 2, (uintptr_t)blk.status, 1, kind ? wr : nf | wr, 0);
	return 0;
}

static void vq_flood(void)
{
	struct virtq *vq = &blk.vq;
	uint8_t *data = dma_alloc(FLOOD_BYTES, 4096);
	uint32_t id, len, line_len = 0, resets = 0;
	uint64_t completed = 0;
	uint16_t head, in_flight = 0;
	char line[64];

	head = p.bad ? bad_chain(data, 0) : good_chain(data);
	printf("FLOOD virtqueue%s\n", p.bad ? " with hostile chains" : "");
	for (;;) {
		/* the same chain, as often as the ring holds it */
		while (in_flight < vq->size) {
			virtq_publish(vq, head);
			in_flight++;
		}
		vpci_kick(&blk.vp, vq);
		while (virtq_get_used(vq, &id, &len)) {
			in_flight--;
			completed++;
		}
		if (vpci_get_status(&blk.vp) &
		    VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
			if (!p.bad) {
				test_fail("vqflood",
					  "the device needs a reset");
				return;
			}
			/* expected: reset, and the next hostile chain */
			if (blk_start(&blk, FEATURES)) {
				test_fail("vqflood",
					  "no restart after a reset");
				return;
			}
			resets++;
			in_flight = 0;
			head = bad_chain(data, resets & 1);
		}
		if (poll_console(line, &line_len))
			break;
	}
	printf("FLOOD %llu requests completed, %u resets\n",
	       (unsigned long long)completed, resets);
	if (p.bad)
		test_check(resets > 0 && !completed, "vqflood_hostile",
			   "%u resets, %llu completed (wanted resets, none "
			   "completed)",
			   resets, (unsigned long long)completed);
	else
		test_check(completed > 0, "vqflood", "no request completed");
}

int main(const struct hvm_start_info *si)
{
	uint32_t *buf = dma_alloc(BLOCK, 4096);
	uint32_t *want = dma_alloc(BLOCK, 4096);

	if (parse_cmdline(pvh_cmdline(si))) {
		test_fail("cmdline", "bad command line");
		test_finish();
	}
	if (mode_is("uartflood"))
		uart_flood();
	if (mode_is("exitflood"))
		exit_flood();
	if (start(FEATURES))
		test_finish();
	if (mode_is("kill"))
		mode_kill(buf);
	else if (mode_is("load"))
		mode_load(buf, want);
	else if (mode_is("fill"))
		mode_fill(buf, want);
	else if (mode_is("trunc"))
		mode_trunc(buf, want);
	else if (mode_is("vqflood"))
		vq_flood();
	else
		test_fail("cmdline", "unknown mode '%s'", p.mode);
	test_finish();
}
