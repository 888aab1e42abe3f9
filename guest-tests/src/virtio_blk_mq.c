/*
 * virtio-blk with several request queues (VIRTIO_BLK_F_MQ, 5.2.3): the
 * device must offer MQ, num_queues in its configuration must match the
 * common configuration's queue count, and every queue must work, also
 * with requests in flight on all of them at once.  Each queue q writes
 * sector FIRST + q (all handed over before any is waited for), then each
 * queue reads back the sector the next queue wrote.  Prints
 * "num_queues N"; guest-tests/run.sh checks N against the vCPU count or
 * queues= it gave kvmini, and the sectors in the image.
 */
#include "blk_common.h"
#include "serial.h"

#define MAX_QUEUES 8
#define FIRST	   16 /* sector written through queue 0 */
#define QSIZE	   16

/* One request's own header, data and status (several are in flight). */
struct req {
	struct virtio_blk_hdr *hdr;
	uint8_t *data;
	volatile uint8_t *status;
	uint16_t head;
};

static struct blk blk;
static struct virtq vq[MAX_QUEUES];
static struct req req[MAX_QUEUES];

static void queue_req(unsigned int q, uint32_t type, uint64_t sector)
{
	struct req *r = &req[q];
	struct vq_buf bufs[3] = {
		{ (uintptr_t)r->hdr, sizeof(*r->hdr), 0 },
		{ (uintptr_t)r->data, SECTOR_SIZE,
		  type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0 },
		{ (uintptr_t)r->status, 1, VIRTQ_DESC_F_WRITE },
	};

	r->hdr->type = type;
	r->hdr->reserved = 0;
	r->hdr->sector = sector;
	*r->status = BLK_STATUS_UNTOUCHED;
	r->head = virtq_add_chain(&vq[q], bufs, 3);
	virtq_publish(&vq[q], r->head);
}

/* One request per queue: all handed over, then all kicked, then waited. */
static const char *round_trip(unsigned int n, uint32_t type)
{
	uint32_t id, len;

	for (unsigned int q = 0; q < n; q++)
		queue_req(q, type,
			  FIRST + (type == VIRTIO_BLK_T_IN ? (q + 1) % n : q));
	for (unsigned int q = 0; q < n; q++)
		vpci_kick(&blk.vp, &vq[q]);
	for (unsigned int q = 0; q < n; q++) {
		if (vpci_wait(&blk.vp, &vq[q], BLK_TIMEOUT_MS, &id, &len) !=
		    VQ_DONE) {
			printf("queue %u: no completion\n", q);
			return "a queue did not complete its request";
		}
		if (id != req[q].head || *req[q].status != VIRTIO_BLK_S_OK) {
			printf("queue %u: id %u (head %u), status %x\n", q, id,
			       req[q].head, *req[q].status);
			return "a queue completed wrongly";
		}
	}
	return NULL;
}

static const char *bring_up(unsigned int *n)
{
	struct virtio_pci *vp = &blk.vp;
	unsigned int cfg_n;

	if (blk_find(&blk, QSIZE))
		return "no usable device";
	if (vpci_begin(vp) || vpci_negotiate(vp, VIRTIO_BLK_F_MQ))
		return "feature negotiation";
	if (!(vp->features & VIRTIO_BLK_F_MQ))
		return "the device does not offer VIRTIO_BLK_F_MQ";
	cfg_n = vpci_cfg16(vp, VIRTIO_BLK_CFG_NUM_QUEUES);
	printf("num_queues %u (common configuration: %u)\n", cfg_n,
	       vp->num_queues);
	if (cfg_n != vp->num_queues || cfg_n < 1 || cfg_n > MAX_QUEUES)
		return "num_queues does not match the device's queues";
	for (unsigned int q = 0; q < cfg_n; q++) {
		virtq_alloc(&vq[q], q, QSIZE);
		virtq_reset(&vq[q]);
		if (vpci_setup_queue(vp, &vq[q]))
			return "queue setup";
		req[q].hdr = dma_alloc(sizeof(*req[q].hdr), 16);
		req[q].data = dma_alloc(SECTOR_SIZE, 4096);
		req[q].status = dma_alloc(1, 16);
	}
	vpci_driver_ok(vp);
	if (vpci_get_status(vp) &
	    (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED))
		return "the device failed after DRIVER_OK";
	*n = cfg_n;
	return NULL;
}

static const char *run(void)
{
	const char *why;
	unsigned int n;

	why = bring_up(&n);
	if (why)
		return why;
	for (unsigned int q = 0; q < n; q++)
		fill_rw_sector(req[q].data, FIRST + q);
	why = round_trip(n, VIRTIO_BLK_T_OUT);
	if (why)
		return why;
	for (unsigned int q = 0; q < n; q++)
		memset(req[q].data, 0, SECTOR_SIZE);
	why = round_trip(n, VIRTIO_BLK_T_IN);
	if (why)
		return why;
	for (unsigned int q = 0; q < n; q++) {
		uint8_t want[SECTOR_SIZE];

		fill_rw_sector(want, FIRST + (q + 1) % n);
		if (memcmp(req[q].data, want, SECTOR_SIZE)) {
			printf("queue %u read sector %u wrong\n", q,
			       FIRST + (q + 1) % n);
			return "a read returned other data than was written";
		}
	}
	printf("%u queues: writes and reads in flight on all at once ok\n", n);
	return NULL;
}

int main(const struct hvm_start_info *si)
{
	const char *why;

	(void)si;
	why = run();
	if (why) {
		printf("FAIL virtio_blk_mq: %s\n", why);
		return 1;
	}
	puts("PASS virtio_blk_mq\n");
	return 0;
}
