// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "observe.h"
#include "single_step.h"
#include "vcpu.h"
#include "vm.h"

static int set_stepping(struct vcpu *vcpu, int on)
{
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	if (on)
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	return ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg);
}

/* Two lines per step, written at once so they stay together. */
static void print_step(struct vcpu *vcpu, uint64_t step)
{
	const char *eol = observe_eol(STDERR_FILENO);
	struct kvm_regs r;
	struct kvm_sregs s;
	char line[512];
	int n;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		n = snprintf(line, sizeof(line),
			     "step %" PRIu64 " registers unavailable: %s%s",
			     step, strerror(errno), eol);
	} else {
		n = snprintf(line, sizeof(line),
			     "step %" PRIu64 " cs:rip=%04x:%llx rflags=%llx "
			     "rax=%llx rbx=%llx rcx=%llx rdx=%llx%s"
			     "  rsi=%llx rdi=%llx rbp=%llx rsp=%llx r8=%llx "
			     "r9=%llx r10=%llx r11=%llx r12=%llx r13=%llx "
			     "r14=%llx r15=%llx%s",
			     step, s.cs.selector, r.rip, r.rflags, r.rax, r.rbx,
			     r.rcx, r.rdx, eol, r.rsi, r.rdi, r.rbp, r.rsp,
			     r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14,
			     r.r15, eol);
	}
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (write(STDERR_FILENO, line, n) < 0)
		return; /* nowhere left to complain */
}

int single_step_start(struct vcpu *vcpu, uint64_t count)
{
	struct vcpu_observer *o = vcpu->observer;

	if (set_stepping(vcpu, 1) < 0) {
		err("--single-step: KVM refused KVM_SET_GUEST_DEBUG: %s",
		    strerror(errno));
		return -1;
	}
	o->steps_wanted = count;
	o->steps_done = 0;
	o->stepping = 1;
	print_step(vcpu, 0); /* the entry state, before any instruction */
	return 0;
}

void single_step_exit(struct vcpu *vcpu)
{
	struct vcpu_observer *o = vcpu->observer;

	o->steps_done++;
	print_step(vcpu, o->steps_done);
	if (o->steps_done < o->steps_wanted)
		return;
	o->stepping = 0;
	if (set_stepping(vcpu, 0) < 0) {
		err("--single-step: cannot turn stepping off: %s",
		    strerror(errno));
		vm_request_stop(vcpu->vm, VM_STOP_ERROR, EXIT_FAILURE_RT);
		return;
	}
	info("single-step: %" PRIu64 " steps done; vCPU %d runs freely now",
	     o->steps_done, vcpu->id);
}
