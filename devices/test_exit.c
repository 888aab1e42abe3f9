// SPDX-License-Identifier: GPL-2.0
/*
 * Test-exit port (--test-exit): a guest test ends the VM with a result
 * code by writing value v to I/O port 0xF4; kvmini exits with (v << 1) | 1.
 * That is the convention test suites built for QEMU's isa-debug-exit use,
 * and it keeps 0 meaning "powered off normally", never a test verdict.
 */
#include "bus.h"
#include "layout.h"
#include "legacy.h"
#include "vm.h"

static uint64_t test_exit_read(void *opaque, uint64_t off, unsigned int size)
{
	return 0; /* reads carry no meaning; 0 tells a probe it is there */
}

static void test_exit_write(void *opaque, uint64_t off, unsigned int size,
			    uint64_t val)
{
	struct vm *vm = opaque;

	/* the shell sees only 8 bits of an exit status anyway */
	vm_request_stop(vm, VM_STOP_TEST_EXIT, (int)(((val << 1) | 1) & 0xff));
}

static const struct io_ops test_exit_ops = {
	.read = test_exit_read,
	.write = test_exit_write,
};

int test_exit_create(struct vm *vm)
{
	if (!vm->cfg->test_exit)
		return 0;
	return bus_register(&vm->pio, TEST_EXIT_PORT, 1, "test-exit",
			    &test_exit_ops, vm);
}
