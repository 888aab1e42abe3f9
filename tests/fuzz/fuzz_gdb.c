// SPDX-License-Identifier: GPL-2.0
/*
 * vmm/gdb.c: the input is what a gdb client sends on the connection.  The
 * stub's own packet reader (framing, checksums, acks) splits it into
 * packets; each packet's arguments go through the decoders the m, M, X,
 * Z/z and G commands use (gdb_fuzz.h).  Checked: ASan/UBSan, packets stay
 * inside the stub's buffer (the hook aborts otherwise) and there are never
 * more packets than '$' bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "gdb_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t dollars = 0;

	for (size_t i = 0; i < size; i++)
		dollars += data[i] == '$';
	FUZZ_CHECK((size_t)gdb_fuzz_packets(data, size) <= dollars);
	return 0;
}
