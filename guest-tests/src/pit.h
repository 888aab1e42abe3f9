/* The 8254 PIT: ports 0x40-0x43, the channel 2 gate on port 0x61. */
#ifndef GUEST_PIT_H
#define GUEST_PIT_H

#include "io.h"

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_61 0x61
#define PIT_HZ	1193182u

/* channel ch (0..2), lobyte/hibyte access, mode, binary; then the count */
static inline void pit_program(unsigned int ch, unsigned int mode,
			       uint16_t count)
{
	outb(PIT_CMD, (uint8_t)(ch << 6 | 3 << 4 | mode << 1));
	outb((uint16_t)(PIT_CH0 + ch), (uint8_t)count);
	outb((uint16_t)(PIT_CH0 + ch), (uint8_t)(count >> 8));
}

/* counter latch command, then the latched count */
static inline uint16_t pit_latch(unsigned int ch)
{
	uint16_t lo;

	outb(PIT_CMD, (uint8_t)(ch << 6));
	lo = inb((uint16_t)(PIT_CH0 + ch));
	return (uint16_t)(lo | inb((uint16_t)(PIT_CH0 + ch)) << 8);
}

#endif
