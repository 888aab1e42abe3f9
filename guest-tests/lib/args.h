/*
 * The PVH kernel command line as space-separated words, most of them
 * key=value, and the numbers in their values.
 */
#ifndef GUEST_ARGS_H
#define GUEST_ARGS_H

#include <stdint.h>

#include "runtime.h"

/* the command line, or NULL if there is none (or it lies above 4 GiB) */
const char *pvh_cmdline(const struct hvm_start_info *si);

/* a word of the command line: key=value, or just a key (val NULL) */
struct arg {
	const char *word; /* the word and the rest of the line after it */
	uint32_t len;	  /* the word's bytes */
	uint32_t klen;	  /* the key's: before the first '=', else len */
	const char *val;  /* after the first '=', vlen bytes; NULL if none */
	uint32_t vlen;
};

/* the next non-empty word at *c into a, *c moved past it; 0 at the end
 * (also for c NULL) */
int arg_next(const char **c, struct arg *a);
/* are the n bytes at s the string lit? */
int arg_eq(const char *s, uint32_t n, const char *lit);
/* n bytes of decimal or 0x hex, optional K/M suffix; 0 and *ok = 0 on
 * junk (*ok is left alone otherwise) */
uint32_t arg_num(const char *s, uint32_t n, int *ok);
/* does the command line hold the word w (e.g. "mrg=1")?  Only words that
 * start in its first 4 KiB count. */
int cmdline_has(const struct hvm_start_info *si, const char *w);

#endif
