// SPDX-License-Identifier: GPL-2.0
/*
 * devices/serial.c: a UART as tests/test_serial.c builds it (transmit into
 * a pipe, no VM), driven by a sequence of 2-byte operations from the
 * input: u8 op, u8 value.  op % 4: 0 read register op >> 2 & 7, 1 write
 * it, 2 the user types a byte (serial_receive), 3 the host side drains
 * the transmit pipe.  Checked: ASan/UBSan, and the interrupt line is
 * always 0 or 1.
 */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "serial.h"

#define MAX_OPS 8192

static void on_rx_space(void *opaque)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int out[2] = { -1, -1 };
	struct fuzz_in in = { data, size, 0 };
	uint8_t buf[4096];
	struct serial *s;

	if (out[0] < 0)
		FUZZ_CHECK(pipe2(out, O_NONBLOCK | O_CLOEXEC) == 0);
	s = serial_create(NULL, 0x3f8, 4, out[1], on_rx_space, NULL);
	FUZZ_CHECK(s);
	for (int i = 0; i < MAX_OPS && in.pos < in.len; i++) {
		uint8_t op = fuzz_u8(&in), val = fuzz_u8(&in);
		unsigned int reg = op >> 2 & 7;
		int level;

		switch (op & 3) {
		case 0: serial_reg_read(s, reg); break;
		case 1: serial_reg_write(s, reg, val); break;
		case 2: serial_receive(s, &val, 1); break;
		case 3:
			while (read(out[0], buf, sizeof(buf)) > 0)
				;
			break;
		}
		level = serial_irq_level(s);
		FUZZ_CHECK(level == 0 || level == 1);
	}
	while (read(out[0], buf, sizeof(buf)) > 0)
		;
	serial_free(s);
	return 0;
}
