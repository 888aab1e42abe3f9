/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM: one anonymous host mapping, registered with KVM as up to two
 * slots (below the 32-bit MMIO hole and above 4 GiB).
 *
 * Every guest-physical address kvmini dereferences goes through gpa_ptr():
 * it checks bounds and overflow and returns NULL for anything that is not
 * entirely inside one RAM region.
 */
#ifndef KVMINI_GUEST_MEM_H
#define KVMINI_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 2

struct mem_region {
	uint64_t gpa; /* guest-physical start */
	uint64_t size;
	uint8_t *host; /* host virtual address of gpa */
};

struct guest_mem {
	uint8_t *base;	  /* whole host mapping */
	uint64_t total;	  /* bytes of guest RAM */
	uint64_t map_len; /* bytes mapped at base (hugetlbfs rounds up) */
	int nr_regions;
	struct mem_region regions[GUEST_MEM_MAX_REGIONS];
};

/* Map @size bytes of RAM (lazily touched) and lay it out around the hole. */
int guest_mem_init(struct guest_mem *mem, uint64_t size);
void guest_mem_destroy(struct guest_mem *mem);

/* How guest RAM is backed: --ksm, --hugepages[=DIR] (docs/kvmini.1). */
struct guest_mem_opts {
	int ksm;	       /* madvise(MADV_MERGEABLE) for the host's ksmd */
	int hugepages;	       /* transparent huge pages, 2 MiB aligned */
	const char *hugetlbfs; /* instead: a file in this hugetlbfs mount */
};

/*
 * guest_mem_init() with a backing; on failure -1 and, where there is
 * more to say than errno, a one-line reason in @why (@len bytes).
 */
int guest_mem_init_opts(struct guest_mem *mem, uint64_t size,
			const struct guest_mem_opts *o, char *why, size_t len);

/* The checked accessor: host pointer for [gpa, gpa+len), or NULL. */
void *gpa_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy helpers built on gpa_ptr(); return 0 or -1 when out of RAM. */
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src,
		    uint64_t len);
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst,
		   uint64_t len);

/* End of RAM below the MMIO hole (exclusive). */
uint64_t guest_mem_low_end(const struct guest_mem *mem);

#endif
