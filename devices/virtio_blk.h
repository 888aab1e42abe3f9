/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-blk (virtio 1.2 section 5.2) over raw images and block devices. */
#ifndef KVMINI_VIRTIO_BLK_H
#define KVMINI_VIRTIO_BLK_H

#include "config.h"

#include <stdint.h>

struct vm;
struct virtio_blk;

/* Opens and locks the image, puts the device on PCI; prints why not. */
int virtio_blk_create(struct vm *vm, const struct disk_config *disk);

/* For the firmware's disk port (devices/bios_dev.c): */
uint64_t virtio_blk_sectors(const struct virtio_blk *b);
int virtio_blk_is_read_only(const struct virtio_blk *b);
/* Whole sectors, synchronously; -1 if out of range, ro or a host error. */
int virtio_blk_sync_rw(struct virtio_blk *b, int write, uint64_t sector,
		       void *buf, uint64_t len);

#endif
