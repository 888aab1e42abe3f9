// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0 (PCI Local Bus 3.0 configuration space, conf1 and ECAM),
 * BAR management and MSI-X (PCI 3.0 section 6.8.2).
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "irq.h"
#include "layout.h"
#include "log.h"
#include "pci.h"
#include "vm.h"

#define PCI_CLASS_BRIDGE_HOST 0x0600
#define CONF1_ENABLE	      0x80000000U
#define PC_RESET_CONTROL_OFF  1 /* 0xcf9 inside the 0xcf8 dword */
#define PC_RESET_CPU	      0x04
#define MSIX_TABLE_OFF	      0x000
#define MSIX_PBA_OFF	      0x800
#define MSIX_ENTRY_SIZE	      16
#define MSIX_MAX_VECTORS      128 /* table and PBA fit one 4 KiB BAR */

struct pci_bus {
	pthread_mutex_t lock; /* conf1 latch and config space */
	struct vm *vm;
	uint32_t conf1_addr;
	uint64_t next_mmio32;
	struct pci_device host_bridge;
	struct pci_device *slots[PCI_MAX_SLOTS];
};

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

void pci_init_header(struct pci_device *dev, uint16_t vendor, uint16_t device,
		     uint32_t class_rev, uint16_t subsys_vendor,
		     uint16_t subsys_id)
{
	wr16(dev->cfg + PCI_VENDOR_ID, vendor);
	wr16(dev->cfg + PCI_DEVICE_ID, device);
	wr32(dev->cfg + PCI_CLASS_REVISION, class_rev);
	wr16(dev->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	wr16(dev->cfg + PCI_SUBSYSTEM_ID, subsys_id);
	dev->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	dev->intx_efd = dev->intx_resample_efd = -1;
}

uint8_t pci_add_capability(struct pci_device *dev, uint8_t id, uint8_t len)
{
	unsigned int off = dev->cap_end ? dev->cap_end : 0x40;

	off = (off + 3) & ~3U;
	if (len < 2 || off + len > PCI_CFG_SIZE)
		return 0;
	dev->cfg[off] = id;
	dev->cfg[off + 1] = 0;
	if (dev->last_cap)
		dev->cfg[dev->last_cap + 1] = off;
	else
		dev->cfg[PCI_CAPABILITY_LIST] = off;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->last_cap = off;
	dev->cap_end = off + len;
	return off;
}

/* ---- MSI-X ---- */

static void msix_deliver(struct msix *m, unsigned int v)
{
	struct msix_vector *vec = &m->vec[v];
	uint64_t one = 1;

	if (vec->gsi < 0) {
		vec->gsi = irq_alloc_msi_gsi(m->dev->vm);
		vec->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vec->gsi < 0 || vec->efd < 0 ||
		    irq_set_msi_route(m->dev->vm, vec->gsi,
				      (uint64_t)vec->addr_hi << 32 |
					      vec->addr_lo,
				      vec->data) ||
		    irq_irqfd_assign(m->dev->vm, vec->efd, vec->gsi, -1)) {
			warn_once("%s: cannot set up MSI-X vector %u: %s",
				  m->dev->name, v, strerror(errno));
			return;
		}
	}
	if (write(vec->efd, &one, sizeof(one)) < 0)
		warn_once("%s: MSI-X irqfd write failed", m->dev->name);
}

