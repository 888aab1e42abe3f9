/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The transport-independent half of a virtio 1.x device: feature
 * negotiation, the status state machine, reset, queue configuration and
 * NEEDS_RESET.  A transport (virtio_pci.c) maps its registers onto these
 * calls; a device (virtio_blk.c) supplies a struct virtio_device_ops.
 * Queue notifications arrive as eventfds (KVM ioeventfds) on the device
 * loop, which calls the device's queue_notify with vd->lock held.
 */
#ifndef KVMINI_VIRTIO_H
#define KVMINI_VIRTIO_H

#include <pthread.h>
#include <stdint.h>

#include "event_loop.h"
#include "virtqueue.h"

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_NO_VECTOR  0xffff

struct vm;
struct virtio_dev;

struct virtio_device_ops {
	const char *name;
	uint32_t device_id; /* virtio 1.2 section 5: 2 = block */
	unsigned int nr_queues; /* unless virtio_dev_init_queues() says */
	uint16_t queue_max;
	uint32_t config_size;
	/* the driver notified queue @q: process it (device loop) */
	void (*queue_notify)(struct virtio_dev *vd, unsigned int q);
	/* the driver reset the device */
	void (*reset)(struct virtio_dev *vd);
	/* the driver set DRIVER_OK: features are final */
	void (*driver_ok)(struct virtio_dev *vd);
};

struct virtio_transport_ops {
	void (*signal_queue)(struct virtio_dev *vd, unsigned int q);
	void (*signal_config)(struct virtio_dev *vd);
};

struct virtio_dev {
	pthread_mutex_t lock;
	struct vm *vm;
	const struct virtio_device_ops *ops;
	const struct virtio_transport_ops *tops;
	void *priv;	 /* the device's state */
	void *transport; /* the transport's state */
	uint8_t *config; /* device config space, config_size bytes */
	uint64_t host_features;
	uint64_t guest_features;
	uint32_t dev_feature_sel, drv_feature_sel;
	uint8_t status;
	uint8_t isr;
	uint8_t config_generation;
	uint16_t queue_sel;
	uint16_t config_msix_vector;
	unsigned int nr_queues;
	uint64_t violations; /* malformed requests seen (statistics) */
	struct virtq vq[VIRTIO_MAX_QUEUES];
	struct virtq_req *req; /* scratch for the device loop */
	struct event_source notify[VIRTIO_MAX_QUEUES];
};

/* @features: device-specific; the core adds VERSION_1 and ring features. */
int virtio_dev_init(struct virtio_dev *vd, struct vm *vm,
		    const struct virtio_device_ops *ops, uint64_t features,
		    void *priv, uint8_t *config);
/* The same, for a device whose queue count is chosen per instance. */
int virtio_dev_init_queues(struct virtio_dev *vd, struct vm *vm,
			   const struct virtio_device_ops *ops,
			   unsigned int nr_queues, uint64_t features,
			   void *priv, uint8_t *config);
void virtio_dev_free(struct virtio_dev *vd);

/* Register semantics shared by transports; the caller holds vd->lock. */
uint32_t virtio_get_device_features(struct virtio_dev *vd);
void virtio_set_driver_features(struct virtio_dev *vd, uint32_t val);
uint32_t virtio_get_driver_features(struct virtio_dev *vd);
void virtio_set_status(struct virtio_dev *vd, uint8_t status);
void virtio_queue_set_enable(struct virtio_dev *vd, unsigned int q);
struct virtq *virtio_selected_queue(struct virtio_dev *vd);

/* Device side, vd->lock held: the device found a broken request. */
void virtio_needs_reset(struct virtio_dev *vd, const char *why);
/* Device side, vd->lock held: used entries were added to queue @q. */
void virtio_queue_done(struct virtio_dev *vd, unsigned int q);
/* Kick queue @q as the driver's notification would (MMIO fallback). */
void virtio_kick(struct virtio_dev *vd, unsigned int q);

#endif
