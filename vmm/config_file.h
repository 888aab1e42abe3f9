/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM definitions as files (docs/config-file.md): one "key = value" per
 * line, the keys being `kvmini run`'s long option names and the values
 * what the command line takes.  Values are applied by cli.c's own option
 * code, so a file and a command line accept exactly the same things.
 */
#ifndef KVMINI_CONFIG_FILE_H
#define KVMINI_CONFIG_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/*
 * Limits: a value (after unquoting) can have 8 KiB, its line 64 KiB, so
 * that any value written with \xHH escapes still reads back.
 */
#define CONFIG_MAX_VALUE 8192
#define CONFIG_MAX_LINE	 65536
#define CONFIG_MAX_SIZE	 (1 << 20) /* bytes per file */

/*
 * Applies the definition in @text, @len bytes, on top of @cfg (which
 * cli_run_defaults() or earlier options filled; cli_run_finish() still
 * has to follow).  @text needs one spare byte at text[len]: it is
 * changed in place and @cfg keeps pointers into it, so it must live as
 * long as @cfg.  @name names the file in messages.  Returns 0, or -1
 * with "NAME:LINE: what" in @why (CLI_ERR_LEN bytes).
 */
int config_parse(const char *name, char *text, size_t len,
		 struct vm_config *cfg, char *why);

/*
 * Reads the file @path (a pipe will do) and applies it with
 * config_parse(); its text is kept for the life of the process.
 */
int config_load(const char *path, struct vm_config *cfg, char *why);

/*
 * Writes @cfg as a definition that config_parse() turns back into an
 * equal configuration (config_compare()).  Returns 0 or -1 on a write
 * error.  config_format_string() returns it in a malloc'ed string, or
 * NULL without memory.
 */
int config_format(const struct vm_config *cfg, FILE *out);
char *config_format_string(const struct vm_config *cfg);

/*
 * 0 when @a and @b describe the same VM (strings by content; fields that
 * the chosen variant ignores, such as console_path without
 * console=file:, are skipped); else 1 and the first differing field's
 * name in @what.
 */
int config_compare(const struct vm_config *a, const struct vm_config *b,
		   char *what, size_t len);

/* A deep copy in one malloc'ed block (free() it), or NULL. */
struct vm_config *config_dup(const struct vm_config *cfg);

#endif
