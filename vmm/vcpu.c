// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gdb.h"
#include "log.h"
#include "observe.h"
#include "pause.h"
#include "seccomp.h"
#include "vcpu.h"
#include "vm.h"

#define MSR_IA32_MISC_ENABLE	0x000001a0
#define MISC_ENABLE_FAST_STRING (1ULL << 0)
#define APIC_LVT0		0x350
#define APIC_LVT1		0x360
#define APIC_MODE_NMI		0x400
#define APIC_MODE_EXTINT	0x700

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	[KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
	[KVM_EXIT_NOTIFY] = "NOTIFY",
};

const char *kvm_exit_reason_name(uint32_t reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) &&
	    exit_names[reason])
		return exit_names[reason];
	return "?";
}

static int vcpu_setup_msrs(struct vcpu *vcpu)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entries[1];
	} msrs = { .hdr.nmsrs = 1 };

	msrs.entries[0].index = MSR_IA32_MISC_ENABLE;
	msrs.entries[0].data = MISC_ENABLE_FAST_STRING;
	return ioctl(vcpu->fd, KVM_SET_MSRS, &msrs) == 1 ? 0 : -1;
}

/* Virtual-wire mode: the PIC reaches the CPU through LINT0, NMIs via LINT1. */
static int vcpu_setup_lapic(struct vcpu *vcpu)
{
	struct kvm_lapic_state lapic;
	uint32_t lvt0 = APIC_MODE_EXTINT, lvt1 = APIC_MODE_NMI;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -1;
	memcpy(&lapic.regs[APIC_LVT0], &lvt0, sizeof(lvt0));
	memcpy(&lapic.regs[APIC_LVT1], &lvt1, sizeof(lvt1));
	return ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic);
}

struct vcpu *vcpu_create(struct vm *vm, int id)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));
	void *run;

	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		err("cannot create vCPU %d: %s", id, strerror(errno));
		free(vcpu);
		return NULL;
	}
	run = mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	if (run == MAP_FAILED) {
		err("cannot map vCPU %d state: %s", id, strerror(errno));
		goto fail;
	}
	vcpu->run = run;
	if (vcpu_setup_cpuid(vcpu) || vcpu_setup_msrs(vcpu) ||
	    vcpu_setup_lapic(vcpu)) {
		err("cannot initialise vCPU %d: %s", id, strerror(errno));
		goto fail;
	}
	return vcpu;
fail:
	vcpu_destroy(vcpu);
	return NULL;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->vcpu_mmap_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	free(vcpu);
}

static void vcpu_crash(struct vcpu *vcpu, const char *what)
{
	err("vCPU %d: %s; register dump follows", vcpu->id, what);
	vcpu_dump_regs(vcpu, stderr);
	vm_request_stop(vcpu->vm, VM_STOP_CRASH, EXIT_GUEST_CRASH);
}

/*
 * KVM on AMD (SVM) INITs a vCPU at a shutdown intercept (the VMCB is
 * undefined after one), so the dump shows reset values, not the state
 * at the triple fault; say so rather than let them mislead.
 */
static void note_shutdown_state_lost(struct vcpu *vcpu)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return;
	if (r.rip == 0xfff0 && s.cs.selector == 0xf000 &&
	    s.cs.base == 0xffff0000 && !(s.cr0 & 1))
		err("vCPU %d: these are the vCPU's reset values: KVM on AMD "
		    "resets a vCPU at a shutdown, so its state at the triple "
		    "fault is lost",
		    vcpu->id);
}