static int msix_masked(struct msix *m, unsigned int v)
{
	uint16_t ctl;

	memcpy(&ctl, m->dev->cfg + m->cap + PCI_MSIX_FLAGS, 2);
	return (ctl & PCI_MSIX_FLAGS_MASKALL) ||
	       (m->vec[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/* Route changes and pending deliveries after any table/control write. */
static void msix_update(struct msix *m, unsigned int v)
{
	struct msix_vector *vec = &m->vec[v];

	if (vec->gsi >= 0 && !msix_masked(m, v))
		irq_set_msi_route(m->dev->vm, vec->gsi,
				  (uint64_t)vec->addr_hi << 32 | vec->addr_lo,
				  vec->data);
	if (vec->pending && !msix_masked(m, v) && pci_msix_enabled(m->dev)) {
		vec->pending = 0;
		msix_deliver(m, v);
	}
}

static uint64_t msix_bar_read(void *opaque, uint64_t off, unsigned int size)
{
	struct msix *m = opaque;
	uint64_t v = 0;

	pthread_mutex_lock(&m->lock);
	if (off < MSIX_PBA_OFF && off / MSIX_ENTRY_SIZE < m->nr &&
	    (off & 3) == 0 && (size == 4 || size == 8)) {
		uint32_t *e = &m->vec[off / MSIX_ENTRY_SIZE].addr_lo;
		unsigned int w = (off % MSIX_ENTRY_SIZE) / 4;

		v = e[w];
		if (size == 8 && w < 3)
			v |= (uint64_t)e[w + 1] << 32;
	} else if (off >= MSIX_PBA_OFF && off < MSIX_PBA_OFF + 16) {
		unsigned int first = (off - MSIX_PBA_OFF) * 8;

		for (unsigned int i = 0; i < size * 8 && first + i < m->nr; i++)
			v |= (uint64_t)(m->vec[first + i].pending != 0) << i;
	}
	pthread_mutex_unlock(&m->lock);
	return v;
}

static void msix_write_dword(struct msix *m, uint64_t off, uint32_t val)
{
	unsigned int v = off / MSIX_ENTRY_SIZE;
	uint32_t *e = &m->vec[v].addr_lo;

	e[(off % MSIX_ENTRY_SIZE) / 4] = val;
	msix_update(m, v);
}

static void msix_bar_write(void *opaque, uint64_t off, unsigned int size,
			   uint64_t val)
{
	struct msix *m = opaque;

	/* the spec allows dword and aligned qword accesses to the table */
	if (off >= MSIX_PBA_OFF || off / MSIX_ENTRY_SIZE >= m->nr ||
	    (off & 3) || (size != 4 && size != 8))
		return;
	pthread_mutex_lock(&m->lock);
	msix_write_dword(m, off, (uint32_t)val);
	if (size == 8 && (off % MSIX_ENTRY_SIZE) < 12)
		msix_write_dword(m, off + 4, (uint32_t)(val >> 32));
	pthread_mutex_unlock(&m->lock);
}

static const struct io_ops msix_bar_ops = {
	.read = msix_bar_read,
	.write = msix_bar_write,
};

int pci_add_msix(struct pci_device *dev, int bar, unsigned int nr)
{
	struct msix *m = calloc(1, sizeof(*m));
	uint8_t cap;

	if (!m || nr == 0 || nr > MSIX_MAX_VECTORS)
		goto fail;
	m->vec = calloc(nr, sizeof(*m->vec));
	cap = pci_add_capability(dev, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);
	if (!m->vec || !cap)
		goto fail;
	pthread_mutex_init(&m->lock, NULL);
	m->dev = dev;
	m->nr = nr;
	m->cap = cap;
	for (unsigned int i = 0; i < nr; i++) {
		m->vec[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT; /* reset state */
		m->vec[i].gsi = m->vec[i].efd = -1;
	}
	wr16(dev->cfg + cap + PCI_MSIX_FLAGS, nr - 1);
	wr32(dev->cfg + cap + PCI_MSIX_TABLE, MSIX_TABLE_OFF | bar);
	wr32(dev->cfg + cap + PCI_MSIX_PBA, MSIX_PBA_OFF | bar);
	dev->bars[bar] = (struct pci_bar){ .size = 0x1000,
					   .ops = &msix_bar_ops,
					   .opaque = m };
	dev->msix = m;
	return 0;
fail:
	if (m)
		free(m->vec);
	free(m);
	return -1;
}

int pci_msix_enabled(struct pci_device *dev)
{
	uint16_t ctl;

	if (!dev->msix)
		return 0;
	memcpy(&ctl, dev->cfg + dev->msix->cap + PCI_MSIX_FLAGS, 2);
	return (ctl & PCI_MSIX_FLAGS_ENABLE) != 0;
}

static void intx_assert(struct pci_device *dev)
{
	uint64_t one = 1;
	uint16_t cmd;

	memcpy(&cmd, dev->cfg + PCI_COMMAND, 2);
	if ((cmd & PCI_COMMAND_INTX_DISABLE) || dev->intx_efd < 0)
		return;
	if (write(dev->intx_efd, &one, sizeof(one)) < 0)
		warn_once("%s: INTx irqfd write failed", dev->name);
}

void pci_notify(struct pci_device *dev, uint16_t vector)
{
	struct msix *m = dev->msix;

	if (!pci_msix_enabled(dev)) {
		intx_assert(dev);
		return;
	}
	if (vector >= m->nr)
		return; /* VIRTIO_MSI_NO_VECTOR or out of range: no interrupt */
	pthread_mutex_lock(&m->lock);
	if (msix_masked(m, vector))
		m->vec[vector].pending = 1;
	else
		msix_deliver(m, vector);
	pthread_mutex_unlock(&m->lock);
}

/* After the guest's EOI KVM drops the line; raise it again if needed. */
static void intx_resampled(struct event_source *src, uint32_t events)
{
	struct pci_device *dev = src->opaque;
	uint64_t v;

	if (read(src->fd, &v, sizeof(v)) < 0)
		return;
	if (dev->intx_pending && dev->intx_pending(dev) &&
	    !pci_msix_enabled(dev))
		intx_assert(dev);
}

static int setup_intx(struct vm *vm, struct pci_device *dev)
{
	struct event_source *src = calloc(1, sizeof(*src));

	dev->cfg[PCI_INTERRUPT_PIN] = 1; /* INTA */
	dev->intx_gsi = PCI_INTX_GSI_BASE + dev->slot % PCI_INTX_GSI_NR;
	dev->cfg[PCI_INTERRUPT_LINE] = dev->intx_gsi;
	dev->intx_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dev->intx_resample_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!src || dev->intx_efd < 0 || dev->intx_resample_efd < 0 ||
	    irq_irqfd_assign(vm, dev->intx_efd, dev->intx_gsi,
			     dev->intx_resample_efd)) {
		free(src);
		return -1;
	}
	*src = (struct event_source){ .fd = dev->intx_resample_efd,
				      .handler = intx_resampled,
				      .opaque = dev };
	dev->intx_resample = src;
	return event_loop_add(&vm->loop, src, EPOLLIN);
}

/* ---- BARs ---- */

static int bar_decodes(struct pci_device *dev, int i)
{
	struct pci_bar *b = &dev->bars[i];
	uint16_t cmd;

	memcpy(&cmd, dev->cfg + PCI_COMMAND, 2);
	/* only inside the 32-bit hole: never over RAM or past 4 GiB */
	return (cmd & PCI_COMMAND_MEMORY) && b->addr >= MMIO_HOLE_START &&
	       b->addr <= MMIO_HOLE_END - b->size;
}

/* Puts each BAR on the MMIO bus where the guest programmed it. */
static void remap_bars(struct pci_device *dev)
{
	for (int i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t want = bar_decodes(dev, i) ? b->addr : 0;

		if (!b->size || want == b->mapped_addr)
			continue;
		if (b->mapped_addr)
			bus_unregister(&dev->vm->mmio, b->mapped_addr);
		b->mapped_addr = 0;
		if (want && bus_register(&dev->vm->mmio, want, b->size,
					 dev->name, b->ops, b->opaque) == 0)
			b->mapped_addr = want;
		else if (want)
			warn_once("%s: BAR %d at 0x%llx overlaps another "
				  "device; not mapped",
				  dev->name, i, (unsigned long long)want);
		if (dev->bar_mapped)
			dev->bar_mapped(dev, i, b->mapped_addr);
	}
}

static void bar_to_cfg(struct pci_device *dev, int i)
{
	struct pci_bar *b = &dev->bars[i];
	uint32_t lo = (uint32_t)b->addr;

	if (b->is_64)
		lo |= PCI_BASE_ADDRESS_MEM_TYPE_64;
	wr32(dev->cfg + PCI_BASE_ADDRESS_0 + 4 * i, lo);
	if (b->is_64)
		wr32(dev->cfg + PCI_BASE_ADDRESS_0 + 4 * (i + 1),
		     (uint32_t)(b->addr >> 32));
}

/* A dword write to BAR register @reg (0..5): sizing reads back ~(size-1). */
static void write_bar(struct pci_device *dev, int reg, uint32_t val)
{
	struct pci_bar *b = &dev->bars[reg];
	int high = 0;

	if (reg > 0 && !b->size && dev->bars[reg - 1].is_64) {
		b = &dev->bars[reg - 1]; /* upper half of a 64-bit BAR */
		high = 1;
	}
	if (!b->size)
		return; /* unimplemented BARs read as 0 */
	if (high)
		b->addr = (b->addr & 0xffffffffULL) |
			  (((uint64_t)val << 32) & ~(b->size - 1));
	else
		b->addr = (b->addr & ~0xffffffffULL) |
			  (val & (uint32_t) ~(b->size - 1) & ~0xfU);
	bar_to_cfg(dev, b - dev->bars);
}

static int place_bars(struct pci_bus *pb, struct pci_device *dev)
{
	for (int i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr;

		if (!b->size)
			continue;
		if (b->size < 16 || (b->size & (b->size - 1)) ||
		    (b->is_64 && i == PCI_NR_BARS - 1))
			return -1;
		/* all BARs below 4 GiB: simple guests can reach them */
		addr = (pb->next_mmio32 + b->size - 1) & ~(b->size - 1);
		if (addr + b->size > PCI_MMIO32_END)
			return -1;
		b->addr = addr;
		pb->next_mmio32 = addr + b->size;
		bar_to_cfg(dev, i);
		if (b->is_64)
			i++;
	}
	return 0;
}

/* ---- configuration space ---- */

static struct pci_device *slot_dev(struct pci_bus *pb, unsigned int slot)
{
	return slot < PCI_MAX_SLOTS ? pb->slots[slot] : NULL;
}

uint32_t pci_config_read(struct vm *vm, unsigned int slot, unsigned int off,
			 unsigned int size)
{
	struct pci_bus *pb = vm->pci;
	struct pci_device *dev;
	uint32_t v = 0, ones;

	if (size == 0 || size > 4)
		return 0xffffffffU;
	/* all-ones of the access width: callers may use the whole value */
	ones = size == 4 ? 0xffffffffU : (1U << (size * 8)) - 1;
	pthread_mutex_lock(&pb->lock);
	dev = slot_dev(pb, slot);
	if (dev && off >= PCI_CFG_SIZE)
		v = 0; /* no extended capabilities */
	else if (dev && off > PCI_CFG_SIZE - size)
		v = ones; /* straddles the end */
	else if (dev && dev->cfg_read && off < dev->hook_end &&
		 off + size > dev->hook_start)
		v = dev->cfg_read(dev, off, size);
	else if (dev)
		memcpy(&v, dev->cfg + off, size);
	else
		v = ones;
	pthread_mutex_unlock(&pb->lock);
	return v;
}

/* Bits the guest may change, per byte of the configuration space. */
static uint8_t writable_mask(struct pci_device *dev, unsigned int off)
{
	switch (off) {
	case PCI_COMMAND:
		return PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	case PCI_COMMAND + 1: return PCI_COMMAND_INTX_DISABLE >> 8;
	case PCI_CACHE_LINE_SIZE:
	case PCI_LATENCY_TIMER:
	case PCI_INTERRUPT_LINE: return 0xff;
	}
	if (dev->msix && off == dev->msix->cap + PCI_MSIX_FLAGS + 1U)
		return (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	return dev->wmask[off];
}

static int is_bar_reg(unsigned int off)
{
	return off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_5 + 4;
}

static void write_bar_bytes(struct pci_device *dev, unsigned int off,
			    unsigned int size, uint32_t val)
{
	unsigned int reg = (off - PCI_BASE_ADDRESS_0) / 4;
	uint8_t dw[4];

	/* merge the bytes into the dword, then apply the BAR rules */
	memcpy(dw, dev->cfg + PCI_BASE_ADDRESS_0 + 4 * reg, 4);
	for (unsigned int i = 0; i < size && (off & 3) + i < 4; i++)
		dw[(off & 3) + i] = val >> (8 * i);
	write_bar(dev, reg, rd32(dw));
}

static void config_write_locked(struct pci_device *dev, unsigned int off,
				unsigned int size, uint32_t val)
{
	int remap = 0, msix_touched = 0;

	if (is_bar_reg(off)) {
		write_bar_bytes(dev, off, size, val);
		remap = 1;
	} else {
		for (unsigned int i = 0; i < size; i++) {
			unsigned int o = off + i;
			uint8_t mask = writable_mask(dev, o);

			dev->cfg[o] = (dev->cfg[o] & ~mask) |
				      ((val >> (8 * i)) & mask);
			remap |= o == PCI_COMMAND;
			msix_touched |=
				dev->msix &&
				o == dev->msix->cap + PCI_MSIX_FLAGS + 1U;
		}
	}
	if (dev->cfg_write && off < dev->hook_end &&
	    off + size > dev->hook_start)
		dev->cfg_write(dev, off, size, val);
	if (remap)
		remap_bars(dev);
	if (msix_touched) {
		pthread_mutex_lock(&dev->msix->lock);
		for (unsigned int v = 0; v < dev->msix->nr; v++)
			msix_update(dev->msix, v);
		pthread_mutex_unlock(&dev->msix->lock);
	}
}

void pci_config_write(struct vm *vm, unsigned int slot, unsigned int off,
		      unsigned int size, uint32_t val)
{
	struct pci_bus *pb = vm->pci;
	struct pci_device *dev;

	if (size == 0 || size > 4 || off > PCI_CFG_SIZE - size ||
	    (off & (size - 1)))
		return;
	pthread_mutex_lock(&pb->lock);
	dev = slot_dev(pb, slot);
	if (dev)
		config_write_locked(dev, off, size, val);
	pthread_mutex_unlock(&pb->lock);
}

/* ---- configuration mechanism #1 ---- */

static uint64_t conf1_addr_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pci_bus *pb = opaque;

	if (off == 0 && size == 4)
		return pb->conf1_addr;
	return off == PC_RESET_CONTROL_OFF ? 0 : 0xffffffffU;
}

static void conf1_addr_write(void *opaque, uint64_t off, unsigned int size,
			     uint64_t val)
{
	struct pci_bus *pb = opaque;

	if (off == 0 && size == 4)
		pb->conf1_addr = val & 0x80fffffcU;
	else if (off == PC_RESET_CONTROL_OFF && size == 1 &&
		 (val & PC_RESET_CPU))
		vm_request_stop(pb->vm, VM_STOP_REBOOT, EXIT_OK);
}

/* Bus 0, function 0 only: anything else reads as "no device". */
static int conf1_target(struct pci_bus *pb, unsigned int *slot,
			unsigned int *reg)
{
	uint32_t a = pb->conf1_addr;

	if (!(a & CONF1_ENABLE) || (a >> 16 & 0xff) || (a >> 8 & 7))
		return -1;
	*slot = a >> 11 & 0x1f;
	*reg = a & 0xfc;
	return 0;
}

static uint64_t conf1_data_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pci_bus *pb = opaque;
	unsigned int slot, reg;

	if (conf1_target(pb, &slot, &reg) || size > 4)
		return 0xffffffffU;
	return pci_config_read(pb->vm, slot, reg + off, size);
}

static void conf1_data_write(void *opaque, uint64_t off, unsigned int size,
			     uint64_t val)
{
	struct pci_bus *pb = opaque;
	unsigned int slot, reg;

	if (conf1_target(pb, &slot, &reg) == 0)
		pci_config_write(pb->vm, slot, reg + off, size, val);
}

static const struct io_ops conf1_addr_ops = {
	.read = conf1_addr_read,
	.write = conf1_addr_write,
};

static const struct io_ops conf1_data_ops = {
	.read = conf1_data_read,
	.write = conf1_data_write,
};

/* ECAM: bus 0 only; offset = device << 15 | function << 12 | register */
static uint64_t ecam_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pci_bus *pb = opaque;

	/* a 64-bit access (a movq in a 64-bit guest) is two dwords, low
	 * first, as a root complex that splits it would do */
	if (size == 8 && !(off & 7))
		return ecam_read(opaque, off, 4) | ecam_read(opaque, off + 4, 4)
							   << 32;
	/* an unaligned qword, or an absent function: all-ones of the width */
	if (size >= 8)
		return ~0ULL;
	if ((off >> 12) & 7)
		return (1ULL << (size * 8)) - 1;
	return pci_config_read(pb->vm, off >> 15, off & 0xfff, size);
}

static void ecam_write(void *opaque, uint64_t off, unsigned int size,
		       uint64_t val)
{
	struct pci_bus *pb = opaque;

	if (size == 8 && !(off & 7)) {
		ecam_write(opaque, off, 4, (uint32_t)val);
		ecam_write(opaque, off + 4, 4, val >> 32);
	} else if (!((off >> 12) & 7)) {
		pci_config_write(pb->vm, off >> 15, off & 0xfff, size, val);
	}
}

static const struct io_ops ecam_ops = {
	.read = ecam_read,
	.write = ecam_write,
};

int pci_bus_create(struct vm *vm)
{
	struct pci_bus *pb = calloc(1, sizeof(*pb));
	struct pci_device *hb;

	if (!pb)
		return -1;
	pthread_mutex_init(&pb->lock, NULL);
	pb->vm = vm;
	pb->next_mmio32 = PCI_MMIO32_START;
	vm->pci = pb;
	hb = &pb->host_bridge;
	hb->name = "pci-host";
	hb->vm = vm;
	/* a generic host bridge: class 06/00/00 so kernels accept conf1 */
	pci_init_header(hb, 0x1b36, 0x0008, PCI_CLASS_BRIDGE_HOST << 16, 0x1af4,
			0x1100);
	pb->slots[0] = hb;
	if (bus_register(&vm->pio, PCI_CONFIG_ADDR_PORT, 4, "pci-conf1",
			 &conf1_addr_ops, pb) ||
	    bus_register(&vm->pio, PCI_CONFIG_DATA_PORT, 4, "pci-conf1",
			 &conf1_data_ops, pb) ||
	    bus_register(&vm->mmio, PCI_ECAM_BASE, PCI_ECAM_SIZE, "pci-ecam",
			 &ecam_ops, pb))
		return -1;
	return 0;
}

int pci_register_device(struct vm *vm, struct pci_device *dev)
{
	struct pci_bus *pb = vm->pci;
	int slot;

	pthread_mutex_lock(&pb->lock);
	for (slot = 1; slot < PCI_MAX_SLOTS && pb->slots[slot]; slot++)
		;
	if (slot == PCI_MAX_SLOTS || place_bars(pb, dev)) {
		pthread_mutex_unlock(&pb->lock);
		err("%s: no PCI slot or BAR space left", dev->name);
		return -1;
	}
	dev->vm = vm;
	dev->slot = slot;
	pb->slots[slot] = dev;
	pthread_mutex_unlock(&pb->lock);
	if (setup_intx(vm, dev)) {
		err("%s: cannot set up INTx: %s", dev->name, strerror(errno));
		return -1;
	}
	return 0;
}

void pci_bus_free(struct vm *vm)
{
	struct pci_bus *pb = vm->pci;

	if (!pb)
		return;
	for (int s = 1; s < PCI_MAX_SLOTS; s++) {
		struct pci_device *dev = pb->slots[s];

		if (!dev)
			continue;
		if (dev->intx_efd >= 0)
			close(dev->intx_efd);
		if (dev->intx_resample_efd >= 0)
			close(dev->intx_resample_efd);
		free(dev->intx_resample);
		if (dev->msix) {
			for (unsigned int v = 0; v < dev->msix->nr; v++)
				if (dev->msix->vec[v].efd >= 0)
					close(dev->msix->vec[v].efd);
			free(dev->msix->vec);
			free(dev->msix);
		}
	}
	free(pb);
	vm->pci = NULL;
}
