/*
 * virtio-blk read/write: negotiate VERSION_1 | FLUSH | BLK_SIZE | SEG_MAX |
 * SIZE_MAX (as offered), print the capacity, check sector 0 holds the
 * runner's pattern, write sectors 1..8, flush, read them back, read with
 * the header and data split over several descriptors (any framing must
 * work, 2.6.4), GET_ID, read past the end (IOERR), an unknown request
 * type (UNSUPP).  guest-tests/run.sh then checks the image on the host.
 */
#include "blk_common.h"
#include "serial.h"

#define NSECT 8

static struct blk blk;
static const char *why;

static int expect(int r, int want, const char *what)
{
	if (r == want)
		return 0;
	printf("%s: got %s (%d), wanted %s\n", what, blk_result_name(r), r,
	       blk_result_name(want));
	why = what;
	return -1;
}

/* used.len is "bytes written into the buffers": a note, not a failure */
static void note_used_len(uint32_t want, const char *what)
{
	if (blk.used_len != want)
		printf("note: %s: used.len %u, expected %u\n", what,
		       blk.used_len, want);
}

static int run(void)
{
	struct blk *b = &blk;
	uint8_t *buf = dma_alloc(NSECT * SECTOR_SIZE, 4096);
	uint8_t *want = dma_alloc(NSECT * SECTOR_SIZE, 4096);
	uint8_t *id = dma_alloc(VIRTIO_BLK_ID_BYTES + 1, 16);
	uint32_t s, chunk;
	int bad;

	if (blk_find(b, 64))
		return why = "no usable device", -1;
	if (blk_start(b, VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE |
				 VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_SIZE_MAX))
		return why = "device bring-up", -1;
	print_features(b);
	if (b->capacity < NSECT + 2)
		return why = "capacity too small for the test", -1;

	/* sector 0: the runner's pattern */
	memset(buf, 0, SECTOR_SIZE);
	if (expect(blk_io(b, VIRTIO_BLK_T_IN, 0, buf, SECTOR_SIZE, 1),
		   VIRTIO_BLK_S_OK, "read sector 0"))
		return -1;
	note_used_len(SECTOR_SIZE + 1, "read sector 0");
	bad = check_sector0(buf);
	if (bad) {
		printf("sector 0 differs at byte %d: %02x\n", bad - 1,
		       buf[bad - 1]);
		return why = "sector 0 does not hold the pattern", -1;
	}
	puts("sector 0 pattern ok\n");

	/* sectors 1..8 in one request, or in size_max pieces */
	for (s = 0; s < NSECT; s++)
		fill_rw_sector(want + s * SECTOR_SIZE, s + 1);
	memcpy(buf, want, NSECT * SECTOR_SIZE);
	chunk = NSECT * SECTOR_SIZE;
	if (b->size_max && b->size_max < chunk)
		chunk = b->size_max & ~(SECTOR_SIZE - 1);
	if (chunk == 0)
		chunk = SECTOR_SIZE;
	for (s = 0; s < NSECT * SECTOR_SIZE; s += chunk)
		if (expect(blk_io(b, VIRTIO_BLK_T_OUT, 1 + s / SECTOR_SIZE,
				  buf + s, chunk, 0),
			   VIRTIO_BLK_S_OK, "write sectors 1..8"))
			return -1;
	printf("wrote sectors 1..%u (%u bytes per request)\n", NSECT, chunk);

	if (b->vp.features & VIRTIO_BLK_F_FLUSH) {
		if (expect(blk_io(b, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0),
			   VIRTIO_BLK_S_OK, "flush"))
			return -1;
		puts("flush ok\n");
	} else {
		puts("flush: not offered\n");
	}

	memset(buf, 0, NSECT * SECTOR_SIZE);
	for (s = 0; s < NSECT * SECTOR_SIZE; s += chunk)
		if (expect(blk_io(b, VIRTIO_BLK_T_IN, 1 + s / SECTOR_SIZE,
				  buf + s, chunk, 1),
			   VIRTIO_BLK_S_OK, "read back sectors 1..8"))
			return -1;
	if (memcmp(buf, want, NSECT * SECTOR_SIZE))
		return why = "sectors 1..8 read back differ", -1;
	puts("read back sectors 1..8 ok\n");

	/* the same data, framed differently: header in two pieces, the data
	 * in two (if seg_max allows), status alone */
	{
		uint8_t *h = (uint8_t *)b->hdr;
		int nseg = !b->seg_max || b->seg_max >= 2 ? 2 : 1;
		struct vq_buf bufs[5];
		int n = 0;

		memset(buf, 0, SECTOR_SIZE);
		blk_set_hdr(b, VIRTIO_BLK_T_IN, 3);
		bufs[n++] = (struct vq_buf){ (uintptr_t)h, 8, 0 };
		bufs[n++] = (struct vq_buf){ (uintptr_t)h + 8, 8, 0 };
		if (nseg == 2) {
			bufs[n++] = (struct vq_buf){ (uintptr_t)buf, 100,
						     VIRTQ_DESC_F_WRITE };
			bufs[n++] = (struct vq_buf){ (uintptr_t)buf + 100, 412,
						     VIRTQ_DESC_F_WRITE };
		} else {
			bufs[n++] = (struct vq_buf){ (uintptr_t)buf, 512,
						     VIRTQ_DESC_F_WRITE };
		}
		bufs[n++] = (struct vq_buf){ (uintptr_t)b->status, 1,
					     VIRTQ_DESC_F_WRITE };
		if (expect(blk_chain(b, bufs, n), VIRTIO_BLK_S_OK,
			   "read sector 3, split framing"))
			return -1;
		if (memcmp(buf, want + 2 * SECTOR_SIZE, SECTOR_SIZE))
			return why = "split-header read returned wrong data", -1;
		printf("split framing ok (header 8+8, data in %d pieces)\n",
		       nseg);
	}

	/* GET_ID: up to 20 bytes, NUL-terminated only when shorter */
	memset(id, 0, VIRTIO_BLK_ID_BYTES + 1);
	if (expect(blk_io(b, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, 1),
		   VIRTIO_BLK_S_OK, "GET_ID"))
		return -1;
	printf("serial: %s\n", (char *)id);

	/* the last sector reads; one past it, or straddling it, does not */
	if (expect(blk_io(b, VIRTIO_BLK_T_IN, b->capacity - 1, buf,
			  SECTOR_SIZE, 1),
		   VIRTIO_BLK_S_OK, "read the last sector"))
		return -1;
	if (expect(blk_io(b, VIRTIO_BLK_T_IN, b->capacity, buf, SECTOR_SIZE, 1),
		   VIRTIO_BLK_S_IOERR, "read past the end"))
		return -1;
	if (expect(blk_io(b, VIRTIO_BLK_T_IN, b->capacity - 1, buf,
			  2 * SECTOR_SIZE, 1),
		   VIRTIO_BLK_S_IOERR, "read straddling the end"))
		return -1;
	puts("reads past the end: IOERR\n");

	if (expect(blk_io(b, 0x77, 0, buf, SECTOR_SIZE, 1),
		   VIRTIO_BLK_S_UNSUPP, "request type 0x77"))
		return -1;
	puts("unknown request type: UNSUPP\n");

	/* the queue still works after the errors */
	if (expect(blk_io(b, VIRTIO_BLK_T_IN, 0, buf, SECTOR_SIZE, 1),
		   VIRTIO_BLK_S_OK, "read sector 0 again") ||
	    check_sector0(buf))
		return why = why ? why : "sector 0 changed", -1;
	return 0;
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	if (run()) {
		printf("FAIL virtio_blk_rw: %s\n", why);
		return 1;
	}
	puts("PASS virtio_blk_rw\n");
	return 0;
}
