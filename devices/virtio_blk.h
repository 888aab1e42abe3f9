/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-blk (virtio 1.2 section 5.2) over raw images and block devices. */
#ifndef KVMINI_VIRTIO_BLK_H
#define KVMINI_VIRTIO_BLK_H

#include "config.h"

struct vm;

/* Opens and locks the image, puts the device on PCI; prints why not. */
int virtio_blk_create(struct vm *vm, const struct disk_config *disk);

#endif
