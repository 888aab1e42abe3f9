/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --user USER[:GROUP] and --chroot DIR: once vm_create() has opened
 * /dev/kvm, the images, the taps and the sockets, kvmini gives up root
 * before the guest runs (docs/threat-model.md).
 */
#ifndef KVMINI_PRIVDROP_H
#define KVMINI_PRIVDROP_H

#include <sys/types.h>

#include "config.h"

struct privdrop {
	int change_ids; /* --user given */
	uid_t uid;
	gid_t gid;
	const char *root; /* --chroot, or NULL */
};

/*
 * Looks the user and group up (before any chroot hides /etc) and checks
 * the directory.  Returns 0, or -1 with a one-line message in @why.
 */
int privdrop_resolve(const struct vm_config *cfg, struct privdrop *pd,
		     char *why, size_t why_len);

/*
 * chroot(DIR) and chdir("/"), then setgroups(), setgid(), setuid(), in
 * that order, and checks they took (and that root cannot be regained).
 * Returns 0, or -1 after printing why.
 */
int privdrop_apply(const struct privdrop *pd);

#endif
