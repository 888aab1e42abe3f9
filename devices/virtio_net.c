// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net: queue 0 receives, queue 1 transmits.  Both run on the device
 * loop: a TX notification (ioeventfd) writes each chain to the tap with one
 * writev(); a readable tap fills receive buffers.  The tap speaks the same
 * 12-byte virtio_net_hdr_v1 as the guest, so offloads (checksum, TSO)
 * pass straight through once TUNSETOFFLOAD matches what the guest accepts.
 * When the guest has posted no receive buffers, kvmini keeps the one packet
 * it has read and stops reading the tap until buffers arrive: the tap's own
 * queue holds the rest (and drops beyond it, as a full NIC ring would).
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"
#include "virtio_net.h"
#include "virtio_pci.h"
#include "vm.h"

#define RX_QUEUE   0
#define TX_QUEUE   1
#define QUEUE_SIZE 256
/*
 * Work per wake-up of the device loop: after this many frames in one
 * direction the loop serves its other sources (the other direction, other
 * devices, the console) before it continues.
 */
#define BURST	   128
#define HDR_LEN	   sizeof(struct virtio_net_hdr_v1)
/* a 64 KiB GSO frame, its Ethernet header and the virtio header */
#define PKT_MAX	   (65536 + 14 + 4 + HDR_LEN)
/* guest segments one direct read of the tap fills: n->pkt is one more
 * (readv takes IOV_MAX, 1024) */
#define RX_IOV_MAX 1023

struct virtio_net {
	struct virtio_pci pci;
	struct virtio_net_config config;
	struct tap tap;
	struct event_source tap_src;
	int tap_polled;	      /* EPOLLIN on the tap is armed */
	uint8_t pkt[PKT_MAX]; /* read from the tap, not yet delivered */
	size_t pkt_len;
	size_t rx_hint; /* the last frame's size: chains to pop for the next */
	struct iovec rx_iov[RX_IOV_MAX + 1];
	uint16_t rx_heads[QUEUE_SIZE];
	uint32_t rx_lens[QUEUE_SIZE];
	struct virtq_req *rx_req;
	struct iovec iov[VIRTQ_MAX_SEGS];
	uint64_t rx_dropped, tx_dropped;
	uint64_t rx_copied; /* bytes copied into the guest, not read there */
};

static int negotiated(struct virtio_dev *vd, unsigned int bit)
{
	return !!(vd->guest_features & (1ULL << bit));
}

static void set_tap_polling(struct virtio_net *n, int on)
{
	if (n->tap_polled == on)
		return;
	n->tap_polled = on;
	event_loop_mod(&n->pci.vd.vm->loop, &n->tap_src, on ? EPOLLIN : 0);
}

/*
 * A frame lost on the way: counted, and told on the 1st, 2nd, 4th, 8th...
 * time, so that a transfer stalled on drops says why without flooding.
 * @err: the errno of a failed tap write, or 0.
 */
static void dropped(struct virtio_net *n, uint64_t *count, const char *why,
		    int err)
{
	++*count;
	if (*count & (*count - 1))
		return;
	warn("%s: %s%s%s (%llu frames so far)", n->tap.name, why,
	     err ? ": " : "", err ? strerror(err) : "",
	     (unsigned long long)*count);
}

/* Copies the pending packet into one chain (no MRG_RXBUF). */
static int rx_single(struct virtio_net *n, struct virtq *vq)
{
	struct virtio_dev *vd = &n->pci.vd;
	struct virtio_net_hdr_v1 *hdr = (void *)n->pkt;
	int r = virtq_pop(vq, &vd->vm->mem, n->rx_req);

	if (r <= 0)
		return r;
	hdr->num_buffers = 1;
	if (n->rx_req->in_len < n->pkt_len) {
		dropped(n, &n->rx_dropped,
			"receive buffer too small, frame dropped", 0);
		virtq_push(vq, n->rx_req->head, 0);
		return 1;
	}
	n->rx_copied += virtq_copy_to(n->rx_req, 0, n->pkt, n->pkt_len);
	virtq_push(vq, n->rx_req->head, n->pkt_len);
	return 1;
}

