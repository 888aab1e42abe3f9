// SPDX-License-Identifier: GPL-2.0
/* Port 0x80: POST codes from firmware, and Linux's I/O delay writes. */
#include "bus.h"
#include "legacy.h"
#include "vm.h"

#define POST_PORT 0x80

static uint64_t post_read(void *opaque, uint64_t off, unsigned int size)
{
	return 0xff;
}

static void post_write(void *opaque, uint64_t off, unsigned int size,
		       uint64_t val)
{
}

static const struct io_ops post_ops = {
	.read = post_read,
	.write = post_write,
};

int post_port_create(struct vm *vm)
{
	return bus_register(&vm->pio, POST_PORT, 1, "post", &post_ops, NULL);
}