static void handle_pio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int size = run->io.size;
	uint64_t end = run->io.data_offset + (uint64_t)run->io.count * size;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	/* KVM fills these; check anyway that the data lies in our page */
	if (size > 8 || end > (uint64_t)vcpu->vm->vcpu_mmap_size) {
		vcpu_crash(vcpu, "malformed port I/O exit from KVM");
		return;
	}
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		uint64_t val = 0;

		if (run->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&val, data, size);
			vcpu->exit_dev = bus_write(&vcpu->vm->pio, run->io.port,
						   size, val);
		} else {
			vcpu->exit_dev = bus_read(&vcpu->vm->pio, run->io.port,
						  size, &val);
			memcpy(data, &val, size);
		}
	}
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int len = run->mmio.len;
	uint64_t val = 0;

	if (len == 0 || len > 8) {
		vcpu_crash(vcpu, "malformed MMIO exit from KVM");
		return;
	}
	if (run->mmio.is_write) {
		memcpy(&val, run->mmio.data, len);
		vcpu->exit_dev = bus_write(&vcpu->vm->mmio, run->mmio.phys_addr,
					   len, val);
	} else {
		vcpu->exit_dev = bus_read(&vcpu->vm->mmio, run->mmio.phys_addr,
					  len, &val);
		memcpy(run->mmio.data, &val, len);
	}
}

static void handle_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(vcpu->vm, VM_STOP_POWEROFF, EXIT_OK);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_stop(vcpu->vm, VM_STOP_REBOOT, EXIT_OK);
		break;
	default: vcpu_crash(vcpu, "unexpected system event");
	}
}

static void handle_internal_error(struct vcpu *vcpu)
{
	char what[96];

	snprintf(what, sizeof(what), "KVM internal error, suberror %u",
		 vcpu->run->internal.suberror);
	vcpu_crash(vcpu, what);
}

static void handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char what[96];

	/* one writer; the control thread reads them (kvmini stat) */
	if (run->exit_reason < VCPU_EXIT_REASONS)
		__atomic_store_n(&vcpu->exits[run->exit_reason],
				 vcpu->exits[run->exit_reason] + 1,
				 __ATOMIC_RELAXED);
	switch (run->exit_reason) {
	case KVM_EXIT_IO: handle_pio(vcpu); break;
	case KVM_EXIT_MMIO: handle_mmio(vcpu); break;
	case KVM_EXIT_INTR: break;
	case KVM_EXIT_HLT:
		/* only without an in-kernel LAPIC; kvmini always has one */
		break;
	case KVM_EXIT_SHUTDOWN:
		vcpu_crash(vcpu, "guest triple fault (shutdown)");
		note_shutdown_state_lost(vcpu);
		break;
	case KVM_EXIT_SYSTEM_EVENT: handle_system_event(vcpu); break;
	case KVM_EXIT_INTERNAL_ERROR: handle_internal_error(vcpu); break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what),
			 "VM entry failed, hardware reason 0x%llx",
			 run->fail_entry.hardware_entry_failure_reason);
		vcpu_crash(vcpu, what);
		break;
	default:
		snprintf(what, sizeof(what), "unexpected exit %s (%u)",
			 kvm_exit_reason_name(run->exit_reason),
			 run->exit_reason);
		vcpu_crash(vcpu, what);
	}
}

static void kick_handler(int sig)
{
	(void)sig; /* only there to interrupt KVM_RUN */
}

/* After KVM_RUN returned an exit: the debugger, the observers, the handler. */
static inline void dispatch_exit(struct vcpu *vcpu)
{
	/* --gdb, --trace/--stats/--single-step: when off, not-taken tests */
	if (__builtin_expect(vcpu->vm->gdb != NULL, 0) && gdb_vcpu_exit(vcpu))
		return; /* a debug exit the debugger took */
	if (__builtin_expect(vcpu->observer != NULL, 0) &&
	    observe_exit_begin(vcpu))
		return; /* a single-step debug exit, handled */
	handle_exit(vcpu);
	if (__builtin_expect(vcpu->observer != NULL, 0))
		observe_exit_end(vcpu);
}

/*
 * KVM completes a port or MMIO instruction only when KVM_RUN is entered
 * again; with immediate_exit set, that KVM_RUN completes it and returns
 * -EINTR before running anything else (api.rst, "immediate_exit").
 * Hardware KVM then reports the pending single-step trap as a debug exit
 * (dispatched as usual); kvm_pvm loses it, so the step is reported here.
 * Returns 1 when this KVM_RUN did the loop's work.
 */
