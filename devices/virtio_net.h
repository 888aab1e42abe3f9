/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-net (virtio 1.2 section 5.1) on a host tap device. */
#ifndef KVMINI_VIRTIO_NET_H
#define KVMINI_VIRTIO_NET_H

#include "config.h"

struct vm;

/* Opens the tap (attaching it to a bridge if asked), puts the NIC on PCI. */
int virtio_net_create(struct vm *vm, const struct net_config *net, int index);

/*
 * tests/fuzz only: transmits what the driver queued on @vq (mapped by the
 * caller) with @features negotiated, writing frames to @fd instead of a
 * tap; @vq comes back with the device's ring state.
 */
struct virtq;
struct virtq_req;
void virtio_net_test_tx(struct vm *vm, struct virtq *vq, struct virtq_req *req,
			uint64_t features, int fd);
/*
 * tests only: receives what @fd (standing in for the tap) holds into @vq
 * (mapped and enabled by the caller).  @kept/@kept_len: a frame the device
 * held for want of buffers, in and out (@kept holds 65536 + 30 bytes);
 * @copied: bytes kvmini copied into guest buffers (the rest the tap read
 * wrote there directly).  Returns the device status afterwards
 * (NEEDS_RESET shows up there).
 */
unsigned int virtio_net_test_rx(struct vm *vm, struct virtq *vq,
				struct virtq_req *req, uint64_t features,
				int fd, uint8_t *kept, size_t *kept_len,
				uint64_t *copied);

#endif
