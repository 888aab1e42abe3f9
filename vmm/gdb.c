// SPDX-License-Identifier: GPL-2.0
/*
 * GDB remote serial protocol stub (GDB manual, appendix "Remote Protocol";
 * KVM_SET_GUEST_DEBUG, KVM_TRANSLATE and KVM_EXIT_DEBUG from the KVM API
 * document).  One client at a time, all-stop mode, one thread per vCPU
 * (thread id = vCPU index + 1).
 *
 * Why a thread of its own and not the device loop: while the guest is
 * stopped the stub blocks on the socket and on the vCPUs parking, and the
 * device loop must keep serving the console and virtio meanwhile.
 *
 * Stopping: the stub sets hold[] for every vCPU and kicks them out of
 * KVM_RUN; each vCPU thread then parks in gdb_vcpu_park() on
 * vm->stop_cond (so a VM stop also wakes it) and counts itself in
 * nr_parked.  Only while all are parked does the stub touch vCPU fds or
 * patch guest memory.  Software breakpoints are in guest memory only
 * while the guest runs, so gdb always reads the original bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gdb.h"
#include "gdb_fuzz.h"
#include "log.h"
#include "seccomp.h"
#include "vcpu.h"
#include "vm.h"

#define PACKET_MAX   0x4000 /* our PacketSize: what we accept */
#define REPLY_MAX    (PACKET_MAX + 16)
#define MAX_SW_BPS   64
#define NR_HW_SLOTS  4
#define INT3	     0xcc
#define SIGTRAP_GDB  5 /* gdb's signal numbers, not the host's */
#define SIGINT_GDB   2
#define DR6_BS	     (1ULL << 14)
#define DR7_FIXED    (1ULL << 10)
#define PAGE_SIZE_4K 0x1000ULL

enum hw_type { HW_EXEC, HW_WRITE, HW_READ, HW_ACCESS };

struct sw_bp {
	uint64_t addr; /* guest virtual, as gdb gave it */
	uint64_t gpa;
	uint8_t orig;
};

struct hw_bp {
	int used;
	enum hw_type type;
	uint64_t addr;
	unsigned int len;
};

enum event_kind {
	EV_SIGNAL, /* attach, Ctrl-C */
	EV_DEBUG,  /* KVM_EXIT_DEBUG */
	EV_INT3,   /* our int3 that KVM's emulator could not run (PVM) */
};

struct stop_event {
	enum event_kind kind;
	int vcpu;
	int sig;
	uint32_t exception;
	uint64_t dr6;
};

struct gdb_stub {
	struct vm *vm;
	int listen_fd;
	int conn_fd;
	int event_fd; /* vCPU stop events and the VM's end wake the stub */
	pthread_t thread;
	int started;
	int quit;
	char unix_path[GDB_PATH_MAX];

	/* under vm->stop_lock */
	int *hold;
	int *parked;
	int nr_parked;
	int event_pending;
	struct stop_event event;
	int attached;  /* guest debugging is on; debug exits are ours */
	int stopped;   /* stub thread: every vCPU is parked, fds are ours */
	int step_vcpu; /* the vCPU resumed with a single step, or -1 */

	/* stub thread only (vCPU threads read sw[] while running) */
	int g_thread, c_thread; /* vCPU index; -1 all */
	struct sw_bp sw[MAX_SW_BPS];
	int nr_sw;
	struct hw_bp hw[NR_HW_SLOTS];
	int swbreak_ok, hwbreak_ok;
	char stop_reply[64];
	char *reply; /* last reply sent, for a NAK */
	size_t reply_len;
	uint8_t rx[4096];
	size_t rx_len, rx_pos;
};

static int stub_send(struct gdb_stub *g, const char *data, size_t len);

/* ---- vCPU side ---------------------------------------------------- */

int gdb_vcpu_park(struct vcpu *vcpu)
{
	struct gdb_stub *g = vcpu->vm->gdb;
	struct vm *vm = vcpu->vm;

	if (!g || !__atomic_load_n(&g->hold[vcpu->id], __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&vm->stop_lock);
	g->parked[vcpu->id] = 1;
	g->nr_parked++;
	pthread_cond_broadcast(&vm->stop_cond);
	while (g->hold[vcpu->id] && vm->stop_kind == VM_STOP_NONE)
		pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
	g->parked[vcpu->id] = 0;
	g->nr_parked--;
	/* under the lock: a later hold's kick sets it again after this */
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vm->stop_lock);
	return 1;
}

static void record_event(struct gdb_stub *g, struct vcpu *vcpu,
			 const struct stop_event *ev)
{
	uint64_t one = 1;

	pthread_mutex_lock(&g->vm->stop_lock);
	if (!g->event_pending) {
		g->event = *ev;
		g->event_pending = 1;
	}
	/* park at once; the stub stops the others */
	__atomic_store_n(&g->hold[vcpu->id], 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&g->vm->stop_lock);
	if (write(g->event_fd, &one, sizeof(one)) < 0)
		warn_once("gdb: cannot wake the stub: %s", strerror(errno));
}

static int sw_bp_at(const struct gdb_stub *g, uint64_t addr)
{
	for (int i = 0; i < g->nr_sw; i++)
		if (g->sw[i].addr == addr)
			return 1;
	return 0;
}

/*
 * Under PVM, guest CPL0 code runs in KVM's instruction emulator, which
 * cannot execute int3 in protected mode and fails with an emulation error
 * instead of KVM_EXIT_DEBUG; RIP still points at the int3.
 */
static int is_our_emulated_int3(struct gdb_stub *g, struct vcpu *vcpu)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (vcpu->run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION ||
	    ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return 0;
	return sw_bp_at(g, sregs.cs.base + regs.rip);
}

