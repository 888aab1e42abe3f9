/*
 * virtio-blk on a read-only disk (--disk IMAGE,ro): the device must offer
 * VIRTIO_BLK_F_RO, reads work, and every write completes with IOERR
 * without writing anything (5.2.6.2).  guest-tests/run.sh then checks the
 * image is byte-for-byte unchanged.
 */
#include "blk_common.h"
#include "serial.h"

static struct blk blk;

static const char *run(void)
{
	struct blk *b = &blk;
	uint8_t *buf = dma_alloc(4 * SECTOR_SIZE, 4096);
	uint8_t *was = dma_alloc(SECTOR_SIZE, 4096);
	int r, i;

	if (blk_find(b, 256))
		return "no usable device";
	if (blk_start(b, VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH |
				 VIRTIO_BLK_F_BLK_SIZE))
		return "device bring-up";
	print_features(b);
	if (!(b->vp.offered & VIRTIO_BLK_F_RO))
		return "device does not offer VIRTIO_BLK_F_RO";
	puts("RO offered\n");

	r = blk_io(b, VIRTIO_BLK_T_IN, 0, buf, SECTOR_SIZE, 1);
	if (r != VIRTIO_BLK_S_OK || check_sector0(buf)) {
		printf("read sector 0: %s\n", blk_result_name(r));
		return "sector 0 read";
	}
	puts("sector 0 pattern ok\n");
	r = blk_io(b, VIRTIO_BLK_T_IN, 1, was, SECTOR_SIZE, 1);
	if (r != VIRTIO_BLK_S_OK)
		return "read sector 1";

	/* a one-sector write, a four-sector write, a write to sector 0 */
	for (i = 0; i < 3; i++) {
		static const uint32_t sect[] = { 1, 4, 0 }, len[] = { 1, 4, 1 };

		memset(buf, 0xa5, 4 * SECTOR_SIZE);
		r = blk_io(b, VIRTIO_BLK_T_OUT, sect[i], buf,
			   len[i] * SECTOR_SIZE, 0);
		printf("write %u sector(s) at %u: %s\n", len[i], sect[i],
		       blk_result_name(r));
		if (r != VIRTIO_BLK_S_IOERR)
			return "a write to a read-only disk did not fail with IOERR";
	}

	r = blk_io(b, VIRTIO_BLK_T_IN, 1, buf, SECTOR_SIZE, 1);
	if (r != VIRTIO_BLK_S_OK || memcmp(buf, was, SECTOR_SIZE))
		return "sector 1 changed after the refused write";
	r = blk_io(b, VIRTIO_BLK_T_IN, 0, buf, SECTOR_SIZE, 1);
	if (r != VIRTIO_BLK_S_OK || check_sector0(buf))
		return "sector 0 changed after the refused write";
	puts("reads after the refused writes ok\n");
	return 0;
}

int main(const struct hvm_start_info *si)
{
	const char *why;

	(void)si;
	why = run();
	if (why) {
		printf("FAIL virtio_blk_ro: %s\n", why);
		return 1;
	}
	puts("PASS virtio_blk_ro\n");
	return 0;
}
