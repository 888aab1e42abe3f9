/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/kvm: opening it, checking it is usable, and naming what's missing. */
#ifndef KVMINI_KVM_H
#define KVMINI_KVM_H

#include <linux/kvm.h>

struct kvm_cap_req {
	int cap;
	const char *name;
	const char *why;
};

/* Every capability kvmini relies on, checked at start-up. */
extern const struct kvm_cap_req kvm_required_caps[];

/* Path of the KVM device: $KVMINI_KVM_DEVICE or /dev/kvm. */
const char *kvm_device_path(void);

/*
 * Opens the KVM device and checks the API version and capabilities.
 * On failure returns -1 and writes a one-line explanation with a hint.
 */
int kvm_open_checked(char *why, unsigned long why_len);

/* The first required capability the KVM fd lacks, or NULL. */
const struct kvm_cap_req *kvm_missing_cap(int kvm_fd);

/* KVM_GET_SUPPORTED_CPUID, grown until it fits; NULL on failure. */
struct kvm_cpuid2 *kvm_supported_cpuid(int kvm_fd);

#endif
