/*
 * Kernel command line words and numbers.  See args.h.
 */
#include "args.h"

const char *pvh_cmdline(const struct hvm_start_info *si)
{
	if (si->magic != HVM_START_MAGIC || !si->cmdline_paddr ||
	    si->cmdline_paddr >= 0x100000000ULL)
		return 0;
	return (const char *)(uintptr_t)si->cmdline_paddr;
}

int arg_next(const char **c, struct arg *a)
{
	const char *w = *c;
	uint32_t n;

	if (!w)
		return 0;
	for (;;) {
		const char *eq = 0;

		if (!*w)
			return 0;
		for (n = 0; w[n] && w[n] != ' '; n++)
			if (w[n] == '=' && !eq)
				eq = w + n;
		/* one space at most: runs of them make empty words */
		*c = w[n] ? w + n + 1 : w + n;
		if (n) {
			a->word = w;
			a->len = n;
			a->klen = eq ? (uint32_t)(eq - w) : n;
			a->val = eq ? eq + 1 : 0;
			a->vlen = eq ? n - a->klen - 1 : 0;
			return 1;
		}
		w = *c;
	}
}

int arg_eq(const char *s, uint32_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

uint32_t arg_num(const char *s, uint32_t n, int *ok)
{
	uint32_t v = 0, base = 10, i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, i = 2;
	if (i == n)
		*ok = 0;
	for (; i < n; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else if ((c == 'K' || c == 'k') && i + 1 == n)
			return v << 10;
		else if ((c == 'M' || c == 'm') && i + 1 == n)
			return v << 20;
		else {
			*ok = 0;
			return 0;
		}
		v = v * base + d;
	}
	return v;
}

int cmdline_has(const struct hvm_start_info *si, const char *w)
{
	const char *start = pvh_cmdline(si), *c = start;
	struct arg a;

	/* bounded: kvmini's command line is at most a few KiB */
	while (arg_next(&c, &a) && a.word - start < 4096)
		if (arg_eq(a.word, a.len, w))
			return 1;
	return 0;
}
