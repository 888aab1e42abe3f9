// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "observe.h"
#include "single_step.h"
#include "stats.h"
#include "trace.h"
#include "vcpu.h"
#include "vm.h"

static uint64_t start_ns;

uint64_t observe_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t observe_since_start_ns(void)
{
	return observe_now_ns() - __atomic_load_n(&start_ns, __ATOMIC_RELAXED);
}

const char *observe_eol(int fd)
{
	return isatty(fd) ? "\r\n" : "\n";
}

static int observed(const struct vm_config *cfg)
{
	return cfg->trace_exits || cfg->stats || cfg->single_step;
}

int observe_attach(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct trace_sink *sink = NULL;

	if (!observed(cfg))
		return 0;
	if (cfg->trace_exits) {
		sink = trace_open(cfg);
		if (!sink)
			return -1;
	}
	for (int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu_observer *o = calloc(1, sizeof(*o));

		if (!o || (cfg->stats && !(o->stats = stats_alloc()))) {
			free(o);
			err("out of memory for --trace/--stats state");
			return -1;
		}
		o->trace = sink;
		vm->vcpus[i]->observer = o;
	}
	__atomic_store_n(&start_ns, observe_now_ns(), __ATOMIC_RELAXED);
	if (cfg->single_step)
		return single_step_start(vm->vcpus[0], cfg->single_step);
	return 0;
}

void observe_detach(struct vm *vm)
{
	for (int i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];

		if (!vcpu || !vcpu->observer)
			continue;
		free(vcpu->observer->stats);
		free(vcpu->observer);
		vcpu->observer = NULL;
	}
}

int observe_exit_begin(struct vcpu *vcpu)
{
	struct vcpu_observer *o = vcpu->observer;

	o->t_exit_ns = o->stats || o->trace ? observe_now_ns() : 0;
	vcpu->exit_dev = NULL;
	if (vcpu->run->exit_reason != KVM_EXIT_DEBUG || !o->stepping)
		return 0;
	single_step_exit(vcpu);
	observe_exit_end(vcpu);
	return 1;
}

void observe_exit_end(struct vcpu *vcpu)
{
	struct vcpu_observer *o = vcpu->observer;
	uint32_t reason = vcpu->run->exit_reason;

	if (o->stats)
		stats_record(o->stats, reason, observe_now_ns() - o->t_exit_ns);
	/* after handling: an IN or MMIO read shows what the guest gets */
	if (o->trace)
		trace_exit(o->trace, vcpu, o->t_exit_ns - start_ns);
	if (o->stepping && (reason == KVM_EXIT_IO || reason == KVM_EXIT_MMIO))
		vcpu->finish_insn = 1;
}

void observe_step_done(struct vcpu *vcpu)
{
	if (vcpu->observer && vcpu->observer->stepping)
		single_step_exit(vcpu);
}

void observe_report(struct vm *vm)
{
	if (vm->cfg->stats)
		stats_print(vm, "at exit");
}

void observe_snapshot(struct vm *vm)
{
	if (vm->cfg->stats)
		stats_print(vm, "snapshot (SIGUSR1)");
	else
		info("SIGUSR1: no statistics without --stats");
}
