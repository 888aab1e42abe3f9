/*
 * PCI configuration mechanism #1 (ports 0xcf8/0xcfc): config space reads
 * and writes, finding a device on bus 0, walking the capability list,
 * decoding and sizing BARs, enabling decode and bus mastering.
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdint.h>

#define PCI_VENDOR_ID	    0x00
#define PCI_DEVICE_ID	    0x02
#define PCI_COMMAND	    0x04
#define PCI_STATUS	    0x06
#define PCI_REVISION	    0x08 /* then prog-if, subclass, class */
#define PCI_HEADER_TYPE	    0x0e
#define PCI_BAR0	    0x10
#define PCI_CAP_PTR	    0x34

#define PCI_COMMAND_IO	    0x0001
#define PCI_COMMAND_MEMORY  0x0002
#define PCI_COMMAND_MASTER  0x0004
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_CAP_ID_MSIX	    0x11
#define PCI_CAP_ID_VNDR	    0x09

struct pci_dev {
	uint8_t bus, slot, func;
	uint16_t vendor, device;
	uint8_t revision;
	uint32_t class_code; /* class << 16 | subclass << 8 | prog-if */
	uint8_t header_type; /* without the multi-function bit */
};

struct pci_bar {
	uint64_t base; /* 0: not assigned */
	uint64_t size; /* 0: not implemented */
	uint8_t io, mem64, prefetch;
};

uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);
void pci_write8(const struct pci_dev *d, uint8_t off, uint8_t v);

/* fill *d for bus:slot.func; 0 if nothing answers there */
int pci_probe(uint8_t bus, uint8_t slot, uint8_t func, struct pci_dev *d);
/* is function 0 of this slot a multi-function device? */
int pci_multifunction(uint8_t bus, uint8_t slot);
/* first function on bus 0 with this vendor/device id; 0 if none */
int pci_find(uint16_t vendor, uint16_t device, struct pci_dev *d);

/* config offset of the first capability with this id after offset 'after'
 * (0: from the start); 0 if none.  A looping or out-of-range list ends the
 * walk (and is reported by pci_caps_sane). */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after);
/* 1 if the capability list ends properly (every pointer >= 0x40, dword
 * aligned, at most 48 entries) */
int pci_caps_sane(const struct pci_dev *d);

/* decode (and size) BAR n of a type 0 header: returns how many BAR slots
 * it uses (2 for a 64-bit memory BAR, else 1).  Sizing writes all-ones with
 * decode turned off, then restores the BAR and the command register. */
int pci_bar(const struct pci_dev *d, int n, struct pci_bar *bar);

/* set bits in the command register */
void pci_enable(const struct pci_dev *d, uint16_t bits);

/* for firmware that leaves BARs unassigned (QEMU's qboot, which
 * tools/bench.sh prefers to SeaBIOS because it boots in well under a second
 * there): place the first vendor:device's unassigned memory BARs from
 * 0xc0000000 up, size-aligned, past any BAR already there.  kvmini assigns
 * every BAR itself, so there this changes nothing. */
void pci_assign_bars(uint16_t vendor, uint16_t device);

#endif