int gdb_vcpu_exit(struct vcpu *vcpu)
{
	struct gdb_stub *g = vcpu->vm->gdb;
	struct kvm_run *run = vcpu->run;
	struct stop_event ev = { .vcpu = vcpu->id, .sig = SIGTRAP_GDB };

	if (!g || !__atomic_load_n(&g->attached, __ATOMIC_ACQUIRE))
		return 0;
	if ((run->exit_reason == KVM_EXIT_IO ||
	     run->exit_reason == KVM_EXIT_MMIO) &&
	    __atomic_load_n(&g->step_vcpu, __ATOMIC_ACQUIRE) == vcpu->id) {
		/* handled as usual, then finished alone (vcpu.c) */
		vcpu->finish_insn = 1;
		return 0;
	}
	if (run->exit_reason == KVM_EXIT_DEBUG) {
		ev.kind = EV_DEBUG;
		ev.exception = run->debug.arch.exception;
		ev.dr6 = run->debug.arch.dr6;
	} else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		   is_our_emulated_int3(g, vcpu)) {
		ev.kind = EV_INT3;
	} else {
		return 0;
	}
	record_event(g, vcpu, &ev);
	return 1;
}

void gdb_vcpu_step_done(struct vcpu *vcpu)
{
	struct gdb_stub *g = vcpu->vm->gdb;
	struct stop_event ev = { .kind = EV_DEBUG,
				 .vcpu = vcpu->id,
				 .sig = SIGTRAP_GDB,
				 .exception = 1,
				 .dr6 = DR6_BS };

	if (g && __atomic_load_n(&g->attached, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&g->step_vcpu, __ATOMIC_ACQUIRE) == vcpu->id)
		record_event(g, vcpu, &ev);
}

/* ---- stopping and resuming ---------------------------------------- */

static int nr_vcpus(const struct gdb_stub *g)
{
	return g->vm->nr_vcpus;
}

