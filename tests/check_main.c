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
	};
	/*
	 * Tests that show open product bugs: they fail until the bug is
	 * fixed, so they only run with KVMINI_KNOWN_BUGS=1 in the
	 * environment.  Move a test into its main suite once it passes.
	 */
	Suite *(*const known_bugs[])(void) = {
		serial_known_bugs_suite,
		cli_known_bugs_suite,
		boot_known_bugs_suite,
	};
	SRunner *sr = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < ARRAY_SIZE(suites); i++)
		srunner_add_suite(sr, suites[i]());
	if (getenv("KVMINI_KNOWN_BUGS"))
		for (size_t i = 0; i < ARRAY_SIZE(known_bugs); i++)
			srunner_add_suite(sr, known_bugs[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
