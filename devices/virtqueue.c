// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "virtqueue.h"

void virtq_reset(struct virtq *vq)
{
	uint16_t max = vq->max_size;

	memset(vq, 0, sizeof(*vq));
	vq->max_size = max;
	vq->size = max;
	vq->msix_vector = 0xffff; /* VIRTIO_MSI_NO_VECTOR */
}

int virtq_map(struct virtq *vq, const struct guest_mem *mem)
{
	uint64_t n = vq->size;

	/* split rings: power-of-two size, spec alignment (2.7) */
	if (n == 0 || n > vq->max_size || (n & (n - 1)) ||
	    (vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -1;
	vq->desc = gpa_ptr(mem, vq->desc_gpa, 16 * n);
	/* flags, idx, ring[n], used_event */
	vq->avail = gpa_ptr(mem, vq->avail_gpa, 6 + 2 * n);
	/* flags, idx, ring[n] of {id, len}, avail_event */
	vq->used = gpa_ptr(mem, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used)
		return -1;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = 0;
	return 0;
}

/* The le16 after the used ring (2.7.8): where the driver should notify. */
static uint16_t *avail_event(struct virtq *vq)
{
	return (uint16_t *)((uint8_t *)vq->used + 4 + 8 * (uint64_t)vq->size);
}

struct walk {
	const struct guest_mem *mem;
	struct virtq_req *req;
	unsigned int nseg;
};

/* One data descriptor (already copied out of guest memory). */
static int add_segment(struct walk *w, const struct vring_desc *d)
{
	struct virtq_req *req = w->req;
	uint8_t *p;

	if (d->len == 0)
		return 0; /* nothing to transfer; harmless */
	p = gpa_ptr(w->mem, d->addr, d->len);
	if (!p || w->nseg == VIRTQ_MAX_SEGS)
		return -1;
	if (d->flags & VRING_DESC_F_WRITE) {
		req->nr_in++;
		req->in_len += d->len;
	} else {
		if (req->nr_in)
			return -1; /* readable after writable */
		req->nr_out++;
		req->out_len += d->len;
	}
	req->seg[w->nseg++] = (struct virtq_seg){ p, d->len };
	return 0;
}

/* Walks one descriptor table from @i; @limit bounds the chain length. */
static int walk_table(struct walk *w, const struct vring_desc *table,
		      unsigned int table_size, unsigned int i,
		      int allow_indirect, int indirect_ok)
{
	for (unsigned int count = 0;; count++) {
		struct vring_desc d;

		if (i >= table_size || count >= table_size)
			return -1; /* out of range, or a loop */
		/* one copy: the guest may change the ring under us */
		memcpy(&d, (const void *)&table[i], sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			const struct vring_desc *ind;

			if (!allow_indirect || !indirect_ok ||
			    (d.flags & VRING_DESC_F_NEXT) || d.len == 0 ||
			    d.len % sizeof(d) ||
			    d.len / sizeof(d) > VIRTQ_MAX_SEGS)
				return -1;
			ind = gpa_ptr(w->mem, d.addr, d.len);
			if (!ind)
				return -1;
			return walk_table(w, ind, d.len / sizeof(d), 0, 0,
					  indirect_ok);
		}
		if (add_segment(w, &d))
			return -1;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, const struct guest_mem *mem,
	      struct virtq_req *req)
{
	struct walk w = { .mem = mem, .req = req };
	uint16_t avail_idx, head;

	if (!vq->avail)
		return 0;
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail && !vq->event_idx)
		return 0;
	if (avail_idx == vq->last_avail) {
		/*
		 * Empty: the driver notifies for its next buffer only if
		 * avail_event equals its avail->idx, and only if it reads
		 * avail_event after we wrote it.  Publish, then look again
		 * past a full fence: a buffer added meanwhile is either seen
		 * here or notified (the driver fences between the two too).
		 */
		__atomic_store_n(avail_event(vq), vq->last_avail,
				 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
		if (avail_idx == vq->last_avail)
			return 0;
	}
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return -1; /* more available than the ring holds */
	head = __atomic_load_n(&vq->avail->ring[vq->last_avail % vq->size],
			       __ATOMIC_RELAXED);
	req->head = head;
	req->nr_out = req->nr_in = 0;
	req->out_len = req->in_len = 0;
	if (walk_table(&w, vq->desc, vq->size, head, 1, vq->indirect))
		return -1;
	vq->last_avail++;
	if (vq->event_idx) /* "notify me when you add past this one" */
		__atomic_store_n(avail_event(vq), vq->last_avail,
				 __ATOMIC_RELEASE);
	return 1;
}

/*
 * avail_event stays where the pops left it: at the avail->idx the device
 * has seen.  Moving it back to last_avail would tell the driver "notify me
 * when you add past these" for chains that are already there: a device
 * that gave them back for want of more (a frame that needs more receive
 * buffers than are posted) would then never hear of the next ones.
 */
void virtq_unpop(struct virtq *vq, uint16_t n)
{
	vq->last_avail -= n;
}

void virtq_push_many(struct virtq *vq, const uint16_t *heads,
		     const uint32_t *written, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct vring_used_elem *e =
			&vq->used->ring[(uint16_t)(vq->used_idx + i) %
					vq->size];

		e->id = heads[i];
		e->len = written[i];
	}
	vq->used_idx += n;
	/* one index update: the driver sees all @n or none (5.1.6.4.2) */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	virtq_push_many(vq, &head, &written, 1);
}

int virtq_should_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx, event;
	int valid = vq->signalled_valid;

	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* used idx before flags */
	if (!vq->event_idx)
		return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = now;
	vq->signalled_valid = 1;
	event = __atomic_load_n(&vq->avail->ring[vq->size], __ATOMIC_RELAXED);
	/* virtio 1.2 2.7.10 (vring_need_event): used_event in [old, now) */
	return !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

uint64_t virtq_copy_from(const struct virtq_req *req, uint64_t off, void *dst,
			 uint64_t len)
{
	uint8_t *out = dst;
	uint64_t done = 0;

	for (unsigned int i = 0; i < req->nr_out && done < len; i++) {
		const struct virtq_seg *s = &req->seg[i];
		uint64_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		memcpy(out + done, s->addr + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint64_t virtq_copy_to(struct virtq_req *req, uint64_t off, const void *src,
		       uint64_t len)
{
	const uint8_t *in = src;
	uint64_t done = 0;

	for (unsigned int i = req->nr_out;
	     i < req->nr_out + req->nr_in && done < len; i++) {
		struct virtq_seg *s = &req->seg[i];
		uint64_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		memcpy(s->addr + off, in + done, n);
		done += n;
		off = 0;
	}
	return done;
}

uint8_t *virtq_in_byte(struct virtq_req *req, uint64_t off)
{
	for (unsigned int i = req->nr_out; i < req->nr_out + req->nr_in; i++) {
		if (off < req->seg[i].len)
			return req->seg[i].addr + off;
		off -= req->seg[i].len;
	}
	return NULL;
}
