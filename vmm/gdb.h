/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A GDB remote-serial-protocol stub (docs/gdb.md).  It runs on its own
 * thread; stopping the guest parks every vCPU thread outside KVM_RUN
 * (vm->stop_lock / stop_cond), so the stub can use their fds.
 *
 *   gdb.c       socket, packets, stop/resume, breakpoints
 *   gdb_regs.c  the register file and the target description
 */
#ifndef KVMINI_GDB_H
#define KVMINI_GDB_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* Exit code when gdb kills the VM ('k'): like a process killed by SIGKILL */
#define EXIT_GDB_KILL (128 + 9)

/* vm_create(): binds the socket (cfg->gdb); -1 after err() on failure. */
int gdb_create(struct vm *vm);
/* vm_run(), vCPU threads started: the stub thread starts. */
int gdb_start(struct vm *vm);
/* vm_run(), VM stopping, before the vCPU joins: tells gdb, joins. */
void gdb_stop(struct vm *vm);

/*
 * vCPU thread, before KVM_RUN: parks while the debugger holds this vCPU.
 * Returns 1 when it parked (the caller re-checks vm_stopping()).
 */
int gdb_vcpu_park(struct vcpu *vcpu);
/* vCPU thread, after an exit: 1 when it was a debug event for gdb. */
int gdb_vcpu_exit(struct vcpu *vcpu);
/* The single step of a port/MMIO instruction ended without a debug exit. */
void gdb_vcpu_step_done(struct vcpu *vcpu);

/* gdb_regs.c: one vCPU's registers as gdb numbers them. */
struct gdb_cpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
};

int gdb_regs_count(void);
/* bytes of register @n on the wire, 0 when there is no such register */
size_t gdb_reg_size(int n);
size_t gdb_regs_total_size(void);
/* Copies register @n out of / into @st (little-endian, wire size). */
void gdb_reg_get(const struct gdb_cpu_state *st, int n, uint8_t *out);
void gdb_reg_set(struct gdb_cpu_state *st, int n, const uint8_t *in);
/* The target description document (NUL-terminated). */
const char *gdb_target_xml(void);

#endif
