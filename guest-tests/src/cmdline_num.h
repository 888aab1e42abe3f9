/* key=NUMBER from the PVH command line (lib/args.h), or a default. */
#ifndef CMDLINE_NUM_H
#define CMDLINE_NUM_H

#include "args.h"

static uint32_t arg_u32(const struct hvm_start_info *si, const char *key,
			uint32_t dflt)
{
	const char *c = pvh_cmdline(si);
	struct arg a;
	int ok = 1;

	while (arg_next(&c, &a))
		if (a.val && arg_eq(a.word, a.klen, key)) {
			uint32_t v = arg_num(a.val, a.vlen, &ok);

			return ok ? v : dflt;
		}
	return dflt;
}

#endif
