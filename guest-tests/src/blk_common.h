/*
 * Shared by the virtio-blk guests: the disk contents guest-tests/run.sh
 * prepares, and small helpers.
 *
 * Sector 0 of every test image: the 19 ASCII bytes "KVMINI-DISK-PATTERN",
 * then byte i = i & 0xff for i = 19..511.  The rest of the image is random.
 * virtio_blk_rw writes sector s (1..8) with byte i = (s * 7 + i) & 0xff.
 */
#ifndef BLK_COMMON_H
#define BLK_COMMON_H

#include <stdint.h>

#include "runtime.h"
#include "serial.h"
#include "virtio_blk.h"

#define DISK_MAGIC "KVMINI-DISK-PATTERN"

static inline void fill_sector0(uint8_t *p)
{
	uint32_t i;

	for (i = 0; i < SECTOR_SIZE; i++)
		p[i] = (uint8_t)i;
	memcpy(p, DISK_MAGIC, sizeof(DISK_MAGIC) - 1);
}

/* 0 if the 512 bytes at p are the sector-0 pattern, else 1 + first bad offset */
static inline int check_sector0(const uint8_t *p)
{
	uint32_t i;

	for (i = 0; i < SECTOR_SIZE; i++) {
		uint8_t want = i < sizeof(DISK_MAGIC) - 1 ? DISK_MAGIC[i]
							  : (uint8_t)i;
		if (p[i] != want)
			return (int)i + 1;
	}
	return 0;
}

static inline void fill_rw_sector(uint8_t *p, uint32_t sector)
{
	uint32_t i;

	for (i = 0; i < SECTOR_SIZE; i++)
		p[i] = (uint8_t)(sector * 7 + i);
}

static inline void print_features(const struct blk *b)
{
	printf("features: offered %llx negotiated %llx\n",
	       (unsigned long long)b->vp.offered,
	       (unsigned long long)b->vp.features);
	printf("capacity %llu sectors, size_max %u, seg_max %u, blk_size %u, "
	       "queue size %u\n",
	       (unsigned long long)b->capacity, b->size_max, b->seg_max,
	       b->blk_size, b->vq.size);
}

#endif
