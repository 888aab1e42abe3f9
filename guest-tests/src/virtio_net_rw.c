/*
 * virtio-net receive and transmit (virtio 1.2 section 5.1) against the host
 * peer of guest-tests/run.sh (src/virtio_net_peer.c, on the other end of
 * the tap, inside a network namespace of its own).
 *
 * Negotiates VERSION_1 | MAC and nothing else (no offloads), or, with "mrg=1"
 * on the kernel command line, VERSION_1 | MAC | MRG_RXBUF.  Prints the MAC
 * from the configuration space ("mac XX:..."), posts receive buffers,
 * prints "net ready: inject 4" (the peer then injects test frames
 * KVMINI-RX-0..3, see lib/net_frame.h), receives and checks them: the
 * header (flags 0 and GSO_NONE without offloads, num_buffers 1 without
 * MRG_RXBUF, else the number of buffers the frame spans), the addresses,
 * the payload and the length.  Then it sends KVMINI-TX-0..3 to the
 * broadcast address, each with a different chain layout, and prints "sent
 * KVMINI-TX-<n> len <len>" for each: run.sh checks the peer saw exactly
 * those.
 *
 * Receive buffers:
 *   plain  2 buffers of 1526 bytes (header + a 1514-byte frame, the
 *          exact minimum); buffer 1 is split 12 + 1514 over two
 *          descriptors.  Four frames arrive at once for two buffers: the
 *          device must hold the rest until buffers come back.  Posted
 *          before DRIVER_OK (5.1.5).
 *   mrg    8 buffers of 256 bytes (buffer 1 split 12 + 244), posted after
 *          DRIVER_OK: the 250-, 700- and 1514-byte frames span 2, 3 and 6
 *          buffers.
 */
#include "net_frame.h"
#include "runtime.h"
#include "serial.h"
#include "virtio_net.h"

#define QSIZE	   32
#define NRX	   4 /* frames the peer injects */
#define NTX	   4 /* frames we send */
#define RX_WAIT_MS 10000
#define TX_WAIT_MS 2000
#define MAX_SLOTS  8
#define MAX_NOISE  16 /* frames of other types we tolerate */

#define W	VIRTQ_DESC_F_WRITE
#define N	VIRTQ_DESC_F_NEXT
#define ADDR(p) ((uint64_t)(uintptr_t)(p))

struct slot {
	uint8_t *mem;
	uint32_t size;
};

static struct net net;
static int mrg;
static uint32_t nslots;
static struct slot slots[MAX_SLOTS];
static uint8_t *frame; /* a received frame, reassembled */
static const char *why;

static int fail(const char *what)
{
	why = what;
	return -1;
}

/* slot s uses descriptors 2s (and 2s + 1 when split); its head is 2s */
static void post(uint32_t s)
{
	struct slot *sl = &slots[s];
	uint16_t d = (uint16_t)(2 * s);

	memset(sl->mem, 0xa5, sl->size);
	if (s == 1) {
		virtq_set_desc(&net.rx, d, ADDR(sl->mem), VNET_HDR_LEN, W | N,
			       d + 1);
		virtq_set_desc(&net.rx, d + 1, ADDR(sl->mem) + VNET_HDR_LEN,
			       sl->size - VNET_HDR_LEN, W, 0);
	} else {
		virtq_set_desc(&net.rx, d, ADDR(sl->mem), sl->size, W, 0);
	}
	virtq_publish(&net.rx, d);
}

