/*
 * virtio-net against hostile descriptor chains, on both queues.  Each case
 * runs on a freshly reset device (VERSION_1 | MAC | RING_INDIRECT_DESC,
 * plus MRG_RXBUF with "mrg=1" on the command line): build a chain by hand,
 * publish it, kick, and poll (bounded) until the device completes it or
 * sets DEVICE_NEEDS_RESET.
 *
 *   transmit cases: the chain is a bad packet (header + test frame
 *     KVMINI-TX-<1000 + case>): NEEDS_RESET, or a harmless completion
 *     (the used id is the head, used len 0, one used entry, no byte of a
 *     device-writable buffer changed)
 *   receive cases: the chain is a bad receive buffer; the guest prints
 *     "net: inject 1" and the host peer (src/virtio_net_peer.c) injects one
 *     frame on the tap: NEEDS_RESET, or a harmless completion (used id the
 *     head, used len 0: the frame dropped, device-readable bytes unchanged).
 *     With MRG_RXBUF a device may also keep waiting for more buffers after
 *     one that is too small for the frame (cases marked may_wait).
 *   GOOD cases are unusual but valid chains (the header split over many
 *     descriptors, indirect tables): they must work.
 *
 * A timeout (neither outcome) fails, and so does a second used entry.
 * First the guest receives one injected frame: the peer is listening then.
 * After every case the device is reset and must work again: it sends
 * one good frame that the peer must see (the guest prints "sent
 * KVMINI-TX-<n> len <len>" and guest-tests/run.sh checks the peer's list),
 * and after a receive case it receives one injected frame.
 */
#include "net_frame.h"
#include "runtime.h"
#include "serial.h"
#include "virtio_net.h"

#define QSIZE	   32
#define WAIT_MS	   2000 /* for a completion or NEEDS_RESET */
#define SHORT_MS   500	/* may_wait cases: waiting is allowed */
#define HOSTILE_SEQ 1000 /* frames of hostile transmit cases */

#define W	VIRTQ_DESC_F_WRITE
#define N	VIRTQ_DESC_F_NEXT
#define IND	VIRTQ_DESC_F_INDIRECT
#define HOLE	0xfff00000ULL /* in the MMIO hole, below the LAPIC page */
#define ADDR(p) ((uint64_t)(uintptr_t)(p))
#define BIG	0x400000u /* guest-physical, RAM (the DMA arena) */

enum queue { TXQ, RXQ };
enum mode { BAD, GOOD };

struct ctx {
	struct net *n;
	struct virtq *vq; /* the queue of the current case */
	uint64_t outside; /* guest-physical, below 4 GiB, not RAM */
	uint64_t ram_end; /* end of RAM below 4 GiB */
	uint8_t *data;	  /* 4 KiB, preset to 0xa5 */
	uint8_t *pkt;	  /* header + transmit test frame */
	uint32_t flen;	  /* the frame's length (pkt holds 12 more) */
	struct virtq_desc *table, *table2;
};

struct hcase {
	const char *name;
	uint8_t queue;
	uint8_t mode;
	uint16_t (*build)(struct ctx *c);
	uint8_t no_indirect; /* negotiate without RING_INDIRECT_DESC */
	uint8_t ro_data;     /* c->data is device-readable: must stay 0xa5 */
	uint8_t may_wait;    /* with MRG_RXBUF, waiting for more is fine */
	uint8_t jump;	     /* publish, then move avail->idx a ring ahead */
};

static void d(struct ctx *c, uint16_t i, uint64_t addr, uint32_t len,
	      uint16_t flags, uint16_t next)
{
	virtq_set_desc(c->vq, i, addr, len, flags, next);
}

static void t(struct virtq_desc *tab, uint16_t i, uint64_t addr, uint32_t len,
	      uint16_t flags, uint16_t next)
{
	tab[i] = (struct virtq_desc){ addr, len, flags, next };
}

/* ---- transmit chains -------------------------------------------------- */

