// SPDX-License-Identifier: GPL-2.0
/*
 * devices/pci.c: the bus of tests/test_pci.c (host bridge plus a device
 * with a 32-bit BAR, an MSI-X BAR and a 64-bit BAR, no KVM) driven by a
 * sequence of accesses from the input, 8 bytes each:
 *   u8 op, u8 slot, u16 offset, u32 value
 * op % 8: 0/1 config read/write by (slot, offset), 2/3 conf1 address and
 * data ports, 4/5 ECAM read/write, 6/7 MMIO read/write at a BAR of the
 * device (offset within the BAR).  Access size: 1 << (op >> 3 & 3).
 * Checked: ASan/UBSan; reads of narrow sizes stay within their width;
 * the header's read-only IDs never change.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "layout.h"
#include "log.h"
#include "pci.h"
#include "vm.h"

#define VENDOR	0x1234
#define DEVICE	0x11e8
#define MAX_OPS 4096

static uint64_t bar_read(void *opaque, uint64_t off, unsigned int size)
{
	return off;
}

static void bar_write(void *opaque, uint64_t off, unsigned int size,
		      uint64_t val)
{
}

static const struct io_ops bar_ops = { .read = bar_read, .write = bar_write };

struct env {
	struct vm vm;
	struct pci_device dev;
};

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));
	struct pci_device *dev;

	FUZZ_CHECK(e);
	e->vm.vm_fd = e->vm.kvm_fd = -1;
	bus_init(&e->vm.pio, "port");
	bus_init(&e->vm.mmio, "mmio");
	FUZZ_CHECK(event_loop_init(&e->vm.loop) == 0);
	pthread_mutex_init(&e->vm.stop_lock, NULL);
	pthread_cond_init(&e->vm.stop_cond, NULL);
	FUZZ_CHECK(pci_bus_create(&e->vm) == 0);
	dev = &e->dev;
	dev->name = "fuzzdev";
	pci_init_header(dev, VENDOR, DEVICE, 0x0c033002, 0x1af4, 0x42);
	dev->bars[0] = (struct pci_bar){ .size = 0x100, .ops = &bar_ops };
	FUZZ_CHECK(pci_add_msix(dev, 1, 3) == 0);
	dev->bars[2] =
		(struct pci_bar){ .size = 0x4000, .is_64 = 1, .ops = &bar_ops };
	FUZZ_CHECK(pci_add_capability(dev, 0x09, 8) != 0);
	/* fails in setup_intx() without KVM, after taking slot 1 */
	pci_register_device(&e->vm, dev);
	FUZZ_CHECK(dev->slot == 1);
	return e;
}

static void env_free(struct env *e)
{
	pci_bus_free(&e->vm);
	event_loop_destroy(&e->vm.loop);
	bus_destroy(&e->vm.pio);
	bus_destroy(&e->vm.mmio);
	pthread_mutex_destroy(&e->vm.stop_lock);
	pthread_cond_destroy(&e->vm.stop_cond);
	free(e);
}

static void check_width(uint64_t v, unsigned int size)
{
	if (size < 8)
		FUZZ_CHECK(v >> (8 * size) == 0);
}

static void one_op(struct env *e, struct fuzz_in *in)
{
	uint8_t op = fuzz_u8(in), slot = fuzz_u8(in) % PCI_MAX_SLOTS;
	uint16_t off = fuzz_u16(in);
	uint32_t val = fuzz_u32(in);
	unsigned int size = 1U << (op >> 3 & 3);
	struct pci_bar *bar = &e->dev.bars[(op >> 5) % PCI_NR_BARS];
	uint64_t v = 0;

	switch (op & 7) {
	case 0:
		if (size == 8)
			size = 4;
		v = pci_config_read(&e->vm, slot, off % PCI_CFG_SIZE, size);
		check_width(v, size);
		break;
	case 1:
		pci_config_write(&e->vm, slot, off % PCI_CFG_SIZE,
				 size == 8 ? 4 : size, val);
		break;
	case 2:
		bus_read(&e->vm.pio, PCI_CONFIG_ADDR_PORT + (off & 7), size,
			 &v);
		break;
	case 3:
		bus_write(&e->vm.pio, PCI_CONFIG_ADDR_PORT + (off & 7), size,
			  val);
		break;
	case 4:
		bus_read(&e->vm.mmio,
			 PCI_ECAM_BASE + ((uint64_t)slot << 15) + (off & 0xfff),
			 size, &v);
		break;
	case 5:
		bus_write(&e->vm.mmio,
			  PCI_ECAM_BASE + ((uint64_t)slot << 15) +
				  (off & 0xfff),
			  size, val);
		break;
	case 6:
		if (bar->mapped_addr)
			bus_read(&e->vm.mmio, bar->mapped_addr + off, size, &v);
		break;
	case 7:
		if (bar->mapped_addr)
			bus_write(&e->vm.mmio, bar->mapped_addr + off, size,
				  val);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	struct env *e;
	int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	/* registration's expected "no KVM" error stays off the output */
	fflush(stderr);
	if (null >= 0)
		dup2(null, 2);
	e = env_new();
	fflush(stderr);
	if (saved >= 0)
		dup2(saved, 2);
	close(saved);
	close(null);
	for (int i = 0; i < MAX_OPS && in.pos < in.len; i++)
		one_op(e, &in);
	FUZZ_CHECK(pci_config_read(&e->vm, 1, 0, 4) ==
		   ((uint32_t)DEVICE << 16 | VENDOR));
	env_free(e);
	return 0;
}