static int set_guest_debug(struct gdb_stub *g, int step_mask_vcpu, int enable)
{
	struct kvm_guest_debug dbg = { 0 };
	int rc = 0;

	if (enable) {
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP |
			      KVM_GUESTDBG_USE_HW_BP;
		dbg.arch.debugreg[7] = DR7_FIXED;
		for (int i = 0; i < NR_HW_SLOTS; i++) {
			static const unsigned int rw[] = { 0, 1, 3, 3 };
			static const unsigned int len[] = { 0, 0, 1, 0, 3,
							    0, 0, 0, 2 };
			const struct hw_bp *h = &g->hw[i];

			if (!h->used)
				continue;
			dbg.arch.debugreg[i] = h->addr;
			dbg.arch.debugreg[7] |=
				(1ULL << (2 * i)) |
				((uint64_t)rw[h->type] << (16 + 4 * i)) |
				((uint64_t)len[h->len] << (18 + 4 * i));
		}
	}
	for (int i = 0; i < nr_vcpus(g); i++) {
		uint32_t base = dbg.control;

		if (enable && i == step_mask_vcpu)
			dbg.control |= KVM_GUESTDBG_SINGLESTEP;
		if (ioctl(g->vm->vcpus[i]->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
			rc = -1;
		dbg.control = base;
	}
	return rc;
}

static void insert_sw_bps(struct gdb_stub *g)
{
	for (int i = 0; i < g->nr_sw; i++) {
		uint8_t *p = gpa_ptr(&g->vm->mem, g->sw[i].gpa, 1);

		if (p) {
			g->sw[i].orig = *p;
			*p = INT3;
		}
	}
}

static void remove_sw_bps(struct gdb_stub *g)
{
	for (int i = g->nr_sw - 1; i >= 0; i--) {
		uint8_t *p = gpa_ptr(&g->vm->mem, g->sw[i].gpa, 1);

		/* the guest may have rewritten the byte meanwhile */
		if (p && *p == INT3)
			*p = g->sw[i].orig;
	}
}

static void drain_events(struct gdb_stub *g)
{
	uint64_t n;

	if (read(g->event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		warn_once("gdb: event read: %s", strerror(errno));
}

/* Holds and parks every vCPU; -1 when the VM is ending instead. */
static int stop_all(struct gdb_stub *g, int sig)
{
	struct vm *vm = g->vm;
	int stopping;

	pthread_mutex_lock(&vm->stop_lock);
	if (!g->event_pending) {
		g->event = (struct stop_event){ .kind = EV_SIGNAL,
						.sig = sig,
						.vcpu = g->g_thread };
		g->event_pending = 1;
	}
	for (int i = 0; i < nr_vcpus(g); i++)
		__atomic_store_n(&g->hold[i], 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->stop_lock);
	for (int i = 0; i < nr_vcpus(g); i++)
		vcpu_kick(vm->vcpus[i]);
	pthread_mutex_lock(&vm->stop_lock);
	while (g->nr_parked < nr_vcpus(g) && vm->stop_kind == VM_STOP_NONE)
		pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
	stopping = vm->stop_kind != VM_STOP_NONE;
	pthread_mutex_unlock(&vm->stop_lock);
	if (stopping)
		return -1;
	g->stopped = 1;
	remove_sw_bps(g);
	return 0;
}

/* run[i]: 0 hold, 'c' continue, 's' step (at most one). */
static void resume(struct gdb_stub *g, const char *run)
{
	struct vm *vm = g->vm;
	int step = -1;

	for (int i = 0; i < nr_vcpus(g); i++)
		if (run[i] == 's' && step < 0)
			step = i;
	g->stopped = 0;
	__atomic_store_n(&g->step_vcpu, step, __ATOMIC_RELEASE);
	insert_sw_bps(g);
	if (set_guest_debug(g, step, 1))
		warn_once("gdb: KVM_SET_GUEST_DEBUG: %s", strerror(errno));
	pthread_mutex_lock(&vm->stop_lock);
	g->event_pending = 0;
	drain_events(g);
	for (int i = 0; i < nr_vcpus(g); i++)
		__atomic_store_n(&g->hold[i], !run[i], __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->stop_cond);
	pthread_mutex_unlock(&vm->stop_lock);
}

/* Detach, kill or a lost connection: the guest runs on undisturbed. */
static void release_guest(struct gdb_stub *g)
{
	struct vm *vm = g->vm;

	g->nr_sw = 0;
	memset(g->hw, 0, sizeof(g->hw));
	__atomic_store_n(&g->step_vcpu, -1, __ATOMIC_RELEASE);
	__atomic_store_n(&g->attached, 0, __ATOMIC_RELEASE);
	/* a running vCPU would block the ioctl; the VM is ending then */
	if (g->stopped)
		set_guest_debug(g, -1, 0);
	g->stopped = 0;
	pthread_mutex_lock(&vm->stop_lock);
	g->event_pending = 0;
	for (int i = 0; i < nr_vcpus(g); i++)
		__atomic_store_n(&g->hold[i], 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->stop_cond);
	pthread_mutex_unlock(&vm->stop_lock);
}

/* ---- registers and memory ----------------------------------------- */

static struct vcpu *reg_vcpu(struct gdb_stub *g)
{
	return g->vm->vcpus[g->g_thread >= 0 ? g->g_thread : 0];
}

static int get_state(struct vcpu *v, struct gdb_cpu_state *st)
{
	memset(st, 0, sizeof(*st));
	if (ioctl(v->fd, KVM_GET_REGS, &st->regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &st->sregs) < 0 ||
	    ioctl(v->fd, KVM_GET_FPU, &st->fpu) < 0)
		return -1;
	return 0;
}

/* Writes back only the parts that changed. */
static int put_state(struct vcpu *v, const struct gdb_cpu_state *old,
		     const struct gdb_cpu_state *st)
{
	if (memcmp(&old->regs, &st->regs, sizeof(st->regs)) &&
	    ioctl(v->fd, KVM_SET_REGS, &st->regs) < 0)
		return -1;
	if (memcmp(&old->sregs, &st->sregs, sizeof(st->sregs)) &&
	    ioctl(v->fd, KVM_SET_SREGS, &st->sregs) < 0)
		return -1;
	if (memcmp(&old->fpu, &st->fpu, sizeof(st->fpu)) &&
	    ioctl(v->fd, KVM_SET_FPU, &st->fpu) < 0)
		return -1;
	return 0;
}

/* Guest virtual -> host pointer for up to @len bytes within one page. */
static uint8_t *virt_ptr(struct gdb_stub *g, uint64_t addr, uint64_t len,
			 uint64_t *chunk, uint64_t *gpa)
{
	struct kvm_translation tr = { .linear_address = addr };
	uint64_t room = PAGE_SIZE_4K - (addr & (PAGE_SIZE_4K - 1));

	if (ioctl(reg_vcpu(g)->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return NULL;
	*chunk = len < room ? len : room;
	if (gpa)
		*gpa = tr.physical_address;
	return gpa_ptr(&g->vm->mem, tr.physical_address, *chunk);
}

static int mem_read(struct gdb_stub *g, uint64_t addr, uint8_t *out,
		    uint64_t len)
{
	uint64_t done = 0, chunk;

	while (done < len) {
		uint8_t *p = virt_ptr(g, addr + done, len - done, &chunk, NULL);

		if (!p)
			break;
		memcpy(out + done, p, chunk);
		done += chunk;
	}
	return (int)done;
}

/* All or nothing: every page is checked before one byte changes. */
static int mem_write(struct gdb_stub *g, uint64_t addr, const uint8_t *in,
		     uint64_t len)
{
	uint64_t done, chunk;

	for (done = 0; done < len; done += chunk)
		if (!virt_ptr(g, addr + done, len - done, &chunk, NULL))
			return -1;
	/* re-translated: the write may change the guest's page tables */
	for (done = 0; done < len; done += chunk) {
		uint8_t *p = virt_ptr(g, addr + done, len - done, &chunk, NULL);

		if (!p)
			return -1;
		memcpy(p, in + done, chunk);
	}
	return 0;
}

/* ---- packet text helpers ------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses hex digits at *p (at most 16); -1 when there are none. */
static int parse_hex(const char **p, uint64_t *v)
{
	int n = 0;

	*v = 0;
	while (hexval(**p) >= 0 && n < 16) {
		*v = (*v << 4) | hexval(**p);
		(*p)++;
		n++;
	}
	return n && hexval(**p) < 0 ? 0 : -1;
}

static int parse_hex_bytes(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]),
		    lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = hi << 4 | lo;
	}
	return 0;
}

static void put_hex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* "addr,len" then @sep (or end); len must fit @max. */
static int parse_addr_len(const char **p, uint64_t *addr, uint64_t *len,
			  char sep)
{
	if (parse_hex(p, addr) || **p != ',')
		return -1;
	(*p)++;
	if (parse_hex(p, len) || **p != sep)
		return -1;
	if (sep)
		(*p)++;
	return 0;
}

/* ---- connection I/O ------------------------------------------------ */

static int quitting(struct gdb_stub *g)
{
	return __atomic_load_n(&g->quit, __ATOMIC_ACQUIRE);
}

/*
 * Next byte from gdb; -1 on EOF or error, -2 when the event fd fired
 * (and @wake_on_event asked for it).
 */
static int stub_getc(struct gdb_stub *g, int wake_on_event)
{
	while (g->rx_pos == g->rx_len) {
		struct pollfd pfd[2] = { { g->conn_fd, POLLIN, 0 },
					 { g->event_fd, POLLIN, 0 } };
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd[1].revents) {
			if (quitting(g))
				return -1;
			if (wake_on_event)
				return -2;
			drain_events(g);
		}
		if (!pfd[0].revents)
			continue;
		n = read(g->conn_fd, g->rx, sizeof(g->rx));
		if (n <= 0)
			return -1;
		g->rx_len = n;
		g->rx_pos = 0;
	}
	return g->rx[g->rx_pos++];
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static int stub_send(struct gdb_stub *g, const char *data, size_t len)
{
	uint8_t sum = 0;
	char tail[4];

	for (size_t i = 0; i < len; i++)
		sum += (uint8_t)data[i];
	snprintf(tail, sizeof(tail), "#%02x", sum);
	g->reply[0] = '$';
	memcpy(g->reply + 1, data, len);
	memcpy(g->reply + 1 + len, tail, 3);
	g->reply_len = len + 4;
	return write_all(g->conn_fd, g->reply, g->reply_len);
}

static int send_str(struct gdb_stub *g, const char *s)
{
	return stub_send(g, s, strlen(s));
}

/*
 * Reads one packet into @buf (NUL-terminated; binary data may contain
 * NULs, so the length is returned).  Acks are ignored, a NAK resends,
 * garbage is skipped, a bad checksum or an oversized packet gets '-'.
 */
static int read_packet(struct gdb_stub *g, char *buf)
{
	for (;;) {
		int c = stub_getc(g, 0), len = 0, overflow = 0, hi, lo;
		uint8_t sum = 0;

		if (c < 0)
			return -1;
		if (c == '-' && g->reply_len) {
			if (write_all(g->conn_fd, g->reply, g->reply_len))
				return -1;
			continue;
		}
		if (c != '$')
			continue; /* '+', a late Ctrl-C, noise */
		while ((c = stub_getc(g, 0)) >= 0 && c != '#') {
			sum += (uint8_t)c;
			if (len < PACKET_MAX)
				buf[len++] = (char)c;
			else
				overflow = 1;
		}
		if (c < 0 || (hi = stub_getc(g, 0)) < 0 ||
		    (lo = stub_getc(g, 0)) < 0)
			return -1;
		buf[len] = '\0';
		if (overflow || hexval(hi) < 0 || hexval(lo) < 0 ||
		    (uint8_t)(hexval(hi) << 4 | hexval(lo)) != sum) {
			if (write_all(g->conn_fd, "-", 1))
				return -1;
			continue;
		}
		if (write_all(g->conn_fd, "+", 1))
			return -1;
		return len;
	}
}

/*
 * After D, or W when the VM has ended: wait for gdb's ack before closing
 * (closing first makes gdb report a broken pipe), but never let a silent
 * client keep kvmini from going on or exiting.
 */
static void await_ack(struct gdb_stub *g)
{
	struct pollfd pfd = { g->conn_fd, POLLIN, 0 };
	char c;

	while (g->rx_pos < g->rx_len)
		if (g->rx[g->rx_pos++] == '+')
			return;
	while (poll(&pfd, 1, 2000) > 0 && read(g->conn_fd, &c, 1) == 1 &&
	       c != '+')
		;
}

/* ---- stop replies -------------------------------------------------- */

static const char *watch_kind(enum hw_type t)
{
	return t == HW_WRITE ? "watch" : t == HW_READ ? "rwatch" : "awatch";
}

/* T05 with the reason gdb asked to hear about; the vCPU is parked. */
static void make_stop_reply(struct gdb_stub *g)
{
	const struct stop_event *ev = &g->event;
	int tid = ev->vcpu + 1, slot = -1;
	char reason[40] = "";

	if (ev->kind == EV_DEBUG && ev->exception == 1) {
		for (int i = 0; i < NR_HW_SLOTS; i++)
			if ((ev->dr6 & (1ULL << i)) && g->hw[i].used)
				slot = i;
		if (slot >= 0 && g->hw[slot].type != HW_EXEC)
			snprintf(reason, sizeof(reason), "%s:%llx;",
				 watch_kind(g->hw[slot].type),
				 (unsigned long long)g->hw[slot].addr);
		else if (slot >= 0 && g->hwbreak_ok)
			strcpy(reason, "hwbreak:;");
	} else if ((ev->kind == EV_INT3 ||
		    (ev->kind == EV_DEBUG && ev->exception == 3)) &&
		   g->swbreak_ok) {
		strcpy(reason, "swbreak:;");
	}
	snprintf(g->stop_reply, sizeof(g->stop_reply), "T%02x%sthread:%x;",
		 ev->sig, reason, tid);
}

/* After KVM_EXIT_DEBUG for #BP, RIP must point at the int3 for gdb. */
static void fix_sw_bp_rip(struct gdb_stub *g)
{
	struct vcpu *v = g->vm->vcpus[g->event.vcpu];
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (g->event.kind != EV_DEBUG || g->event.exception != 3 ||
	    ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return;
	if (!sw_bp_at(g, sregs.cs.base + regs.rip) &&
	    sw_bp_at(g, sregs.cs.base + regs.rip - 1)) {
		regs.rip--;
		ioctl(v->fd, KVM_SET_REGS, &regs);
	}
}

/* The guest stopped (or was stopped): remember why, focus its thread. */
static int report_stop(struct gdb_stub *g)
{
	fix_sw_bp_rip(g);
	g->g_thread = g->event.vcpu;
	g->c_thread = g->event.vcpu;
	make_stop_reply(g);
	return send_str(g, g->stop_reply);
}

/* ---- packet handlers ------------------------------------------------ */

static int reply_regs(struct gdb_stub *g, char *out)
{
	struct gdb_cpu_state st;
	uint8_t buf[64];
	size_t pos = 0;

	if (get_state(reg_vcpu(g), &st))
		return send_str(g, "E01");
	for (int i = 0; i < gdb_regs_count(); i++) {
		gdb_reg_get(&st, i, buf);
		put_hex(out + pos, buf, gdb_reg_size(i));
		pos += 2 * gdb_reg_size(i);
	}
	return stub_send(g, out, pos);
}

static int write_regs(struct gdb_stub *g, const char *hex)
{
	struct gdb_cpu_state old, st;
	uint8_t buf[64];

	if (strlen(hex) != 2 * gdb_regs_total_size())
		return send_str(g, "E01");
	if (get_state(reg_vcpu(g), &old))
		return send_str(g, "E02");
	st = old;
	for (int i = 0; i < gdb_regs_count(); i++) {
		if (parse_hex_bytes(hex, buf, gdb_reg_size(i)))
			return send_str(g, "E01");
		gdb_reg_set(&st, i, buf);
		hex += 2 * gdb_reg_size(i);
	}
	return send_str(g, put_state(reg_vcpu(g), &old, &st) ? "E02" : "OK");
}

/* p n / P n=value */
static int one_reg(struct gdb_stub *g, const char *p, int write, char *out)
{
	struct gdb_cpu_state old, st;
	uint8_t buf[64];
	uint64_t n;
	size_t size;

	if (parse_hex(&p, &n) || (write ? *p != '=' : *p != '\0'))
		return send_str(g, "E01");
	size = gdb_reg_size(n < 1000 ? (int)n : -1);
	if (!size)
		return send_str(g, "E00");
	if (get_state(reg_vcpu(g), &old))
		return send_str(g, "E02");
	if (!write) {
		gdb_reg_get(&old, (int)n, buf);
		put_hex(out, buf, size);
		return send_str(g, out);
	}
	p++;
	if (strlen(p) != 2 * size || parse_hex_bytes(p, buf, size))
		return send_str(g, "E01");
	st = old;
	gdb_reg_set(&st, (int)n, buf);
	return send_str(g, put_state(reg_vcpu(g), &old, &st) ? "E02" : "OK");
}

static int read_mem(struct gdb_stub *g, const char *p, char *out)
{
	static uint8_t data[PACKET_MAX / 2];
	uint64_t addr, len;
	int n;

	if (parse_addr_len(&p, &addr, &len, '\0'))
		return send_str(g, "E01");
	if (len > sizeof(data))
		len = sizeof(data); /* gdb accepts a short read */
	n = mem_read(g, addr, data, len);
	if (n == 0 && len)
		return send_str(g, "E14");
	put_hex(out, data, n);
	return send_str(g, out);
}

/* Decodes "addr,len:data" of M (hex) or X (binary) into @data. */
static int decode_write_mem(const char *p, int plen, int binary, uint64_t *addr,
			    uint64_t *len, uint8_t *data)
{
	const char *end = p + plen;
	uint64_t n = 0;

	if (parse_addr_len(&p, addr, len, ':') || *len > PACKET_MAX)
		return -1;
	if (binary) {
		for (; p < end && n < *len; n++) {
			uint8_t c = (uint8_t)*p++;

			if (c == '}') {
				if (p == end)
					return -1;
				c = (uint8_t)*p++ ^ 0x20;
			}
			data[n] = c;
		}
		return n != *len || p != end ? -1 : 0;
	}
	if ((uint64_t)(end - p) != 2 * *len || parse_hex_bytes(p, data, *len))
		return -1;
	return 0;
}

/* M addr,len:hex and X addr,len:binary */
static int write_mem(struct gdb_stub *g, const char *p, int plen, int binary)
{
	static uint8_t data[PACKET_MAX];
	uint64_t addr, len;

	if (decode_write_mem(p, plen, binary, &addr, &len, data))
		return send_str(g, "E01");
	return send_str(g, mem_write(g, addr, data, len) ? "E14" : "OK");
}

static int add_sw_bp(struct gdb_stub *g, uint64_t addr)
{
	uint64_t chunk, gpa;

	if (sw_bp_at(g, addr))
		return 0;
	if (g->nr_sw == MAX_SW_BPS || !virt_ptr(g, addr, 1, &chunk, &gpa))
		return -1;
	g->sw[g->nr_sw++] = (struct sw_bp){ .addr = addr, .gpa = gpa };
	return 0;
}

static void del_sw_bp(struct gdb_stub *g, uint64_t addr)
{
	for (int i = 0; i < g->nr_sw; i++) {
		if (g->sw[i].addr == addr) {
			g->sw[i] = g->sw[--g->nr_sw];
			return;
		}
	}
}

static int add_hw_bp(struct gdb_stub *g, enum hw_type type, uint64_t addr,
		     uint64_t len)
{
	int free_slot = -1;

	if (type == HW_EXEC)
		len = 1; /* the kind is the instruction's; DR7 wants LEN 0 */
	if ((len != 1 && len != 2 && len != 4 && len != 8) ||
	    (addr & (len - 1)))
		return -1;
	for (int i = NR_HW_SLOTS - 1; i >= 0; i--)
		if (!g->hw[i].used)
			free_slot = i;
	if (free_slot < 0)
		return -1;
	g->hw[free_slot] = (struct hw_bp){ 1, type, addr, (unsigned int)len };
	return 0;
}

static void del_hw_bp(struct gdb_stub *g, enum hw_type type, uint64_t addr)
{
	for (int i = 0; i < NR_HW_SLOTS; i++)
		if (g->hw[i].used && g->hw[i].type == type &&
		    g->hw[i].addr == addr) {
			g->hw[i].used = 0;
			return;
		}
}

/* "type,addr,kind" of Z/z, conditions (";...") ignored */
static int parse_breakpoint(const char *p, uint64_t *type, uint64_t *addr,
			    uint64_t *kind)
{
	if (parse_hex(&p, type) || *p++ != ',' || parse_hex(&p, addr) ||
	    *p++ != ',' || parse_hex(&p, kind) || (*p && *p != ';'))
		return -1;
	return 0;
}

/* Z/z type,addr,kind */
static int breakpoint(struct gdb_stub *g, const char *p, int insert)
{
	uint64_t type, addr, kind;
	int rc = 0;

	if (parse_breakpoint(p, &type, &addr, &kind))
		return send_str(g, "E01");
	if (type > 4)
		return send_str(g, "");
	if (type == 0 && insert)
		rc = add_sw_bp(g, addr);
	else if (type == 0)
		del_sw_bp(g, addr);
	else if (insert)
		rc = add_hw_bp(g, (enum hw_type)(type - 1), addr, kind);
	else
		del_hw_bp(g, (enum hw_type)(type - 1), addr);
	return send_str(g, rc ? "E0e" : "OK");
}

/* Hg/Hc: 0 any, -1 all, else thread id */
static int set_thread(struct gdb_stub *g, const char *p)
{
	char op = *p++;
	long tid; /* not int: "100000001" must not wrap to thread 1 */
	char *end;

	if (op != 'g' && op != 'c')
		return send_str(g, "E01");
	tid = strtol(p, &end, 16);
	if (end == p || *end || tid < -1 || tid > nr_vcpus(g))
		return send_str(g, "E01");
	if (tid > 0 || op == 'c')
		*(op == 'g' ? &g->g_thread : &g->c_thread) =
			tid > 0	    ? (int)tid - 1
			: tid == -1 ? -1
				    : g->c_thread;
	return send_str(g, "OK");
}

static int thread_alive(struct gdb_stub *g, const char *p)
{
	char *end;
	long tid = strtol(p, &end, 16);

	return send_str(g, end != p && !*end && tid >= 1 && tid <= nr_vcpus(g)
				   ? "OK"
				   : "E01");
}

static int thread_list(struct gdb_stub *g, char *out)
{
	size_t pos = 1;

	out[0] = 'm';
	for (int i = 0; i < nr_vcpus(g); i++)
		pos += snprintf(out + pos, REPLY_MAX - pos, "%s%x",
				i ? "," : "", i + 1);
	return stub_send(g, out, pos);
}

/* qXfer:features:read:target.xml:offset,length */
static int xfer_features(struct gdb_stub *g, const char *p, char *out)
{
	const char *xml = gdb_target_xml();
	uint64_t off, len, xml_len = strlen(xml), i;
	size_t pos = 1;

	if (strncmp(p, "target.xml:", 11))
		return send_str(g, "E00");
	p += 11;
	if (parse_addr_len(&p, &off, &len, '\0'))
		return send_str(g, "E01");
	if (off > xml_len)
		return send_str(g, "E01");
	if (len > PACKET_MAX / 2)
		len = PACKET_MAX / 2;
	for (i = off; i < xml_len && i < off + len; i++) {
		char c = xml[i];

		if (c == '#' || c == '$' || c == '}' || c == '*') {
			out[pos++] = '}';
			c ^= 0x20;
		}
		out[pos++] = c;
	}
	out[0] = i >= xml_len ? 'l' : 'm';
	return stub_send(g, out, pos);
}

static int query(struct gdb_stub *g, const char *p, char *out)
{
	if (!strncmp(p, "qSupported", 10)) {
		g->swbreak_ok = strstr(p, "swbreak+") != NULL;
		g->hwbreak_ok = strstr(p, "hwbreak+") != NULL;
		snprintf(out, REPLY_MAX,
			 "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+",
			 PACKET_MAX);
		return send_str(g, out);
	}
	if (!strncmp(p, "qXfer:features:read:", 20))
		return xfer_features(g, p + 20, out);
	if (!strcmp(p, "qfThreadInfo"))
		return thread_list(g, out);
	if (!strcmp(p, "qsThreadInfo"))
		return send_str(g, "l");
	if (!strcmp(p, "qC")) {
		snprintf(out, REPLY_MAX, "QC%x", g->g_thread + 1);
		return send_str(g, out);
	}
	if (!strncmp(p, "qAttached", 9))
		return send_str(g, "1"); /* quit detaches, never kills */
	return send_str(g, "");
}

enum session_state { SESSION_STOPPED, SESSION_RUNNING, SESSION_END };

static int resume_one(struct gdb_stub *g, char action)
{
	char run[MAX_CPUS] = { 0 };
	int t = g->c_thread >= 0 ? g->c_thread : g->g_thread;

	if (action == 's') {
		run[t >= 0 ? t : 0] = 's';
	} else {
		memset(run, 'c', nr_vcpus(g));
	}
	resume(g, run);
	return SESSION_RUNNING;
}

/* c/s [addr] (C/S sig[;addr]: the signal is dropped) */
static int cont(struct gdb_stub *g, const char *addr_text, char action)
{
	struct gdb_cpu_state old, st;
	int t = g->c_thread >= 0 ? g->c_thread : g->g_thread;
	struct vcpu *v = g->vm->vcpus[t >= 0 ? t : 0];
	uint64_t addr;

	if (*addr_text) {
		if (parse_hex(&addr_text, &addr) || get_state(v, &old))
			return send_str(g, "E01") ? SESSION_END
						  : SESSION_STOPPED;
		st = old;
		st.regs.rip = addr;
		/* resuming from the old RIP would be a silent lie */
		if (put_state(v, &old, &st))
			return send_str(g, "E01") ? SESSION_END
						  : SESSION_STOPPED;
	}
	return resume_one(g, action);
}

/* vCont;action[:tid]... : the first action naming a vCPU wins. */
static int vcont(struct gdb_stub *g, const char *p)
{
	char run[MAX_CPUS] = { 0 };

	while (*p == ';') {
		char action = *++p;
		long tid = -1;
		char *end;

		if ((action == 'C' || action == 'S') && hexval(p[1]) >= 0 &&
		    hexval(p[2]) >= 0)
			p += 3; /* signal number dropped */
		else if (action == 'c' || action == 's')
			p++;
		else
			return send_str(g, "E01") ? SESSION_END
						  : SESSION_STOPPED;
		if (*p == ':') {
			tid = strtol(p + 1, &end, 16);
			if (end == p + 1 || tid == 0 || tid < -1 ||
			    tid > nr_vcpus(g))
				return send_str(g, "E01") ? SESSION_END
							  : SESSION_STOPPED;
			p = end;
		}
		for (int i = 0; i < nr_vcpus(g); i++)
			if (!run[i] && (tid < 0 || tid == i + 1))
				run[i] = (char)(action | 0x20);
	}
	if (*p)
		return send_str(g, "E01") ? SESSION_END : SESSION_STOPPED;
	resume(g, run);
	return SESSION_RUNNING;
}

static int stopped_packet(struct gdb_stub *g, char *pkt, int len, char *out)
{
	int rc = 0;

	switch (pkt[0]) {
	case '?': rc = send_str(g, g->stop_reply); break;
	case 'g': rc = reply_regs(g, out); break;
	case 'G': rc = write_regs(g, pkt + 1); break;
	case 'p': rc = one_reg(g, pkt + 1, 0, out); break;
	case 'P': rc = one_reg(g, pkt + 1, 1, out); break;
	case 'm': rc = read_mem(g, pkt + 1, out); break;
	case 'M': rc = write_mem(g, pkt + 1, len - 1, 0); break;
	case 'X': rc = write_mem(g, pkt + 1, len - 1, 1); break;
	case 'Z': rc = breakpoint(g, pkt + 1, 1); break;
	case 'z': rc = breakpoint(g, pkt + 1, 0); break;
	case 'H': rc = set_thread(g, pkt + 1); break;
	case 'T': rc = thread_alive(g, pkt + 1); break;
	case 'q': rc = query(g, pkt, out); break;
	case 'c':
	case 's': return cont(g, pkt + 1, pkt[0]);
	case 'C':
	case 'S':
		return cont(g, strchr(pkt, ';') ? strchr(pkt, ';') + 1 : "",
			    (char)(pkt[0] | 0x20));
	case 'D':
		release_guest(g);
		if (send_str(g, "OK") == 0)
			await_ack(g); /* closing first would lose gdb's '+' */
		return SESSION_END;
	case 'k':
		vm_request_stop(g->vm, VM_STOP_USER, EXIT_GDB_KILL);
		return SESSION_END;
	case 'v':
		if (!strcmp(pkt, "vCont?")) {
			rc = send_str(g, "vCont;c;C;s;S");
		} else if (!strncmp(pkt, "vCont;", 6)) {
			return vcont(g, pkt + 5);
		} else if (!strncmp(pkt, "vKill", 5)) {
			send_str(g, "OK");
			vm_request_stop(g->vm, VM_STOP_USER, EXIT_GDB_KILL);
			return SESSION_END;
		} else {
			rc = send_str(g, "");
		}
		break;
	default: rc = send_str(g, ""); /* unknown: empty reply */
	}
	return rc ? SESSION_END : SESSION_STOPPED;
}

/* Guest running: wait for a vCPU's debug event, Ctrl-C, or the VM's end. */
static int running(struct gdb_stub *g)
{
	char exit_reply[8];

	for (;;) {
		int c = stub_getc(g, 1);

		if (c == -1) {
			if (!quitting(g))
				return SESSION_END;
			snprintf(exit_reply, sizeof(exit_reply), "W%02x",
				 g->vm->exit_code & 0xff);
			if (send_str(g, exit_reply) == 0)
				await_ack(g);
			return SESSION_END;
		}
		if (c == 0x03 || c == -2) {
			if (stop_all(g, SIGINT_GDB))
				continue; /* VM ending: quit follows */
			return report_stop(g) ? SESSION_END : SESSION_STOPPED;
		}
	}
}

static void session(struct gdb_stub *g)
{
	static char pkt[PACKET_MAX + 1], out[REPLY_MAX];
	int state = SESSION_STOPPED, len;

	g->g_thread = 0;
	g->c_thread = -1;
	g->reply_len = 0;
	g->rx_len = g->rx_pos = 0;
	g->swbreak_ok = g->hwbreak_ok = 0;
	if (stop_all(g, SIGTRAP_GDB))
		return;
	__atomic_store_n(&g->attached, 1, __ATOMIC_RELEASE);
	g->g_thread = g->event.vcpu;
	make_stop_reply(g);
	while (state != SESSION_END) {
		if (state == SESSION_RUNNING) {
			state = running(g);
			continue;
		}
		len = read_packet(g, pkt);
		if (len < 0)
			break;
		if (len == 0) {
			send_str(g, "");
			continue;
		}
		state = stopped_packet(g, pkt, len, out);
	}
	/* lost connection or kill: leave the guest running freely */
	if (!__atomic_load_n(&g->attached, __ATOMIC_ACQUIRE))
		return; /* detached */
	if (!g->stopped && !quitting(g) && !vm_stopping(g->vm))
		stop_all(g, SIGTRAP_GDB);
	release_guest(g);
}

static void *stub_thread(void *arg)
{
	struct gdb_stub *g = arg;

	pthread_setname_np(pthread_self(), "gdb");
	seccomp_enter_role(SECCOMP_ROLE_GDB);
	while (!quitting(g)) {
		struct pollfd pfd[2] = { { g->listen_fd, POLLIN, 0 },
					 { g->event_fd, POLLIN, 0 } };

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents) {
			drain_events(g);
			continue;
		}
		if (!pfd[0].revents)
			continue;
		g->conn_fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (g->conn_fd < 0)
			continue;
		info("gdb: debugger connected");
		session(g);
		close(g->conn_fd);
		g->conn_fd = -1;
		if (!quitting(g))
			info("gdb: debugger gone, guest runs on");
	}
	return NULL;
}

/* ---- setup ----------------------------------------------------------- */

static int listen_tcp(struct gdb_stub *g, const struct gdb_config *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(c->port) };
	socklen_t sl = sizeof(sa);
	int one = 1;

	inet_pton(AF_INET, c->host, &sa.sin_addr);
	g->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g->listen_fd < 0)
		return -1;
	setsockopt(g->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(g->listen_fd, 1) ||
	    getsockname(g->listen_fd, (struct sockaddr *)&sa, &sl))
		return -1;
	info("gdb: listening on tcp:%s:%d%s", c->host, ntohs(sa.sin_port),
	     c->wait ? "; the guest waits for gdb" : "");
	return 0;
}

static int listen_unix(struct gdb_stub *g, const struct gdb_config *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(sa.sun_path, c->path);
	g->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g->listen_fd < 0)
		return -1;
	if (bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	strcpy(g->unix_path, c->path); /* ours now: removed on exit */
	if (listen(g->listen_fd, 1))
		return -1;
	info("gdb: listening on unix:%s%s", c->path,
	     c->wait ? "; the guest waits for gdb" : "");
	return 0;
}

static void gdb_free(void *arg)
{
	struct gdb_stub *g = arg;

	if (g->listen_fd >= 0)
		close(g->listen_fd);
	if (g->event_fd >= 0)
		close(g->event_fd);
	if (g->unix_path[0])
		unlink(g->unix_path);
	free(g->hold);
	free(g->parked);
	free(g->reply);
	g->vm->gdb = NULL;
	free(g);
}

int gdb_create(struct vm *vm)
{
	const struct gdb_config *c = &vm->cfg->gdb;
	struct gdb_stub *g;
	int rc;

	if (c->transport == GDB_OFF)
		return 0;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -1;
	g->vm = vm;
	g->listen_fd = g->conn_fd = -1;
	g->step_vcpu = -1;
	g->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->hold = calloc(vm->nr_vcpus, sizeof(*g->hold));
	g->parked = calloc(vm->nr_vcpus, sizeof(*g->parked));
	g->reply = malloc(REPLY_MAX + 8);
	vm_on_destroy(vm, gdb_free, g);
	vm->gdb = g;
	if (g->event_fd < 0 || !g->hold || !g->parked || !g->reply) {
		err("gdb: cannot set up the stub: %s", strerror(errno));
		return -1;
	}
	rc = c->transport == GDB_TCP ? listen_tcp(g, c) : listen_unix(g, c);
	if (rc) {
		if (c->transport == GDB_TCP)
			err("--gdb tcp:%s:%d: cannot listen: %s", c->host,
			    c->port, strerror(errno));
		else
			err("--gdb unix:%s: cannot listen: %s", c->path,
			    strerror(errno));
		return -1;
	}
	for (int i = 0; c->wait && i < vm->nr_vcpus; i++)
		g->hold[i] = 1;
	return 0;
}

int gdb_start(struct vm *vm)
{
	struct gdb_stub *g = vm->gdb;
	sigset_t all, old;
	int rc;

	if (!g)
		return 0;
	/* signals belong to the device loop's signalfd and vCPU threads */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&g->thread, NULL, stub_thread, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		err("gdb: cannot start the stub thread");
		return -1;
	}
	g->started = 1;
	return 0;
}

