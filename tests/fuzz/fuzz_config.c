// SPDX-License-Identifier: GPL-2.0
/*
 * vmm/config_file.c: a VM definition file, parsed on top of the defaults
 * with config_parse() and checked with cli_run_finish() as
 * `kvmini run --config` does.  Checked: ASan/UBSan; an error is one line
 * naming the file; a definition that parses formats into text that parses
 * back into an equal configuration (config_compare()) and formats into
 * the same text again.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config_file.h"
#include "fuzz.h"

static char *copy_text(const void *data, size_t size)
{
	char *buf = malloc(size + 1);

	FUZZ_CHECK(buf);
	memcpy(buf, data, size);
	return buf;
}

static void check_round_trip(const struct vm_config *cfg)
{
	struct vm_config *orig = config_dup(cfg), parsed;
	char why[CLI_ERR_LEN], what[64], *text, *again, *buf;

	FUZZ_CHECK(orig);
	text = config_format_string(cfg);
	FUZZ_CHECK(text);
	buf = copy_text(text, strlen(text));
	cli_run_defaults(&parsed);
	FUZZ_CHECK(config_parse("formatted", buf, strlen(text), &parsed, why) ==
		   0);
	FUZZ_CHECK(cli_run_finish(&parsed, why) == 0);
	FUZZ_CHECK(config_compare(orig, &parsed, what, sizeof(what)) == 0);
	again = config_format_string(&parsed);
	FUZZ_CHECK(again && strcmp(text, again) == 0);
	free(again);
	free(buf);
	free(text);
	free(orig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config cfg;
	char why[CLI_ERR_LEN];
	char *buf;

	if (size > CONFIG_MAX_SIZE)
		return 0;
	buf = copy_text(data, size);
	cli_run_defaults(&cfg);
	if (config_parse("fuzz.conf", buf, size, &cfg, why)) {
		FUZZ_CHECK(!strncmp(why, "fuzz.conf:", 10));
		FUZZ_CHECK(!strchr(why, '\n'));
	} else if (cli_run_finish(&cfg, why) == 0) {
		check_round_trip(&cfg);
	}
	free(buf);
	return 0;
}
