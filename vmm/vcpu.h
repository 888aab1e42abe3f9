/* SPDX-License-Identifier: GPL-2.0 */
/* One vCPU: its fd, its kvm_run page, its thread, and its exit loop. */
#ifndef KVMINI_VCPU_H
#define KVMINI_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct vm;

#define VCPU_EXIT_REASONS 64

struct vcpu {
	struct vm *vm;
	int id; /* also its APIC ID */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	int started;
	uint64_t exits[VCPU_EXIT_REASONS]; /* counts by exit reason: always
					    * on, one relaxed store per exit */
	clockid_t cpu_clock; /* the thread's CPU-time clock, once cpu_clock_ok */
	int cpu_clock_ok;
	/* device that took the last port/MMIO exit; NULL: nobody claimed it */
	const char *exit_dev;
	/* --trace/--stats/--single-step state (observe.h); NULL when off */
	struct vcpu_observer *observer;
	/*
	 * Set while single-stepping after a port or MMIO exit: the next
	 * KVM_RUN only completes that instruction (immediate_exit), so the
	 * step ends exactly after it even where KVM loses the debug trap.
	 */
	int finish_insn;
};

struct vcpu *vcpu_create(struct vm *vm, int id);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_start(struct vcpu *vcpu);
/* Make KVM_RUN return now and keep the thread from entering it again. */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);

/* CPUID with this vCPU's topology (cpuid.c). */
int vcpu_setup_cpuid(struct vcpu *vcpu);

/* Register state dump for crashes: general, segment and control regs. */
void vcpu_dump_regs(struct vcpu *vcpu, FILE *out);

const char *kvm_exit_reason_name(uint32_t reason);

/* Signal used to kick vCPU threads out of KVM_RUN. */
#define SIG_VCPU_KICK SIGUSR2

#endif
