/*
 * Split virtqueue driver side.  Layout (virtio 1.2 2.7): descriptor table
 * 16-byte aligned, driver ring 2-byte aligned, device ring 4-byte aligned;
 * each gets its own page here.
 */
#include "virtq.h"
#include "io.h"
#include "runtime.h"

void virtq_alloc(struct virtq *vq, uint16_t index, uint16_t size)
{
	vq->index = index;
	vq->size = vq->alloc_size = size;
	vq->desc = dma_alloc(16u * size, 4096);
	vq->avail = dma_alloc(6u + 2u * size, 4096);
	vq->used = dma_alloc(6u + 8u * size, 4096);
	virtq_reset(vq);
}

void virtq_reset(struct virtq *vq)
{
	memset((void *)vq->desc, 0, 16u * vq->alloc_size);
	memset((void *)vq->avail, 0, 6u + 2u * vq->alloc_size);
	memset((void *)vq->used, 0, 6u + 8u * vq->alloc_size);
	vq->avail_idx = vq->used_idx = vq->next_desc = 0;
	barrier();
}

void virtq_set_desc(struct virtq *vq, uint16_t i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	volatile struct virtq_desc *d = &vq->desc[i % vq->alloc_size];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

uint16_t virtq_add_chain(struct virtq *vq, const struct vq_buf *bufs, int n)
{
	uint16_t head = vq->next_desc, i = head;
	int k;

	for (k = 0; k < n; k++) {
		uint16_t next = (i + 1) & (vq->size - 1);
		uint16_t flags = bufs[k].flags;

		if (k + 1 < n)
			flags |= VIRTQ_DESC_F_NEXT;
		virtq_set_desc(vq, i, bufs[k].addr, bufs[k].len, flags,
			       k + 1 < n ? next : 0);
		i = next;
	}
	vq->next_desc = i;
	return head;
}

void virtq_publish(struct virtq *vq, uint16_t head)
{
	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
	barrier(); /* the entry before the index (x86 keeps store order) */
	vq->avail_idx++;
	vq->avail->idx = vq->avail_idx;
	barrier();
}

uint16_t virtq_pending(struct virtq *vq)
{
	return (uint16_t)(vq->used->idx - vq->used_idx);
}

int virtq_get_used(struct virtq *vq, uint32_t *id, uint32_t *len)
{
	volatile struct virtq_used_elem *e;

	if (vq->used->idx == vq->used_idx)
		return 0;
	barrier(); /* read the entry after the index */
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	*id = e->id;
	*len = e->len;
	vq->used_idx++;
	return 1;
}
