// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "virtio.h"
#include "vm.h"

#define CORE_FEATURES                                                       \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_INDIRECT_DESC | \
	 1ULL << VIRTIO_RING_F_EVENT_IDX)

static void queue_event(struct event_source *src, uint32_t events)
{
	struct virtio_dev *vd = src->opaque;
	unsigned int q = src - vd->notify;
	uint64_t v;

	if (read(src->fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&vd->lock);
	if ((vd->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(vd->status & VIRTIO_CONFIG_S_NEEDS_RESET) && vd->vq[q].enabled)
		vd->ops->queue_notify(vd, q);
	pthread_mutex_unlock(&vd->lock);
}

int virtio_dev_init(struct virtio_dev *vd, struct vm *vm,
		    const struct virtio_device_ops *ops, uint64_t features,
		    void *priv, uint8_t *config)
{
	return virtio_dev_init_queues(vd, vm, ops, ops->nr_queues, features,
				      priv, config);
}

int virtio_dev_init_queues(struct virtio_dev *vd, struct vm *vm,
			   const struct virtio_device_ops *ops,
			   unsigned int nr_queues, uint64_t features,
			   void *priv, uint8_t *config)
{
	memset(vd, 0, sizeof(*vd));
	if (!nr_queues || nr_queues > VIRTIO_MAX_QUEUES)
		return -1; /* virtio_dev_free walks notify[nr_queues] */
	vd->nr_queues = nr_queues;
	pthread_mutex_init(&vd->lock, NULL);
	vd->vm = vm;
	vd->ops = ops;
	vd->priv = priv;
	vd->config = config;
	vd->host_features = features | CORE_FEATURES;
	vd->config_msix_vector = VIRTIO_NO_VECTOR;
	vd->req = malloc(sizeof(*vd->req));
	if (!vd->req)
		return -1;
	for (unsigned int q = 0; q < nr_queues; q++) {
		vd->vq[q].max_size = ops->queue_max;
		virtq_reset(&vd->vq[q]);
		vd->notify[q] = (struct event_source){
			.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
			.handler = queue_event,
			.opaque = vd
		};
		if (vd->notify[q].fd < 0 ||
		    event_loop_add(&vm->loop, &vd->notify[q], EPOLLIN))
			return -1;
	}
	return 0;
}

void virtio_dev_free(struct virtio_dev *vd)
{
	for (unsigned int q = 0; q < vd->nr_queues; q++)
		if (vd->notify[q].fd > 0)
			close(vd->notify[q].fd);
	free(vd->req);
}

uint32_t virtio_get_device_features(struct virtio_dev *vd)
{
	return vd->dev_feature_sel < 2 ? (uint32_t)(vd->host_features >>
						    (32 * vd->dev_feature_sel))
				       : 0;
}

uint32_t virtio_get_driver_features(struct virtio_dev *vd)
{
	return vd->drv_feature_sel < 2 ? (uint32_t)(vd->guest_features >>
						    (32 * vd->drv_feature_sel))
				       : 0;
}

void virtio_set_driver_features(struct virtio_dev *vd, uint32_t val)
{
	unsigned int shift = 32 * vd->drv_feature_sel;

	/* features are fixed once FEATURES_OK is set (2.2) */
	if (vd->drv_feature_sel >= 2 ||
	    (vd->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	vd->guest_features &= ~(0xffffffffULL << shift);
	vd->guest_features |= (uint64_t)val << shift;
}

static void reset(struct virtio_dev *vd)
{
	if (vd->ops->reset)
		vd->ops->reset(vd);
	for (unsigned int q = 0; q < vd->nr_queues; q++)
		virtq_reset(&vd->vq[q]);
	vd->guest_features = 0;
	vd->dev_feature_sel = vd->drv_feature_sel = 0;
	vd->status = 0;
	vd->isr = 0;
	vd->queue_sel = 0;
	vd->config_msix_vector = VIRTIO_NO_VECTOR;
}

void virtio_set_status(struct virtio_dev *vd, uint8_t status)
{
	int was_ok = vd->status & VIRTIO_CONFIG_S_DRIVER_OK;

	if (status == 0) {
		reset(vd);
		return;
	}
	/* the device decides FEATURES_OK: a subset of ours, with VERSION_1 */
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(vd->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((vd->guest_features & ~vd->host_features) ||
	     !(vd->guest_features & (1ULL << VIRTIO_F_VERSION_1))))
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	/* NEEDS_RESET is the device's to set; keep it until reset */
	vd->status = (status & ~VIRTIO_CONFIG_S_NEEDS_RESET) |
		     (vd->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !was_ok &&
	    vd->ops->driver_ok)
		vd->ops->driver_ok(vd);
	if (status & VIRTIO_CONFIG_S_DRIVER_OK) {
		/* buffers may already be waiting: look once */
		for (unsigned int q = 0; q < vd->nr_queues; q++)
			if (vd->vq[q].enabled)
				virtio_kick(vd, q);
	}
}

struct virtq *virtio_selected_queue(struct virtio_dev *vd)
{
	return vd->queue_sel < vd->nr_queues ? &vd->vq[vd->queue_sel] : NULL;
}

void virtio_queue_set_enable(struct virtio_dev *vd, unsigned int q)
{
	struct virtq *vq = &vd->vq[q];

	if (vq->enabled)
		return;
	vq->event_idx =
		!!(vd->guest_features & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	vq->indirect =
		!!(vd->guest_features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	if (virtq_map(vq, &vd->vm->mem)) {
		virtio_needs_reset(vd, "queue rings outside guest RAM or "
				       "misaligned");
		return;
	}
	vq->enabled = 1;
}

void virtio_needs_reset(struct virtio_dev *vd, const char *why)
{
	vd->violations++;
	if (vd->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	/* rate-limited: a hostile guest must not flood the console */
	if (vd->violations <= 5 || vd->violations % 1000 == 0)
		warn("%s: %s; device needs a reset (violation %llu)",
		     vd->ops->name, why, (unsigned long long)vd->violations);
	vd->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	vd->config_generation++;
	if (vd->status & VIRTIO_CONFIG_S_DRIVER_OK)
		vd->tops->signal_config(vd);
}

void virtio_queue_done(struct virtio_dev *vd, unsigned int q)
{
	if (virtq_should_notify(&vd->vq[q]))
		vd->tops->signal_queue(vd, q);
}

void virtio_kick(struct virtio_dev *vd, unsigned int q)
{
	uint64_t one = 1;

	if (q < vd->nr_queues && write(vd->notify[q].fd, &one, sizeof(one)) < 0)
		warn_once("%s: cannot kick queue: %s", vd->ops->name,
			  strerror(errno));
}