/* header, then frame: descriptors 0 and 1 */
static uint16_t tx_std(struct ctx *c)
{
	d(c, 0, ADDR(c->pkt), VNET_HDR_LEN, N, 1);
	d(c, 1, ADDR(c->pkt) + VNET_HDR_LEN, c->flen, 0, 0);
	return 0;
}

static uint16_t tx_loop(struct ctx *c)
{
	tx_std(c);
	d(c, 1, ADDR(c->pkt) + VNET_HDR_LEN, c->flen, N, 0);
	return 0;
}

static uint16_t tx_self_loop(struct ctx *c)
{
	d(c, 0, ADDR(c->pkt), VNET_HDR_LEN + c->flen, N, 0);
	return 0;
}

static uint16_t tx_frame_outside(struct ctx *c)
{
	tx_std(c);
	d(c, 1, c->outside, c->flen, 0, 0);
	return 0;
}

static uint16_t tx_hdr_outside(struct ctx *c)
{
	tx_std(c);
	d(c, 0, c->outside, VNET_HDR_LEN, N, 1);
	return 0;
}

static uint16_t tx_straddles_ram_end(struct ctx *c)
{
	tx_std(c);
	d(c, 1, c->ram_end - 256, 512, 0, 0);
	return 0;
}

static uint16_t tx_mmio_hole(struct ctx *c)
{
	tx_std(c);
	d(c, 1, HOLE, c->flen, 0, 0);
	return 0;
}

/* "DMA" from the device's own registers */
static uint16_t tx_own_bar(struct ctx *c)
{
	tx_std(c);
	d(c, 1, c->n->vp.common.addr, 64, 0, 0);
	return 0;
}

static uint16_t tx_addr_wraps(struct ctx *c)
{
	tx_std(c);
	d(c, 1, 0xffffffffffffff00ULL, 512, 0, 0);
	return 0;
}

static uint16_t tx_len_4g(struct ctx *c)
{
	tx_std(c);
	d(c, 1, BIG, 0xfffffe00u, 0, 0);
	return 0;
}

/* a 16 MiB "frame" in RAM: the tap refuses it, nothing else happens */
static uint16_t tx_frame_16m(struct ctx *c)
{
	uint64_t len = c->ram_end - BIG - 0x100000;

	tx_std(c);
	d(c, 1, BIG, len > 0x1000000 ? 0x1000000 : (uint32_t)len, 0, 0);
	return 0;
}

static uint16_t tx_short_hdr(struct ctx *c)
{
	d(c, 0, ADDR(c->pkt), 8, 0, 0);
	return 0;
}

static uint16_t tx_hdr_only(struct ctx *c)
{
	d(c, 0, ADDR(c->pkt), VNET_HDR_LEN, 0, 0);
	return 0;
}

/* a 4-byte "frame": shorter than an Ethernet header */
static uint16_t tx_runt(struct ctx *c)
{
	d(c, 0, ADDR(c->pkt), VNET_HDR_LEN + 4, 0, 0);
	return 0;
}

static uint16_t tx_zero_len(struct ctx *c)
{
	d(c, 0, ADDR(c->pkt), 0, 0, 0);
	return 0;
}

static uint16_t tx_writable_frame(struct ctx *c)
{
	d(c, 0, ADDR(c->pkt), VNET_HDR_LEN, N, 1);
	d(c, 1, ADDR(c->data), c->flen, W, 0);
	return 0;
}

static uint16_t tx_writable_extra(struct ctx *c)
{
	tx_std(c);
	d(c, 1, ADDR(c->pkt) + VNET_HDR_LEN, c->flen, N, 2);
	d(c, 2, ADDR(c->data), 64, W, 0);
	return 0;
}

static uint16_t tx_all_writable(struct ctx *c)
{
	d(c, 0, ADDR(c->data), VNET_HDR_LEN + c->flen, W, 0);
	return 0;
}

static uint16_t tx_writable_first(struct ctx *c)
{
	d(c, 0, ADDR(c->data), 64, W | N, 1);
	d(c, 1, ADDR(c->pkt), VNET_HDR_LEN, N, 2);
	d(c, 2, ADDR(c->pkt) + VNET_HDR_LEN, c->flen, 0, 0);
	return 0;
}

