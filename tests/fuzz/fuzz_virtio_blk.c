// SPDX-License-Identifier: GPL-2.0
/*
 * devices/virtio_blk.c request path: the input is a virtqueue fixture
 * (fuzz.h) whose chains are block requests; the device serves them from
 * a memfd image.  Checked: the device never writes past the image (a
 * guard area after it keeps its pattern, the file keeps its size), and
 * ASan/UBSan on every access to guest RAM.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"
#include "virtio_blk.h"
#include "vm.h"

#define IMAGE_SIZE (64 * 1024ULL) /* what the device is told */
#define GUARD_SIZE (8 * 1024ULL)  /* after it, must stay as it is */
#define GUARD_BYTE 0xa5

static int image_fd = -1;

static void image_open(void)
{
	static uint8_t guard[GUARD_SIZE];

	image_fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
	FUZZ_CHECK(image_fd >= 0);
	FUZZ_CHECK(ftruncate(image_fd, IMAGE_SIZE + GUARD_SIZE) == 0);
	memset(guard, GUARD_BYTE, sizeof(guard));
	FUZZ_CHECK(pwrite(image_fd, guard, sizeof(guard), IMAGE_SIZE) ==
		   (ssize_t)sizeof(guard));
}

static void check_guard(void)
{
	static uint8_t buf[GUARD_SIZE];
	struct stat st;

	FUZZ_CHECK(fstat(image_fd, &st) == 0);
	FUZZ_CHECK((uint64_t)st.st_size == IMAGE_SIZE + GUARD_SIZE);
	FUZZ_CHECK(pread(image_fd, buf, sizeof(buf), IMAGE_SIZE) ==
		   (ssize_t)sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		FUZZ_CHECK(buf[i] == GUARD_BYTE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm *vm;
	struct fuzz_ring r;

	if (image_fd < 0) {
		image_open();
		vm = calloc(1, sizeof(*vm));
		FUZZ_CHECK(vm);
	}
	if (fuzz_ring_setup(&r, data, size))
		return 0;
	vm->mem = r.mem;
	virtio_blk_test_notify(vm, &r.vq, r.req, image_fd, IMAGE_SIZE);
	check_guard();
	return 0;
}
