/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/fuzz only: the GDB stub's packet framing (read_packet) and the
 * argument decoders of m/M/X/Z/z/G, without a VM or vCPUs.
 */
#ifndef KVMINI_GDB_FUZZ_H
#define KVMINI_GDB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Feeds @len bytes as gdb's side of a connection; returns packets read. */
int gdb_fuzz_packets(const uint8_t *in, size_t len);

#endif