static uint16_t head_past_size(struct ctx *c)
{
	return c->vq->size;
}

static uint16_t head_ffff(struct ctx *c)
{
	(void)c;
	return 0xffff;
}

static uint16_t tx_next_past_size(struct ctx *c)
{
	tx_std(c);
	d(c, 0, ADDR(c->pkt), VNET_HDR_LEN, N, c->vq->size + 3);
	return 0;
}

/* valid: the header over four descriptors, the frame over two */
static uint16_t tx_split_hdr(struct ctx *c)
{
	uint64_t a = ADDR(c->pkt);

	d(c, 0, a, 1, N, 1);
	d(c, 1, a + 1, 2, N, 2);
	d(c, 2, a + 3, 3, N, 3);
	d(c, 3, a + 6, 6, N, 4);
	d(c, 4, a + VNET_HDR_LEN, 20, N, 5);
	d(c, 5, a + VNET_HDR_LEN + 20, c->flen - 20, 0, 0);
	return 0;
}

static void tx_table(struct ctx *c)
{
	t(c->table, 0, ADDR(c->pkt), VNET_HDR_LEN, N, 1);
	t(c->table, 1, ADDR(c->pkt) + VNET_HDR_LEN, c->flen, 0, 0);
}

static uint16_t ind(struct ctx *c, uint64_t addr, uint32_t len, uint16_t fl)
{
	d(c, 0, addr, len, IND | fl, 0);
	return 0;
}

static uint16_t tx_ind_good(struct ctx *c)
{
	tx_table(c);
	return ind(c, ADDR(c->table), 32, 0);
}

static uint16_t tx_ind_len_24(struct ctx *c)
{
	tx_table(c);
	return ind(c, ADDR(c->table), 24, 0);
}

static uint16_t tx_ind_len_0(struct ctx *c)
{
	tx_table(c);
	return ind(c, ADDR(c->table), 0, 0);
}

/* 64 Ki entries: longer than any queue */
static uint16_t tx_ind_len_1m(struct ctx *c)
{
	tx_table(c);
	return ind(c, ADDR(c->table), 0x100000, 0);
}

static uint16_t tx_ind_outside(struct ctx *c)
{
	tx_table(c);
	return ind(c, c->outside, 32, 0);
}

static uint16_t tx_ind_nested(struct ctx *c)
{
	tx_table(c);
	t(c->table2, 0, ADDR(c->pkt) + VNET_HDR_LEN, c->flen, 0, 0);
	t(c->table, 1, ADDR(c->table2), 16, IND, 0);
	return ind(c, ADDR(c->table), 32, 0);
}

static uint16_t tx_ind_with_next(struct ctx *c)
{
	tx_table(c);
	d(c, 0, ADDR(c->table), 32, IND | N, 1);
	d(c, 1, ADDR(c->pkt) + VNET_HDR_LEN, c->flen, 0, 0);
	return 0;
}

static uint16_t tx_ind_loop(struct ctx *c)
{
	tx_table(c);
	t(c->table, 1, ADDR(c->pkt) + VNET_HDR_LEN, c->flen, N, 0);
	return ind(c, ADDR(c->table), 32, 0);
}

static uint16_t tx_ind_next_past_end(struct ctx *c)
{
	tx_table(c);
	t(c->table, 0, ADDR(c->pkt), VNET_HDR_LEN, N, 5);
	return ind(c, ADDR(c->table), 32, 0);
}

/* ---- receive buffers -------------------------------------------------- */

#define RXBUF (VNET_HDR_LEN + NF_MAX_LEN)

static uint16_t rx_one(struct ctx *c, uint64_t addr, uint32_t len,
		       uint16_t flags)
{
	d(c, 0, addr, len, flags, 0);
	return 0;
}

static uint16_t rx_readable_only(struct ctx *c)
{
	return rx_one(c, ADDR(c->data), RXBUF, 0);
}

