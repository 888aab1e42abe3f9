/*
 * PCI configuration mechanism #1: 0xcf8 takes the enable bit, bus, device,
 * function and dword offset; 0xcfc..0xcff is the selected dword.
 */
#include "pci.h"
#include "io.h"
#include "serial.h"

#define PCI_CONF_ADDR 0xcf8
#define PCI_CONF_DATA 0xcfc

static void select_reg(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_CONF_ADDR, 0x80000000u | (uint32_t)d->bus << 16 |
				    (uint32_t)d->slot << 11 |
				    (uint32_t)d->func << 8 | (off & 0xfc));
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
	select_reg(d, off);
	return inl(PCI_CONF_DATA);
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t off)
{
	select_reg(d, off);
	return inw(PCI_CONF_DATA + (off & 2));
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t off)
{
	select_reg(d, off);
	return inb(PCI_CONF_DATA + (off & 3));
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	select_reg(d, off);
	outl(PCI_CONF_DATA, v);
}

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	select_reg(d, off);
	outw(PCI_CONF_DATA + (off & 2), v);
}

void pci_write8(const struct pci_dev *d, uint8_t off, uint8_t v)
{
	select_reg(d, off);
	outb(PCI_CONF_DATA + (off & 3), v);
}

int pci_probe(uint8_t bus, uint8_t slot, uint8_t func, struct pci_dev *d)
{
	uint32_t id, cls;

	d->bus = bus;
	d->slot = slot;
	d->func = func;
	id = pci_read32(d, PCI_VENDOR_ID);
	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return 0;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	cls = pci_read32(d, PCI_REVISION);
	d->revision = cls & 0xff;
	d->class_code = cls >> 8;
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & 0x7f;
	return 1;
}

int pci_multifunction(uint8_t bus, uint8_t slot)
{
	struct pci_dev d = { .bus = bus, .slot = slot, .func = 0 };

	return (pci_read8(&d, PCI_HEADER_TYPE) & 0x80) != 0;
}

int pci_find(uint16_t vendor, uint16_t device, struct pci_dev *d)
{
	uint8_t slot, func;

	for (slot = 0; slot < 32; slot++) {
		if (!pci_probe(0, slot, 0, d))
			continue;
		for (func = 0; func < 8; func++) {
			if (func && !pci_multifunction(0, slot))
				break;
			if (pci_probe(0, slot, func, d) && d->vendor == vendor &&
			    d->device == device)
				return 1;
		}
	}
	return 0;
}

/* walk the capability list: *found = the first cap with this id after
 * offset "after"; returns 0 on a clean end, -1 on a bad list */
static int walk_caps(const struct pci_dev *d, uint8_t id, uint8_t after,
		     uint8_t *found)
{
	uint8_t ptr;
	int n, past = after == 0;

	*found = 0;
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	ptr = pci_read8(d, PCI_CAP_PTR);
	for (n = 0; ptr; n++) {
		if (n >= 48 || ptr < 0x40 || (ptr & 3))
			return -1;
		if (past && !*found && pci_read8(d, ptr) == id)
			*found = ptr;
		if (ptr == after)
			past = 1;
		ptr = pci_read8(d, ptr + 1);
	}
	return 0;
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after)
{
	uint8_t found;

	walk_caps(d, id, after, &found);
	return found;
}

int pci_caps_sane(const struct pci_dev *d)
{
	uint8_t found;

	return walk_caps(d, 0, 0, &found) == 0;
}

int pci_bar(const struct pci_dev *d, int n, struct pci_bar *bar)
{
	uint8_t off = PCI_BAR0 + 4 * n;
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	uint32_t lo = pci_read32(d, off), hi = 0, mlo, mhi = 0;
	uint64_t mask;

	bar->base = bar->size = 0;
	bar->io = lo & 1;
	bar->mem64 = !bar->io && ((lo >> 1) & 3) == 2 && n < 5;
	bar->prefetch = !bar->io && (lo & 8);

	pci_write16(d, PCI_COMMAND,
		    cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	pci_write32(d, off, 0xffffffff);
	mlo = pci_read32(d, off);
	pci_write32(d, off, lo);
	if (bar->mem64) {
		hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, 0xffffffff);
		mhi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, hi);
	}
	pci_write16(d, PCI_COMMAND, cmd);

	/* the bits that stay zero give the size; no bits at all: unimplemented */
	if (bar->io) {
		bar->base = lo & ~3u;
		mask = mlo & ~3u;
		if (mask)
			bar->size = (uint32_t)~(mask | 0xffff0000u) + 1;
	} else {
		bar->base = ((uint64_t)hi << 32) | (lo & ~15u);
		mask = mlo & ~15u;
		if (bar->mem64)
			mask |= (uint64_t)mhi << 32;
		else if (mask)
			mask |= 0xffffffff00000000ULL;
		if (mask)
			bar->size = ~mask + 1;
	}
	return bar->mem64 ? 2 : 1;
}

void pci_enable(const struct pci_dev *d, uint16_t bits)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | bits);
}

void pci_assign_bars(uint16_t vendor, uint16_t device)
{
	struct pci_dev d;
	struct pci_bar bar;
	uint32_t next = 0xc0000000u;
	int n, step;

	if (!pci_find(vendor, device, &d))
		return;
	for (n = 0; n < 6; n += step) {
		step = pci_bar(&d, n, &bar);
		if (bar.size && !bar.io && bar.base &&
		    bar.base + bar.size > next && bar.base < 0xfec00000u)
			next = (uint32_t)(bar.base + bar.size);
	}
	for (n = 0; n < 6; n += step) {
		uint8_t off = (uint8_t)(PCI_BAR0 + 4 * n);
		uint32_t size, base;

		step = pci_bar(&d, n, &bar);
		if (!bar.size || bar.io || bar.base || bar.size > 0x10000000u)
			continue;
		size = (uint32_t)bar.size;
		base = (next + size - 1) & ~(size - 1);
		pci_write32(&d, off, base | (pci_read32(&d, off) & 0xf));
		if (bar.mem64)
			pci_write32(&d, (uint8_t)(off + 4), 0);
		printf("assigned BAR%d at %x (size %llx)\n", n, base,
		       (unsigned long long)bar.size);
		next = base + size;
	}
}
