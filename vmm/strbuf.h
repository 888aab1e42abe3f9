/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A growing text buffer with a hard size limit: text past the limit is
 * dropped and `overflow` set, so a reply can never grow without bound.
 */
#ifndef KVMINI_STRBUF_H
#define KVMINI_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf; /* NUL-terminated while len > 0 */
	size_t len;
	size_t cap;
	size_t limit;
	int overflow; /* out of memory or past limit: text was dropped */
};

void strbuf_init(struct strbuf *sb, size_t limit);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const char *data, size_t len);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drops the first @n bytes (what was sent). */
void strbuf_consume(struct strbuf *sb, size_t n);

#endif
