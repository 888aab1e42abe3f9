// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "pause.h"
#include "vcpu.h"
#include "vm.h"

int vm_pause_requested(const struct vm *vm)
{
	return __atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE);
}

void vcpu_pause_park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->stop_lock);
	vm->nr_paused++;
	pthread_cond_broadcast(&vm->stop_cond);
	while (vm->pause_req && vm->stop_kind == VM_STOP_NONE)
		pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
	vm->nr_paused--;
	/* the pause's kick set it; a later kick sets it again after this */
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vm->stop_lock);
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int vm_pause(struct vm *vm, char *why, size_t why_len)
{
	struct timespec deadline;
	int timed_out = 0, stopping;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->pause_req) {
		pthread_mutex_unlock(&vm->stop_lock);
		snprintf(why, why_len, "the VM is already paused");
		return -1;
	}
	__atomic_store_n(&vm->pause_req, 1, __ATOMIC_RELEASE);
	/*
	 * The same kick that ends a VM: KVM_RUN returns, the loop parks.
	 * Under stop_lock with no stop requested, so that vm_run() cannot
	 * have joined (and freed) a vCPU thread being kicked.
	 */
	if (vm->stop_kind == VM_STOP_NONE)
		for (int i = 0; i < vm->nr_vcpus; i++)
			vcpu_kick(vm->vcpus[i]);
	deadline_in(&deadline, PAUSE_WAIT_MS);
	while (vm->nr_paused < vm->nr_vcpus && vm->stop_kind == VM_STOP_NONE &&
	       !timed_out)
		timed_out =
			pthread_cond_timedwait(&vm->stop_cond, &vm->stop_lock,
					       &deadline) == ETIMEDOUT;
	stopping = vm->stop_kind != VM_STOP_NONE;
	timed_out = vm->nr_paused < vm->nr_vcpus && !stopping;
	pthread_mutex_unlock(&vm->stop_lock);
	if (stopping) {
		snprintf(why, why_len, "the VM is stopping");
		return -1;
	}
	if (timed_out) {
		/* held elsewhere (a debugger): the pause still stands */
		snprintf(why, why_len,
			 "not every vCPU stopped within %d ms (held by gdb?); "
			 "the VM stays paused",
			 PAUSE_WAIT_MS);
		event_loop_pause(&vm->loop);
		return -1;
	}
	event_loop_pause(&vm->loop);
	return 0;
}

int vm_resume(struct vm *vm, char *why, size_t why_len)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->pause_req) {
		pthread_mutex_unlock(&vm->stop_lock);
		snprintf(why, why_len, "the VM is not paused");
		return -1;
	}
	pthread_mutex_unlock(&vm->stop_lock);
	/* devices first: a vCPU may wait on nothing the loop must serve,
	 * but this way no notification finds the loop still paused */
	event_loop_resume(&vm->loop);
	pthread_mutex_lock(&vm->stop_lock);
	__atomic_store_n(&vm->pause_req, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->stop_cond);
	pthread_mutex_unlock(&vm->stop_lock);
	return 0;
}
