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
 * Parses `run` options (argv[0] is "run").  Returns 0 on success, 1 when
 * --help was printed, -1 with a message in @why for wrong usage.
 */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg, char *why);
void cli_run_usage(void);

#endif
