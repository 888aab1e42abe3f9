// SPDX-License-Identifier: GPL-2.0
#include <linux/kvm.h>
#include <linux/virtio_mmio.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "irq.h"
#include "layout.h"
#include "log.h"
#include "virtio_mmio.h"
#include "vm.h"

#define MMIO_MAGIC	0x74726976 /* "virt" */
#define MMIO_VERSION	2
#define MMIO_VENDOR	0x494d564b /* "KVMI" */
#define MMIO_CONFIG_OFF 0x100

/* ISA-range IRQs nothing else uses; edge-triggered pulses per event */
static const unsigned int mmio_irqs[] = { 5, 7, 10, 11, 12, 14, 15 };

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned int size)
{
	struct virtio_mmio *m = opaque;
	struct virtio_dev *vd = &m->vd;
	struct virtq *vq;
	uint64_t v = 0;

	pthread_mutex_lock(&vd->lock);
	vq = virtio_selected_queue(vd);
	if (off >= MMIO_CONFIG_OFF) {
		if (off - MMIO_CONFIG_OFF + size <= vd->ops->config_size)
			memcpy(&v, vd->config + off - MMIO_CONFIG_OFF, size);
		goto out;
	}
	if (size != 4)
		goto out; /* registers are 32-bit (4.2.2.2) */
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: v = MMIO_MAGIC; break;
	case VIRTIO_MMIO_VERSION: v = MMIO_VERSION; break;
	case VIRTIO_MMIO_DEVICE_ID: v = vd->ops->device_id; break;
	case VIRTIO_MMIO_VENDOR_ID: v = MMIO_VENDOR; break;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		v = virtio_get_device_features(vd);
		break;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: v = vq ? vq->max_size : 0; break;
	case VIRTIO_MMIO_QUEUE_READY: v = vq ? vq->enabled : 0; break;
	case VIRTIO_MMIO_INTERRUPT_STATUS: v = vd->isr; break;
	case VIRTIO_MMIO_STATUS: v = vd->status; break;
	case VIRTIO_MMIO_CONFIG_GENERATION: v = vd->config_generation; break;
	}
out:
	pthread_mutex_unlock(&vd->lock);
	return v;
}

static void set_half(uint64_t *p, int high, uint32_t val)
{
	if (high)
		*p = (*p & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*p = (*p & ~0xffffffffULL) | val;
}

static void queue_reg_write(struct virtio_dev *vd, uint64_t off, uint32_t val)
{
	struct virtq *vq = virtio_selected_queue(vd);

	if (!vq)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		if (!vq->enabled)
			vq->size = val;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (val == 1)
			virtio_queue_set_enable(vd, vd->queue_sel);
		else
			vq->enabled = 0;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (!vq->enabled)
			set_half(&vq->desc_gpa, off & 4, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (!vq->enabled)
			set_half(&vq->avail_gpa, off & 4, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (!vq->enabled)
			set_half(&vq->used_gpa, off & 4, val);
		break;
	}
}

static void mmio_write(void *opaque, uint64_t off, unsigned int size,
		       uint64_t val)
{
	struct virtio_mmio *m = opaque;
	struct virtio_dev *vd = &m->vd;

	if (size != 4 || off >= MMIO_CONFIG_OFF)
		return; /* config writes: no writable fields offered */
	if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
		virtio_kick(vd, val); /* when the ioeventfd did not catch it */
		return;
	}
	pthread_mutex_lock(&vd->lock);
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: vd->dev_feature_sel = val; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: vd->drv_feature_sel = val; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_set_driver_features(vd, val);
		break;
	case VIRTIO_MMIO_QUEUE_SEL: vd->queue_sel = val; break;
	case VIRTIO_MMIO_INTERRUPT_ACK: vd->isr &= ~val; break;
	case VIRTIO_MMIO_STATUS: virtio_set_status(vd, val); break;
	default: queue_reg_write(vd, off, val);
	}
	pthread_mutex_unlock(&vd->lock);
}

static const struct io_ops mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

static void pulse(struct virtio_mmio *m, uint8_t bit)
{
	uint64_t one = 1;

	m->vd.isr |= bit;
	if (write(m->irq_efd, &one, sizeof(one)) < 0)
		warn_once("virtio-mmio: irqfd write failed");
}

static void signal_queue(struct virtio_dev *vd, unsigned int q)
{
	pulse(vd->transport, VIRTIO_MMIO_INT_VRING);
}

static void signal_config(struct virtio_dev *vd)
{
	pulse(vd->transport, VIRTIO_MMIO_INT_CONFIG);
}

static const struct virtio_transport_ops mmio_transport = {
	.signal_queue = signal_queue,
	.signal_config = signal_config,
};

int virtio_mmio_register(struct vm *vm, struct virtio_mmio *m)
{
	struct kvm_ioeventfd io = { .len = 4 };
	int slot = vm->nr_virtio_mmio;

	if (slot >= (int)(sizeof(mmio_irqs) / sizeof(mmio_irqs[0]))) {
		err("too many virtio-mmio devices (at most %zu)",
		    sizeof(mmio_irqs) / sizeof(mmio_irqs[0]));
		return -1;
	}
	m->base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_STRIDE;
	m->gsi = mmio_irqs[slot];
	m->vd.transport = m;
	m->vd.tops = &mmio_transport;
	m->irq_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->irq_efd < 0 || irq_irqfd_assign(vm, m->irq_efd, m->gsi, -1) ||
	    bus_register(&vm->mmio, m->base, VIRTIO_MMIO_STRIDE,
			 m->vd.ops->name, &mmio_ops, m)) {
		err("cannot place virtio-mmio device at 0x%llx",
		    (unsigned long long)m->base);
		return -1;
	}
	for (unsigned int q = 0; q < m->vd.nr_queues; q++) {
		/* the driver writes the queue index to QueueNotify */
		io.addr = m->base + VIRTIO_MMIO_QUEUE_NOTIFY;
		io.datamatch = q;
		io.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
		io.fd = m->vd.notify[q].fd;
		if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
			warn_once("virtio-mmio: KVM_IOEVENTFD failed; "
				  "notifications take the slow path");
	}
	vm->nr_virtio_mmio++;
	snprintf(m->cmdline, sizeof(m->cmdline),
		 " virtio_mmio.device=0x%llx@0x%llx:%u",
		 (unsigned long long)VIRTIO_MMIO_STRIDE,
		 (unsigned long long)m->base, m->gsi);
	return vm_append_cmdline(vm, m->cmdline);
}
