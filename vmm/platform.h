/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Firmware tables that tell the guest what the platform looks like:
 * ACPI (RSDP, XSDT, FADT, FACS, MADT, DSDT) and the Intel MP table.
 * Both describe the same machine: nr_cpus local APICs with IDs 0..n-1,
 * one IOAPIC at IOAPIC_ADDR with 24 pins, ISA IRQs identity-mapped
 * (IRQ0 -> pin 2 override), the 16550 on IRQ 4 and SCI on IRQ 9, and
 * PCI bus 0 behind a host bridge (layout.h: windows, ECAM, INTx GSIs).
 */
#ifndef KVMINI_PLATFORM_H
#define KVMINI_PLATFORM_H

#include <stdint.h>
#include "guest_mem.h"

struct platform_info {
	int nr_cpus;
	uint8_t ioapic_id; /* == nr_cpus: APIC IDs must not collide */
	/* 64-bit PCI memory window above RAM; size 0: none */
	uint64_t pci_mmio64_start;
	uint64_t pci_mmio64_size;
};

/* Writes ACPI tables at ACPI_TABLES_ADDR; stores the RSDP address. */
int acpi_tables_build(const struct guest_mem *mem,
		      const struct platform_info *plat, uint64_t *rsdp_gpa);

/* Writes the MP floating pointer and configuration table at MPTABLE_ADDR. */
int mptable_build(const struct guest_mem *mem,
		  const struct platform_info *plat);

/* Sum of bytes, as ACPI and MP checksums need (the result must be 0). */
uint8_t table_checksum(const void *buf, uint64_t len);

#endif
