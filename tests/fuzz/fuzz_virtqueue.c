// SPDX-License-Identifier: GPL-2.0
/*
 * devices/virtqueue.c: the driver (the input) lays out the rings and the
 * descriptor chains in guest RAM; the device pops every available chain,
 * copies through its segments and returns it.  Checked: each segment
 * lies inside guest RAM and the request's counts add up.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void check_req(const struct fuzz_ring *r, const struct virtq_req *req)
{
	uint64_t out = 0, in = 0;
	unsigned int n = req->nr_out + req->nr_in;

	FUZZ_CHECK(n <= VIRTQ_MAX_SEGS);
	for (unsigned int i = 0; i < n; i++) {
		FUZZ_CHECK(fuzz_in_ram(r, req->seg[i].addr, req->seg[i].len));
		if (i < req->nr_out)
			out += req->seg[i].len;
		else
			in += req->seg[i].len;
	}
	FUZZ_CHECK(out == req->out_len && in == req->in_len);
	FUZZ_CHECK(req->head < r->vq.size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[FUZZ_RAM_SIZE];
	struct fuzz_ring r;
	int popped = 0;

	if (fuzz_ring_setup(&r, data, size))
		return 0;
	/* at most a ring's worth, plus one to see the end */
	while (popped <= r.vq.size && virtq_pop(&r.vq, &r.mem, r.req) == 1) {
		uint64_t got = virtq_copy_from(r.req, r.extra & 0xff, scratch,
					       sizeof(scratch));
		uint64_t put;

		FUZZ_CHECK(got <= r.req->out_len);
		put = virtq_copy_to(r.req, (r.extra >> 8) & 0xff, scratch, got);
		FUZZ_CHECK(put <= r.req->in_len);
		check_req(&r, r.req);
		virtq_push(&r.vq, r.req->head, (uint32_t)put);
		popped++;
		if (r.extra & (1ULL << 16) && popped == 1)
			virtq_unpop(&r.vq, 1); /* the retry path */
	}
	FUZZ_CHECK(popped <= r.vq.size + 1);
	virtq_should_notify(&r.vq);
	return 0;
}
