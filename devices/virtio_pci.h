/* SPDX-License-Identifier: GPL-2.0 */
/* virtio 1.x over PCI (virtio 1.2 section 4.1), modern devices only. */
#ifndef KVMINI_VIRTIO_PCI_H
#define KVMINI_VIRTIO_PCI_H

#include "pci.h"
#include "virtio.h"

struct virtio_pci {
	struct pci_device pci;
	struct virtio_dev vd;
	uint64_t notify_addr; /* where the ioeventfds are, or 0 */
	uint8_t pci_cfg_cap;  /* offset of the VIRTIO_PCI_CAP_PCI_CFG window */
};

/*
 * Puts an initialised virtio device on the PCI bus: capabilities in BAR 4
 * (common, ISR, device config, notify), MSI-X in BAR 1, ioeventfds on the
 * notify addresses.
 */
int virtio_pci_register(struct vm *vm, struct virtio_pci *vp);

#endif
