/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seccomp-BPF allow-lists, one per thread role (docs/threat-model.md).
 *
 * seccomp_init() runs once in the main thread before any other thread
 * exists: it sets no_new_privs, builds every role's filter and installs
 * the SIGSYS handler.  Each thread then calls seccomp_enter_role() at its
 * start; the main thread calls it last, after it created all the others,
 * because a thread inherits the filters of the thread that creates it.
 *
 * A forbidden system call (--seccomp=on) traps: the SIGSYS handler writes
 * one line naming the role and the system call, then kvmini dies by
 * SIGSYS.  --seccomp=log lets the kernel log it and allows it;
 * --seccomp=off installs nothing.
 */
#ifndef KVMINI_SECCOMP_H
#define KVMINI_SECCOMP_H

#include "config.h"

enum seccomp_role {
	SECCOMP_ROLE_NONE,    /* not entered yet */
	SECCOMP_ROLE_MAIN,    /* waits for the stop, tears the VM down */
	SECCOMP_ROLE_VCPU,    /* KVM_RUN and the port/MMIO handlers */
	SECCOMP_ROLE_DEVICE,  /* the device loop (vmm/event_loop.c) */
	SECCOMP_ROLE_GDB,     /* the gdb stub (vmm/gdb.c) */
	SECCOMP_ROLE_CONSOLE, /* the console's stdin pump (vmm/console.c) */
	SECCOMP_ROLE_CONTROL, /* the control socket thread */
	SECCOMP_NR_ROLES,
};

/*
 * Once, in the main thread, before any other thread exists.  Returns 0,
 * or -1 after printing why (the kernel has no seccomp filters).
 */
int seccomp_init(const struct vm_config *cfg);

/*
 * The calling thread takes @role's filter; a second call for the role the
 * thread already has does nothing.  Does nothing under --seccomp=off.
 * Fails only on a kvmini bug (an unbuilt filter): then kvmini exits.
 *
 * Test hook: with KVMINI_TEST_SECCOMP_VIOLATE=ROLE[:KIND] in the
 * environment (ROLE as named by seccomp_role_name()), a thread entering
 * ROLE then makes a call no role allows (tests/seccomp.sh): KIND socket
 * (the default), mmap-exec (PROT_EXEC), ioctl (KVM_CREATE_VM) or x32 (an
 * x32 getpid, which kills without the line).
 */
void seccomp_enter_role(enum seccomp_role role);

const char *seccomp_role_name(enum seccomp_role role);
/* The calling thread's role; async-signal-safe (crash handlers). */
enum seccomp_role seccomp_thread_role(void);
/* How many system calls @role allows (any argument rule counts as one). */
int seccomp_role_allowed(enum seccomp_role role);
/* "socket" for 41; "?" when unknown (vmm/syscall_names.c). */
const char *seccomp_syscall_name(long nr);

#endif
