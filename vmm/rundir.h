/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a running VM's sockets live: /run/kvmini/ for root,
 * $XDG_RUNTIME_DIR/kvmini/ for a user, /tmp/kvmini-UID/ for a user without
 * XDG_RUNTIME_DIR (refused unless it is that user's, mode 0700).  Each VM owns
 * NAME.ctl (control socket) and NAME.console (serial console stream), both
 * mode 0600, in a directory of mode 0700.  KVMINI_RUNDIR overrides the
 * directory (tests use it so that they never meet real VMs).
 */
#ifndef KVMINI_RUNDIR_H
#define KVMINI_RUNDIR_H

#include <stddef.h>

#define RUNDIR_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */
#define VM_NAME_MAX	64

/* 0 when @name is 1..VM_NAME_MAX of [A-Za-z0-9._-], not starting with '.'
 * or '-'; else -1 with the reason in @why. */
int vm_name_check(const char *name, char *why, size_t why_len);

/* The directory (created, mode 0700, when @create); -1 with @why. */
int rundir_get(char *buf, size_t len, int create, char *why, size_t why_len);

/* rundir/NAME@suffix, e.g. suffix ".ctl"; -1 with @why when too long. */
int rundir_path(char *buf, size_t len, const char *name, const char *suffix,
		int create, char *why, size_t why_len);

#endif
