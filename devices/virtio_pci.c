// SPDX-License-Identifier: GPL-2.0
/*
 * BAR 4 (64-bit memory, 16 KiB) holds the virtio structures, each located
 * by a vendor capability (4.1.4):
 *   0x0000 common configuration   0x2000 device configuration
 *   0x1000 ISR status             0x3000 notifications, 4 bytes per queue
 * BAR 1 holds the MSI-X table (one vector per queue plus config).
 */
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "virtio_pci.h"
#include "vm.h"

#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + device type (4.1.2.1) */
#define VIRTIO_PCI_SUBSYS_ID   0x1100
#define CAPS_BAR	       4
#define MSIX_BAR	       1
#define COMMON_OFF	       0x0000
#define ISR_OFF		       0x1000
#define DEVICE_OFF	       0x2000
#define NOTIFY_OFF	       0x3000
#define NOTIFY_MULTIPLIER      4
#define CAPS_BAR_SIZE	       0x4000

/* PCI class per device type; block devices are mass storage (01/80) */
static uint32_t class_for(uint32_t device_id)
{
	return device_id == 2 ? 0x018000 : 0xff0000;
}

static uint64_t common_read(struct virtio_dev *vd, uint64_t off,
			    unsigned int size)
{
	struct virtq *vq = virtio_selected_queue(vd);
	uint8_t c[64] = { 0 };
	uint64_t v = 0;

#define PUT(field, val, type)                                           \
	do {                                                            \
		type t_ = (val);                                        \
		memcpy(c + VIRTIO_PCI_COMMON_##field, &t_, sizeof(t_)); \
	} while (0)
	PUT(DFSELECT, vd->dev_feature_sel, uint32_t);
	PUT(DF, virtio_get_device_features(vd), uint32_t);
	PUT(GFSELECT, vd->drv_feature_sel, uint32_t);
	PUT(GF, virtio_get_driver_features(vd), uint32_t);
	PUT(MSIX, vd->config_msix_vector, uint16_t);
	PUT(NUMQ, vd->nr_queues, uint16_t);
	PUT(STATUS, vd->status, uint8_t);
	PUT(CFGGENERATION, vd->config_generation, uint8_t);
	PUT(Q_SELECT, vd->queue_sel, uint16_t);
	if (vq) {
		PUT(Q_SIZE, vq->size, uint16_t);
		PUT(Q_MSIX, vq->msix_vector, uint16_t);
		PUT(Q_ENABLE, vq->enabled, uint16_t);
		PUT(Q_NOFF, vd->queue_sel, uint16_t);
		PUT(Q_DESCLO, vq->desc_gpa, uint64_t);
		PUT(Q_AVAILLO, vq->avail_gpa, uint64_t);
		PUT(Q_USEDLO, vq->used_gpa, uint64_t);
	}
#undef PUT
	if (off + size <= sizeof(c))
		memcpy(&v, c + off, size);
	return v;
}

static uint16_t valid_vector(struct virtio_pci *vp, uint16_t v)
{
	/* a vector the device cannot use reads back as NO_VECTOR (4.1.5.1.2) */
	return vp->pci.msix && v < vp->pci.msix->nr ? v : VIRTIO_NO_VECTOR;
}

static void set_u64_half(uint64_t *p, uint64_t off, uint32_t val)
{
	if (off & 4)
		*p = (*p & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*p = (*p & ~0xffffffffULL) | val;
}

static void queue_write(struct virtio_pci *vp, uint64_t off, uint64_t val)
{
	struct virtio_dev *vd = &vp->vd;
	struct virtq *vq = virtio_selected_queue(vd);

	if (!vq)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (!vq->enabled)
			vq->size = val;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		vq->msix_vector = valid_vector(vp, val);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (val == 1)
			virtio_queue_set_enable(vd, vd->queue_sel);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (!vq->enabled)
			set_u64_half(&vq->desc_gpa, off, val);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (!vq->enabled)
			set_u64_half(&vq->avail_gpa, off, val);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (!vq->enabled)
			set_u64_half(&vq->used_gpa, off, val);
		break;
	}
}

static void common_write(struct virtio_pci *vp, uint64_t off, unsigned int size,
			 uint64_t val)
{
	struct virtio_dev *vd = &vp->vd;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: vd->dev_feature_sel = val; break;
	case VIRTIO_PCI_COMMON_GFSELECT: vd->drv_feature_sel = val; break;
	case VIRTIO_PCI_COMMON_GF: virtio_set_driver_features(vd, val); break;
	case VIRTIO_PCI_COMMON_MSIX:
		vd->config_msix_vector = valid_vector(vp, val);
		break;
	case VIRTIO_PCI_COMMON_STATUS: virtio_set_status(vd, val); break;
	case VIRTIO_PCI_COMMON_Q_SELECT: vd->queue_sel = val; break;
	default: queue_write(vp, off, val);
	}
	(void)size;
}

