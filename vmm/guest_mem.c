// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#include "guest_mem.h"
#include "layout.h"
#include "log.h"

#define THP_SIZE (2ULL << 20)

/*
 * Anonymous RAM that starts on a 2 MiB boundary: the host and KVM can map
 * guest RAM with huge pages only where guest-physical and host addresses
 * agree modulo 2 MiB.  Over-map by 2 MiB, then trim both ends.
 */
static void *map_aligned(uint64_t size)
{
	uint64_t len = ((size + 0xfff) & ~0xfffULL) + THP_SIZE;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *start, *end;

	if (p == MAP_FAILED)
		return p;
	start = (uint8_t *)(((uintptr_t)p + THP_SIZE - 1) & ~(THP_SIZE - 1));
	end = start + len - THP_SIZE;
	if (start > p)
		munmap(p, start - p);
	if (p + len > end)
		munmap(end, p + len - end);
	return start;
}

static void warn_if_thp_off(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	if (strstr(buf, "[never]"))
		warn("--hugepages: transparent huge pages are off on this host "
		     "(/sys/kernel/mm/transparent_hugepage/enabled is never); "
		     "guest RAM gets 4 KiB pages");
}

/* reserved pages count as free in free_hugepages: subtract them */
static long hugetlb_available(unsigned long page_kib)
{
	const char *names[] = { "free_hugepages", "resv_hugepages" };
	long v[2] = { -1, -1 };

	for (int i = 0; i < 2; i++) {
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%lukB/%s",
			 page_kib, names[i]);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%ld", &v[i]) != 1)
				v[i] = -1;
			fclose(f);
		}
	}
	return v[0] < 0 || v[1] < 0 ? -1 : v[0] - v[1];
}

static void explain_hugetlb_enomem(const char *dir, uint64_t size,
				   unsigned long page, char *why, size_t len)
{
	long avail = hugetlb_available(page >> 10);
	char have[48] = "";

	if (avail >= 0)
		snprintf(have, sizeof(have), ", %ld available", avail);
	snprintf(why, len,
		 "--hugepages=%.100s: not enough huge pages for %llu MiB of "
		 "RAM: it needs %llu of %lu KiB%s (raise "
		 "/proc/sys/vm/nr_hugepages or the mount's size=)",
		 dir, (unsigned long long)(size >> 20),
		 (unsigned long long)((size + page - 1) / page), page >> 10,
		 have);
}

/* A deleted file in the hugetlbfs mount @dir, mapped shared. */
static void *map_hugetlbfs(const char *dir, uint64_t size, uint64_t *map_len,
			   char *why, size_t len)
{
	struct statfs sfs;
	char path[4096];
	void *p = MAP_FAILED;
	int fd;

	if (statfs(dir, &sfs)) {
		snprintf(why, len, "--hugepages=%.150s: %s", dir,
			 strerror(errno));
		return p;
	}
	if (sfs.f_type != HUGETLBFS_MAGIC) {
		snprintf(why, len,
			 "--hugepages=%.150s is not a hugetlbfs mount (mount "
			 "-t hugetlbfs none DIR)",
			 dir);
		return p;
	}
	*map_len = (size + sfs.f_bsize - 1) / sfs.f_bsize * sfs.f_bsize;
	snprintf(path, sizeof(path), "%s/kvmini-ram-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "--hugepages=%.150s: cannot create a file: %s",
			 dir, strerror(errno));
		return p;
	}
	unlink(path);
	/* a shared hugetlbfs mapping reserves its pages here, or fails */
	if (ftruncate(fd, *map_len) == 0)
		p = mmap(NULL, *map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
	if (p == MAP_FAILED && (errno == ENOMEM || errno == ENOSPC ||
				errno == EINVAL))
		explain_hugetlb_enomem(dir, size, sfs.f_bsize, why, len);
	else if (p == MAP_FAILED)
		snprintf(why, len, "--hugepages=%.150s: %s", dir,
			 strerror(errno));
	close(fd);
	return p;
}

static void *map_ram(uint64_t size, const struct guest_mem_opts *o,
		     uint64_t *map_len, char *why, size_t len)
{
	void *p;

	*map_len = size;
	if (o && o->hugetlbfs)
		return map_hugetlbfs(o->hugetlbfs, size, map_len, why, len);
	if (o && o->hugepages) {
		p = map_aligned(size);
		if (p != MAP_FAILED && madvise(p, size, MADV_HUGEPAGE)) {
			snprintf(why, len,
				 "--hugepages: madvise(MADV_HUGEPAGE): %s (a "
				 "kernel without transparent huge pages?)",
				 strerror(errno));
			munmap(p, size);
			return MAP_FAILED;
		}
		warn_if_thp_off();
		return p;
	}
	/* MAP_NORESERVE: pages are touched lazily, RSS follows the guest. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	/*
	 * Transparent huge pages where the host allows them: device I/O into
	 * guest buffers gets fewer, larger segments (measured: 1.5x on 1 MiB
	 * O_DIRECT reads, docs/bench.md).  Advisory; failure is harmless.
	 * Not with --ksm: ksmd merges 4 KiB pages, huge ones only after
	 * splitting them.
	 */
	if (p != MAP_FAILED && !(o && o->ksm))
		madvise(p, size, MADV_HUGEPAGE);
	return p;
}

int guest_mem_init_opts(struct guest_mem *mem, uint64_t size,
			const struct guest_mem_opts *o, char *why, size_t len)
{
	uint64_t low = size < MMIO_HOLE_START ? size : MMIO_HOLE_START;
	uint64_t map_len;
	void *p;

	memset(mem, 0, sizeof(*mem));
	if (why && len)
		why[0] = '\0';
	p = map_ram(size, o, &map_len, why, len);
	if (p == MAP_FAILED)
		return -1;
	if (o && o->ksm && madvise(p, size, MADV_MERGEABLE)) {
		snprintf(why, len,
			 "--ksm: madvise(MADV_MERGEABLE): %s (a kernel without "
			 "KSM?)",
			 strerror(errno));
		munmap(p, map_len);
		return -1;
	}
	mem->base = p;
	mem->total = size;
	mem->map_len = map_len;
	mem->regions[0] = (struct mem_region){ 0, low, mem->base };
	mem->nr_regions = 1;
	if (size > low) {
		mem->regions[1] =
			(struct mem_region){ MMIO_HOLE_END, size - low,
					     mem->base + low };
		mem->nr_regions = 2;
	}
	return 0;
}

int guest_mem_init(struct guest_mem *mem, uint64_t size)
{
	return guest_mem_init_opts(mem, size, NULL, NULL, 0);
}

void guest_mem_destroy(struct guest_mem *mem)
{
	if (mem->base)
		munmap(mem->base, mem->map_len);
	memset(mem, 0, sizeof(*mem));
}

void *gpa_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct mem_region *r = &mem->regions[i];
		uint64_t off;

		if (gpa < r->gpa)
			continue;
		off = gpa - r->gpa;
		/* off < size and len <= size - off: no overflow possible */
		if (off < r->size && len <= r->size - off)
			return r->host + off;
	}
	return NULL;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src,
		    uint64_t len)
{
	void *dst = gpa_ptr(mem, gpa, len);

	if (!dst)
		return -1;
	memcpy(dst, src, len);
	return 0;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst,
		   uint64_t len)
{
	const void *src = gpa_ptr(mem, gpa, len);

	if (!src)
		return -1;
	memcpy(dst, src, len);
	return 0;
}

uint64_t guest_mem_low_end(const struct guest_mem *mem)
{
	return mem->regions[0].size;
}
