/*
 * virtio-net driver pieces for the test guests (virtio 1.2 section 5.1):
 * receiveq1 is queue 0, transmitq1 is queue 1, no control queue.  Polled,
 * no interrupts; the guests build their own chains on top of this.
 *
 * Every packet starts with the 12-byte struct virtio_net_hdr (5.1.6; the
 * num_buffers field is always there in virtio 1.x).  The header and the
 * frame may be spread over the descriptors of a chain in any way (5.1.6.6,
 * 2.6.4).
 */
#ifndef GUEST_VIRTIO_NET_H
#define GUEST_VIRTIO_NET_H

#include <stdint.h>

#include "virtio_pci.h"

#define VIRTIO_ID_NET_PCI 0x1041 /* 0x1040 + device type 1 */

/* feature bits (5.1.3) */
#define VIRTIO_NET_F_CSUM	(1ULL << 0)
#define VIRTIO_NET_F_GUEST_CSUM (1ULL << 1)
#define VIRTIO_NET_F_MAC	(1ULL << 5)
#define VIRTIO_NET_F_MRG_RXBUF	(1ULL << 15)
#define VIRTIO_NET_F_STATUS	(1ULL << 16)

/* device configuration offsets (5.1.4) */
#define VIRTIO_NET_CFG_MAC    0 /* u8[6], with VIRTIO_NET_F_MAC */
#define VIRTIO_NET_CFG_STATUS 6 /* le16, with VIRTIO_NET_F_STATUS */
#define VIRTIO_NET_S_LINK_UP  1

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_F_RSC_INFO   4
#define VIRTIO_NET_HDR_GSO_NONE	    0

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define VNET_HDR_LEN 12
_Static_assert(sizeof(struct virtio_net_hdr) == VNET_HDR_LEN,
	       "virtio_net_hdr is 12 bytes");

#define NET_RXQ 0
#define NET_TXQ 1

struct net {
	struct virtio_pci vp;
	struct virtq rx, tx;
	uint8_t mac[6];	    /* from the configuration; 0 without F_MAC */
	uint16_t tx_head;   /* of the last chain net_tx_chain sent */
};

/* find 1af4:1041 on bus 0, map it, allocate both queues (qsize entries
 * each); prints what it found.  0 or -1. */
int net_find(struct net *n, uint16_t qsize);
/* reset, negotiate offered & wanted (plus VERSION_1), empty rings on both
 * queues, read the MAC: everything up to DRIVER_OK.  0 or -1 (reason
 * printed). */
int net_setup(struct net *n, uint64_t wanted);
/* DRIVER_OK, and check the device did not refuse it.  0 or -1. */
int net_go(struct net *n);
/* net_setup, then net_go */
int net_start(struct net *n, uint64_t wanted);
/* publish head on vq and notify the device */
void net_publish(struct net *n, struct virtq *vq, uint16_t head);
/* send one chain on the transmit queue and wait up to ms: VQ_DONE (with
 * *id, *len), VQ_TIMEOUT or VQ_NEEDS_RESET */
int net_tx_chain(struct net *n, const struct vq_buf *bufs, int nbufs,
		 uint32_t ms, uint32_t *id, uint32_t *len);
/* "02:00:00:00:00:01" into buf (18 bytes) */
void net_mac_str(const uint8_t *mac, char *buf);
/* does the PVH command line hold the word w (e.g. "mrg=1")?  See
 * cmdline_has in args.h. */
int net_cmdline_has(const void *start_info, const char *w);

#endif