static uint64_t caps_bar_read(void *opaque, uint64_t off, unsigned int size)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *vd = &vp->vd;
	uint64_t v = 0;

	pthread_mutex_lock(&vd->lock);
	if (off < ISR_OFF) {
		v = common_read(vd, off - COMMON_OFF, size);
	} else if (off == ISR_OFF) {
		v = vd->isr; /* reading acknowledges (4.1.4.5) */
		vd->isr = 0;
	} else if (off >= DEVICE_OFF &&
		   off - DEVICE_OFF + size <= vd->ops->config_size) {
		memcpy(&v, vd->config + (off - DEVICE_OFF), size);
	}
	pthread_mutex_unlock(&vd->lock);
	return v;
}

static void caps_bar_write(void *opaque, uint64_t off, unsigned int size,
			   uint64_t val)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *vd = &vp->vd;

	if (off >= NOTIFY_OFF) {
		/* an exit instead of an ioeventfd: BAR unmapped or moving */
		virtio_kick(vd, (off - NOTIFY_OFF) / NOTIFY_MULTIPLIER);
		return;
	}
	pthread_mutex_lock(&vd->lock);
	if (off < ISR_OFF)
		common_write(vp, off - COMMON_OFF, size, val);
	pthread_mutex_unlock(&vd->lock);
}

static const struct io_ops caps_bar_ops = {
	.read = caps_bar_read,
	.write = caps_bar_write,
};

