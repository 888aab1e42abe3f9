// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
	fflush(stderr);
	abort();
}

uint8_t fuzz_u8(struct fuzz_in *in)
{
	return in->pos < in->len ? in->p[in->pos++] : 0;
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return lo | (uint16_t)fuzz_u8(in) << 8;
}

uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u16(in);

	return lo | (uint32_t)fuzz_u16(in) << 16;
}

int fuzz_ring_setup(struct fuzz_ring *r, const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct virtq_req *req;
	struct fuzz_in in = { data, size, 0 };
	uint8_t flags;
	size_t image;

	/* allocated once, cleared per input: runs stay independent */
	if (!ram) {
		ram = malloc(FUZZ_RAM_SIZE);
		req = malloc(sizeof(*req));
		if (!ram || !req)
			abort();
	}
	memset(ram, 0, FUZZ_RAM_SIZE);
	memset(r, 0, sizeof(*r));
	r->mem.base = ram;
	r->mem.total = FUZZ_RAM_SIZE;
	r->mem.nr_regions = 1;
	r->mem.regions[0] = (struct mem_region){ 0, FUZZ_RAM_SIZE, ram };
	r->req = req;
	r->vq.max_size = 256;
	virtq_reset(&r->vq);
	r->vq.size = 1U << (fuzz_u8(&in) % 9);
	flags = fuzz_u8(&in);
	r->vq.event_idx = flags & 1;
	r->vq.indirect = !!(flags & 2);
	r->vq.desc_gpa = fuzz_u16(&in);
	r->vq.avail_gpa = fuzz_u16(&in);
	r->vq.used_gpa = fuzz_u16(&in);
	r->extra = fuzz_u32(&in);
	r->extra |= (uint64_t)fuzz_u32(&in) << 32;
	if (size > FUZZ_RING_HDR) {
		image = size - FUZZ_RING_HDR;
		if (image > FUZZ_RAM_SIZE)
			image = FUZZ_RAM_SIZE;
		memcpy(ram, data + FUZZ_RING_HDR, image);
	}
	r->vq.enabled = 1;
	return virtq_map(&r->vq, &r->mem);
}

int fuzz_in_ram(const struct fuzz_ring *r, const uint8_t *p, uint64_t len)
{
	const uint8_t *base = r->mem.base;

	return p >= base && len <= FUZZ_RAM_SIZE &&
	       (uint64_t)(p - base) <= FUZZ_RAM_SIZE - len;
}
