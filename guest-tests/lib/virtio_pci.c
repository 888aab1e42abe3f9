/*
 * Modern virtio-pci transport, driver side (virtio 1.2 4.1).  The device's
 * structures are found through vendor-specific PCI capabilities (id 0x09):
 *
 *   u8 cap_vndr, cap_next, cap_len, cfg_type, bar, id, padding[2];
 *   le32 offset, length;                  (+ le32 notify_off_multiplier)
 *
 * Only memory BARs below 4 GiB are supported (32-bit guests).
 */
#include "virtio_pci.h"
#include "io.h"
#include "runtime.h"
#include "serial.h"

static const char *const cap_names[] = { "?", "common", "notify", "isr",
					 "device" };

static uint8_t common_read8(struct virtio_pci *vp, uint32_t off)
{
	return mmio_read8(vp->common.addr + off);
}

static uint16_t common_read16(struct virtio_pci *vp, uint32_t off)
{
	return mmio_read16(vp->common.addr + off);
}

static uint32_t common_read32(struct virtio_pci *vp, uint32_t off)
{
	return mmio_read32(vp->common.addr + off);
}

static void common_write8(struct virtio_pci *vp, uint32_t off, uint8_t v)
{
	mmio_write8(vp->common.addr + off, v);
}

static void common_write16(struct virtio_pci *vp, uint32_t off, uint16_t v)
{
	mmio_write16(vp->common.addr + off, v);
}

static void common_write32(struct virtio_pci *vp, uint32_t off, uint32_t v)
{
	mmio_write32(vp->common.addr + off, v);
}

/* fill in one region from the capability at config offset 'cap' */
static int map_region(struct virtio_pci *vp, uint8_t cap, uint8_t type,
		      struct virtio_pci_region *r)
{
	const struct pci_dev *d = &vp->pci;
	struct pci_bar bar;

	r->cap = cap;
	r->bar = pci_read8(d, cap + 4);
	r->offset = pci_read32(d, cap + 8);
	r->length = pci_read32(d, cap + 12);
	if (r->bar > 5) {
		printf("virtio-pci: %s capability names BAR %u\n",
		       cap_names[type], r->bar);
		return -1;
	}
	pci_bar(d, r->bar, &bar);
	if (bar.io || bar.size == 0 || bar.base == 0 ||
	    bar.base + bar.size > 0x100000000ULL) {
		printf("virtio-pci: %s capability: BAR %u is not a memory BAR "
		       "assigned below 4 GiB (base %llx size %llx io %u)\n",
		       cap_names[type], r->bar, (unsigned long long)bar.base,
		       (unsigned long long)bar.size, bar.io);
		return -1;
	}
	if (r->offset > bar.size || r->length > bar.size - r->offset) {
		printf("virtio-pci: %s capability: offset %x + length %x past "
		       "BAR %u (size %llx)\n",
		       cap_names[type], r->offset, r->length, r->bar,
		       (unsigned long long)bar.size);
		return -1;
	}
	r->addr = (uintptr_t)bar.base + r->offset;
	return 0;
}