static void ioeventfds(struct virtio_pci *vp, uint64_t base, int assign)
{
	for (unsigned int q = 0; q < vp->vd.nr_queues; q++) {
		struct kvm_ioeventfd io = {
			.addr = base + NOTIFY_OFF + q * NOTIFY_MULTIPLIER,
			.len = 2,
			.fd = vp->vd.notify[q].fd,
			.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN
		};

		if (ioctl(vp->vd.vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
			warn_once("%s: KVM_IOEVENTFD failed; notifications "
				  "take the slow path",
				  vp->pci.name);
	}
}

static void bar_mapped(struct pci_device *dev, int bar, uint64_t addr)
{
	struct virtio_pci *vp = dev->opaque;

	if (bar != CAPS_BAR)
		return;
	if (vp->notify_addr)
		ioeventfds(vp, vp->notify_addr, 0);
	vp->notify_addr = addr;
	if (addr)
		ioeventfds(vp, addr, 1);
}

static int intx_pending(struct pci_device *dev)
{
	struct virtio_pci *vp = dev->opaque;
	int pending;

	pthread_mutex_lock(&vp->vd.lock);
	pending = vp->vd.isr != 0;
	pthread_mutex_unlock(&vp->vd.lock);
	return pending;
}

static void signal_queue(struct virtio_dev *vd, unsigned int q)
{
	struct virtio_pci *vp = vd->transport;

	vd->isr |= 1;
	pci_notify(&vp->pci, vd->vq[q].msix_vector);
}

static void signal_config(struct virtio_dev *vd)
{
	struct virtio_pci *vp = vd->transport;

	vd->isr |= 2;
	pci_notify(&vp->pci, vd->config_msix_vector);
}

static const struct virtio_transport_ops pci_transport = {
	.signal_queue = signal_queue,
	.signal_config = signal_config,
};

static int add_cap(struct pci_device *dev, uint8_t type, uint32_t off,
		   uint32_t len)
{
	int notify = type == VIRTIO_PCI_CAP_NOTIFY_CFG;
	struct virtio_pci_notify_cap c = {
		.cap = { .cap_vndr = PCI_CAP_ID_VNDR,
			 .cap_len = notify ? sizeof(c) : sizeof(c.cap),
			 .cfg_type = type,
			 .bar = CAPS_BAR,
			 .offset = off,
			 .length = len },
		.notify_off_multiplier = NOTIFY_MULTIPLIER
	};
	uint8_t at = pci_add_capability(dev, PCI_CAP_ID_VNDR, c.cap.cap_len);

	if (!at)
		return -1;
	/* keep the list link pci.c wrote into byte 1 */
	memcpy(dev->cfg + at + 2, (uint8_t *)&c + 2, c.cap.cap_len - 2);
	return 0;
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): a window in config space through
 * which firmware reaches the BAR structures.  The driver writes bar,
 * offset and length into the capability, then reads or writes the data
 * bytes; kvmini performs that access on the capabilities BAR.
 */
static int cfg_window(struct virtio_pci *vp, uint32_t *off, uint32_t *len)
{
	const uint8_t *c = vp->pci.cfg + vp->pci_cfg_cap;

	memcpy(off, c + VIRTIO_PCI_CAP_OFFSET, 4);
	memcpy(len, c + VIRTIO_PCI_CAP_LENGTH, 4);
	return c[VIRTIO_PCI_CAP_BAR] == CAPS_BAR &&
	       (*len == 1 || *len == 2 || *len == 4) && !(*off & (*len - 1)) &&
	       *off < CAPS_BAR_SIZE;
}

static uint32_t pci_cfg_read(struct pci_device *dev, unsigned int off,
			     unsigned int size)
{
	struct virtio_pci *vp = dev->opaque;
	unsigned int data = vp->pci_cfg_cap + 16;
	uint32_t woff, wlen, v;

	if (off == data && cfg_window(vp, &woff, &wlen)) {
		v = caps_bar_read(vp, woff, wlen);
		memcpy(dev->cfg + data, &v, 4);
	}
	v = 0;
	memcpy(&v, dev->cfg + off, size);
	return v;
}

static void pci_cfg_write(struct pci_device *dev, unsigned int off,
			  unsigned int size, uint32_t val)
{
	struct virtio_pci *vp = dev->opaque;
	unsigned int data = vp->pci_cfg_cap + 16;
	uint32_t woff, wlen, v;

	if (off != data || !cfg_window(vp, &woff, &wlen))
		return;
	memcpy(&v, dev->cfg + data, 4);
	caps_bar_write(vp, woff, wlen, v);
}

static void add_pci_cfg_cap(struct virtio_pci *vp)
{
	struct pci_device *dev = &vp->pci;
	struct virtio_pci_cfg_cap c = {
		.cap = { .cap_vndr = PCI_CAP_ID_VNDR,
			 .cap_len = sizeof(c),
			 .cfg_type = VIRTIO_PCI_CAP_PCI_CFG }
	};
	uint8_t at = pci_add_capability(dev, PCI_CAP_ID_VNDR, sizeof(c));

	if (!at)
		return;
	memcpy(dev->cfg + at + 2, (uint8_t *)&c + 2, sizeof(c) - 2);
	vp->pci_cfg_cap = at;
	/* bar, offset, length and data are the driver's to write */
	dev->wmask[at + VIRTIO_PCI_CAP_BAR] = 0xff;
	memset(dev->wmask + at + VIRTIO_PCI_CAP_OFFSET, 0xff, 8);
	memset(dev->wmask + at + 16, 0xff, 4);
	dev->hook_start = at + 16;
	dev->hook_end = at + 20;
	dev->cfg_read = pci_cfg_read;
	dev->cfg_write = pci_cfg_write;
}

int virtio_pci_register(struct vm *vm, struct virtio_pci *vp)
{
	struct pci_device *dev = &vp->pci;
	struct virtio_dev *vd = &vp->vd;
	uint32_t id = vd->ops->device_id;

	dev->name = vd->ops->name;
	dev->opaque = vp;
	dev->bar_mapped = bar_mapped;
	dev->intx_pending = intx_pending;
	vd->transport = vp;
	vd->tops = &pci_transport;
	/* modern-only device: ID 0x1040 + type, revision 1 (4.1.2) */
	pci_init_header(dev, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + id,
			class_for(id) << 8 | 1, VIRTIO_PCI_VENDOR,
			VIRTIO_PCI_SUBSYS_ID);
	dev->bars[CAPS_BAR] = (struct pci_bar){ .size = CAPS_BAR_SIZE,
						.is_64 = 1,
						.ops = &caps_bar_ops,
						.opaque = vp };
	if (pci_add_msix(dev, MSIX_BAR, vd->nr_queues + 1))
		return -1;
	if (add_cap(dev, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFF,
		    sizeof(struct virtio_pci_common_cfg)) ||
	    add_cap(dev, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFF, 1) ||
	    add_cap(dev, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFF,
		    vd->ops->config_size) ||
	    add_cap(dev, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFF,
		    vd->nr_queues * NOTIFY_MULTIPLIER))
		return -1;
	add_pci_cfg_cap(vp);
	return pci_register_device(vm, dev);
}
