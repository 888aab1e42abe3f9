/* SPDX-License-Identifier: GPL-2.0 */
/* Every unit-test file exports one libcheck suite; check_main.c runs them. */
#ifndef KVMINI_TEST_SUITES_H
#define KVMINI_TEST_SUITES_H

#include <check.h>

Suite *guest_mem_suite(void);
Suite *acpi_suite(void);
Suite *mptable_suite(void);

#endif
