/* SPDX-License-Identifier: GPL-2.0 */
/* 16550A UART (COM1 at 0x3f8, IRQ 4): guest console. */
#ifndef KVMINI_SERIAL_H
#define KVMINI_SERIAL_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct serial;

/*
 * @out_fd receives what the guest transmits (-1 discards it).
 * @rx_space is called (from a vCPU thread) when the guest has drained
 * receive space after serial_receive() refused bytes.
 */
struct serial *serial_create(struct vm *vm, uint16_t port, unsigned int irq,
			     int out_fd, void (*rx_space)(void *),
			     void *opaque);
/*
 * Sends what the guest transmits to @out(@opaque, byte) instead of
 * out_fd; called on vCPU threads with the UART's lock held, so @out must
 * be quick and never block.  Set before the vCPUs run.
 */
void serial_set_output(struct serial *s, void (*out)(void *, uint8_t),
		       void *opaque);
/* Queue bytes typed by the user; returns how many were accepted. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);

/* Register-level access, used by the port handlers and by unit tests. */
uint8_t serial_reg_read(struct serial *s, unsigned int reg);
void serial_reg_write(struct serial *s, unsigned int reg, uint8_t val);
/* Level of the UART's interrupt output (after MCR OUT2 gating). */
int serial_irq_level(struct serial *s);
void serial_free(struct serial *s);

#endif
