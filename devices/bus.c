// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "bus.h"

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_rwlock_init(&bus->lock, NULL);
}

void bus_destroy(struct bus *bus)
{
	pthread_rwlock_destroy(&bus->lock);
}

static int overlaps(const struct bus_region *r, uint64_t base, uint64_t len)
{
	return base < r->base + r->len && r->base < base + len;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, const char *name,
		 const struct io_ops *ops, void *opaque)
{
	int i, ret = -1;

	if (len == 0 || base + len < base)
		return -1;
	pthread_rwlock_wrlock(&bus->lock);
	if (bus->nr == BUS_MAX_REGIONS)
		goto out;
	for (i = 0; i < bus->nr; i++)
		if (overlaps(&bus->regions[i], base, len))
			goto out;
	for (i = bus->nr; i > 0 && bus->regions[i - 1].base > base; i--)
		bus->regions[i] = bus->regions[i - 1];
	bus->regions[i] = (struct bus_region){ .name = name,
					       .base = base,
					       .len = len,
					       .ops = ops,
					       .opaque = opaque };
	bus->nr++;
	ret = 0;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	int i, ret = -1;

	pthread_rwlock_wrlock(&bus->lock);
	for (i = 0; i < bus->nr; i++) {
		if (bus->regions[i].base != base)
			continue;
		memmove(&bus->regions[i], &bus->regions[i + 1],
			(bus->nr - i - 1) * sizeof(bus->regions[0]));
		bus->nr--;
		ret = 0;
		break;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

/* Binary search; the caller holds the lock. */
static struct bus_region *find(struct bus *bus, uint64_t addr)
{
	int lo = 0, hi = bus->nr - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		struct bus_region *r = &bus->regions[mid];

		if (addr < r->base)
			hi = mid - 1;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/*
 * Handlers run without the bus lock held: a handler may register or move
 * regions itself (a PCI BAR write remaps its BARs).  Device state lives
 * as long as the VM, so a handler found just before a remap is safe.
 */
const char *bus_read(struct bus *bus, uint64_t addr, unsigned int size,
		     uint64_t *value)
{
	struct bus_region *r, found;

	*value = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	pthread_rwlock_rdlock(&bus->lock);
	r = find(bus, addr);
	if (r) {
		__atomic_add_fetch(&r->reads, 1, __ATOMIC_RELAXED);
		found = *r;
	} else {
		__atomic_add_fetch(&bus->unclaimed_reads, 1, __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&bus->lock);
	if (!r)
		return NULL;
	if (found.ops->read)
		*value = found.ops->read(found.opaque, addr - found.base, size);
	return found.name;
}

const char *bus_write(struct bus *bus, uint64_t addr, unsigned int size,
		      uint64_t value)
{
	struct bus_region *r, found;

	pthread_rwlock_rdlock(&bus->lock);
	r = find(bus, addr);
	if (r) {
		__atomic_add_fetch(&r->writes, 1, __ATOMIC_RELAXED);
		found = *r;
	} else {
		__atomic_add_fetch(&bus->unclaimed_writes, 1,
				   __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&bus->lock);
	if (!r)
		return NULL;
	if (found.ops->write)
		found.ops->write(found.opaque, addr - found.base, size, value);
	return found.name;
}
