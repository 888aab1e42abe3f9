/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interrupt plumbing between devices and KVM's in-kernel irqchip:
 * the GSI routing table (PC pins plus MSI routes) and irqfds, so device
 * threads raise interrupts with a write(2) instead of an ioctl.
 */
#ifndef KVMINI_IRQ_H
#define KVMINI_IRQ_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>

#define IRQ_MAX_ROUTES	  1024
#define IRQ_FIRST_MSI_GSI 24 /* after the IOAPIC's pins */

struct vm;

struct irq_routing {
	pthread_mutex_t lock;
	uint32_t next_gsi;
	unsigned int nr;
	struct kvm_irq_routing_entry entries[IRQ_MAX_ROUTES];
};

/* PC routing: ISA IRQs to both 8259s and the IOAPIC, IRQ 0 on pin 2. */
int irq_routing_init(struct vm *vm);
/* A fresh GSI for an MSI route, or -1 when none are left. */
int irq_alloc_msi_gsi(struct vm *vm);
/* Points @gsi at an MSI (address, data); replaces an existing route. */
int irq_set_msi_route(struct vm *vm, uint32_t gsi, uint64_t addr,
		      uint32_t data);
/* Connects eventfd @fd to @gsi; @resample_fd >= 0 for level-triggered. */
int irq_irqfd_assign(struct vm *vm, int fd, uint32_t gsi, int resample_fd);
int irq_irqfd_deassign(struct vm *vm, int fd, uint32_t gsi);

#endif
