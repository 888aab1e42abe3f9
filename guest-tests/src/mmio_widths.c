/*
 * MMIO exits of every width, 1/2/4/8 bytes, read and written back.  What
 * exits to kvmini (vmm/layout.h): the PCIe ECAM at 0xe0000000 and the
 * BARs in 0xc0000000-0xdfffffff; the LAPIC and IOAPIC are KVM's and never
 * exit.  Needs a virtio-blk disk (--disk) for its BARs:
 *   ECAM reads of the host bridge ID at 1/2/4/8 bytes (8 = two dwords);
 *   ECAM write/read-back: interrupt line (1), command (2), BAR sizing (4),
 *     0x38-0x3f (8: a reserved dword and the interrupt line);
 *   virtio common config in the BAR: device_status (1), queue_select (2),
 *     device_feature_select (4); an MSI-X table entry's address (8).
 */
#include "cpu.h"
#include "pci.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

#define ECAM 0xe0000000UL

static uint64_t read64(uintptr_t a)
{
	return *(volatile uint64_t *)a; /* one 8-byte access: movq */
}

static void write64(uintptr_t a, uint64_t v)
{
	*(volatile uint64_t *)a = v;
}

static void ecam_host_bridge(void)
{
	uint64_t q = read64(ECAM);

	test_check(mmio_read8(ECAM) == 0x36 && mmio_read8(ECAM + 1) == 0x1b,
		   "mmio_ecam_read8", "bytes %x %x", mmio_read8(ECAM),
		   mmio_read8(ECAM + 1));
	test_check(mmio_read16(ECAM) == 0x1b36 &&
			   mmio_read16(ECAM + 2) == 0x0008,
		   "mmio_ecam_read16", "words %x %x", mmio_read16(ECAM),
		   mmio_read16(ECAM + 2));
	test_check(mmio_read32(ECAM) == 0x00081b36, "mmio_ecam_read32",
		   "dword %x", mmio_read32(ECAM));
	test_check(q == ((uint64_t)mmio_read32(ECAM + 4) << 32 | 0x00081b36),
		   "mmio_ecam_read64", "qword %llx, dwords %x %x",
		   (unsigned long long)q, mmio_read32(ECAM),
		   mmio_read32(ECAM + 4));
}

/* bar64: the number of the first memory BAR */
static void ecam_device(const struct pci_dev *d, uint8_t bar64)
{
	uintptr_t cfg = ECAM + ((uintptr_t)d->slot << 15);
	uint32_t bar0, size;
	uint64_t pair;

	mmio_write8(cfg + 0x3c, 0x0b);
	test_check(mmio_read8(cfg + 0x3c) == 0x0b, "mmio_ecam_write8",
		   "interrupt line %x, want 0b", mmio_read8(cfg + 0x3c));
	mmio_write16(cfg + PCI_COMMAND,
		     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	test_check((mmio_read16(cfg + PCI_COMMAND) & 7) == 6,
		   "mmio_ecam_write16", "command %x, want memory+master",
		   mmio_read16(cfg + PCI_COMMAND));
	/* sizing with decode off, as a driver would */
	mmio_write16(cfg + PCI_COMMAND, 0);
	bar0 = mmio_read32(cfg + PCI_BAR0 + 4 * bar64);
	mmio_write32(cfg + PCI_BAR0 + 4 * bar64, 0xffffffff);
	size = mmio_read32(cfg + PCI_BAR0 + 4 * bar64);
	mmio_write32(cfg + PCI_BAR0 + 4 * bar64, bar0);
	test_check(size != 0xffffffff && (size & ~0xfU) &&
			   mmio_read32(cfg + PCI_BAR0 + 4 * bar64) == bar0,
		   "mmio_ecam_write32", "BAR%u sizing read %x, restore %x",
		   bar64, size, mmio_read32(cfg + PCI_BAR0 + 4 * bar64));
	/* 8 bytes at 0x38: a reserved dword (reads 0) and the dword with
	 * the interrupt line, the only writable byte of the two */
	pair = read64(cfg + 0x38);
	write64(cfg + 0x38, (pair & ~0xff00000000ULL) | 0x0e00000000ULL);
	test_check(mmio_read8(cfg + 0x3c) == 0x0e &&
			   read64(cfg + 0x38) == ((pair & ~0xff00000000ULL) |
						  0x0e00000000ULL),
		   "mmio_ecam_write64", "0x38-0x3f read %llx after the write",
		   (unsigned long long)read64(cfg + 0x38));
	mmio_write16(cfg + PCI_COMMAND,
		     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* the BAR address + offset a virtio vendor capability of type t points at */
static uintptr_t virtio_cap(const struct pci_dev *d, uint8_t t)
{
	struct pci_bar bar;

	for (uint8_t c = pci_find_cap(d, PCI_CAP_ID_VNDR, 0); c;
	     c = pci_find_cap(d, PCI_CAP_ID_VNDR, c))
		if (pci_read8(d, c + 3) == t) {
			pci_bar(d, pci_read8(d, c + 4), &bar);
			return (uintptr_t)bar.base + pci_read32(d, c + 8);
		}
	return 0;
}

static void bar_registers(const struct pci_dev *d)
{
	uintptr_t common = virtio_cap(d, 1);
	uint8_t msix = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);
	struct pci_bar bar;
	uintptr_t table;
	uint32_t t;

	if (!test_check(common && msix, "mmio_virtio_found",
			"no common config or MSI-X capability"))
		return;
	mmio_write8(common + 20, 0); /* device_status: reset */
	mmio_write8(common + 20, 1); /* ACKNOWLEDGE */
	test_check(mmio_read8(common + 20) == 1, "mmio_bar_write8",
		   "device_status %x, want 1", mmio_read8(common + 20));
	mmio_write8(common + 20, 0);
	mmio_write16(common + 22, 1); /* queue_select */
	test_check(mmio_read16(common + 22) == 1, "mmio_bar_write16",
		   "queue_select %x, want 1", mmio_read16(common + 22));
	mmio_write16(common + 22, 0);
	mmio_write32(common + 0, 1); /* device_feature_select */
	test_check(mmio_read32(common + 0) == 1, "mmio_bar_write32",
		   "device_feature_select %x, want 1", mmio_read32(common + 0));
	mmio_write32(common + 0, 0);
	t = pci_read32(d, msix + 4);
	pci_bar(d, t & 7, &bar);
	table = (uintptr_t)bar.base + (t & ~7U);
	write64(table, 0x00000001fee01000ULL);
	test_check(read64(table) == 0x00000001fee01000ULL, "mmio_bar_write64",
		   "MSI-X entry 0 address %llx, want 1fee01000",
		   (unsigned long long)read64(table));
	write64(table, 0);
}

int main(const struct hvm_start_info *si)
{
	struct pci_dev d;
	struct pci_bar bar;
	uint8_t bar_n = 0xff;

	(void)si;
	ecam_host_bridge();
	if (!test_check(pci_find(0x1af4, 0x1042, &d), "mmio_disk_found",
			"no virtio-blk (1af4:1042): run with --disk"))
		return 0;
	for (int n = 0, step; n < 6; n += step) {
		step = pci_bar(&d, n, &bar);
		if (!bar.io && bar.size && bar_n == 0xff)
			bar_n = (uint8_t)n;
	}
	pci_enable(&d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	bar_registers(&d);
	if (bar_n != 0xff)
		ecam_device(&d, bar_n);
	else
		test_fail("mmio_ecam_device", "virtio-blk has no memory BAR");
	return 0;
}
