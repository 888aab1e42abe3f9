/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI bus 0: a host bridge at 00:00.0, configuration mechanism #1
 * (0xcf8/0xcfc) and ECAM, BARs placed by kvmini in the 32-bit window and
 * mapped on the MMIO bus while memory decoding is on, INTx lines and an
 * MSI-X capability helper.  Devices fill a struct pci_device and call
 * pci_register_device(); they never touch each other.
 */
#ifndef KVMINI_PCI_H
#define KVMINI_PCI_H

#include <pthread.h>
#include <stdint.h>

#include "bus.h"
#include "event_loop.h"

#define PCI_MAX_SLOTS 32
#define PCI_CFG_SIZE  256
#define PCI_NR_BARS   6

struct vm;
struct pci_device;

struct pci_bar {
	uint64_t size; /* power of two >= 16; 0: unused */
	int is_64;
	const struct io_ops *ops; /* offsets are relative to the BAR */
	void *opaque;
	/* managed by pci.c */
	uint64_t addr;
	uint64_t mapped_addr; /* where it is on the MMIO bus, or 0 */
};

struct msix_vector {
	uint32_t addr_lo, addr_hi, data, ctrl;
	int gsi; /* KVM GSI, -1 until first used */
	int efd; /* irqfd bound to gsi */
	int pending;
};

struct msix {
	pthread_mutex_t lock;
	struct pci_device *dev;
	unsigned int nr;
	uint8_t cap; /* capability offset in config space */
	struct msix_vector *vec;
};

struct pci_device {
	const char *name;
	uint8_t cfg[PCI_CFG_SIZE];
	struct pci_bar bars[PCI_NR_BARS];
	void *opaque;
	/* a BAR moved or (un)mapped (addr 0): re-register ioeventfds etc. */
	void (*bar_mapped)(struct pci_device *dev, int bar, uint64_t addr);
	/* INTx: is the device's interrupt still pending? (after an EOI) */
	int (*intx_pending)(struct pci_device *dev);
	/* device-specific config space: extra writable bits, and hooks
	 * that see reads/writes of bytes in [hook_start, hook_end) */
	uint8_t wmask[PCI_CFG_SIZE];
	unsigned int hook_start, hook_end;
	uint32_t (*cfg_read)(struct pci_device *dev, unsigned int off,
			     unsigned int size);
	void (*cfg_write)(struct pci_device *dev, unsigned int off,
			  unsigned int size, uint32_t val);
	/* managed by pci.c */
	struct vm *vm;
	int slot;
	uint8_t last_cap;
	unsigned int cap_end; /* first free byte after the capabilities */
	unsigned int intx_gsi;
	int intx_efd, intx_resample_efd;
	struct event_source *intx_resample;
	struct msix *msix;
	pthread_mutex_t lock;
};

int pci_bus_create(struct vm *vm);
void pci_bus_free(struct vm *vm);

/* IDs and class go in before registering; BAR sizes too. */
void pci_init_header(struct pci_device *dev, uint16_t vendor, uint16_t device,
		     uint32_t class_rev, uint16_t subsys_vendor,
		     uint16_t subsys_id);
/* Appends a capability of @len bytes (>= 2); returns its offset or 0. */
uint8_t pci_add_capability(struct pci_device *dev, uint8_t id, uint8_t len);
/* Adds MSI-X with @nr vectors, table and PBA in BAR @bar (whole BAR). */
int pci_add_msix(struct pci_device *dev, int bar, unsigned int nr);
int pci_register_device(struct vm *vm, struct pci_device *dev);

/*
 * Raise an interrupt: MSI-X @vector when MSI-X is enabled (0xffff: none),
 * else INTx, level-triggered through a resampling irqfd: after the
 * guest's EOI, pci.c asks intx_pending() whether to raise it again.
 */
void pci_notify(struct pci_device *dev, uint16_t vector);
int pci_msix_enabled(struct pci_device *dev);

/* Config-space access by (slot, offset), for conf1, ECAM and tests. */
uint32_t pci_config_read(struct vm *vm, unsigned int slot, unsigned int off,
			 unsigned int size);
void pci_config_write(struct vm *vm, unsigned int slot, unsigned int off,
		      unsigned int size, uint32_t val);

#endif
