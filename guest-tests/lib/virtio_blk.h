/*
 * virtio-blk driver for the test guests (virtio 1.2 section 5.2), one
 * request queue, one request in flight, polled.
 *
 * A request is a chain: a 16-byte header the device reads (type, reserved,
 * sector), the data buffers, and one status byte the device writes.  The
 * status byte is preset to 0xff so that "the device never wrote it" can be
 * told apart from OK/IOERR/UNSUPP.
 */
#ifndef GUEST_VIRTIO_BLK_H
#define GUEST_VIRTIO_BLK_H

#include <stdint.h>

#include "virtio_pci.h"

#define VIRTIO_ID_BLOCK_PCI 0x1042 /* 0x1040 + device type 2 */

#define VIRTIO_BLK_F_SIZE_MAX (1ULL << 1)
#define VIRTIO_BLK_F_SEG_MAX  (1ULL << 2)
#define VIRTIO_BLK_F_GEOMETRY (1ULL << 4)
#define VIRTIO_BLK_F_RO	      (1ULL << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ULL << 6)
#define VIRTIO_BLK_F_FLUSH    (1ULL << 9)
#define VIRTIO_BLK_F_MQ	      (1ULL << 12)

#define VIRTIO_BLK_T_IN	    0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8

#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define SECTOR_SIZE	    512

/* device configuration offsets */
#define VIRTIO_BLK_CFG_CAPACITY 0  /* le64, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 8  /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX	12 /* le32 */
#define VIRTIO_BLK_CFG_BLK_SIZE 20 /* le32 */
#define VIRTIO_BLK_CFG_NUM_QUEUES 34 /* le16, after writeback and a pad */

struct virtio_blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk {
	struct virtio_pci vp;
	struct virtq vq;
	uint64_t capacity;
	uint32_t size_max, seg_max, blk_size; /* 0 when not negotiated */
	struct virtio_blk_hdr *hdr;	      /* DMA, 16 bytes */
	volatile uint8_t *status;	      /* DMA, 1 byte */
	uint16_t head;			      /* of the last chain submitted */
	uint32_t used_id, used_len;	      /* of the last completion */
};

/* blk_submit/blk_io results other than a status byte (0..254) */
#define BLK_TIMEOUT	(-1) /* no completion, no DEVICE_NEEDS_RESET */
#define BLK_NEEDS_RESET (-2) /* the device set DEVICE_NEEDS_RESET */
#define BLK_NO_STATUS	(-3) /* completed, status byte left at 0xff */
#define BLK_BAD_ID	(-4) /* completed, but the used id is not our head */
#define BLK_STATUS_UNTOUCHED 0xff

#define BLK_TIMEOUT_MS 2000

/* find the device on bus 0, map it, allocate a queue of qsize entries;
 * prints what it found.  0 or -1. */
int blk_find(struct blk *b, uint16_t qsize);
/* reset and bring the device up with offered & wanted features (plus
 * VERSION_1), read the configuration.  0 or -1 (reason printed). */
int blk_start(struct blk *b, uint64_t wanted);

void blk_set_hdr(struct blk *b, uint32_t type, uint64_t sector);
/* preset the status byte, publish head, kick, wait up to ms */
int blk_submit(struct blk *b, uint16_t head, uint32_t ms);
/* header, data (len 0: none), status; device_writes: data is for the device
 * to fill.  Returns the status byte or a BLK_ result. */
int blk_io(struct blk *b, uint32_t type, uint64_t sector, void *data,
	   uint32_t len, int device_writes);
/* a chain of the caller's buffers, submitted as it is */
int blk_chain(struct blk *b, const struct vq_buf *bufs, int n);

/* "OK", "IOERR", "UNSUPP", "timeout", ... */
const char *blk_result_name(int r);

#endif
