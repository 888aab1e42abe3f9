// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "suites.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	Suite *(*const suites[])(void) = {
		guest_mem_suite,
		acpi_suite,
		mptable_suite,
		bus_suite,
		serial_suite,
		cli_suite,
		boot_suite,
		virtqueue_suite,
		pci_suite,
		stats_suite,
		multiboot_suite,
		bios_suite,
		config_file_suite,
		uring_suite,
		virtio_net_rx_suite,
		/* bugs found and fixed: each keeps its test */
		serial_regression_suite,
		cli_regression_suite,
		boot_regression_suite,
		pci_regression_suite,
	};
	SRunner *sr = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < ARRAY_SIZE(suites); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