static uint16_t rx_readable_two(struct ctx *c)
{
	d(c, 0, ADDR(c->data), VNET_HDR_LEN, N, 1);
	d(c, 1, ADDR(c->data) + VNET_HDR_LEN, NF_MAX_LEN, 0, 0);
	return 0;
}

static uint16_t rx_outside(struct ctx *c)
{
	return rx_one(c, c->outside, RXBUF, W);
}

static uint16_t rx_straddles_ram_end(struct ctx *c)
{
	return rx_one(c, c->ram_end - 256, RXBUF, W);
}

static uint16_t rx_mmio_hole(struct ctx *c)
{
	return rx_one(c, HOLE, RXBUF, W);
}

/* DMA into the device's own common configuration */
static uint16_t rx_own_bar(struct ctx *c)
{
	return rx_one(c, c->n->vp.common.addr, 64, W);
}

static uint16_t rx_addr_wraps(struct ctx *c)
{
	return rx_one(c, 0xffffffffffffff00ULL, RXBUF, W);
}

static uint16_t rx_len_4g(struct ctx *c)
{
	return rx_one(c, BIG, 0xfffffe00u, W);
}

static uint16_t rx_shorter_than_hdr(struct ctx *c)
{
	return rx_one(c, ADDR(c->data), 8, W);
}

static uint16_t rx_hdr_only(struct ctx *c)
{
	return rx_one(c, ADDR(c->data), VNET_HDR_LEN, W);
}

static uint16_t rx_too_small(struct ctx *c)
{
	return rx_one(c, ADDR(c->data), 40, W);
}

static uint16_t rx_loop(struct ctx *c)
{
	d(c, 0, ADDR(c->data), VNET_HDR_LEN, W | N, 1);
	d(c, 1, ADDR(c->data) + VNET_HDR_LEN, NF_MAX_LEN, W | N, 0);
	return 0;
}

static uint16_t rx_next_past_size(struct ctx *c)
{
	d(c, 0, ADDR(c->data), VNET_HDR_LEN, W | N, c->vq->size + 3);
	return 0;
}

static uint16_t rx_readable_after(struct ctx *c)
{
	d(c, 0, ADDR(c->data), RXBUF, W | N, 1);
	d(c, 1, ADDR(c->data) + 2048, 16, 0, 0);
	return 0;
}

static void rx_table(struct ctx *c)
{
	t(c->table, 0, ADDR(c->data), VNET_HDR_LEN, W | N, 1);
	t(c->table, 1, ADDR(c->data) + VNET_HDR_LEN, NF_MAX_LEN, W, 0);
}

static uint16_t rx_ind_good(struct ctx *c)
{
	rx_table(c);
	return ind(c, ADDR(c->table), 32, 0);
}

static uint16_t rx_ind_len_24(struct ctx *c)
{
	rx_table(c);
	return ind(c, ADDR(c->table), 24, 0);
}

static uint16_t rx_ind_outside(struct ctx *c)
{
	return ind(c, c->outside, 32, 0);
}

/* valid: the header one byte per descriptor, then the frame */
static uint16_t rx_split_many(struct ctx *c)
{
	uint16_t i;

	for (i = 0; i < VNET_HDR_LEN; i++)
		d(c, i, ADDR(c->data) + i, 1, W | N, i + 1);
	d(c, VNET_HDR_LEN, ADDR(c->data) + VNET_HDR_LEN, NF_MAX_LEN, W, 0);
	return 0;
}