static int finish_stepped_insn(struct vcpu *vcpu)
{
	int ret;

	vcpu->finish_insn = 0;
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	ret = ioctl(vcpu->fd, KVM_RUN, 0);
	/* a stop or a kick that raced with this is still seen at the loop
	 * top: vm_stopping() and the debugger's hold are set before kicks */
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (ret < 0 && errno == EINTR) {
		if (vcpu->vm->gdb)
			gdb_vcpu_step_done(vcpu);
		if (vcpu->observer)
			observe_step_done(vcpu);
		return 1;
	}
	if (ret < 0)
		return 0; /* the loop's own KVM_RUN reports what is wrong */
	/* the debug trap, or the next exit of a string I/O instruction */
	dispatch_exit(vcpu);
	return 1;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct gdb_stub *gdb = vcpu->vm->gdb;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%d", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (!pthread_getcpuclockid(pthread_self(), &vcpu->cpu_clock))
		__atomic_store_n(&vcpu->cpu_clock_ok, 1, __ATOMIC_RELEASE);
	seccomp_enter_role(SECCOMP_ROLE_VCPU);

	while (!vm_stopping(vcpu->vm)) {
		if (__builtin_expect(gdb != NULL, 0) && gdb_vcpu_park(vcpu))
			continue; /* held by the debugger; maybe stopping now */
		if (__builtin_expect(vm_pause_requested(vcpu->vm), 0)) {
			vcpu_pause_park(vcpu);
			continue; /* resumed, or stopping now */
		}
		if (__builtin_expect(vcpu->finish_insn, 0) &&
		    finish_stepped_insn(vcpu))
			continue;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err("vCPU %d: KVM_RUN: %s", vcpu->id, strerror(errno));
			vcpu_dump_regs(vcpu, stderr);
			vm_request_stop(vcpu->vm, VM_STOP_ERROR,
					EXIT_FAILURE_RT);
			break;
		}
		dispatch_exit(vcpu);
	}
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	static int handler_installed;

	if (!handler_installed) {
		struct sigaction sa = { .sa_handler = kick_handler };

		sigemptyset(&sa.sa_mask);
		sigaction(SIG_VCPU_KICK, &sa, NULL); /* no SA_RESTART */
		handler_installed = 1;
	}
	if (pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu))
		return -1;
	vcpu->started = 1;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	/* immediate_exit covers a kick that lands just before KVM_RUN */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (vcpu->started)
		pthread_kill(vcpu->thread, SIG_VCPU_KICK);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->started)
		pthread_join(vcpu->thread, NULL);
	vcpu->started = 0;
}

static void dump_seg(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out,
		"%s=%04x base=%016llx limit=%08x type=%x dpl=%u "
		"p=%u l=%u db=%u\r\n",
		name, s->selector, s->base, s->limit, s->type, s->dpl,
		s->present, s->l, s->db);
}

void vcpu_dump_regs(struct vcpu *vcpu, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(out, "(registers unavailable: %s)\r\n",
			strerror(errno));
		return;
	}
	fprintf(out,
		"vCPU %d registers:\r\n"
		"RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\r\n"
		"RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\r\n"
		"R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\r\n"
		"R12=%016llx R13=%016llx R14=%016llx R15=%016llx\r\n"
		"RIP=%016llx RFLAGS=%08llx\r\n",
		vcpu->id, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
		r.rsp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
		r.rip, r.rflags);
	dump_seg(out, "CS ", &s.cs);
	dump_seg(out, "DS ", &s.ds);
	dump_seg(out, "ES ", &s.es);
	dump_seg(out, "SS ", &s.ss);
	dump_seg(out, "FS ", &s.fs);
	dump_seg(out, "GS ", &s.gs);
	dump_seg(out, "TR ", &s.tr);
	fprintf(out,
		"GDT=%016llx/%04x IDT=%016llx/%04x\r\n"
		"CR0=%016llx CR2=%016llx CR3=%016llx CR4=%016llx\r\n"
		"CR8=%016llx EFER=%016llx APIC_BASE=%016llx\r\n",
		s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit, s.cr0, s.cr2,
		s.cr3, s.cr4, s.cr8, s.efer, s.apic_base);
}
