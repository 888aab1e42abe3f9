/*
 * virtio-blk driver for the test guests: see virtio_blk.h.
 */
#include "virtio_blk.h"
#include "io.h"
#include "runtime.h"
#include "serial.h"

int blk_find(struct blk *b, uint16_t qsize)
{
	struct pci_dev d;

	memset(b, 0, sizeof(*b));
	if (!pci_find(VIRTIO_PCI_VENDOR, VIRTIO_ID_BLOCK_PCI, &d)) {
		puts("no virtio-blk device (1af4:1042) on PCI bus 0\n");
		return -1;
	}
	printf("virtio-blk at %02x:%02x.%x rev %u\n", d.bus, d.slot, d.func,
	       d.revision);
	if (d.revision < 1) {
		puts("virtio-blk: revision 0 is not a modern-only device\n");
		return -1;
	}
	if (vpci_open(&b->vp, &d))
		return -1;
	if (!b->vp.device.cap) {
		puts("virtio-blk: no device config capability\n");
		return -1;
	}
	virtq_alloc(&b->vq, 0, qsize);
	b->hdr = dma_alloc(sizeof(*b->hdr), 16);
	b->status = dma_alloc(1, 16);
	return 0;
}

int blk_start(struct blk *b, uint64_t wanted)
{
	struct virtio_pci *vp = &b->vp;
	uint64_t f;

	if (vpci_begin(vp) || vpci_negotiate(vp, wanted))
		return -1;
	virtq_reset(&b->vq);
	if (vpci_setup_queue(vp, &b->vq))
		return -1;
	vpci_driver_ok(vp);
	f = vp->features;
	b->capacity = vpci_cfg64(vp, VIRTIO_BLK_CFG_CAPACITY);
	b->size_max = f & VIRTIO_BLK_F_SIZE_MAX
			      ? vpci_cfg32(vp, VIRTIO_BLK_CFG_SIZE_MAX)
			      : 0;
	b->seg_max = f & VIRTIO_BLK_F_SEG_MAX
			     ? vpci_cfg32(vp, VIRTIO_BLK_CFG_SEG_MAX)
			     : 0;
	b->blk_size = f & VIRTIO_BLK_F_BLK_SIZE
			      ? vpci_cfg32(vp, VIRTIO_BLK_CFG_BLK_SIZE)
			      : 0;
	if (vpci_get_status(vp) & (VIRTIO_STATUS_DEVICE_NEEDS_RESET |
				   VIRTIO_STATUS_FAILED)) {
		printf("virtio-blk: status %x after DRIVER_OK\n",
		       vpci_get_status(vp));
		return -1;
	}
	return 0;
}

void blk_set_hdr(struct blk *b, uint32_t type, uint64_t sector)
{
	b->hdr->type = type;
	b->hdr->reserved = 0;
	b->hdr->sector = sector;
}

int blk_submit(struct blk *b, uint16_t head, uint32_t ms)
{
	int r;

	*b->status = BLK_STATUS_UNTOUCHED;
	b->head = head;
	b->used_id = b->used_len = 0xffffffff;
	virtq_publish(&b->vq, head);
	vpci_kick(&b->vp, &b->vq);
	r = vpci_wait(&b->vp, &b->vq, ms, &b->used_id, &b->used_len);
	if (r == VQ_TIMEOUT)
		return BLK_TIMEOUT;
	if (r == VQ_NEEDS_RESET)
		return BLK_NEEDS_RESET;
	barrier();
	if (*b->status == BLK_STATUS_UNTOUCHED)
		return BLK_NO_STATUS;
	return *b->status;
}

int blk_chain(struct blk *b, const struct vq_buf *bufs, int n)
{
	uint16_t head = virtq_add_chain(&b->vq, bufs, n);
	int r = blk_submit(b, head, BLK_TIMEOUT_MS);

	if (r != BLK_TIMEOUT && r != BLK_NEEDS_RESET && b->used_id != head)
		return BLK_BAD_ID;
	return r;
}

int blk_io(struct blk *b, uint32_t type, uint64_t sector, void *data,
	   uint32_t len, int device_writes)
{
	struct vq_buf bufs[3];
	int n = 0;

	blk_set_hdr(b, type, sector);
	bufs[n++] = (struct vq_buf){ (uintptr_t)b->hdr, sizeof(*b->hdr), 0 };
	if (len)
		bufs[n++] = (struct vq_buf){
			(uintptr_t)data, len,
			device_writes ? VIRTQ_DESC_F_WRITE : 0
		};
	bufs[n++] = (struct vq_buf){ (uintptr_t)b->status, 1,
				     VIRTQ_DESC_F_WRITE };
	return blk_chain(b, bufs, n);
}

const char *blk_result_name(int r)
{
	switch (r) {
	case VIRTIO_BLK_S_OK:
		return "OK";
	case VIRTIO_BLK_S_IOERR:
		return "IOERR";
	case VIRTIO_BLK_S_UNSUPP:
		return "UNSUPP";
	case BLK_TIMEOUT:
		return "timeout (no completion, no DEVICE_NEEDS_RESET)";
	case BLK_NEEDS_RESET:
		return "DEVICE_NEEDS_RESET";
	case BLK_NO_STATUS:
		return "completed without a status";
	case BLK_BAD_ID:
		return "completed with a wrong used id";
	default:
		return "bad status value";
	}
}