/* Writes @len bytes at the start of a chain's writable segments. */
static void write_segs(const struct virtq_seg *seg, unsigned int nseg,
		       const uint8_t *src, size_t len)
{
	for (unsigned int i = 0; i < nseg && len; i++) {
		size_t n = seg[i].len < len ? seg[i].len : len;

		memcpy(seg[i].addr, src, n);
		src += n;
		len -= n;
	}
}

/* Reads @len bytes from the start of a chain's writable segments. */
static void read_segs(const struct virtq_seg *seg, unsigned int nseg,
		      uint8_t *dst, size_t len)
{
	for (unsigned int i = 0; i < nseg && len; i++) {
		size_t n = seg[i].len < len ? seg[i].len : len;

		memcpy(dst, seg[i].addr, n);
		dst += n;
		len -= n;
	}
}

/*
 * Tiny buffers: not even a full ring of them holds the frame.  The @bufs
 * chains go back unused; 1, as for a frame delivered (the next one may fit).
 */
static int drop_too_big(struct virtio_net *n, struct virtq *vq, uint16_t bufs)
{
	virtq_unpop(vq, bufs);
	dropped(n, &n->rx_dropped,
		"frame larger than the whole receive ring, dropped", 0);
	return 1;
}

/*
 * Spreads the pending packet over as many chains as it needs (5.1.6.3.2);
 * num_buffers, in the first chain's header, is known only at the end.
 * Not enough buffers yet: the chains are given back, unused.
 */
static int rx_mergeable(struct virtio_net *n, struct virtq *vq)
{
	struct virtio_dev *vd = &n->pci.vd;
	struct virtq_req *req = n->rx_req;
	struct virtq_seg first[HDR_LEN];
	unsigned int nfirst = 0;
	uint16_t heads[QUEUE_SIZE], bufs = 0;
	uint32_t lens[QUEUE_SIZE];
	size_t off = 0;
	int r;

	while (off < n->pkt_len) {
		if (bufs == QUEUE_SIZE)
			return drop_too_big(n, vq, bufs);
		r = virtq_pop(vq, &vd->vm->mem, req);
		if (r <= 0) {
			virtq_unpop(vq, bufs);
			return r;
		}
		if (bufs == 0) { /* keep where the header goes */
			if (req->in_len < HDR_LEN) {
				virtq_unpop(vq, 1);
				return -1;
			}
			for (unsigned int i = req->nr_out;
			     i < req->nr_out + req->nr_in && nfirst < HDR_LEN;
			     i++)
				first[nfirst++] = req->seg[i];
		}
		heads[bufs] = req->head;
		lens[bufs] =
			virtq_copy_to(req, 0, n->pkt + off, n->pkt_len - off);
		if (!lens[bufs]) { /* a chain with no writable bytes */
			virtq_unpop(vq, bufs + 1);
			return -1;
		}
		off += lens[bufs++];
	}
	n->rx_copied += off;
	((struct virtio_net_hdr_v1 *)n->pkt)->num_buffers = bufs;
	write_segs(first, nfirst, n->pkt, HDR_LEN);
	/* all at once: a driver polling the ring must not see part of it */
	virtq_push_many(vq, heads, lens, bufs);
	return 1;
}

/*
 * Pops receive chains for @want bytes (at least one chain) and lists their
 * writable segments in n->rx_iov.  Returns the number of chains, -1 for
 * a malformed one, or -2 when the first chain alone has more segments
 * than one read takes or more room than PKT_MAX (nothing is left popped
 * then: the copying path, bounded by the frame, serves it).  *first gets the
 * segments that will hold the virtio-net header.
 */
