/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watching VM exits: --trace (trace.c), --stats (stats.c) and
 * --single-step (single_step.c).  With none of them on, no vCPU has an
 * observer and the exit loop pays one not-taken branch; with any on,
 * every exit of every vCPU goes through observe_exit().
 */
#ifndef KVMINI_OBSERVE_H
#define KVMINI_OBSERVE_H

#include <stdint.h>

struct vcpu;
struct vm;
struct exit_stats;
struct trace_sink;

struct vcpu_observer {
	struct trace_sink *trace; /* NULL unless --trace exits */
	struct exit_stats *stats; /* NULL unless --stats */
	uint64_t steps_wanted;	  /* --single-step COUNT (vCPU 0 only) */
	uint64_t steps_done;
	int stepping;	    /* KVM_GUESTDBG_SINGLESTEP is on */
	uint64_t t_exit_ns; /* when the exit being handled came */
};

/*
 * After the vCPUs exist, before they run: gives each vCPU an observer if
 * any option asks for one, opens the trace, turns on single-stepping.
 * Prints why and returns -1 on failure.
 */
int observe_attach(struct vm *vm);
void observe_detach(struct vm *vm);

/*
 * Around the vCPU loop's exit handler, when observed.  begin() returns 1
 * when it handled the exit itself (a --single-step debug exit): the
 * handler is skipped then.  end() records the time and traces the exit.
 */
int observe_exit_begin(struct vcpu *vcpu);
void observe_exit_end(struct vcpu *vcpu);
/* A stepped port/MMIO instruction finished without a debug exit. */
void observe_step_done(struct vcpu *vcpu);

/* --stats: the report after the vCPUs stopped, or a snapshot (SIGUSR1). */
void observe_report(struct vm *vm);
void observe_snapshot(struct vm *vm);

/* CLOCK_MONOTONIC in ns, and ns since observe_attach() (the VM start) */
uint64_t observe_now_ns(void);
uint64_t observe_since_start_ns(void);

/* "\r\n" when @fd is a terminal (a raw console needs the \r), else "\n" */
const char *observe_eol(int fd);

#endif
