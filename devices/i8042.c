// SPDX-License-Identifier: GPL-2.0
/*
 * The PS/2 controller, reduced to its role in rebooting a PC: command
 * 0xFE on port 0x64 pulses the CPU reset line.  Status reads say "both
 * buffers empty" so a guest polling before the command does not spin.
 * The FADT does not announce an 8042, so Linux does not probe further.
 */
#include "bus.h"
#include "legacy.h"
#include "vm.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT	0x64
#define I8042_CMD_RESET 0xfe

static uint64_t i8042_read(void *opaque, uint64_t off, unsigned int size)
{
	return 0;
}

static void i8042_write(void *opaque, uint64_t off, unsigned int size,
			uint64_t val)
{
	if ((val & 0xff) == I8042_CMD_RESET)
		vm_request_stop(opaque, VM_STOP_REBOOT, EXIT_OK);
}

static const struct io_ops i8042_data_ops = { .read = i8042_read };
static const struct io_ops i8042_cmd_ops = {
	.read = i8042_read,
	.write = i8042_write,
};

int i8042_create(struct vm *vm)
{
	if (bus_register(&vm->pio, I8042_DATA_PORT, 1, "i8042", &i8042_data_ops,
			 vm))
		return -1;
	return bus_register(&vm->pio, I8042_CMD_PORT, 1, "i8042",
			    &i8042_cmd_ops, vm);
}