static int rx_pop_for(struct virtio_net *n, struct virtq *vq, size_t want,
		      unsigned int *niov, size_t *room, struct virtq_seg *first,
		      unsigned int *nfirst)
{
	struct virtio_dev *vd = &n->pci.vd;
	struct virtq_req *req = n->rx_req;
	int bufs = 0, r;

	*niov = 0;
	*room = 0;
	while ((bufs == 0 || *room < want) && bufs < QUEUE_SIZE) {
		r = virtq_pop(vq, &vd->vm->mem, req);
		if (r == 0)
			break;
		if (r < 0 || !req->in_len || (!bufs && req->in_len < HDR_LEN)) {
			virtq_unpop(vq, bufs + (r > 0));
			return -1;
		}
		/* more segments than one read takes, or more room than any
		 * frame needs (segments may overlap: in_len can pass 4 GiB) */
		if (*niov + req->nr_in > RX_IOV_MAX || req->in_len > PKT_MAX) {
			virtq_unpop(vq, 1); /* for the next frame, or copied */
			if (!bufs)
				return -2;
			break;
		}
		for (unsigned int i = req->nr_out; i < req->nr_out + req->nr_in;
		     i++) {
			if (!bufs && *nfirst < HDR_LEN)
				first[(*nfirst)++] = req->seg[i];
			n->rx_iov[(*niov)++] =
				(struct iovec){ req->seg[i].addr,
						req->seg[i].len };
		}
		n->rx_heads[bufs] = req->head;
		n->rx_lens[bufs] = req->in_len;
		*room += req->in_len;
		bufs++;
	}
	return bufs;
}

/*
 * A frame too big for the chains a direct read had: its start is in those
 * chains, the rest at the start of n->pkt.  Put it together in n->pkt and
 * give the chains back; rx_mergeable delivers it when there are buffers.
 */
static void rx_keep_whole(struct virtio_net *n, struct virtq *vq, int bufs,
			  unsigned int niov, size_t room, size_t len)
{
	uint8_t *p = n->pkt;

	memmove(n->pkt + room, n->pkt, len - room);
	for (unsigned int i = 0; i < niov; i++) {
		memcpy(p, n->rx_iov[i].iov_base, n->rx_iov[i].iov_len);
		p += n->rx_iov[i].iov_len;
	}
	n->pkt_len = len;
	virtq_unpop(vq, bufs);
}

/*
 * Zero-copy receive with MRG_RXBUF: chains for the size of the last frame
 * are popped first and the tap is read straight into them, with n->pkt
 * behind them for the rest of a bigger frame, which is then copied into
 * further chains.  1: a frame delivered; 0: not enough buffers (a frame
 * read in part waits in n->pkt); 2: the tap is empty; 3: use the copying
 * path (a chain of too many segments or too much room); -1: a malformed
 * chain.
 */
