/*
 * virtio-blk WRITE_ZEROES and DISCARD (5.2.6.2): fill sectors 100..107,
 * WRITE_ZEROES 100..103 and DISCARD 104..107 (kvmini punches a hole in
 * the image, so both read back as zeroes), then requests the device must
 * refuse: a range past the end (IOERR) and two segments in one request
 * (UNSUPP: the device announces max_*_seg = 1).  The runner checks the
 * image on the host: sectors 100..107 zero, everything else unchanged.
 */
#include "blk_common.h"
#include "serial.h"

#define VIRTIO_BLK_F_DISCARD (1ULL << 13)
#define VIRTIO_BLK_F_WRITE_ZEROES (1ULL << 14)
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define FIRST 100
#define COUNT 8

struct range {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

static struct blk blk;

static const char *run(void)
{
	struct blk *b = &blk;
	uint8_t *buf = dma_alloc(COUNT * SECTOR_SIZE, 4096);
	struct range *r = dma_alloc(2 * sizeof(*r), 16);
	int st;

	if (blk_find(b, 64))
		return "no usable device";
	if (blk_start(b, VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES))
		return "device bring-up";
	if (!(b->vp.features & VIRTIO_BLK_F_DISCARD) ||
	    !(b->vp.features & VIRTIO_BLK_F_WRITE_ZEROES))
		return "DISCARD/WRITE_ZEROES not offered";
	memset(buf, 0xaa, COUNT * SECTOR_SIZE);
	if (blk_io(b, VIRTIO_BLK_T_OUT, FIRST, buf, COUNT * SECTOR_SIZE, 0) !=
	    VIRTIO_BLK_S_OK)
		return "fill";
	*r = (struct range){ FIRST, COUNT / 2, 0 };
	if (blk_io(b, VIRTIO_BLK_T_WRITE_ZEROES, 0, r, sizeof(*r), 0) !=
	    VIRTIO_BLK_S_OK)
		return "WRITE_ZEROES";
	*r = (struct range){ FIRST + COUNT / 2, COUNT / 2, 0 };
	if (blk_io(b, VIRTIO_BLK_T_DISCARD, 0, r, sizeof(*r), 0) !=
	    VIRTIO_BLK_S_OK)
		return "DISCARD";
	memset(buf, 0x55, COUNT * SECTOR_SIZE);
	if (blk_io(b, VIRTIO_BLK_T_IN, FIRST, buf, COUNT * SECTOR_SIZE, 1) !=
	    VIRTIO_BLK_S_OK)
		return "read back";
	for (int i = 0; i < COUNT * SECTOR_SIZE; i++)
		if (buf[i])
			return "zeroed sectors read back non-zero";
	*r = (struct range){ b->capacity - 1, 2, 0 };
	st = blk_io(b, VIRTIO_BLK_T_WRITE_ZEROES, 0, r, sizeof(*r), 0);
	if (st != VIRTIO_BLK_S_IOERR)
		return "WRITE_ZEROES past the end was not IOERR";
	r[0] = (struct range){ 0, 1, 0 };
	r[1] = (struct range){ 1, 1, 0 };
	st = blk_io(b, VIRTIO_BLK_T_WRITE_ZEROES, 0, r, 2 * sizeof(*r), 0);
	if (st != VIRTIO_BLK_S_UNSUPP)
		return "two segments were not UNSUPP";
	return 0;
}

int main(const struct hvm_start_info *si)
{
	const char *why;

	(void)si;
	why = run();
	if (why) {
		printf("FAIL virtio_blk_zeroes: %s\n", why);
		return 1;
	}
	puts("PASS virtio_blk_zeroes\n");
	return 0;
}
