/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client side of control sockets, shared by `kvmini run` (is the
 * name taken?) and the management commands (docs/management.md).
 */
#ifndef KVMINI_CONTROL_SOCK_H
#define KVMINI_CONTROL_SOCK_H

#include <stddef.h>

enum control_sock_probe {
	CONTROL_SOCK_LIVE,   /* a kvmini answers: *pid is its pid */
	CONTROL_SOCK_STALE,  /* the file exists, nobody listens (the VM died) */
	CONTROL_SOCK_ABSENT, /* no such socket file */
	CONTROL_SOCK_ERROR,  /* anything else: errno says what */
};

/* What is at @path; a LIVE probe connects and hangs up at once. */
enum control_sock_probe control_sock_probe(const char *path, long *pid);

/* Connects to @path (blocking fd, CLOEXEC); -1 with errno. */
int control_sock_connect(const char *path, long *pid);

/*
 * flock() on the run directory: held while a socket name is checked and
 * taken or a stale one removed.  Returns the fd to close, or -1 and @why.
 */
int control_sock_lock_rundir(char *why, size_t why_len);

/* Removes @path if it is (still) stale, under the rundir lock; 1 if it
 * did, 0 if not (a live VM took the name meanwhile), -1 on error. */
int control_sock_remove_stale(const char *path);

#endif