/* the next used receive buffer: its slot and used length */
static int rx_next(struct deadline *dl, uint32_t *s, uint32_t *len)
{
	uint32_t id;

	for (;;) {
		if (virtq_get_used(&net.rx, &id, len))
			break;
		if (vpci_get_status(&net.vp) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
			return fail("the device set DEVICE_NEEDS_RESET");
		if (deadline_passed(dl))
			return fail("timeout waiting for received frames");
	}
	if ((id & 1) || id / 2 >= nslots) {
		printf("rx: used id %u is not the head of a buffer of ours\n",
		       id);
		return fail("bad used id");
	}
	*s = id / 2;
	if (*len > slots[*s].size) {
		printf("rx: used len %u for a buffer of %u bytes\n", *len,
		       slots[*s].size);
		return fail("used len larger than the buffer");
	}
	return 0;
}

/* one packet: its header and the frame (reassembled into 'frame') */
static int rx_packet(struct deadline *dl, struct virtio_net_hdr *hdr,
		     uint32_t *flen)
{
	uint32_t s, len, got, nb, i;

	if (rx_next(dl, &s, &len))
		return -1;
	if (len < VNET_HDR_LEN) {
		printf("rx: used len %u, shorter than the header\n", len);
		return fail("used len shorter than the header");
	}
	memcpy(hdr, slots[s].mem, VNET_HDR_LEN);
	got = len - VNET_HDR_LEN;
	memcpy(frame, slots[s].mem + VNET_HDR_LEN, got);
	post(s);
	nb = mrg ? hdr->num_buffers : 1;
	if (nb == 0 || nb > nslots) {
		printf("rx: num_buffers %u with %u buffers posted\n", nb,
		       nslots);
		return fail("impossible num_buffers");
	}
	for (i = 1; i < nb; i++) {
		if (rx_next(dl, &s, &len))
			return -1;
		if (got + len > NF_MAX_LEN) {
			printf("rx: merged frame longer than %u bytes\n",
			       NF_MAX_LEN);
			return fail("merged frame too long");
		}
		memcpy(frame + got, slots[s].mem, len);
		got += len;
		post(s);
	}
	vpci_kick(&net.vp, &net.rx);
	*flen = got;
	return 0;
}

static int receive(void)
{
	static const uint8_t peer[6] = NF_PEER_MAC;
	struct virtio_net_hdr hdr;
	struct deadline dl;
	uint32_t k = 0, flen, noise = 0, bad, want_nb;

	deadline_start(&dl, RX_WAIT_MS);
	while (k < NRX) {
		if (rx_packet(&dl, &hdr, &flen))
			return -1;
		if (flen < NF_ETH_HLEN || frame[12] != (NF_ETHERTYPE >> 8) ||
		    frame[13] != (NF_ETHERTYPE & 0xff)) {
			printf("rx: ignored a %u-byte frame of type %02x%02x\n",
			       flen, flen > 13 ? frame[12] : 0,
			       flen > 13 ? frame[13] : 0);
			if (++noise > MAX_NOISE)
				return fail("too many unexpected frames");
			continue;
		}
		want_nb = mrg ? (VNET_HDR_LEN + nf_rx_len(k) + slots[0].size - 1) /
					slots[0].size
			      : 1;
		printf("rx: %u bytes, flags %x gso %u num_buffers %u\n", flen,
		       hdr.flags, hdr.gso_type, hdr.num_buffers);
		if (hdr.flags != 0)
			return fail("header flags set without GUEST_CSUM");
		if (hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE)
			return fail("gso_type set without GUEST_TSO/UFO");
		if (hdr.num_buffers != want_nb) {
			printf("rx: num_buffers %u, wanted %u\n",
			       hdr.num_buffers, want_nb);
			return fail(mrg ? "num_buffers is not the number of "
					  "buffers the frame fills"
					: "num_buffers is not 1 without "
					  "MRG_RXBUF");
		}
		if (!nf_mac_eq(frame, net.mac))
			return fail("destination is not our MAC");
		if (!nf_mac_eq(frame + 6, peer))
			return fail("source is not the peer's MAC");
		bad = nf_check(frame, flen, "RX", k, nf_rx_len(k));
		if (bad) {
			printf("rx: frame %u (%u bytes, wanted %u) differs at "
			       "byte %u\n",
			       k, flen, nf_rx_len(k), bad - 1);
			return fail("received frame has the wrong contents");
		}
		printf("received KVMINI-RX-%u len %u ok\n", k, flen);
		k++;
	}
	return 0;
}

/* frame k with its header in txbuf; the chain layout depends on k */
static int send(uint32_t k, uint8_t *txbuf)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t len = nf_tx_len(k), id, used_len;
	uint64_t a = ADDR(txbuf);
	struct vq_buf b[4];
	int nb, r;

	memset(txbuf, 0, VNET_HDR_LEN); /* no offloads, num_buffers 0 */
	nf_build(txbuf + VNET_HDR_LEN, len, bcast, net.mac, "TX", k);
	switch (k % 4) {
	case 0: /* header and frame in one descriptor */
		b[0] = (struct vq_buf){ a, VNET_HDR_LEN + len, 0 };
		nb = 1;
		break;
	case 2: /* header split 5 + 7, the frame split in two */
		b[0] = (struct vq_buf){ a, 5, 0 };
		b[1] = (struct vq_buf){ a + 5, 7, 0 };
		b[2] = (struct vq_buf){ a + VNET_HDR_LEN, len / 2, 0 };
		b[3] = (struct vq_buf){ a + VNET_HDR_LEN + len / 2,
					len - len / 2, 0 };
		nb = 4;
		break;
	default: /* header, then frame */
		b[0] = (struct vq_buf){ a, VNET_HDR_LEN, 0 };
		b[1] = (struct vq_buf){ a + VNET_HDR_LEN, len, 0 };
		nb = 2;
		break;
	}
	r = net_tx_chain(&net, b, nb, TX_WAIT_MS, &id, &used_len);
	if (r == VQ_TIMEOUT)
		return fail("transmit: no completion");
	if (r == VQ_NEEDS_RESET)
		return fail("transmit: the device set DEVICE_NEEDS_RESET");
	if (id != net.tx_head) {
		printf("tx: used id %u, head was %u\n", id, net.tx_head);
		return fail("transmit: wrong used id");
	}
	if (used_len != 0) {
		printf("tx: used len %u for a chain with nothing to write\n",
		       used_len);
		return fail("transmit: used len not 0");
	}
	if (virtq_pending(&net.tx))
		return fail("transmit: more than one used entry");
	printf("sent KVMINI-TX-%u len %u\n", k, len);
	return 0;
}

