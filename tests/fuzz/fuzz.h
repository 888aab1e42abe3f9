/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared fixtures for the fuzz targets (docs/fuzzing.md): every target
 * defines LLVMFuzzerTestOneInput(); libFuzzer or replay.c calls it.
 */
#ifndef KVMINI_FUZZ_H
#define KVMINI_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "virtqueue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts (a finding) when @cond is false: also in builds without assert. */
#define FUZZ_CHECK(cond)                                      \
	do {                                                  \
		if (!(cond))                                  \
			fuzz_fail(__FILE__, __LINE__, #cond); \
	} while (0)
void fuzz_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));

/* Input cursor: bytes past the end read as zero. */
struct fuzz_in {
	const uint8_t *p;
	size_t len, pos;
};
uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);

/*
 * A split virtqueue in a small guest RAM that is a malloc'd buffer, so
 * ASan sees any access outside it.  Input layout (little endian):
 *   u8 log2 queue size (mod 9), u8 flags (bit 0 EVENT_IDX, bit 1
 *   INDIRECT), u16 desc gpa, u16 avail gpa, u16 used gpa, u64 extra (for
 *   the target), then the RAM image from gpa 0 (the rest is zero).
 */
#define FUZZ_RAM_SIZE 0x10000ULL
#define FUZZ_RING_HDR 16

struct fuzz_ring {
	struct guest_mem mem;
	struct virtq vq;
	struct virtq_req *req;
	uint64_t extra;
};

/* 0: @r's queue is mapped; -1: the driver's layout is invalid. */
int fuzz_ring_setup(struct fuzz_ring *r, const uint8_t *data, size_t size);
/* Is [p, p + len) inside the fixture's guest RAM? */
int fuzz_in_ram(const struct fuzz_ring *r, const uint8_t *p, uint64_t len);

#endif
