// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "irq.h"
#include "layout.h"
#include "vm.h"

/* KVM_SET_GSI_ROUTING replaces the whole table: send all of it. */
static int irq_apply(struct vm *vm)
{
	struct irq_routing *rt = vm->irq;
	struct kvm_irq_routing *r;
	int ret;

	r = malloc(sizeof(*r) + rt->nr * sizeof(r->entries[0]));
	if (!r)
		return -1;
	r->nr = rt->nr;
	r->flags = 0;
	memcpy(r->entries, rt->entries, rt->nr * sizeof(r->entries[0]));
	ret = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	return ret;
}

static void add_irqchip(struct irq_routing *rt, uint32_t gsi, uint32_t chip,
			uint32_t pin)
{
	rt->entries[rt->nr++] =
		(struct kvm_irq_routing_entry){ .gsi = gsi,
						.type = KVM_IRQ_ROUTING_IRQCHIP,
						.u.irqchip = { .irqchip = chip,
							       .pin = pin } };
}

int irq_routing_init(struct vm *vm)
{
	struct irq_routing *rt = calloc(1, sizeof(*rt));

	if (!rt)
		return -1;
	pthread_mutex_init(&rt->lock, NULL);
	vm->irq = rt;
	rt->next_gsi = IRQ_FIRST_MSI_GSI;
	for (uint32_t gsi = 0; gsi < IOAPIC_NR_PINS; gsi++) {
		if (gsi < 16)
			add_irqchip(rt, gsi,
				    gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
					    : KVM_IRQCHIP_PIC_SLAVE,
				    gsi % 8);
		if (gsi != 2) /* pin 2 belongs to IRQ 0 */
			add_irqchip(rt, gsi, KVM_IRQCHIP_IOAPIC,
				    gsi == 0 ? 2 : gsi);
	}
	return irq_apply(vm);
}

int irq_alloc_msi_gsi(struct vm *vm)
{
	struct irq_routing *rt = vm->irq;
	int gsi = -1;

	pthread_mutex_lock(&rt->lock);
	if (rt->next_gsi < IRQ_MAX_ROUTES)
		gsi = rt->next_gsi++;
	pthread_mutex_unlock(&rt->lock);
	return gsi;
}

int irq_set_msi_route(struct vm *vm, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct irq_routing *rt = vm->irq;
	struct kvm_irq_routing_entry e = {
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = (uint32_t)addr,
			   .address_hi = (uint32_t)(addr >> 32),
			   .data = data }
	};
	unsigned int i;
	int ret = -1;

	pthread_mutex_lock(&rt->lock);
	for (i = 0; i < rt->nr; i++)
		if (rt->entries[i].gsi == gsi)
			break;
	if (i < IRQ_MAX_ROUTES) {
		rt->entries[i] = e;
		if (i == rt->nr)
			rt->nr++;
		ret = irq_apply(vm);
	}
	pthread_mutex_unlock(&rt->lock);
	return ret;
}

int irq_irqfd_assign(struct vm *vm, int fd, uint32_t gsi, int resample_fd)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };

	if (resample_fd >= 0) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = resample_fd;
	}
	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd);
}

int irq_irqfd_deassign(struct vm *vm, int fd, uint32_t gsi)
{
	struct kvm_irqfd irqfd = { .fd = fd,
				   .gsi = gsi,
				   .flags = KVM_IRQFD_FLAG_DEASSIGN };

	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd);
}