int vpci_open(struct virtio_pci *vp, const struct pci_dev *d)
{
	uint8_t cap;

	memset(vp, 0, sizeof(*vp));
	vp->pci = *d;
	if (!pci_caps_sane(d)) {
		puts("virtio-pci: broken capability list\n");
		return -1;
	}
	/* the first capability of each type wins (4.1.4) */
	for (cap = pci_find_cap(d, PCI_CAP_ID_VNDR, 0); cap;
	     cap = pci_find_cap(d, PCI_CAP_ID_VNDR, cap)) {
		uint8_t len = pci_read8(d, cap + 2), type = pci_read8(d, cap + 3);
		struct virtio_pci_region *r = 0;

		if (type == VIRTIO_PCI_CAP_COMMON_CFG)
			r = &vp->common;
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			r = &vp->notify;
		else if (type == VIRTIO_PCI_CAP_ISR_CFG)
			r = &vp->isr;
		else if (type == VIRTIO_PCI_CAP_DEVICE_CFG)
			r = &vp->device;
		if (!r || r->cap)
			continue;
		if (len < 16 || (type == VIRTIO_PCI_CAP_NOTIFY_CFG && len < 20)) {
			printf("virtio-pci: %s capability at %x has cap_len %u\n",
			       cap_names[type], cap, len);
			return -1;
		}
		if (map_region(vp, cap, type, r))
			return -1;
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			vp->notify_mult = pci_read32(d, cap + 16);
	}
	if (!vp->common.cap || !vp->notify.cap || !vp->isr.cap) {
		printf("virtio-pci: missing capability: common %x notify %x "
		       "isr %x\n",
		       vp->common.cap, vp->notify.cap, vp->isr.cap);
		return -1;
	}
	if (vp->common.length < VIRTIO_COMMON_LEN) {
		printf("virtio-pci: common config is only %u bytes\n",
		       vp->common.length);
		return -1;
	}
	pci_enable(d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	vp->num_queues = common_read16(vp, VIRTIO_COMMON_NUMQ);
	return 0;
}

uint8_t vpci_get_status(struct virtio_pci *vp)
{
	return common_read8(vp, VIRTIO_COMMON_STATUS);
}

void vpci_add_status(struct virtio_pci *vp, uint8_t bits)
{
	common_write8(vp, VIRTIO_COMMON_STATUS, vpci_get_status(vp) | bits);
}

int vpci_reset(struct virtio_pci *vp)
{
	struct deadline dl;

	common_write8(vp, VIRTIO_COMMON_STATUS, 0);
	deadline_start(&dl, 1000);
	while (vpci_get_status(vp) != 0) {
		if (deadline_passed(&dl)) {
			printf("virtio-pci: reset: status still %x after 1 s\n",
			       vpci_get_status(vp));
			return -1;
		}
	}
	vp->features = 0;
	return 0;
}

int vpci_begin(struct virtio_pci *vp)
{
	if (vpci_reset(vp))
		return -1;
	vpci_add_status(vp, VIRTIO_STATUS_ACKNOWLEDGE);
	vpci_add_status(vp, VIRTIO_STATUS_DRIVER);
	return 0;
}

uint64_t vpci_device_features(struct virtio_pci *vp)
{
	uint32_t lo, hi;

	common_write32(vp, VIRTIO_COMMON_DFSELECT, 0);
	lo = common_read32(vp, VIRTIO_COMMON_DF);
	common_write32(vp, VIRTIO_COMMON_DFSELECT, 1);
	hi = common_read32(vp, VIRTIO_COMMON_DF);
	return ((uint64_t)hi << 32) | lo;
}

int vpci_negotiate(struct virtio_pci *vp, uint64_t wanted)
{
	uint8_t status;

	vp->offered = vpci_device_features(vp);
	if (!(vp->offered & VIRTIO_F_VERSION_1)) {
		printf("virtio-pci: device features %llx lack VERSION_1\n",
		       (unsigned long long)vp->offered);
		return -1;
	}
	vp->features = vp->offered & (wanted | VIRTIO_F_VERSION_1);
	common_write32(vp, VIRTIO_COMMON_GFSELECT, 0);
	common_write32(vp, VIRTIO_COMMON_GF, (uint32_t)vp->features);
	common_write32(vp, VIRTIO_COMMON_GFSELECT, 1);
	common_write32(vp, VIRTIO_COMMON_GF, (uint32_t)(vp->features >> 32));
	vpci_add_status(vp, VIRTIO_STATUS_FEATURES_OK);
	status = vpci_get_status(vp);
	if (!(status & VIRTIO_STATUS_FEATURES_OK)) {
		printf("virtio-pci: FEATURES_OK did not stick (features %llx, "
		       "status %x)\n",
		       (unsigned long long)vp->features, status);
		return -1;
	}
	return 0;
}

int vpci_setup_queue(struct virtio_pci *vp, struct virtq *vq)
{
	uint16_t max, size = vq->alloc_size;
	uint64_t noff;

	if (vq->index >= vp->num_queues) {
		printf("virtio-pci: queue %u: device has %u queues\n",
		       vq->index, vp->num_queues);
		return -1;
	}
	common_write16(vp, VIRTIO_COMMON_Q_SELECT, vq->index);
	max = common_read16(vp, VIRTIO_COMMON_Q_SIZE);
	if (max == 0) {
		printf("virtio-pci: queue %u not available\n", vq->index);
		return -1;
	}
	if (common_read16(vp, VIRTIO_COMMON_Q_ENABLE) != 0) {
		printf("virtio-pci: queue %u enabled right after reset\n",
		       vq->index);
		return -1;
	}
	while (size > max)
		size >>= 1;
	vq->size = size;
	common_write16(vp, VIRTIO_COMMON_Q_SIZE, size);
	if (common_read16(vp, VIRTIO_COMMON_Q_SIZE) != size) {
		printf("virtio-pci: queue %u: size %u did not stick\n",
		       vq->index, size);
		return -1;
	}
	mmio_write64(vp->common.addr + VIRTIO_COMMON_Q_DESC,
		     (uintptr_t)vq->desc);
	mmio_write64(vp->common.addr + VIRTIO_COMMON_Q_DRIVER,
		     (uintptr_t)vq->avail);
	mmio_write64(vp->common.addr + VIRTIO_COMMON_Q_DEVICE,
		     (uintptr_t)vq->used);
	vq->notify_off = common_read16(vp, VIRTIO_COMMON_Q_NOFF);
	noff = (uint64_t)vq->notify_off * vp->notify_mult;
	if (noff + 2 > vp->notify.length) {
		printf("virtio-pci: queue %u notify offset %llx outside the "
		       "notify region (%x bytes)\n",
		       vq->index, (unsigned long long)noff, vp->notify.length);
		return -1;
	}
	common_write16(vp, VIRTIO_COMMON_Q_ENABLE, 1);
	return 0;
}

void vpci_driver_ok(struct virtio_pci *vp)
{
	vpci_add_status(vp, VIRTIO_STATUS_DRIVER_OK);
}

void vpci_kick(struct virtio_pci *vp, struct virtq *vq)
{
	barrier();
	mmio_write16(vp->notify.addr + (uint32_t)vq->notify_off * vp->notify_mult,
		     vq->index);
}

int vpci_wait(struct virtio_pci *vp, struct virtq *vq, uint32_t ms,
	      uint32_t *id, uint32_t *len)
{
	struct deadline dl;

	deadline_start(&dl, ms);
	for (;;) {
		if (virtq_get_used(vq, id, len))
			return VQ_DONE;
		if (vpci_get_status(vp) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
			return VQ_NEEDS_RESET;
		if (deadline_passed(&dl))
			return VQ_TIMEOUT;
	}
}

static int cfg_ok(struct virtio_pci *vp, uint32_t off, uint32_t size)
{
	if (vp->device.cap && off + size <= vp->device.length)
		return 1;
	printf("virtio-pci: device config read at %x+%u outside the device "
	       "region (%u bytes)\n",
	       off, size, vp->device.length);
	return 0;
}

uint8_t vpci_cfg8(struct virtio_pci *vp, uint32_t off)
{
	return cfg_ok(vp, off, 1) ? mmio_read8(vp->device.addr + off) : 0xff;
}

uint16_t vpci_cfg16(struct virtio_pci *vp, uint32_t off)
{
	return cfg_ok(vp, off, 2) ? mmio_read16(vp->device.addr + off) : 0xffff;
}

uint32_t vpci_cfg32(struct virtio_pci *vp, uint32_t off)
{
	return cfg_ok(vp, off, 4) ? mmio_read32(vp->device.addr + off)
				  : 0xffffffff;
}

uint64_t vpci_cfg64(struct virtio_pci *vp, uint32_t off)
{
	uint64_t v = ~0ULL;
	uint8_t gen;
	int tries;

	if (!cfg_ok(vp, off, 8))
		return v;
	for (tries = 0; tries < 100; tries++) {
		gen = common_read8(vp, VIRTIO_COMMON_CFGGENERATION);
		v = mmio_read64(vp->device.addr + off);
		if (common_read8(vp, VIRTIO_COMMON_CFGGENERATION) == gen)
			break;
	}
	return v;
}
