/*
 * Split virtqueues (virtio 1.2 section 2.7), driver side, for polling
 * guests: the descriptor table, the driver ("avail") ring and the device
 * ("used") ring live in dma_alloc() memory.  One request is in flight at a
 * time, so descriptors are simply handed out round-robin.
 */
#ifndef GUEST_VIRTQ_H
#define GUEST_VIRTQ_H

#include <stdint.h>

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2 /* device writes this buffer */
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* then avail_event */
};

struct virtq {
	uint16_t index;	     /* queue number on the device */
	uint16_t size;	     /* entries in use, a power of 2 */
	uint16_t alloc_size; /* entries the memory has room for */
	uint16_t notify_off; /* queue_notify_off read from the device */
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	uint16_t avail_idx; /* the driver's copy of avail->idx */
	uint16_t used_idx;  /* used entries consumed so far */
	uint16_t next_desc; /* next descriptor to hand out */
};

/* one buffer of a chain */
struct vq_buf {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VIRTQ_DESC_F_WRITE and/or _INDIRECT; NEXT is added */
};

/* room for 'size' entries (a power of 2, <= 32768) */
void virtq_alloc(struct virtq *vq, uint16_t index, uint16_t size);
/* empty rings and zeroed counters, as after a device reset */
void virtq_reset(struct virtq *vq);

void virtq_set_desc(struct virtq *vq, uint16_t i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next);
/* write a chain of n buffers into free descriptors, return its head */
uint16_t virtq_add_chain(struct virtq *vq, const struct vq_buf *bufs, int n);
/* make 'head' (any value: tests publish bad ones) available to the device */
void virtq_publish(struct virtq *vq, uint16_t head);
/* consume the next used entry if there is one: 1 and *id, *len; else 0 */
int virtq_get_used(struct virtq *vq, uint32_t *id, uint32_t *len);
/* how many used entries the device has published that we did not consume */
uint16_t virtq_pending(struct virtq *vq);

#endif
