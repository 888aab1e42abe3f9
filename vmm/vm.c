// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "acpi_pm.h"
#include "bios_dev.h"
#include "boot.h"
#include "console.h"
#include "gdb.h"
#include "irq.h"
#include "kvm.h"
#include "layout.h"
#include "legacy.h"
#include "log.h"
#include "observe.h"
#include "pci.h"
#include "platform.h"
#include "seccomp.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "serial.h"
#include "vcpu.h"
#include "vm.h"

static int host_ram_check(uint64_t size)
{
	struct sysinfo si;
	uint64_t total;

	if (sysinfo(&si))
		return 0;
	total = (uint64_t)si.totalram * si.mem_unit;
	if (size <= total)
		return 0;
	err("--mem %llu MiB is more than this host's %llu MiB of RAM",
	    (unsigned long long)(size >> 20),
	    (unsigned long long)(total >> 20));
	return -1;
}

static int setup_memory(struct vm *vm)
{
	struct guest_mem_opts opts = { .ksm = vm->cfg->ksm,
				       .hugepages = vm->cfg->hugepages,
				       .hugetlbfs = vm->cfg->hugepages_path };
	char why[512];

	if (host_ram_check(vm->cfg->mem_size))
		return -1;
	if (guest_mem_init_opts(&vm->mem, vm->cfg->mem_size, &opts, why,
				sizeof(why))) {
		if (why[0]) {
			err("%s", why);
			return -1;
		}
		err("cannot reserve %llu MiB for guest RAM: %s",
		    (unsigned long long)(vm->cfg->mem_size >> 20),
		    strerror(errno));
		return -1;
	}
	for (int i = 0; i < vm->mem.nr_regions; i++) {
		struct mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region kr = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->host
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0) {
			err("KVM refused guest RAM at 0x%llx: %s",
			    (unsigned long long)r->gpa, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int setup_kvm_vm(struct vm *vm)
{
	uint64_t ident = KVM_IDENTITY_MAP_ADDR;
	int max_vcpus;
	char why[512];

	vm->kvm_fd = kvm_open_checked(why, sizeof(why));
	if (vm->kvm_fd < 0) {
		err("%s", why);
		return -1;
	}
	max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max_vcpus > 0 && vm->cfg->nr_cpus > max_vcpus) {
		err("--cpus %d is more than this host's KVM allows (%d)",
		    vm->cfg->nr_cpus, max_vcpus);
		return -1;
	}
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vcpu_mmap_size <= 0 || vm->vm_fd < 0) {
		err("cannot create a KVM VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0) {
		err("cannot place the TSS/identity map: %s", strerror(errno));
		return -1;
	}
	vm->cpuid = kvm_supported_cpuid(vm->kvm_fd);
	if (!vm->cpuid) {
		err("KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* After the RAM slots exist, so the PIT never runs without memory. */
static int setup_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0 ||
	    irq_routing_init(vm) < 0) {
		err("cannot create the in-kernel PIC/IOAPIC/PIT: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_devices(struct vm *vm)
{
	vm->console = console_create(vm->cfg);
	if (!vm->console)
		return -1;
	vm->com1 = serial_create(vm, SERIAL_COM1_PORT, SERIAL_COM1_IRQ,
				 console_out_fd(vm->console), console_rx_space,
				 vm->console);
	vm->acpi_pm = vm->com1 ? acpi_pm_create(vm) : NULL;
	if (!vm->com1 || !vm->acpi_pm || i8042_create(vm) ||
	    rtc_cmos_create(vm) || post_port_create(vm) ||
	    test_exit_create(vm) || pci_bus_create(vm)) {
		err("cannot create the platform devices");
		return -1;
	}
	for (int i = 0; i < vm->cfg->nr_disks; i++)
		if (virtio_blk_create(vm, &vm->cfg->disks[i]))
			return -1;
	for (int i = 0; i < vm->cfg->nr_nics; i++)
		if (virtio_net_create(vm, &vm->cfg->nics[i], i))
			return -1;
	if (vm->cfg->boot == BOOT_DISK && bios_dev_create(vm)) {
		err("cannot create the firmware's ports");
		return -1;
	}
	return 0;
}

static int setup_firmware_and_boot(struct vm *vm, struct boot_entry *entry)
{
	struct platform_info plat = { .nr_cpus = vm->nr_vcpus,
				      .ioapic_id = vm->nr_vcpus };
	uint64_t rsdp = 0;
	char why[BOOT_WHY_LEN];

	if (acpi_tables_build(&vm->mem, &plat, &rsdp) ||
	    mptable_build(&vm->mem, &plat)) {
		err("cannot write ACPI/MP tables (guest RAM too small?)");
		return -1;
	}
	if (vm->cfg->boot == BOOT_DISK ? bios_load(vm, why)
				       : boot_load(vm, rsdp, entry, why)) {
		err("%s", why);
		return -1;
	}
	return 0;
}

static int setup_vcpus(struct vm *vm, const struct boot_entry *entry)
{
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -1;
	for (int i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i] = vcpu_create(vm, i);
		if (!vm->vcpus[i])
			return -1;
	}
	/* the firmware starts at the reset vector, in KVM's reset state */
	if (vm->cfg->boot != BOOT_DISK && boot_setup_bsp(vm->vcpus[0], entry)) {
		err("cannot set the boot vCPU's registers: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

struct vm *vm_create(const struct vm_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct boot_entry entry;

	if (!vm)
		return NULL;
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->nr_vcpus = cfg->nr_cpus;
	vm->cmdline = strdup(cfg->cmdline);
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_cond_init(&vm->stop_cond, NULL);
	bus_init(&vm->pio, "port");
	bus_init(&vm->mmio, "mmio");
	if (event_loop_init(&vm->loop)) {
		err("cannot create the device loop: %s", strerror(errno));
		goto fail;
	}
	if (setup_kvm_vm(vm) || setup_memory(vm) || setup_irqchip(vm) ||
	    setup_devices(vm) || setup_firmware_and_boot(vm, &entry) ||
	    setup_vcpus(vm, &entry) || observe_attach(vm) || gdb_create(vm))
		goto fail;
	return vm;
fail:
	vm_destroy(vm);
	return NULL;
}

void vm_request_stop(struct vm *vm, enum vm_stop_kind kind, int exit_code)
{
	pthread_mutex_lock(&vm->stop_lock);
	/*
	 * A signal or `kvmini stop` while a reset is under way ends kvmini:
	 * dropped, it would be lost (the signalfd read it) and the next VM
	 * would run on.
	 */
	if (vm->stop_kind == VM_STOP_NONE ||
	    (kind == VM_STOP_USER && (vm->stop_kind == VM_STOP_RESET ||
				      vm->stop_kind == VM_STOP_REBOOT))) {
		vm->exit_code = exit_code;
		__atomic_store_n(&vm->stop_kind, kind, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&vm->stop_cond);
	}
	pthread_mutex_unlock(&vm->stop_lock);
}

int vm_stopping(const struct vm *vm)
{
	return __atomic_load_n(&vm->stop_kind, __ATOMIC_ACQUIRE) !=
	       VM_STOP_NONE;
}

int vm_set_irq_line(struct vm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
}

void vm_own_device(struct vm *vm, void *state)
{
	const int max = sizeof(vm->devices) / sizeof(vm->devices[0]);

	/* a compile-time list of devices: running out is a kvmini bug */
	if (vm->nr_devices == max)
		die(EXIT_FAILURE_RT, "internal error: too many devices");
	vm->devices[vm->nr_devices++] = state;
}

int vm_append_cmdline(struct vm *vm, const char *text)
{
	size_t old = vm->cmdline ? strlen(vm->cmdline) : 0;
	char *p = realloc(vm->cmdline, old + strlen(text) + 1);

	if (!p)
		return -1;
	strcpy(p + old, text);
	vm->cmdline = p;
	return 0;
}

void vm_on_destroy(struct vm *vm, void (*fn)(void *arg), void *arg)
{
	const int max = sizeof(vm->cleanups) / sizeof(vm->cleanups[0]);

	if (vm->nr_cleanups == max)
		die(EXIT_FAILURE_RT, "internal error: too many cleanups");
	vm->cleanups[vm->nr_cleanups].fn = fn;
	vm->cleanups[vm->nr_cleanups++].arg = arg;
}

/*
 * SIGTERM, SIGINT and SIGHUP stop the VM from the device loop; SIGUSR1
 * prints a --stats snapshot and the VM runs on.
 */
static void signal_ready(struct event_source *src, uint32_t events)
{
	struct signalfd_siginfo si;

	if (read(src->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1)
		observe_snapshot(src->opaque);
	else
		vm_request_stop(src->opaque, VM_STOP_USER, 128 + si.ssi_signo);
}

static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIG_VCPU_KICK); /* vCPU threads unblock it */
	return pthread_sigmask(SIG_BLOCK, set, NULL);
}

static void wait_for_stop(struct vm *vm)
{
	pthread_mutex_lock(&vm->stop_lock);
	while (vm->stop_kind == VM_STOP_NONE)
		pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
	pthread_mutex_unlock(&vm->stop_lock);
}

int vm_run(struct vm *vm)
{
	struct event_source sig_src = { .opaque = vm, .handler = signal_ready };
	sigset_t set;
	int started = 0;

	block_signals(&set);
	sigdelset(&set, SIG_VCPU_KICK);
	sig_src.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_src.fd < 0 || event_loop_add(&vm->loop, &sig_src, EPOLLIN) ||
	    event_loop_keep_when_paused(&vm->loop, &sig_src) ||
	    console_attach(vm->console, vm, vm->com1) ||
	    event_loop_start(&vm->loop)) {
		err("cannot start the device loop: %s", strerror(errno));
		vm_request_stop(vm, VM_STOP_ERROR, EXIT_FAILURE_RT);
	}
	for (int i = 0; i < vm->nr_vcpus && !vm_stopping(vm); i++, started++) {
		if (vcpu_start(vm->vcpus[i])) {
			err("cannot start vCPU thread %d", i);
			vm_request_stop(vm, VM_STOP_ERROR, EXIT_FAILURE_RT);
		}
	}
	if (!vm_stopping(vm) && gdb_start(vm))
		vm_request_stop(vm, VM_STOP_ERROR, EXIT_FAILURE_RT);
	if (vm->on_started && started == vm->nr_vcpus &&
	    __atomic_load_n(&vm->stop_kind, __ATOMIC_ACQUIRE) != VM_STOP_ERROR)
		vm->on_started(vm->on_started_arg);
	/* last: the threads above inherited no filter from this one */
	seccomp_enter_role(SECCOMP_ROLE_MAIN);
	wait_for_stop(vm);
	gdb_stop(vm); /* before the joins: the stub kicks vCPU threads */
	for (int i = 0; i < started; i++)
		vcpu_kick(vm->vcpus[i]);
	for (int i = 0; i < started; i++)
		vcpu_join(vm->vcpus[i]);
	event_loop_stop(&vm->loop);
	observe_report(vm);
	console_detach(vm->console);
	if (sig_src.fd >= 0)
		close(sig_src.fd);
	return vm->exit_code;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	observe_detach(vm);
	for (int i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_destroy(vm->vcpus[i]);
	free(vm->vcpus);
	/* last registered, first run: like a stack of constructors */
	for (int i = vm->nr_cleanups - 1; i >= 0; i--)
		vm->cleanups[i].fn(vm->cleanups[i].arg);
	pci_bus_free(vm);
	serial_free(vm->com1);
	console_free(vm->console);
	for (int i = 0; i < vm->nr_devices; i++)
		free(vm->devices[i]);
	event_loop_destroy(&vm->loop);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	guest_mem_destroy(&vm->mem);
	free(vm->cpuid);
	free(vm->cmdline);
	free(vm->irq);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_cond_destroy(&vm->stop_cond);
	free(vm);
}
