/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.2 section 2.7), device side.  All descriptor
 * walking goes through virtq_pop(), the one validating reader: every
 * address and length is checked with gpa_ptr(), chains are bounded by the
 * queue size (loops end there), indirect tables are validated (no nesting,
 * length a multiple of 16, not combined with NEXT), and device-readable
 * buffers must come before device-writable ones.  A violation returns -1;
 * the device then sets NEEDS_RESET and stops using the queue.
 */
#ifndef KVMINI_VIRTQUEUE_H
#define KVMINI_VIRTQUEUE_H

#include <linux/virtio_ring.h>
#include <stdint.h>

#include "guest_mem.h"

#define VIRTQ_MAX_SIZE 1024
#define VIRTQ_MAX_SEGS 1024 /* segments in one chain, indirect included */

struct virtq {
	/* set by the driver through the transport */
	uint16_t size;
	uint16_t msix_vector;
	int enabled;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* device state */
	uint16_t max_size;
	int event_idx; /* VIRTIO_F_RING_EVENT_IDX negotiated */
	int indirect;  /* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled_used;
	int signalled_valid;
};

struct virtq_seg {
	uint8_t *addr; /* host pointer, already bounds-checked */
	uint32_t len;
};

struct virtq_req {
	uint16_t head;
	unsigned int nr_out; /* device-readable segments, first */
	unsigned int nr_in;  /* device-writable segments, after them */
	uint64_t out_len, in_len;
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

/* Back to the reset state, keeping max_size. */
void virtq_reset(struct virtq *vq);
/* Checks and maps the rings the driver configured; -1 if invalid. */
int virtq_map(struct virtq *vq, const struct guest_mem *mem);
/* 1: @req holds the next chain; 0: nothing available; -1: malformed. */
int virtq_pop(struct virtq *vq, const struct guest_mem *mem,
	      struct virtq_req *req);
/*
 * Gives back the last @n popped chains, unused (retried later).  With
 * EVENT_IDX the driver still notifies when it adds the next chain.
 */
void virtq_unpop(struct virtq *vq, uint16_t n);
/* Returns a chain with @written bytes of device-writable data. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t written);
/* Returns @n chains at once: used->idx moves once, past all of them. */
void virtq_push_many(struct virtq *vq, const uint16_t *heads,
		     const uint32_t *written, unsigned int n);
/* After pushes: does the driver want an interrupt (EVENT_IDX aware)? */
int virtq_should_notify(struct virtq *vq);

/* Copies up to @len bytes out of the readable segments from @off. */
uint64_t virtq_copy_from(const struct virtq_req *req, uint64_t off, void *dst,
			 uint64_t len);
/* Copies into the writable segments from @off; returns bytes copied. */
uint64_t virtq_copy_to(struct virtq_req *req, uint64_t off, const void *src,
		       uint64_t len);
/* The writable byte at @off (a status byte kept for later), or NULL. */
uint8_t *virtq_in_byte(struct virtq_req *req, uint64_t off);

#endif