void gdb_stop(struct vm *vm)
{
	struct gdb_stub *g = vm->gdb;
	uint64_t one = 1;

	if (!g || !g->started)
		return;
	__atomic_store_n(&g->quit, 1, __ATOMIC_RELEASE);
	if (write(g->event_fd, &one, sizeof(one)) < 0)
		warn("gdb: cannot stop the stub: %s", strerror(errno));
	pthread_join(g->thread, NULL);
	g->started = 0;
}

/* ---- tests/fuzz hook (gdb_fuzz.h) ----------------------------------- */

/* Decodes one packet as the stopped-state commands would, no vCPU. */
static void fuzz_decode(const char *pkt, int len)
{
	static uint8_t data[PACKET_MAX];
	uint64_t a, b, c;
	const char *p = pkt + 1;

	switch (pkt[0]) {
	case 'm': parse_addr_len(&p, &a, &b, '\0'); break;
	case 'M':
	case 'X':
		decode_write_mem(pkt + 1, len - 1, pkt[0] == 'X', &a, &b, data);
		break;
	case 'Z':
	case 'z': parse_breakpoint(pkt + 1, &a, &b, &c); break;
	case 'G':
		parse_hex_bytes(pkt + 1, data,
				strnlen(pkt + 1, PACKET_MAX) / 2);
		break;
	default: parse_hex(&p, &a);
	}
}

int gdb_fuzz_packets(const uint8_t *in, size_t in_len)
{
	static char pkt[PACKET_MAX + 1], drain[4096];
	struct gdb_stub *g = calloc(1, sizeof(*g));
	int sv[2], len, n = 0, big = 64 << 20;

	if (!g || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	/* gdb's side: everything sent, then EOF; our acks pile up there */
	if (write_all(sv[1], (const char *)in, in_len) ||
	    shutdown(sv[1], SHUT_WR))
		abort();
	/*
	 * Nobody reads our acks while a packet is parsed: room for one per
	 * input byte (root may exceed wmem_max), and non-blocking, so a
	 * full buffer ends the run instead of hanging it.
	 */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)))
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	g->conn_fd = sv[0];
	g->event_fd = -1; /* poll() skips it */
	while ((len = read_packet(g, pkt)) >= 0) {
		while (recv(sv[1], drain, sizeof(drain), MSG_DONTWAIT) > 0)
			;
		if (len > PACKET_MAX || pkt[len] != '\0')
			abort(); /* framing must stay inside the buffer */
		if (len > 0)
			fuzz_decode(pkt, len);
		n++;
	}
	close(sv[0]);
	close(sv[1]);
	free(g);
	return n;
}
