/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtual machine: the KVM VM fd, guest RAM, the port and MMIO buses the
 * devices hang on, the vCPUs and the device loop.  Lifetime:
 * vm_create() -> vm_run() (returns the exit code) -> vm_destroy().
 */
#ifndef KVMINI_VM_H
#define KVMINI_VM_H

#include <pthread.h>
#include <stdint.h>

#include "bus.h"
#include "config.h"
#include "event_loop.h"
#include "guest_mem.h"
#include "log.h"

struct vcpu;
struct serial;
struct console;
struct irq_routing;
struct pci_bus;
struct gdb_stub;
struct virtio_blk;
struct bios_dev;
struct acpi_pm;

enum vm_stop_kind {
	VM_STOP_NONE,
	VM_STOP_POWEROFF, /* guest asked to power off */
	VM_STOP_REBOOT,	  /* guest asked to reset */
	VM_STOP_CRASH,	  /* triple fault, internal error, ... */
	VM_STOP_TEST_EXIT, /* guest wrote its result to the test-exit port */
	VM_STOP_USER,	  /* Ctrl-A x, signal */
	VM_STOP_ERROR,	  /* kvmini itself failed */
	VM_STOP_RESET,	  /* `kvmini reboot`: restart whatever --reboot says */
};

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	struct kvm_cpuid2 *cpuid; /* what KVM supports */
	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	struct event_loop loop;
	int nr_vcpus;
	struct vcpu **vcpus;
	struct irq_routing *irq;
	struct pci_bus *pci;
	struct console *console;
	char *cmdline;		/* cfg->cmdline plus what devices append */
	int nr_virtio_mmio;
	struct serial *com1;
	struct gdb_stub *gdb; /* --gdb, or NULL */
	struct virtio_blk *blk[MAX_DISKS]; /* --disk order: BIOS 0x80.. */
	int nr_blk;
	struct bios_dev *bios; /* --boot disk: the firmware's ports */
	struct acpi_pm *acpi_pm; /* the power button (`kvmini shutdown`) */
	/* owned device state, freed on destroy: every disk and NIC, plus
	 * the fixed devices */
	void *devices[MAX_DISKS + MAX_NICS + 16];
	int nr_devices;
	struct {
		void (*fn)(void *arg);
		void *arg;
	} cleanups[MAX_DISKS + MAX_NICS + 16]; /* run on destroy, before
						 * devices are freed */
	int nr_cleanups;

	/* called once the vCPU threads run (kvmini run --detach) */
	void (*on_started)(void *arg);
	void *on_started_arg;

	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	enum vm_stop_kind stop_kind;
	int exit_code;
	/* `kvmini pause` (pause.h), under stop_lock */
	int pause_req;
	int nr_paused;
};

/* Builds a VM ready to run; on failure prints why and returns NULL. */
struct vm *vm_create(const struct vm_config *cfg);
/* Runs until the guest or the user ends it; returns the exit code. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Any thread: ask the VM to stop (the first request wins). */
void vm_request_stop(struct vm *vm, enum vm_stop_kind kind, int exit_code);
int vm_stopping(const struct vm *vm);

/* Drive an IOAPIC/PIC input line (ISA IRQs are GSIs 0-15). */
int vm_set_irq_line(struct vm *vm, unsigned int gsi, int level);

/* Devices append to the kernel command line (before boot). */
int vm_append_cmdline(struct vm *vm, const char *text);
/* Hand a device's state to the VM so vm_destroy() frees it. */
void vm_own_device(struct vm *vm, void *state);
/* Run @fn(@arg) in vm_destroy() (closing files, flushing disks). */
void vm_on_destroy(struct vm *vm, void (*fn)(void *arg), void *arg);

#endif