static int run(const struct hvm_start_info *si)
{
	uint64_t wanted = VIRTIO_NET_F_MAC;
	uint8_t *txbuf;
	char mac[18];
	uint32_t s, k;

	mrg = net_cmdline_has(si, "mrg=1");
	if (mrg)
		wanted |= VIRTIO_NET_F_MRG_RXBUF;
	nslots = mrg ? 8 : 2;
	for (s = 0; s < nslots; s++) {
		slots[s].size = mrg ? 256 : VNET_HDR_LEN + NF_MAX_LEN;
		slots[s].mem = dma_alloc(slots[s].size, 64);
	}
	frame = dma_alloc(NF_MAX_LEN, 64);
	txbuf = dma_alloc(VNET_HDR_LEN + NF_MAX_LEN, 64);

	if (net_find(&net, QSIZE) || net_setup(&net, wanted))
		return fail("device bring-up");
	printf("features: offered %llx negotiated %llx\n", net.vp.offered,
	       net.vp.features);
	if ((net.vp.features & (wanted | VIRTIO_F_VERSION_1)) !=
	    (wanted | VIRTIO_F_VERSION_1))
		return fail("the device does not offer what the test needs");
	net_mac_str(net.mac, mac);
	printf("mac %s\n", mac);
	if (!mrg)
		for (s = 0; s < nslots; s++)
			post(s); /* before DRIVER_OK: no kick needed */
	if (net_go(&net))
		return fail("DRIVER_OK");
	if (mrg) {
		for (s = 0; s < nslots; s++)
			post(s);
		vpci_kick(&net.vp, &net.rx);
	}
	printf("net ready: inject %u\n", NRX);
	if (receive())
		return -1;
	for (k = 0; k < NTX; k++)
		if (send(k, txbuf))
			return -1;
	if (vpci_get_status(&net.vp) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return fail("DEVICE_NEEDS_RESET at the end");
	return 0;
}

int main(const struct hvm_start_info *si)
{
	const char *mode;

	mode = net_cmdline_has(si, "mrg=1") ? " (mrg_rxbuf)" : "";
	if (run(si)) {
		printf("FAIL virtio_net_rw%s: %s\n", mode, why);
		return 1;
	}
	printf("PASS virtio_net_rw%s: %u frames received, %u sent\n", mode,
	       NRX, NTX);
	return 0;
}
