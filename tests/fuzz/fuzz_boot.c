// SPDX-License-Identifier: GPL-2.0
/*
 * vmm/boot*.c: the kernel file is user input.  The first input byte picks
 * the format option (auto, bzimage, elf, multiboot); the rest is the
 * kernel file, which boot_load() reads through /proc/self/fd of a memfd,
 * as it would read --kernel.  Guest RAM is a malloc'd buffer (ASan sees
 * anything outside it).  Checked: a failure always comes with a reason;
 * a 32-bit entry point is below 4 GiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"
#include "fuzz.h"
#include "vm.h"

#define RAM_SIZE (32ULL << 20)
#define RSDP	 0xe0000ULL

static const enum kernel_format formats[] = {
	KERNEL_FORMAT_AUTO,
	KERNEL_FORMAT_BZIMAGE,
	KERNEL_FORMAT_ELF,
	KERNEL_FORMAT_MULTIBOOT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm *vm;
	static struct vm_config cfg;
	static char path[64];
	static int fd = -1;
	struct boot_entry entry;
	char why[BOOT_WHY_LEN] = "";
	int ret;

	if (!vm) {
		uint8_t *ram = malloc(RAM_SIZE);

		vm = calloc(1, sizeof(*vm));
		fd = memfd_create("fuzz-kernel", MFD_CLOEXEC);
		FUZZ_CHECK(ram && vm && fd >= 0);
		vm->mem = (struct guest_mem){
			.base = ram,
			.total = RAM_SIZE,
			.nr_regions = 1,
			.regions = { { 0, RAM_SIZE, ram } },
		};
		cfg.mem_size = RAM_SIZE;
		cfg.nr_cpus = 1;
		cfg.cmdline = "console=ttyS0";
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		cfg.kernel = path;
		vm->cfg = &cfg;
	}
	if (size < 1)
		return 0;
	cfg.kopts.format = formats[data[0] % 4];
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data + 1, size - 1, 0) == (ssize_t)(size - 1));
	ret = boot_load(vm, RSDP, &entry, why);
	/* an entry outside RAM is the guest's problem (it faults, exit 4);
	 * a 32-bit entry above 4 GiB would be ours */
	if (ret)
		FUZZ_CHECK(ret == -1 && why[0]);
	else if (entry.mode == BOOT_MODE_32)
		FUZZ_CHECK(entry.rip < (1ULL << 32));
	return 0;
}
