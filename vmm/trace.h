/* SPDX-License-Identifier: GPL-2.0 */
/* --trace exits: one line per VM exit, text or JSON (docs/tracing.md). */
#ifndef KVMINI_TRACE_H
#define KVMINI_TRACE_H

#include <stdint.h>

#include "config.h"

struct vcpu;
struct trace_sink;

/*
 * Opens the trace output once per process (a restarted VM appends to the
 * same trace).  Prints why and returns NULL on failure.
 */
struct trace_sink *trace_open(const struct vm_config *cfg);

/* One line for the exit @vcpu just handled; @t_ns: since the VM start. */
void trace_exit(struct trace_sink *sink, struct vcpu *vcpu, uint64_t t_ns);

#endif
