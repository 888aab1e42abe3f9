/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `kvmini pause` / `resume` (docs/management.md): every vCPU thread
 * leaves KVM_RUN (a kick) and waits outside it, then the device loop stops
 * serving device work (virtqueue notifications, tap and console input);
 * only signals are still served.  Resume undoes both.  The vCPU threads
 * wait on vm->stop_lock/stop_cond, so stopping a paused VM just works.
 */
#ifndef KVMINI_PAUSE_H
#define KVMINI_PAUSE_H

#include <stddef.h>

struct vm;
struct vcpu;

/* How long vm_pause() waits for every vCPU to stop */
#define PAUSE_WAIT_MS 5000

/* 0 once every vCPU waits and the device loop is quiet; -1 with @why. */
int vm_pause(struct vm *vm, char *why, size_t why_len);
int vm_resume(struct vm *vm, char *why, size_t why_len);
int vm_pause_requested(const struct vm *vm);

/* vCPU thread, before KVM_RUN when a pause is requested: waits it out. */
void vcpu_pause_park(struct vcpu *vcpu);

#endif
