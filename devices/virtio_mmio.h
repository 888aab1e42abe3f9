/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio over MMIO, version 2 (virtio 1.2 section 4.2), for small kernels
 * without PCI.  kvmini appends "virtio_mmio.device=SIZE@ADDR:IRQ" to the
 * kernel command line for each such device.
 */
#ifndef KVMINI_VIRTIO_MMIO_H
#define KVMINI_VIRTIO_MMIO_H

#include "virtio.h"

struct virtio_mmio {
	struct virtio_dev vd;
	uint64_t base;
	unsigned int gsi;
	int irq_efd;
	char cmdline[64];	/* what the kernel command line gets */
};

/* Places an initialised virtio device on the next MMIO slot. */
int virtio_mmio_register(struct vm *vm, struct virtio_mmio *vm_dev);

#endif