static int rx_direct(struct virtio_net *n, struct virtq *vq)
{
	struct virtio_net_hdr_v1 hdr;
	struct virtq_seg first[HDR_LEN];
	unsigned int niov, nfirst = 0;
	size_t room, used = 0, want = n->rx_hint ? n->rx_hint : PKT_MAX;
	int bufs = rx_pop_for(n, vq, want, &niov, &room, first, &nfirst);
	int total = 0;
	ssize_t len;

	if (bufs == -2)
		return 3;
	if (bufs <= 0)
		return bufs;
	/* never more than n->pkt holds in all: rx_keep_whole needs that */
	n->rx_iov[niov] = (struct iovec){
		n->pkt, room < sizeof(n->pkt) ? sizeof(n->pkt) - room : 0
	};
	len = readv(n->tap.fd, n->rx_iov, niov + 1);
	if (len <= (ssize_t)HDR_LEN) {
		virtq_unpop(vq, bufs);
		return 2; /* EAGAIN: the tap is empty */
	}
	n->rx_hint = len;
	/* the chains the frame's start filled; the unused ones go back */
	while (total < bufs && used < (size_t)len) {
		if (n->rx_lens[total] > len - used)
			n->rx_lens[total] = len - used;
		used += n->rx_lens[total++];
	}
	virtq_unpop(vq, bufs - total);
	/* the rest of a bigger frame, from n->pkt into more chains */
	while (used < (size_t)len) {
		struct virtq_req *req = n->rx_req;
		int r;

		if (total == QUEUE_SIZE)
			return drop_too_big(n, vq, total);
		r = virtq_pop(vq, &n->pci.vd.vm->mem, req);
		if (r > 0 && !req->in_len)
			r = -1; /* the device needs a reset: no unpop */
		if (r == 0)
			rx_keep_whole(n, vq, total, niov, room, len);
		if (r <= 0)
			return r;
		n->rx_heads[total] = req->head;
		n->rx_lens[total] =
			virtq_copy_to(req, 0, n->pkt + used - room, len - used);
		n->rx_copied += n->rx_lens[total];
		used += n->rx_lens[total++];
	}
	read_segs(first, nfirst, (uint8_t *)&hdr, HDR_LEN);
	hdr.num_buffers = total;
	write_segs(first, nfirst, (const uint8_t *)&hdr, HDR_LEN);
	/* all at once: a driver polling the ring must not see part of it */
	virtq_push_many(vq, n->rx_heads, n->rx_lens, total);
	return 1;
}

