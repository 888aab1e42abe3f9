/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-physical memory map of a kvmini VM.  One place for every fixed
 * address, so boot code, tables and devices never disagree.
 *
 *   0x00000000  real-mode IVT and BIOS data area (left zero)
 *   0x00000500  GDT used for 32/64-bit entry
 *   0x00007000  Linux boot_params ("zero page") / PVH start_info
 *   0x00009000  identity page tables (PML4, PDPT, 4 PDs: first 4 GiB)
 *   0x00020000  kernel command line (up to CMDLINE_MAX bytes)
 *   0x00080000  Multiboot info, memory map, module list and strings
 *               (Multiboot boots only; reserved in their memory map)
 *   0x0009fc00  EBDA (reserved in e820); --boot disk: kvmini's info
 *               block for the firmware (bios/abi.h)
 *   0x000e0000  ACPI tables (RSDP first), reserved
 *   0x000f0000  Intel MP floating pointer and MP config table, reserved
 *   0x000f8000  firmware image (bios/, --boot disk only), reserved; the
 *               same bytes are aliased read-only below 4 GiB (reset vector)
 *   0x00100000  kernel (bzImage protected-mode part / ELF segments)
 *   ...         initrd at the top of low RAM
 *   0xc0000000  32-bit MMIO hole (PCI, IOAPIC, LAPIC) up to 4 GiB
 *   0x100000000 RAM above the hole, when --mem is more than 3 GiB
 */
#ifndef KVMINI_LAYOUT_H
#define KVMINI_LAYOUT_H

#define GDT_ADDR	 0x00000500ULL
#define BOOT_INFO_ADDR	 0x00007000ULL
#define PML4_ADDR	 0x00009000ULL
#define PDPT_ADDR	 0x0000a000ULL
#define PD_ADDR		 0x0000b000ULL /* 4 pages: 0xb000..0xefff */
#define CMDLINE_ADDR	 0x00020000ULL
#define CMDLINE_MAX	 0x00010000ULL
#define PVH_MEMMAP_ADDR	 0x00030000ULL
#define MULTIBOOT_INFO_ADDR 0x00080000ULL
#define MULTIBOOT_INFO_END  0x0009fc00ULL /* = EBDA_ADDR */
#define EBDA_ADDR	 0x0009fc00ULL
#define BIOS_AREA_START	 0x000a0000ULL
#define ACPI_TABLES_ADDR 0x000e0000ULL
#define ACPI_TABLES_MAX	 0x00010000ULL
#define MPTABLE_ADDR	 0x000f0000ULL
#define MPTABLE_MAX	 0x00008000ULL
/* bios/: 32 KiB at the top of the first megabyte, and its reset-vector
 * alias at the top of 4 GiB (bios/README.md) */
#define BIOS_ROM_ADDR	 0x000f8000ULL
#define BIOS_ROM_SIZE	 0x00008000ULL
#define BIOS_ROM_ALIAS	 (0x100000000ULL - BIOS_ROM_SIZE)
#define BIOS_AREA_END	 0x00100000ULL
#define KERNEL_LOAD_ADDR 0x00100000ULL

#define MMIO_HOLE_START	   0xc0000000ULL
#define MMIO_HOLE_END	   0x100000000ULL
/*
 * Inside the hole: the PCI memory window where kvmini places 32-bit BARs,
 * then the PCIe ECAM for bus 0 (described by ACPI MCFG), then the
 * virtio-mmio devices (0x200 bytes each), then IOAPIC and LAPIC.
 */
#define PCI_MMIO32_START   0xc0000000ULL
#define PCI_MMIO32_END	   0xe0000000ULL /* exclusive */
#define PCI_ECAM_BASE	   0xe0000000ULL
#define PCI_ECAM_SIZE	   0x00100000ULL /* bus 0 only */
#define VIRTIO_MMIO_BASE   0xf0000000ULL
#define VIRTIO_MMIO_STRIDE 0x200ULL
#define VIRTIO_MMIO_MAX	   32
/* 64-bit BARs go above RAM, from the first 1 GiB boundary past it */
#define PCI_MMIO64_SIZE	   0x1000000000ULL /* 64 GiB window */

/* PCI INTx: slot S pin P (0 = INTA) raises GSI 16 + ((S + P) % 8) */
#define PCI_INTX_GSI_BASE 16
#define PCI_INTX_GSI_NR	  8

#define IOAPIC_ADDR 0xfec00000ULL
#define LAPIC_ADDR  0xfee00000ULL

/* KVM needs three pages for the TSS and one for the identity map (VT-x). */
#define KVM_TSS_ADDR	      0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL

/* ACPI fixed-hardware registers (devices/acpi_pm.c) */
#define ACPI_PM_BASE	 0x600
#define ACPI_PM1_EVT	 (ACPI_PM_BASE + 0x0) /* 4 bytes: STS, EN */
#define ACPI_PM1_CNT	 (ACPI_PM_BASE + 0x4) /* 2 bytes */
#define ACPI_PM_TMR	 (ACPI_PM_BASE + 0x8) /* 4 bytes */
#define ACPI_RESET_PORT	 (ACPI_PM_BASE + 0xc) /* 1 byte */
#define ACPI_PM_LEN	 0x10
#define ACPI_RESET_VALUE 0x01
#define ACPI_SCI_IRQ	 9
/* SLP_TYP value the DSDT's \_S5 package announces for soft-off */
#define ACPI_S5_SLP_TYP	 5

/* PCI configuration mechanism #1; 0xcf9 is the PC reset control byte */
#define PCI_CONFIG_ADDR_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc

#define SERIAL_COM1_PORT 0x3f8
#define TEST_EXIT_PORT	 0xf4 /* --test-exit, 1 byte */
#define SERIAL_COM1_IRQ	 4

#define IOAPIC_NR_PINS 24

#endif
