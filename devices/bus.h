/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device registration interface.  A device claims a range of I/O ports
 * or guest-physical MMIO addresses with bus_register(); the vCPU loop hands
 * every port and MMIO exit to bus_read()/bus_write(), which find the owner.
 * Accesses nobody claimed read as all-ones, are ignored on write, and are
 * counted: never fatal (a PC behaves the same way).
 */
#ifndef KVMINI_BUS_H
#define KVMINI_BUS_H

#include <pthread.h>
#include <stdint.h>

struct io_ops {
	/* @offset is relative to the claimed base; @size is 1, 2, 4 or 8. */
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned int size);
	void (*write)(void *opaque, uint64_t offset, unsigned int size,
		      uint64_t value);
};

struct bus_region {
	const char *name;
	uint64_t base;
	uint64_t len;
	const struct io_ops *ops;
	void *opaque;
	uint64_t reads; /* statistics, updated atomically */
	uint64_t writes;
};

#define BUS_MAX_REGIONS 64

struct bus {
	const char *name;      /* "port" or "mmio", for messages */
	pthread_rwlock_t lock; /* registrations may change at run time */
	int nr;
	struct bus_region regions[BUS_MAX_REGIONS]; /* sorted by base */
	uint64_t unclaimed_reads;
	uint64_t unclaimed_writes;
};

void bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);
/* Returns 0, or -1 if the range overlaps another or the table is full. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const char *name,
		 const struct io_ops *ops, void *opaque);
int bus_unregister(struct bus *bus, uint64_t base);

/* Dispatch; return the name of the device that took it (or NULL). */
const char *bus_read(struct bus *bus, uint64_t addr, unsigned int size,
		     uint64_t *value);
const char *bus_write(struct bus *bus, uint64_t addr, unsigned int size,
		      uint64_t value);

#endif
