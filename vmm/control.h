/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket (docs/management.md): every `kvmini run` listens on
 * rundir/NAME.ctl and answers one-line text requests from `kvmini list`,
 * `pause`, `stat`, ... in a thread of its own ("control").
 *
 *   control_proto.c  parsing and answering requests: pure, fuzzed
 *   control.c        the socket, the clients, the thread, the VM actions
 *
 * Wire format: a request is one line of printable text, at most
 * CONTROL_LINE_MAX bytes with its '\n'; words are separated by spaces.
 * The reply is zero or more data lines, then exactly "ok" or
 * "error: MESSAGE" on a line of its own.  Data lines are never "ok" and
 * never start with "error:".  Several requests may follow each other on
 * one connection; replies come in order.
 */
#ifndef KVMINI_CONTROL_H
#define KVMINI_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "vcpu.h"

#define CONTROL_LINE_MAX    4096      /* a request, '\n' included */
#define CONTROL_REPLY_MAX   (1 << 20) /* larger replies end in an error */
#define CONTROL_MAX_CLIENTS 16
#define CONTROL_IDLE_MS	    10000 /* a client that does nothing is dropped */
#define CONTROL_MAX_DEVS    132	  /* two buses of BUS_MAX_REGIONS, + spare */
#define CONTROL_MAX_ARGS    8
#define CONTROL_WHY_LEN	    200

enum control_state {
	CONTROL_RUNNING,
	CONTROL_PAUSED,
	CONTROL_SHUTTING_DOWN, /* power button pressed, guest not off yet */
	CONTROL_STOPPING,      /* the VM is ending */
	CONTROL_RESTARTING,    /* between two VMs of one `kvmini run` */
};

const char *control_state_name(enum control_state s);

enum control_action {
	CONTROL_PAUSE,
	CONTROL_RESUME,
	CONTROL_SHUTDOWN,
	CONTROL_REBOOT,
	CONTROL_STOP,
};

struct control_vcpu {
	uint64_t exits[VCPU_EXIT_REASONS];
	int64_t cpu_ns; /* thread CPU time; -1: not known */
};

struct control_dev {
	const char *bus; /* "port" or "mmio" */
	const char *name;
	uint64_t base, len, reads, writes;
};

/* What the handlers report; -1 in a memory field means "n/a". */
struct control_snapshot {
	enum control_state state;
	int nr_vcpus;
	struct control_vcpu *vcpus; /* nr_vcpus entries, room for MAX_CPUS */
	uint64_t mem_bytes;	    /* guest RAM size */
	uint64_t uptime_ns;	    /* since `kvmini run` started */
	uint64_t process_cpu_ns;    /* all of kvmini's threads */
	int nr_devs;
	struct control_dev devs[CONTROL_MAX_DEVS];
	int64_t ram_resident;  /* bytes of guest RAM in host memory */
	int64_t ram_anon_huge; /* of which in transparent huge pages */
	int64_t ksm_merged;    /* bytes KSM merged (whole process) */
	int64_t vmm_rss;       /* kvmini's VmRSS */
};

#define CONTROL_SNAP_SMAPS                               \
	1 /* ram_resident/ram_anon_huge (costs a read of \
	   * /proc/self/smaps) */

struct control_ops {
	/* 0, or -1 with @why (no VM right now, ...) */
	int (*snapshot)(void *opaque, struct control_snapshot *s,
			unsigned int what, char *why, size_t why_len);
	int (*act)(void *opaque, enum control_action a, char *why,
		   size_t why_len);
};

struct vm_config;

struct control_ctx {
	const char *name;
	long pid;
	const struct vm_config *cfg; /* for requests that report the config */
	const struct control_ops *ops;
	void *opaque;
	struct control_snapshot *snap; /* scratch, vcpus[] for MAX_CPUS */
};

/* What the connection does after the reply. */
enum control_after {
	CONTROL_NEXT,  /* read the next request */
	CONTROL_CLOSE, /* close once the reply is sent */
	CONTROL_WAIT,  /* keep it open, silent, until kvmini exits */
};

/* One request being answered: what a handler gets. */
struct control_call {
	struct control_ctx *ctx;
	int argc; /* argv[0] is the request's name */
	char **argv;
	struct strbuf *out;	   /* data lines go here */
	char why[CONTROL_WHY_LEN]; /* the message when the handler fails */
	enum control_after after;
};

/*
 * Answers one request line (without its '\n'; any bytes) into @reply:
 * data lines and the final "ok"/"error: ..." line.  Never fails; returns
 * what the connection should do next.
 */
enum control_after control_handle(struct control_ctx *ctx, const char *req,
				  size_t len, struct strbuf *reply);

/* The snapshot scratch for a ctx (vcpus for MAX_CPUS); NULL when OOM. */
struct control_snapshot *control_snapshot_alloc(void);
void control_snapshot_free(struct control_snapshot *s);

/* ---- the server (control.c) ---------------------------------------- */

struct control;
struct vm;

/*
 * `kvmini run`, before any other thread exists: binds rundir/NAME.ctl
 * (refusing a name a live VM holds, taking over a dead one's), blocks
 * the signals vm_run() takes through its signalfd so that they end
 * kvmini cleanly at any time, starts the control thread.  Prints why
 * and returns NULL on failure.
 */
struct control *control_create(const struct vm_config *cfg);
/* The VM that requests act on, or NULL between VMs (restarts). */
void control_attach(struct control *ctl, struct vm *vm);
void control_detach(struct control *ctl);
/* Stops the thread, drops the clients, removes the socket. */
void control_destroy(struct control *ctl);

#endif