/* Moves packets tap -> guest while there are buffers; device loop. */
static void rx(struct virtio_net *n)
{
	struct virtio_dev *vd = &n->pci.vd;
	struct virtq *vq = &vd->vq[RX_QUEUE];
	int mergeable = negotiated(vd, VIRTIO_NET_F_MRG_RXBUF);
	int delivered = 0, waiting = 0, r;

	if (!(vd->status & VIRTIO_CONFIG_S_DRIVER_OK) || !vq->enabled ||
	    (vd->status & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		set_tap_polling(n, 0); /* no spinning on a readable tap */
		return;
	}
	/* the tap stays readable: epoll brings us back after the others */
	while (delivered < BURST) {
		r = !n->pkt_len && mergeable ? rx_direct(n, vq) : 3;
		if (r == 2)
			break; /* the tap is empty */
		if (r == 3) {  /* copying: read into n->pkt first */
			if (!n->pkt_len) {
				ssize_t len =
					read(n->tap.fd, n->pkt, sizeof(n->pkt));

				if (len <= (ssize_t)HDR_LEN)
					break; /* EAGAIN: the tap is empty */
				n->pkt_len = len;
			}
			r = mergeable ? rx_mergeable(n, vq) : rx_single(n, vq);
		}
		if (r < 0) {
			virtio_needs_reset(vd, "malformed receive buffer");
			break;
		}
		if (r == 0) {
			waiting = 1; /* for the guest's buffers */
			break;
		}
		n->pkt_len = 0;
		delivered++;
	}
	set_tap_polling(n, !waiting);
	if (delivered)
		virtio_queue_done(vd, RX_QUEUE);
}

static void tap_readable(struct event_source *src, uint32_t events)
{
	struct virtio_net *n = src->opaque;

	pthread_mutex_lock(&n->pci.vd.lock);
	rx(n);
	pthread_mutex_unlock(&n->pci.vd.lock);
}

/* Only offloads the guest negotiated reach the host's network stack. */
static int tx_header_ok(struct virtio_dev *vd, const struct virtq_req *req)
{
	struct virtio_net_hdr_v1 h;

	virtq_copy_from(req, 0, &h, sizeof(h));
	if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !negotiated(vd, VIRTIO_NET_F_CSUM))
		return 0;
	if ((h.gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !negotiated(vd, VIRTIO_NET_F_HOST_ECN))
		return 0;
	switch (h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return !(h.gso_type & VIRTIO_NET_HDR_GSO_ECN);
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return negotiated(vd, VIRTIO_NET_F_HOST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return negotiated(vd, VIRTIO_NET_F_HOST_TSO6);
	default: return 0; /* UFO and others: not offered */
	}
}

static void tx(struct virtio_net *n)
{
	struct virtio_dev *vd = &n->pci.vd;
	struct virtq *vq = &vd->vq[TX_QUEUE];
	struct virtq_req *req = vd->req;
	int r, sent = 0;

	while (sent < BURST && (r = virtq_pop(vq, &vd->vm->mem, req)) == 1) {
		unsigned int i;

		if (req->out_len <= HDR_LEN || req->nr_in) {
			r = -1; /* no frame, or buffers for us to write */
			break;
		}
		if (!tx_header_ok(vd, req)) {
			dropped(n, &n->tx_dropped,
				"frame with offloads the guest did not "
				"negotiate, dropped",
				0);
			virtq_push(vq, req->head, 0);
			sent++;
			continue;
		}
		for (i = 0; i < req->nr_out; i++)
			n->iov[i] = (struct iovec){ req->seg[i].addr,
						    req->seg[i].len };
		/* tap full or down: lost as on a wire */
		if (writev(n->tap.fd, n->iov, req->nr_out) < 0)
			dropped(n, &n->tx_dropped,
				"tap write failed, frame dropped", errno);
		virtq_push(vq, req->head, 0);
		sent++;
	}
	if (sent == BURST)
		virtio_kick(vd, TX_QUEUE); /* more later: others first */
	else if (r < 0)
		virtio_needs_reset(vd, "malformed transmit chain");
	if (sent)
		virtio_queue_done(vd, TX_QUEUE);
}

static void net_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	struct virtio_net *n = vd->priv;

	if (q == TX_QUEUE)
		tx(n);
	else
		rx(n); /* new receive buffers */
}

static void net_driver_ok(struct virtio_dev *vd)
{
	struct virtio_net *n = vd->priv;
	unsigned int off = 0;

	if (negotiated(vd, VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (negotiated(vd, VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (negotiated(vd, VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if (negotiated(vd, VIRTIO_NET_F_GUEST_ECN))
			off |= TUN_F_TSO_ECN;
	}
	if (tap_set_offload(&n->tap, off))
		warn("%s: TUNSETOFFLOAD 0x%x failed: %s", n->tap.name, off,
		     strerror(errno));
	set_tap_polling(n, 1);
}

static void net_reset(struct virtio_dev *vd)
{
	struct virtio_net *n = vd->priv;

	n->pkt_len = 0;
	set_tap_polling(n, 0);
}

static const struct virtio_device_ops net_ops = {
	.name = "virtio-net",
	.device_id = 1,
	.nr_queues = 2,
	.queue_max = QUEUE_SIZE,
	.config_size = sizeof(struct virtio_net_config),
	.queue_notify = net_queue_notify,
	.reset = net_reset,
	.driver_ok = net_driver_ok,
};

/* No-op interrupts for virtio_net_test_tx(): no transport there. */
static void test_signal_queue(struct virtio_dev *vd, unsigned int q)
{
}

static void test_signal_config(struct virtio_dev *vd)
{
}

/* A NIC on @fd instead of a tap, without a transport (tests only). */
static struct virtio_net *test_nic(struct vm *vm, struct virtq_req *req,
				   uint64_t features, int fd)
{
	static const struct virtio_transport_ops tops = {
		.signal_queue = test_signal_queue,
		.signal_config = test_signal_config,
	};
	struct virtio_net *n = calloc(1, sizeof(*n));
	struct virtio_dev *vd;

	if (!n)
		abort();
	vd = &n->pci.vd;
	n->tap.fd = fd;
	n->tap_src.fd = -1;
	n->rx_req = req;
	vd->vm = vm;
	vd->ops = &net_ops;
	vd->nr_queues = net_ops.nr_queues;
	vd->tops = &tops;
	vd->priv = n;
	vd->req = req;
	vd->guest_features = features;
	vd->notify[RX_QUEUE].fd = vd->notify[TX_QUEUE].fd = -1;
	return n;
}

void virtio_net_test_tx(struct vm *vm, struct virtq *vq, struct virtq_req *req,
			uint64_t features, int fd)
{
	struct virtio_net *n = test_nic(vm, req, features, fd);

	n->pci.vd.vq[TX_QUEUE] = *vq;
	tx(n);
	*vq = n->pci.vd.vq[TX_QUEUE];
	free(n);
}

unsigned int virtio_net_test_rx(struct vm *vm, struct virtq *vq,
				struct virtq_req *req, uint64_t features,
				int fd, uint8_t *kept, size_t *kept_len,
				uint64_t *copied)
{
	struct virtio_net *n = test_nic(vm, req, features, fd);
	struct virtio_dev *vd = &n->pci.vd;
	unsigned int status;

	if (*kept_len > sizeof(n->pkt))
		abort();
	memcpy(n->pkt, kept, *kept_len);
	n->pkt_len = *kept_len;
	vd->status = VIRTIO_CONFIG_S_DRIVER_OK;
	vd->vq[RX_QUEUE] = *vq;
	rx(n);
	*vq = vd->vq[RX_QUEUE];
	memcpy(kept, n->pkt, n->pkt_len);
	*kept_len = n->pkt_len;
	*copied = n->rx_copied;
	status = vd->status;
	free(n);
	return status;
}

/* A stable, locally administered MAC from the VM name and NIC index. */
static void default_mac(const char *vm_name, int index, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (const char *p = vm_name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ (uint8_t)index) * 0x100000001b3ULL;
	for (int i = 0; i < 6; i++)
		mac[i] = h >> (8 * i);
	mac[0] = (mac[0] & 0xfc) | 0x02; /* unicast, locally administered */
}

static void net_destroy(void *arg)
{
	struct virtio_net *n = arg;

	tap_close(&n->tap);
	free(n->rx_req);
	if (n->pci.vd.ops)
		virtio_dev_free(&n->pci.vd);
}

int virtio_net_create(struct vm *vm, const struct net_config *net, int index)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	uint64_t features =
		1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
		1ULL << VIRTIO_NET_F_MRG_RXBUF | 1ULL << VIRTIO_NET_F_CSUM |
		1ULL << VIRTIO_NET_F_GUEST_CSUM |
		1ULL << VIRTIO_NET_F_GUEST_TSO4 |
		1ULL << VIRTIO_NET_F_GUEST_TSO6 |
		1ULL << VIRTIO_NET_F_GUEST_ECN |
		1ULL << VIRTIO_NET_F_HOST_TSO4 |
		1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_HOST_ECN;

	if (!n)
		return -1;
	vm_own_device(vm, n);
	n->tap.fd = -1;
	vm_on_destroy(vm, net_destroy, n);
	n->rx_req = malloc(sizeof(*n->rx_req));
	if (!n->rx_req ||
	    tap_open(&n->tap, net->tap, net->bridge[0] ? net->bridge : NULL))
		return -1;
	if (net->has_mac)
		memcpy(n->config.mac, net->mac, 6);
	else
		default_mac(vm->cfg->name, index, n->config.mac);
	n->config.status = VIRTIO_NET_S_LINK_UP;
	n->tap_src = (struct event_source){ .fd = n->tap.fd,
					    .handler = tap_readable,
					    .opaque = n };
	if (virtio_dev_init(&n->pci.vd, vm, &net_ops, features, n,
			    (uint8_t *)&n->config) ||
	    event_loop_add(&vm->loop, &n->tap_src, 0) ||
	    virtio_pci_register(vm, &n->pci)) {
		err("cannot create virtio-net on %s", n->tap.name);
		return -1;
	}
	return 0;
}
