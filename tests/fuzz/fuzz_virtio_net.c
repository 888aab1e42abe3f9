// SPDX-License-Identifier: GPL-2.0
/*
 * devices/virtio_net.c transmit path: the input is a virtqueue fixture
 * (fuzz.h) whose chains are frames with a virtio_net_hdr_v1; the fixture's
 * extra word is the negotiated feature set.  Frames go to a pipe instead
 * of a tap.  Checked: ASan/UBSan on every access, and each used entry
 * names a descriptor of the ring and reports 0 bytes written (transmit
 * buffers are read-only to the device).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fuzz.h"
#include "virtio_net.h"
#include "vm.h"

static int pipe_fd[2] = { -1, -1 };

static uint64_t drain(void)
{
	static uint8_t buf[65536];
	uint64_t total = 0;
	ssize_t n;

	while ((n = read(pipe_fd[0], buf, sizeof(buf))) > 0)
		total += n;
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm *vm;
	struct fuzz_ring r;

	if (!vm) {
		vm = calloc(1, sizeof(*vm));
		FUZZ_CHECK(vm);
		FUZZ_CHECK(pipe2(pipe_fd, O_NONBLOCK | O_CLOEXEC) == 0);
		/* room for a whole ring of full frames */
		fcntl(pipe_fd[1], F_SETPIPE_SZ, 1 << 20);
	}
	if (fuzz_ring_setup(&r, data, size))
		return 0;
	vm->mem = r.mem;
	virtio_net_test_tx(vm, &r.vq, r.req, r.extra, pipe_fd[1]);
	drain();
	for (uint16_t i = 0; i < r.vq.used_idx && i < r.vq.size; i++) {
		struct vring_used_elem e;

		memcpy(&e, &r.vq.used->ring[i], sizeof(e));
		FUZZ_CHECK(e.id < r.vq.size && e.len == 0);
	}
	return 0;
}
