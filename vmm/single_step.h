/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --single-step[=COUNT]: vCPU 0 runs with KVM_GUESTDBG_SINGLESTEP from its
 * first instruction; each KVM_EXIT_DEBUG prints the step number, CS:RIP
 * and the general registers on stderr.  After COUNT steps stepping is
 * turned off and the guest runs on normally.
 */
#ifndef KVMINI_SINGLE_STEP_H
#define KVMINI_SINGLE_STEP_H

#include <stdint.h>

struct vcpu;

/* Before the vCPU first runs: prints step 0 (the entry state), enables
 * stepping.  Prints one line and returns -1 if KVM refuses. */
int single_step_start(struct vcpu *vcpu, uint64_t count);
/* Handles a KVM_EXIT_DEBUG while stepping. */
void single_step_exit(struct vcpu *vcpu);

#endif
