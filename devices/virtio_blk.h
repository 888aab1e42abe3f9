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

/*
 * tests/fuzz only: processes queue 0 (@vq, mapped by the caller) with a
 * device on image @fd of @capacity bytes and no transport; @vq comes back
 * with the device's ring state.
 */
struct virtq;
struct virtq_req;
void virtio_blk_test_notify(struct vm *vm, struct virtq *vq,
			    struct virtq_req *req, int fd, uint64_t capacity);

#endif
