// SPDX-License-Identifier: GPL-2.0
/*
 * kvmbare: the least a VMM can do per exit, the limit of make bench's
 * exit-cost rows.  One VM, one 4 MiB memory slot at guest-physical 0, no
 * irqchip, no devices: load a 32-bit ELF guest (PT_LOAD segments), enter
 * it in flat 32-bit protected mode at e_entry, and loop on KVM_RUN doing
 * nothing on port-I/O and MMIO exits, until the guest writes V to port
 * 0xf4 (exit code (V << 1) | 1, as kvmini --test-exit) or halts (0).
 *
 *   kvmbare GUEST.elf
 *
 * Prints "exits=N" (port-I/O and MMIO exits, 0xf4 excluded) on stdout.
 * Written from Documentation/virt/kvm/api.rst; the bench guests
 * (guest-tests/src/bench_*.S) need no stack, no paging and no interrupts.
 */
#include <elf.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUEST_RAM      (4u << 20)
#define TEST_EXIT_PORT 0xf4

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void load_elf(const char *path, unsigned char *ram, Elf32_Addr *entry)
{
	Elf32_Ehdr *eh;
	Elf32_Phdr *ph;
	struct stat st;
	unsigned char *file;
	int fd, i;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	file = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (file == MAP_FAILED)
		die("mmap guest");
	eh = (Elf32_Ehdr *)file;
	if ((size_t)st.st_size < sizeof(*eh) ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS32 ||
	    eh->e_phoff + (size_t)eh->e_phnum * sizeof(*ph) >
		    (size_t)st.st_size) {
		fprintf(stderr, "kvmbare: %s: not a 32-bit ELF\n", path);
		exit(2);
	}
	ph = (Elf32_Phdr *)(file + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_paddr + (size_t)ph[i].p_memsz > GUEST_RAM ||
		    ph[i].p_filesz > ph[i].p_memsz ||
		    ph[i].p_offset + (size_t)ph[i].p_filesz >
			    (size_t)st.st_size) {
			fprintf(stderr, "kvmbare: %s: segment out of range\n",
				path);
			exit(2);
		}
		memcpy(ram + ph[i].p_paddr, file + ph[i].p_offset,
		       ph[i].p_filesz);
	}
	*entry = eh->e_entry;
	munmap(file, st.st_size);
	close(fd);
}

static void flat_segment(struct kvm_segment *seg, __u16 selector, __u8 type)
{
	memset(seg, 0, sizeof(*seg));
	seg->limit = 0xffffffff;
	seg->selector = selector;
	seg->type = type;
	seg->present = 1;
	seg->s = 1;
	seg->db = 1;
	seg->g = 1;
}

static void enter_protected_mode(int vcpu_fd, Elf32_Addr entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	flat_segment(&sregs.cs, 0x08, 0xb);
	flat_segment(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = 0x11; /* PE, ET */
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rflags = 0x2;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
}

static int run_loop(int vcpu_fd, struct kvm_run *run)
{
	unsigned long exits = 0;
	unsigned char value;

	for (;;) {
		if (ioctl(vcpu_fd, KVM_RUN, 0) < 0)
			die("KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.port == TEST_EXIT_PORT &&
			    run->io.direction == KVM_EXIT_IO_OUT) {
				value = *((unsigned char *)run +
					  run->io.data_offset);
				printf("exits=%lu\n", exits);
				return (value << 1) | 1;
			}
			exits++;
			break;
		case KVM_EXIT_MMIO: exits++; break;
		case KVM_EXIT_HLT: printf("exits=%lu\n", exits); return 0;
		case KVM_EXIT_INTR: break;
		default:
			fprintf(stderr, "kvmbare: unexpected exit reason %u\n",
				run->exit_reason);
			return 1;
		}
	}
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region slot;
	struct kvm_run *run;
	unsigned char *ram;
	int kvm_fd, vm_fd, vcpu_fd, run_size;
	Elf32_Addr entry;

	if (argc != 2) {
		fprintf(stderr, "usage: kvmbare GUEST.elf\n");
		return 2;
	}
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap guest RAM");
	load_elf(argv[1], ram, &entry);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm");
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM");
	slot = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_RAM,
		.userspace_addr = (unsigned long)ram,
	};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd < 0)
		die("KVM_CREATE_VCPU");
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(*run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd,
		   0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	enter_protected_mode(vcpu_fd, entry);
	return run_loop(vcpu_fd, run);
}
