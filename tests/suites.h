/* SPDX-License-Identifier: GPL-2.0 */
/* Every unit-test file exports one libcheck suite; check_main.c runs them. */
#ifndef KVMINI_TEST_SUITES_H
#define KVMINI_TEST_SUITES_H

#include <check.h>

Suite *guest_mem_suite(void);
Suite *acpi_suite(void);
Suite *mptable_suite(void);
Suite *bus_suite(void);
Suite *serial_suite(void);
Suite *cli_suite(void);
Suite *boot_suite(void);
Suite *virtqueue_suite(void);
Suite *pci_suite(void);
Suite *stats_suite(void);
Suite *multiboot_suite(void);
Suite *bios_suite(void);
Suite *config_file_suite(void);
Suite *uring_suite(void);
Suite *virtio_net_rx_suite(void);

/* Failing tests for open product bugs (run with KVMINI_KNOWN_BUGS=1). */
Suite *serial_regression_suite(void);
Suite *cli_regression_suite(void);
Suite *boot_regression_suite(void);

/* Failing tests for open product bugs, not run by check_main.c. */
Suite *pci_regression_suite(void);

#endif
