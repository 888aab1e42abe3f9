/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line parsing for `kvmini run` and friends. */
#ifndef KVMINI_CLI_H
#define KVMINI_CLI_H

#include <stdint.h>

#include "config.h"

#define CLI_ERR_LEN 256

/*
 * Sizes: a number with an optional binary suffix K, M, G or T (an
 * optional trailing "B" or "iB" is accepted); a bare number means MiB.
 * Returns 0 and stores bytes, or -1 with a message in @why.
 */
int parse_size(const char *s, uint64_t *bytes, char *why);

/*
 * Parses `run` options (argv[0] is "run"), after the --config file if
 * one is named.  Returns 0 on success, 1 when --help was printed,
 * CLI_PRINT_CONFIG for --print-config, -1 with a message in @why for wrong
 * usage.
 */
#define CLI_PRINT_CONFIG 2 /* cli_parse_run: --print-config was given */

int cli_parse_run(int argc, char **argv, struct vm_config *cfg, char *why);
void cli_run_usage(void);

/*
 * The pieces of cli_parse_run(), for config files (config_file.c), which
 * apply options by name with the same code as the command line:
 * defaults, then any number of options, then the cross-option checks.
 */
void cli_run_defaults(struct vm_config *cfg);
/*
 * Applies the long option @name (exact, no abbreviations) with @value,
 * NULL when there is none.  Returns 0, -1 with a message in @why, or -2
 * when there is no such option.
 */
int cli_run_option(struct vm_config *cfg, const char *name, const char *value,
		   char *why);
int cli_run_finish(struct vm_config *cfg, char *why);
/* Is @name the one kvmini picks when --name is not given (kvmini-PID)? */
int cli_default_name(const char *name);

#endif
