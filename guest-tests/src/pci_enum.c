/*
 * PCI enumeration on bus 0 through configuration mechanism #1: lists every
 * function, checks the host bridge at 00:00.0 (class 0x0600), that each
 * capability list ends, and that every memory BAR is assigned, aligned to
 * its size, inside kvmini's 32-bit window 0xc0000000-0xdfffffff and
 * overlaps no other BAR.  Virtio devices must be modern (device id >=
 * 0x1040, revision >= 1).  Prints "SKIP pci_enum" when nothing answers
 * on 0xcf8/0xcfc (no PCI in this kvmini yet).
 */
#include "pci.h"
#include "runtime.h"
#include "serial.h"

#define WIN_START 0xc0000000ULL
#define WIN_END	  0xe0000000ULL
#define MAX_BARS  64

static struct {
	uint64_t base, size;
} bars[MAX_BARS];
static int nbars, errors;

static void fail(const char *what, const struct pci_dev *d)
{
	printf("  error: %02x:%02x.%x: %s\n", d->bus, d->slot, d->func, what);
	errors++;
}

static void check_bars(const struct pci_dev *d)
{
	struct pci_bar bar;
	int n, i, step;

	for (n = 0; n < 6; n += step) {
		step = pci_bar(d, n, &bar);
		if (!bar.size)
			continue;
		printf("  BAR%d %s base %llx size %llx%s\n", n,
		       bar.io ? "io " : bar.mem64 ? "m64" : "m32", bar.base,
		       bar.size, bar.prefetch ? " prefetchable" : "");
		if (bar.io)
			continue;
		if (bar.size & (bar.size - 1))
			fail("BAR size not a power of 2", d);
		if (bar.base & (bar.size - 1))
			fail("BAR not aligned to its size", d);
		if (bar.base < WIN_START || bar.base + bar.size > WIN_END)
			fail("memory BAR outside 0xc0000000-0xdfffffff", d);
		for (i = 0; i < nbars; i++)
			if (bar.base < bars[i].base + bars[i].size &&
			    bars[i].base < bar.base + bar.size)
				fail("BARs overlap", d);
		if (nbars < MAX_BARS) {
			bars[nbars].base = bar.base;
			bars[nbars++].size = bar.size;
		}
	}
}

static void list_caps(const struct pci_dev *d)
{
	uint8_t ptr;
	int n = 0;

	if (!pci_caps_sane(d)) {
		fail("capability list is broken (loop or bad pointer)", d);
		return;
	}
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	puts("  caps:");
	for (ptr = pci_read8(d, PCI_CAP_PTR); ptr && n < 48;
	     ptr = pci_read8(d, ptr + 1), n++) {
		printf(" %02x@%02x", pci_read8(d, ptr), ptr);
		if (pci_read8(d, ptr) == PCI_CAP_ID_VNDR)
			printf("(type %u bar %u)", pci_read8(d, ptr + 3),
			       pci_read8(d, ptr + 4));
	}
	putc('\n');
}

int main(const struct hvm_start_info *si)
{
	struct pci_dev d, host;
	int slot, func, found = 0;

	(void)si;
	if (!pci_probe(0, 0, 0, &host)) {
		puts("SKIP pci_enum: nothing answers at 00:00.0 on 0xcf8/0xcfc\n");
		return 0;
	}
	for (slot = 0; slot < 32; slot++) {
		if (!pci_probe(0, slot, 0, &d))
			continue;
		for (func = 0; func < 8; func++) {
			if (func && !pci_multifunction(0, slot))
				break;
			if (!pci_probe(0, slot, func, &d))
				continue;
			found++;
			printf("%02x:%02x.%x %04x:%04x rev %02x class %06x "
			       "header %u\n",
			       d.bus, d.slot, d.func, d.vendor, d.device,
			       d.revision, d.class_code, d.header_type);
			if (d.header_type == 0)
				check_bars(&d);
			list_caps(&d);
			if (d.vendor == 0x1af4 &&
			    (d.device < 0x1040 || d.revision < 1))
				fail("virtio device is not modern-only", &d);
		}
	}
	if ((host.class_code >> 8) != 0x0600)
		fail("00:00.0 is not a host bridge (class 0x0600)", &host);
	if (errors) {
		printf("FAIL pci_enum: %d errors\n", errors);
		return 1;
	}
	printf("PASS pci_enum (%d functions)\n", found);
	return 0;
}
