// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm.h"

const struct kvm_cap_req kvm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "x86 TSS placement" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "CPUID setup" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "in-kernel PIC/IOAPIC/LAPIC" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2", "in-kernel PIT" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "stopping vCPUs" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD", "device notifications" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD", "device interrupts" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", "SMP start-up" },
	{ 0, NULL, NULL },
};

const char *kvm_device_path(void)
{
	const char *p = getenv("KVMINI_KVM_DEVICE");

	return p && *p ? p : "/dev/kvm";
}

static const char *open_hint(int e)
{
	switch (e) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		return "load kvm_intel or kvm_amd (modprobe) and enable "
		       "VT-x/AMD-V in the firmware settings";
	case EACCES:
	case EPERM:
		return "add your user to the 'kvm' group (usermod -aG kvm "
		       "$USER) and log in again, or run as root";
	default: return "see 'kvmini check'";
	}
}

const struct kvm_cap_req *kvm_missing_cap(int kvm_fd)
{
	for (const struct kvm_cap_req *c = kvm_required_caps; c->name; c++)
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, c->cap) <= 0)
			return c;
	return NULL;
}

int kvm_open_checked(char *why, unsigned long why_len)
{
	const char *path = kvm_device_path();
	const struct kvm_cap_req *missing;
	int fd, ver;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		snprintf(why, why_len, "cannot open %s: %s (%s)", path,
			 strerror(e), open_hint(e));
		return -1;
	}
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		snprintf(why, why_len,
			 "%s is not a usable KVM device: API version %d, "
			 "kvmini needs %d",
			 path, ver, KVM_API_VERSION);
		close(fd);
		return -1;
	}
	missing = kvm_missing_cap(fd);
	if (missing) {
		snprintf(why, why_len,
			 "KVM on this host lacks %s (needed for %s); "
			 "a newer host kernel is required",
			 missing->name, missing->why);
		close(fd);
		return -1;
	}
	return fd;
}

struct kvm_cpuid2 *kvm_supported_cpuid(int kvm_fd)
{
	for (int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}