static const struct hcase cases[] = {
	/* transmit */
	{ "tx_loop", TXQ, BAD, tx_loop, 0, 0, 0, 0 },
	{ "tx_self_loop", TXQ, BAD, tx_self_loop, 0, 0, 0, 0 },
	{ "tx_frame_outside_ram", TXQ, BAD, tx_frame_outside, 0, 0, 0, 0 },
	{ "tx_hdr_outside_ram", TXQ, BAD, tx_hdr_outside, 0, 0, 0, 0 },
	{ "tx_straddles_ram_end", TXQ, BAD, tx_straddles_ram_end, 0, 0, 0, 0 },
	{ "tx_mmio_hole", TXQ, BAD, tx_mmio_hole, 0, 0, 0, 0 },
	{ "tx_own_bar", TXQ, BAD, tx_own_bar, 0, 0, 0, 0 },
	{ "tx_addr_len_wraps", TXQ, BAD, tx_addr_wraps, 0, 0, 0, 0 },
	{ "tx_len_4g", TXQ, BAD, tx_len_4g, 0, 0, 0, 0 },
	{ "tx_frame_16m", TXQ, BAD, tx_frame_16m, 0, 0, 0, 0 },
	{ "tx_hdr_short_8", TXQ, BAD, tx_short_hdr, 0, 0, 0, 0 },
	{ "tx_hdr_only", TXQ, BAD, tx_hdr_only, 0, 0, 0, 0 },
	{ "tx_runt_4_bytes", TXQ, BAD, tx_runt, 0, 0, 0, 0 },
	{ "tx_zero_len", TXQ, BAD, tx_zero_len, 0, 0, 0, 0 },
	{ "tx_writable_frame", TXQ, BAD, tx_writable_frame, 0, 0, 0, 0 },
	{ "tx_writable_extra", TXQ, BAD, tx_writable_extra, 0, 0, 0, 0 },
	{ "tx_all_writable", TXQ, BAD, tx_all_writable, 0, 0, 0, 0 },
	{ "tx_writable_first", TXQ, BAD, tx_writable_first, 0, 0, 0, 0 },
	{ "tx_head_past_size", TXQ, BAD, head_past_size, 0, 0, 0, 0 },
	{ "tx_head_ffff", TXQ, BAD, head_ffff, 0, 0, 0, 0 },
	{ "tx_next_past_size", TXQ, BAD, tx_next_past_size, 0, 0, 0, 0 },
	{ "tx_avail_idx_jump", TXQ, BAD, tx_std, 0, 0, 0, 1 },
	{ "tx_split_hdr", TXQ, GOOD, tx_split_hdr, 0, 0, 0, 0 },
	{ "tx_indirect_good", TXQ, GOOD, tx_ind_good, 0, 0, 0, 0 },
	{ "tx_indirect_len_24", TXQ, BAD, tx_ind_len_24, 0, 0, 0, 0 },
	{ "tx_indirect_len_0", TXQ, BAD, tx_ind_len_0, 0, 0, 0, 0 },
	{ "tx_indirect_len_1m", TXQ, BAD, tx_ind_len_1m, 0, 0, 0, 0 },
	{ "tx_indirect_outside_ram", TXQ, BAD, tx_ind_outside, 0, 0, 0, 0 },
	{ "tx_indirect_nested", TXQ, BAD, tx_ind_nested, 0, 0, 0, 0 },
	{ "tx_indirect_with_next", TXQ, BAD, tx_ind_with_next, 0, 0, 0, 0 },
	{ "tx_indirect_loop", TXQ, BAD, tx_ind_loop, 0, 0, 0, 0 },
	{ "tx_indirect_next_past_end", TXQ, BAD, tx_ind_next_past_end, 0, 0, 0,
	  0 },
	{ "tx_indirect_not_negotiated", TXQ, BAD, tx_ind_good, 1, 0, 0, 0 },
	/* receive */
	{ "rx_readable_only", RXQ, BAD, rx_readable_only, 0, 1, 0, 0 },
	{ "rx_readable_only_two", RXQ, BAD, rx_readable_two, 0, 1, 0, 0 },
	{ "rx_outside_ram", RXQ, BAD, rx_outside, 0, 0, 0, 0 },
	{ "rx_straddles_ram_end", RXQ, BAD, rx_straddles_ram_end, 0, 0, 0, 0 },
	{ "rx_mmio_hole", RXQ, BAD, rx_mmio_hole, 0, 0, 0, 0 },
	{ "rx_own_bar", RXQ, BAD, rx_own_bar, 0, 0, 0, 0 },
	{ "rx_addr_len_wraps", RXQ, BAD, rx_addr_wraps, 0, 0, 0, 0 },
	{ "rx_len_4g", RXQ, BAD, rx_len_4g, 0, 0, 0, 0 },
	{ "rx_shorter_than_hdr", RXQ, BAD, rx_shorter_than_hdr, 0, 0, 0, 0 },
	{ "rx_hdr_only", RXQ, BAD, rx_hdr_only, 0, 0, 1, 0 },
	{ "rx_too_small", RXQ, BAD, rx_too_small, 0, 0, 1, 0 },
	{ "rx_loop", RXQ, BAD, rx_loop, 0, 0, 0, 0 },
	{ "rx_head_past_size", RXQ, BAD, head_past_size, 0, 0, 0, 0 },
	{ "rx_next_past_size", RXQ, BAD, rx_next_past_size, 0, 0, 0, 0 },
	{ "rx_readable_after_writable", RXQ, BAD, rx_readable_after, 0, 0, 0,
	  0 },
	{ "rx_avail_idx_jump", RXQ, BAD, rx_readable_only, 0, 0, 0, 1 },
	{ "rx_split_hdr_12_descs", RXQ, GOOD, rx_split_many, 0, 0, 0, 0 },
	{ "rx_indirect_good", RXQ, GOOD, rx_ind_good, 0, 0, 0, 0 },
	{ "rx_indirect_len_24", RXQ, BAD, rx_ind_len_24, 0, 0, 0, 0 },
	{ "rx_indirect_outside_ram", RXQ, BAD, rx_ind_outside, 0, 0, 0, 0 },
	{ "rx_indirect_not_negotiated", RXQ, BAD, rx_ind_good, 1, 0, 0, 0 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct net net;
static int mrg;
static uint32_t tx_seq;	 /* next good frame we send */
static uint32_t rx_seq;	 /* next frame the peer injects */
static uint8_t *rxbuf;	 /* a good receive buffer for recovery */

static uint64_t features(const struct hcase *hc)
{
	return VIRTIO_NET_F_MAC | (mrg ? VIRTIO_NET_F_MRG_RXBUF : 0) |
	       (hc && hc->no_indirect ? 0 : VIRTIO_F_RING_INDIRECT_DESC);
}

static int all(const uint8_t *p, uint8_t v, uint32_t n)
{
	while (n--)
		if (*p++ != v)
			return 0;
	return 1;
}

static void request_frame(void)
{
	printf("net: inject 1\n");
	rx_seq++;
}

/* header and frame of a received packet at p (len bytes used): 0 if it is
 * the injected frame seq */
static const char *check_rx(const uint8_t *p, uint32_t len, uint32_t seq)
{
	static const uint8_t peer[6] = NF_PEER_MAC;
	const struct virtio_net_hdr *h = (const void *)p;

	if (len != VNET_HDR_LEN + nf_rx_len(seq))
		return "used len is not header + frame";
	if (h->flags || h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return "offload fields set without offloads";
	if (h->num_buffers != 1)
		return "num_buffers is not 1";
	if (!nf_mac_eq(p + VNET_HDR_LEN, net.mac) ||
	    !nf_mac_eq(p + VNET_HDR_LEN + 6, peer))
		return "wrong addresses";
	if (nf_check(p + VNET_HDR_LEN, len - VNET_HDR_LEN, "RX", seq,
		     nf_rx_len(seq)))
		return "wrong frame contents";
	return 0;
}

/* one good frame out (the peer must see it) */
static const char *send_good(struct ctx *c)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t len = nf_tx_len(tx_seq), id, used;
	struct vq_buf b = { ADDR(c->pkt), VNET_HDR_LEN + len, 0 };
	int r;

	memset(c->pkt, 0, VNET_HDR_LEN);
	nf_build(c->pkt + VNET_HDR_LEN, len, bcast, net.mac, "TX", tx_seq);
	r = net_tx_chain(&net, &b, 1, WAIT_MS, &id, &used);
	if (r == VQ_NEEDS_RESET)
		return "a good frame: DEVICE_NEEDS_RESET";
	if (r != VQ_DONE)
		return "a good frame: no completion";
	if (id != net.tx_head || used != 0)
		return "a good frame: wrong used id or len";
	printf("  reset; sent KVMINI-TX-%u len %u\n", tx_seq, len);
	tx_seq++;
	return 0;
}

/* one good buffer in, one injected frame received (older frames that
 * were still on their way are skipped) */
static const char *receive_good(void)
{
	uint32_t want, id, len;
	const char *bad;
	int r, tries;

	request_frame();
	want = rx_seq - 1;
	for (tries = 0; tries < 4; tries++) {
		uint32_t got;

		memset(rxbuf, 0xa5, RXBUF);
		virtq_set_desc(&net.rx, 0, ADDR(rxbuf), RXBUF, W, 0);
		net_publish(&net, &net.rx, 0);
		r = vpci_wait(&net.vp, &net.rx, WAIT_MS, &id, &len);
		if (r == VQ_NEEDS_RESET)
			return "a good buffer: DEVICE_NEEDS_RESET";
		if (r != VQ_DONE)
			return "a good buffer: no frame";
		if (id != 0 || len > RXBUF || len < VNET_HDR_LEN + 24)
			return "a good buffer: wrong used id or len";
		got = 0;
		for (r = 0; r < 9 && rxbuf[VNET_HDR_LEN + 24 + r] >= '0' &&
			    rxbuf[VNET_HDR_LEN + 24 + r] <= '9';
		     r++)
			got = got * 10 + rxbuf[VNET_HDR_LEN + 24 + r] - '0';
		if (got < want && !memcmp(rxbuf + VNET_HDR_LEN + 14,
					  "KVMINI-RX-", 10)) {
			printf("  skipped a late KVMINI-RX-%u\n", got);
			continue;
		}
		bad = check_rx(rxbuf, len, want);
		if (bad)
			return bad;
		printf("  received KVMINI-RX-%u len %u\n", want,
		       len - VNET_HDR_LEN);
		return 0;
	}
	return "a good buffer: only stale frames";
}

/* the verdict on one case, 0 if handled */
static const char *judge(const struct hcase *hc, struct ctx *c, int r,
			 uint16_t head, uint32_t id, uint32_t len)
{
	if (hc->ro_data && !all(c->data, 0xa5, 4096))
		return "the device wrote into a device-readable buffer";
	if (r == VQ_NEEDS_RESET)
		return hc->mode == GOOD ? "DEVICE_NEEDS_RESET on a valid chain"
					: 0;
	if (r == VQ_TIMEOUT) {
		if (hc->may_wait && mrg)
			return 0;
		return "neither completed nor DEVICE_NEEDS_RESET";
	}
	if (virtq_pending(c->vq))
		return "more than one used entry for one chain";
	if (id != head)
		return "used id is not the head";
	if (hc->queue == TXQ) {
		if (len != 0)
			return "used len not 0 for a transmit chain";
		if (!all(c->data, 0xa5, 4096))
			return "wrote into a transmit chain";
		return 0;
	}
	if (hc->mode == GOOD)
		return check_rx(c->data, len, rx_seq - 1);
	return len ? "filled a hostile receive buffer" : 0;
}

/* reset, bring up, send one good frame (and receive one after an RX case) */
static const char *recover(const struct hcase *hc, struct ctx *c)
{
	const char *bad;

	if (net_start(&net, features(0)))
		return "bring-up after reset";
	bad = send_good(c);
	if (!bad && hc->queue == RXQ)
		bad = receive_good();
	return bad;
}

int main(const struct hvm_start_info *si)
{
	struct ctx c = { .n = &net };
	const char *mode, *mode2;
	unsigned i, run = 0, failed = 0;

	mrg = net_cmdline_has(si, "mrg=1");
	mode = mrg ? " (mrg_rxbuf)" : "";
	mode2 = mrg ? "mrg_rxbuf, " : "";
	c.ram_end = ram_top(si);
	if (c.ram_end < 0x2000000 || c.ram_end > 0xc0000000) {
		printf("FAIL virtio_net_hostile%s: RAM end %llx (run with "
		       "--mem 32M..3G)\n",
		       mode, c.ram_end);
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
	c.pkt = dma_alloc(VNET_HDR_LEN + NF_MAX_LEN, 64);
	rxbuf = dma_alloc(RXBUF, 64);

	if (net_find(&net, QSIZE) || net_start(&net, features(0)) ||
	    (net.vp.features & features(0)) != features(0)) {
		printf("FAIL virtio_net_hostile%s: the device does not work "
		       "(or lacks MAC, INDIRECT_DESC, MRG_RXBUF) to begin "
		       "with\n",
		       mode);
		return 1;
	}
	printf("features: offered %llx negotiated %llx\n", net.vp.offered,
	       net.vp.features);
	/* the peer is listening once it injects: only then send anything */
	puts("net ready\n");
	{
		const char *bad = receive_good();

		if (bad) {
			printf("FAIL virtio_net_hostile%s: no frame from the "
			       "peer to begin with: %s\n",
			       mode, bad);
			return 1;
		}
	}

	for (i = 0; i < NCASES; i++) {
		const struct hcase *hc = &cases[i];
		uint32_t id = 0xffffffff, len = 0xffffffff, seq;
		const char *bad, *rbad;
		uint16_t head;
		int r;

		run++;
		if (net_start(&net, features(hc))) {
			printf("FAIL case %s: bring-up\n", hc->name);
			failed++;
			continue;
		}
		c.vq = hc->queue == TXQ ? &net.tx : &net.rx;
		memset(c.data, 0xa5, 4096);
		memset(c.table, 0, 4096);
		memset(c.table2, 0, 4096);
		/* the transmit packet: a good frame for GOOD cases */
		seq = hc->mode == GOOD ? tx_seq : HOSTILE_SEQ + i;
		c.flen = nf_tx_len(seq);
		memset(c.pkt, 0, VNET_HDR_LEN);
		{
			static const uint8_t bc[6] = { 0xff, 0xff, 0xff,
						       0xff, 0xff, 0xff };
			nf_build(c.pkt + VNET_HDR_LEN, c.flen, bc, net.mac,
				 "TX", seq);
		}
		head = hc->build(&c);
		virtq_publish(c.vq, head);
		if (hc->jump) {
			c.vq->avail_idx += c.vq->size;
			c.vq->avail->idx = c.vq->avail_idx;
		}
		vpci_kick(&net.vp, c.vq);
		if (hc->queue == RXQ)
			request_frame();
		r = vpci_wait(&net.vp, c.vq,
			      hc->may_wait && mrg ? SHORT_MS : WAIT_MS, &id,
			      &len);
		bad = judge(hc, &c, r, head, id, len);
		printf("%s %-28s %s", bad ? "FAIL case" : "case", hc->name,
		       r == VQ_NEEDS_RESET		? "DEVICE_NEEDS_RESET"
		       : r == VQ_TIMEOUT && !bad ? "waiting for more buffers"
		       : r == VQ_TIMEOUT	? "no completion"
						: "completed");
		if (r == VQ_DONE)
			printf(" (used id %u len %u)", id, len);
		if (!bad && hc->mode == GOOD && hc->queue == TXQ) {
			printf(", sent KVMINI-TX-%u len %u", tx_seq, c.flen);
			tx_seq++;
		}
		if (bad)
			printf(": %s", bad);
		putc('\n');
		/* the recovery's own lines ("net: inject 1" must start one) */
		rbad = recover(hc, &c);
		if (rbad) {
			printf("FAIL case %s: after a reset: %s\n", hc->name,
			       rbad);
			bad = rbad;
		}
		if (bad)
			failed++;
	}
	if (failed) {
		printf("FAIL virtio_net_hostile%s: %u of %u cases failed\n",
		       mode, failed, run);
		return 1;
	}
	printf("PASS virtio_net_hostile (%s%u cases)\n", mode2, run);
	return 0;
}
