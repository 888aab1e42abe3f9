/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmini run --detach: the VM runs in a child process in its own session;
 * the parent waits on a pipe until the VM has started (then prints
 * "NAME PID" and exits 0) or the child failed (its exit code).  Until
 * then the child's errors reach the user's terminal; afterwards its
 * stdout and stderr go to --log FILE or /dev/null.
 */
#ifndef KVMINI_DETACH_H
#define KVMINI_DETACH_H

#include "config.h"

/* Returns -1 in the child, which goes on to set the VM up; otherwise
 * the exit code to return (the parent's, or a failed child's). */
int detach_start(struct vm_config *cfg);
/* vm->on_started in the child: tells the parent; @cfg is the config. */
void detach_ready(void *cfg);

#endif
