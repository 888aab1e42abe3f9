// SPDX-License-Identifier: GPL-2.0
/*
 * seccomp-BPF filters per thread role, written against the kernel's
 * seccomp_data ABI (linux/seccomp.h, linux/filter.h, linux/audit.h) and
 * the x86-64 system call numbers.  Each filter:
 *   1. kills the process for any architecture but x86-64, and for x32
 *      system calls (numbers with __X32_SYSCALL_BIT);
 *   2. for each allowed system call, allows it, or checks an argument:
 *      ioctl request numbers (the role's list), no PROT_EXEC for mmap and
 *      mprotect, signals only to kvmini itself, clone only for threads;
 *   3. otherwise: SECCOMP_RET_TRAP with the role in the data field
 *      (--seccomp=on) or SECCOMP_RET_LOG (--seccomp=log).
 * clone3 answers ENOSYS (its flags sit behind a pointer no filter can
 * read), so glibc falls back to clone, whose flags are checked.
 */
#include <asm/ioctls.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <linux/sockios.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "console.h"
#include "log.h"
#include "seccomp.h"

#define X32_SYSCALL_BIT 0x40000000u
#define MAX_SYSCALL	512 /* above every x86-64 number (<asm/unistd_64.h>) */
#define MAX_INSNS	1024
#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + 8 * (i))

enum rule {
	R_NONE,
	R_ALLOW,
	R_IOCTL,  /* request (arg 1, low 32 bits: the kernel's cmd) listed */
	R_NOEXEC, /* prot (arg 2) without PROT_EXEC */
	R_SELF,	  /* pid / tgid (arg 0) is kvmini's */
	R_THREAD, /* clone flags (arg 0) with CLONE_THREAD */
	R_ENOSYS, /* fail with ENOSYS: glibc then takes a checkable path */
};

struct rule_entry {
	int nr;
	enum rule rule;
};

/* clang-format off */
#define ALLOW(name) { SYS_##name, R_ALLOW }
#define LIST(a)	    a, sizeof(a) / sizeof(a[0])
/* clang-format on */

#if defined(__SANITIZE_ADDRESS__)
#define KVMINI_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KVMINI_ASAN 1
#endif
#endif

/* Every thread: malloc, locks, logging with err(), abort(), exit. */
static const struct rule_entry base_rules[] = {
	ALLOW(futex),
	ALLOW(write),
	ALLOW(close),
	{ SYS_mmap, R_NOEXEC },
	{ SYS_mprotect, R_NOEXEC },
	ALLOW(munmap),
	ALLOW(mremap),
	ALLOW(madvise),
	ALLOW(brk),
	ALLOW(clock_gettime),
	ALLOW(clock_nanosleep),
	ALLOW(nanosleep),
	ALLOW(sched_yield),
	ALLOW(rt_sigreturn),
	ALLOW(rt_sigprocmask),
	ALLOW(restart_syscall),
	ALLOW(getpid),
	ALLOW(gettid),
	{ SYS_tgkill, R_SELF },
	{ SYS_ioctl, R_IOCTL }, /* at least the terminal requests below */
	{ SYS_clone3, R_ENOSYS },
	ALLOW(exit),
	ALLOW(exit_group),
#ifdef KVMINI_ASAN
	/* ASan's runtime: each thread's alternate signal stack */
	ALLOW(sigaltstack),
#endif
};

/* The console's termios (isatty(), the SIGSYS handler's restore). */
static const unsigned int terminal_ioctls[] = {
	TCGETS,
	TCSETS,
	TCSETSW,
	TCSETSF,
};

static const struct rule_entry vcpu_rules[] = {
	ALLOW(read),	   /* eventfds */
	ALLOW(eventfd2),   /* MSI-X vectors set up on a table write */
	ALLOW(newfstatat), /* stdio of the --trace/--stats writers */
	ALLOW(fstat),
	ALLOW(epoll_ctl), /* virtio-net: the tap polled once DRIVER_OK */
	/* the firmware's disk ports (int 13h) do their I/O on this thread */
	ALLOW(preadv),
	ALLOW(pwritev),
	ALLOW(pread64),
	ALLOW(pwrite64),
	ALLOW(fdatasync),
	ALLOW(fallocate),
	ALLOW(poll), /* the UART waits for a full console pipe in short polls */
	ALLOW(io_uring_enter), /* a virtio-blk reset waits for its I/O */
};

static const unsigned int vcpu_ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_GET_FPU, KVM_SET_FPU, KVM_TRANSLATE, KVM_SET_GUEST_DEBUG,
	/* devices behind port/MMIO exits: IRQ lines, MSI routes, moved BARs */
	KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, KVM_SET_GSI_ROUTING, KVM_IRQFD,
	KVM_IOEVENTFD, KVM_SIGNAL_MSI,
	TUNSETOFFLOAD, /* virtio-net features acknowledged */
};

static const struct rule_entry device_rules[] = {
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl),
	ALLOW(poll), /* paused: only the signalfd is watched */
	ALLOW(read),	   ALLOW(readv),       ALLOW(writev),
	ALLOW(pread64),	   ALLOW(pwrite64),    ALLOW(preadv),
	ALLOW(pwritev),	   ALLOW(fdatasync),   ALLOW(fsync),
	ALLOW(fallocate),  ALLOW(eventfd2),    ALLOW(newfstatat),
	ALLOW(fstat),	   ALLOW(lseek),
	ALLOW(io_uring_enter), /* virtio-blk (the ring is restricted) */
	ALLOW(preadv2),	       /* virtio-blk: RWF_NOWAIT reads */
	/* --console socket: the client of rundir/NAME.console */
	ALLOW(accept4),	   ALLOW(recvfrom),    ALLOW(sendto),
	ALLOW(setsockopt), ALLOW(getsockopt), /* SO_PEERCRED */
};

static const unsigned int device_ioctls[] = {
	KVM_IRQ_LINE,  KVM_IRQ_LINE_STATUS, KVM_SET_GSI_ROUTING, KVM_IRQFD,
	KVM_IOEVENTFD, KVM_SIGNAL_MSI,	    TUNSETOFFLOAD,
};

static const struct rule_entry gdb_rules[] = {
	ALLOW(poll), ALLOW(ppoll),    ALLOW(accept4), ALLOW(accept),
	ALLOW(read), ALLOW(recvfrom), ALLOW(sendto),  ALLOW(setsockopt),
};

static const unsigned int gdb_ioctls[] = {
	KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_GET_FPU,  KVM_SET_FPU,  KVM_TRANSLATE, KVM_SET_GUEST_DEBUG,
};

static const struct rule_entry console_rules[] = {
	ALLOW(read),
};

static const struct rule_entry control_rules[] = {
	ALLOW(accept4),	    ALLOW(read),	  ALLOW(recvfrom),
	ALLOW(recvmsg),	    ALLOW(sendto),	  ALLOW(sendmsg),
	ALLOW(poll),	    ALLOW(ppoll),	  ALLOW(epoll_wait),
	ALLOW(epoll_pwait), ALLOW(epoll_ctl),	  ALLOW(fcntl),
	ALLOW(getsockopt),  { SYS_kill, R_SELF },
	ALLOW(pread64), /* /proc/self/smaps, statm, ksm_merging_pages */
};

/* `kvmini shutdown`: the power button raises the ACPI SCI line. */
static const unsigned int control_ioctls[] = {
	KVM_IRQ_LINE,
	KVM_IRQ_LINE_STATUS,
};

/* After vm_run() started every thread: wait, stop, join, tear down. */
static const struct rule_entry main_rules[] = {
	ALLOW(read),
	ALLOW(epoll_ctl),
	ALLOW(fdatasync), /* disks flushed on destroy */
	ALLOW(fsync),
	ALLOW(io_uring_enter), /* ... after their I/O in flight */
	ALLOW(unlink), /* the gdb unix socket */
	ALLOW(unlinkat),
	ALLOW(newfstatat),
	ALLOW(fstat),
	ALLOW(lseek),
	{ SYS_kill, R_SELF },
	{ SYS_clone, R_THREAD },
	ALLOW(set_robust_list),
	ALLOW(rseq),
};

/* Teardown of a tap on a bridge: if_nametoindex() and SIOCBRDELIF. */
static const struct rule_entry bridge_rules[] = {
	ALLOW(socket),
};

static const unsigned int main_ioctls[] = {
	SIOCGIFINDEX,
	SIOCBRDELIF,
};

/*
 * The main thread may build the next VM under its filter (--reboot
 * restart, or `kvmini reboot` through the control socket at any time),
 * and the threads it then creates inherit it.  So its list is the union
 * of every role's plus what vm_create() needs (docs/threat-model.md).
 * The guest never reaches the main thread directly: it waits for the VM
 * to stop, then tears it down.
 */
static const struct rule_entry setup_rules[] = {
	ALLOW(open),	      ALLOW(openat),
	ALLOW(access),	      ALLOW(faccessat),
	ALLOW(faccessat2),    ALLOW(read),
	ALLOW(pread64),	      ALLOW(lseek),
	ALLOW(fcntl),	      ALLOW(sysinfo),
	ALLOW(epoll_create1), ALLOW(signalfd4),
	ALLOW(pipe2),	      ALLOW(socket),
	ALLOW(bind),	      ALLOW(listen),
	ALLOW(getsockname),   ALLOW(setsockopt),
	ALLOW(rt_sigaction),  ALLOW(seccomp),
	ALLOW(prctl), /* PR_SET_NAME for the threads' names */
	ALLOW(getrandom),     ALLOW(sched_getaffinity),
	/* --hugepages=DIR: the RAM file in the hugetlbfs mount */
	ALLOW(statfs),	      ALLOW(ftruncate),
	/* a disk's io_uring (devices/uring.c) */
	ALLOW(io_uring_setup), ALLOW(io_uring_register),
};

static const unsigned int setup_ioctls[] = {
	KVM_GET_API_VERSION,
	KVM_CHECK_EXTENSION,
	KVM_GET_VCPU_MMAP_SIZE,
	KVM_CREATE_VM,
	KVM_SET_TSS_ADDR,
	KVM_SET_IDENTITY_MAP_ADDR,
	KVM_GET_SUPPORTED_CPUID,
	KVM_SET_USER_MEMORY_REGION,
	KVM_CREATE_IRQCHIP,
	KVM_CREATE_PIT2,
	KVM_CREATE_VCPU,
	KVM_SET_CPUID2,
	KVM_SET_MSRS,
	KVM_GET_LAPIC,
	KVM_SET_LAPIC,
	BLKGETSIZE64,
	TUNSETIFF,
	TUNSETVNETHDRSZ,
	SIOCGIFFLAGS,
	SIOCSIFFLAGS,
	SIOCBRADDIF,
};

struct role_spec {
	const char *name;
	const struct rule_entry *rules;
	size_t nr_rules;
	const unsigned int *ioctls;
	size_t nr_ioctls;
};

static const struct role_spec roles[SECCOMP_NR_ROLES] = {
	[SECCOMP_ROLE_NONE] = { "none", NULL, 0, NULL, 0 },
	[SECCOMP_ROLE_MAIN] = { "main", LIST(main_rules), LIST(main_ioctls) },
	[SECCOMP_ROLE_VCPU] = { "vcpu", LIST(vcpu_rules), LIST(vcpu_ioctls) },
	[SECCOMP_ROLE_DEVICE] = { "device-loop", LIST(device_rules),
				  LIST(device_ioctls) },
	[SECCOMP_ROLE_GDB] = { "gdb", LIST(gdb_rules), LIST(gdb_ioctls) },
	[SECCOMP_ROLE_CONSOLE] = { "console-pump", LIST(console_rules), NULL,
				   0 },
	[SECCOMP_ROLE_CONTROL] = { "control", LIST(control_rules),
				    LIST(control_ioctls) },
};

/* One role's merged table: a rule per system call, its ioctl list. */
struct role_table {
	unsigned char rule[MAX_SYSCALL];
	unsigned int ioctls[128];
	size_t nr_ioctls;
};

struct filter {
	struct sock_filter insns[MAX_INSNS];
	unsigned short len;
	int overflow;
	int allowed; /* system calls with a rule */
};

static struct filter filters[SECCOMP_NR_ROLES];
static enum seccomp_mode mode;
static enum seccomp_role violate_role; /* the test hook, or NONE */
static char violate_kind[16];	       /* what it calls: socket, ... */
static __thread enum seccomp_role thread_role;

const char *seccomp_role_name(enum seccomp_role role)
{
	return role < SECCOMP_NR_ROLES ? roles[role].name : "?";
}

enum seccomp_role seccomp_thread_role(void)
{
	return thread_role;
}

int seccomp_role_allowed(enum seccomp_role role)
{
	return role < SECCOMP_NR_ROLES ? filters[role].allowed : 0;
}

/* ---- building ---------------------------------------------------------- */

static void add_ioctls(struct role_table *t, const unsigned int *req, size_t n)
{
	const size_t max = sizeof(t->ioctls) / sizeof(t->ioctls[0]);

	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < t->nr_ioctls && t->ioctls[j] != req[i])
			j++;
		if (j == t->nr_ioctls && t->nr_ioctls < max)
			t->ioctls[t->nr_ioctls++] = req[i];
	}
}

/* A second rule for a call keeps the more permissive one. */
static void add_rules(struct role_table *t, const struct rule_entry *r,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char *cur = &t->rule[r[i].nr];

		if (*cur == R_NONE || r[i].rule == R_ALLOW)
			*cur = r[i].rule;
	}
}

static void add_role(struct role_table *t, enum seccomp_role role)
{
	add_rules(t, roles[role].rules, roles[role].nr_rules);
	add_ioctls(t, roles[role].ioctls, roles[role].nr_ioctls);
}

static void emit(struct filter *f, unsigned short code, unsigned char jt,
		 unsigned char jf, unsigned int k)
{
	if (f->len == MAX_INSNS) {
		f->overflow = 1;
		return;
	}
	f->insns[f->len++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

/* The rule's check after "nr matched"; returns through RET in every path. */
static unsigned int rule_block_len(const struct role_table *t, enum rule r)
{
	switch (r) {
	case R_ALLOW:
	case R_ENOSYS: return 1;
	case R_IOCTL: return 2 + 2 * t->nr_ioctls;
	default: return 4;
	}
}

static void emit_rule(struct filter *f, const struct role_table *t, enum rule r,
		      unsigned int deny)
{
	const unsigned short ld = BPF_LD | BPF_W | BPF_ABS;
	const unsigned short ret = BPF_RET | BPF_K;

	switch (r) {
	case R_ALLOW: emit(f, ret, 0, 0, SECCOMP_RET_ALLOW); break;
	case R_ENOSYS: emit(f, ret, 0, 0, SECCOMP_RET_ERRNO | ENOSYS); break;
	case R_IOCTL:
		emit(f, ld, 0, 0, ARG_LO(1));
		for (size_t i = 0; i < t->nr_ioctls; i++) {
			emit(f, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, t->ioctls[i]);
			emit(f, ret, 0, 0, SECCOMP_RET_ALLOW);
		}
		emit(f, ret, 0, 0, deny);
		break;
	case R_NOEXEC:
		emit(f, ld, 0, 0, ARG_LO(2));
		emit(f, BPF_JMP | BPF_JSET | BPF_K, 1, 0, PROT_EXEC);
		emit(f, ret, 0, 0, SECCOMP_RET_ALLOW);
		emit(f, ret, 0, 0, deny);
		break;
	case R_SELF:
		emit(f, ld, 0, 0, ARG_LO(0));
		emit(f, BPF_JMP | BPF_JEQ | BPF_K, 0, 1,
		     (unsigned int)getpid());
		emit(f, ret, 0, 0, SECCOMP_RET_ALLOW);
		emit(f, ret, 0, 0, deny);
		break;
	case R_THREAD:
		emit(f, ld, 0, 0, ARG_LO(0));
		emit(f, BPF_JMP | BPF_JSET | BPF_K, 0, 1, CLONE_THREAD);
		emit(f, ret, 0, 0, SECCOMP_RET_ALLOW);
		emit(f, ret, 0, 0, deny);
		break;
	default: break;
	}
}

/* The hot calls first: the rest of the list is only walked for others. */
static const int hot[] = { SYS_ioctl,	   SYS_futex,	SYS_write, SYS_read,
			   SYS_epoll_wait, SYS_pwritev, SYS_preadv };

static void emit_nr_rule(struct filter *f, const struct role_table *t, int nr,
			 unsigned int deny)
{
	enum rule r = t->rule[nr];
	unsigned int skip = rule_block_len(t, r);

	if (r == R_NONE)
		return;
	if (skip > 255) { /* a BPF jump offset is 8 bits */
		f->overflow = 1;
		return;
	}
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, 0, skip, nr);
	emit_rule(f, t, r, deny);
	f->allowed++;
}

static void build_filter(struct filter *f, const struct role_table *t,
			 unsigned int deny)
{
	const unsigned short ld = BPF_LD | BPF_W | BPF_ABS;
	const unsigned short ret = BPF_RET | BPF_K;
	const size_t nr_hot = sizeof(hot) / sizeof(hot[0]);

	f->len = 0;
	f->allowed = 0;
	emit(f, ld, 0, 0, offsetof(struct seccomp_data, arch));
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
	emit(f, ret, 0, 0, SECCOMP_RET_KILL_PROCESS);
	emit(f, ld, 0, 0, offsetof(struct seccomp_data, nr));
	emit(f, BPF_JMP | BPF_JGE | BPF_K, 0, 1, X32_SYSCALL_BIT);
	emit(f, ret, 0, 0, SECCOMP_RET_KILL_PROCESS);
	for (size_t i = 0; i < nr_hot; i++)
		emit_nr_rule(f, t, hot[i], deny);
	for (int nr = 0; nr < MAX_SYSCALL; nr++) {
		size_t i = 0;

		while (i < nr_hot && hot[i] != nr)
			i++;
		if (i == nr_hot)
			emit_nr_rule(f, t, nr, deny);
	}
	emit(f, ret, 0, 0, deny);
}

static int bridged(const struct vm_config *cfg)
{
	for (int i = 0; i < cfg->nr_nics; i++)
		if (cfg->nics[i].bridge[0])
			return 1;
	return 0;
}

static int build_role(enum seccomp_role role, const struct vm_config *cfg)
{
	static struct role_table t;
	unsigned int deny = mode == SECCOMP_MODE_LOG ? SECCOMP_RET_LOG
						     : SECCOMP_RET_TRAP | role;

	memset(&t, 0, sizeof(t));
	add_rules(&t, base_rules, sizeof(base_rules) / sizeof(base_rules[0]));
	add_ioctls(&t, terminal_ioctls,
		   sizeof(terminal_ioctls) / sizeof(terminal_ioctls[0]));
	add_role(&t, role);
	if (role == SECCOMP_ROLE_MAIN && bridged(cfg))
		add_rules(&t, LIST(bridge_rules));
	if (role == SECCOMP_ROLE_MAIN) {
		for (int r = SECCOMP_ROLE_MAIN; r < SECCOMP_NR_ROLES; r++)
			add_role(&t, r);
		add_rules(&t, LIST(setup_rules));
		add_ioctls(&t, LIST(setup_ioctls));
	}
	build_filter(&filters[role], &t, deny);
	return filters[role].overflow ? -1 : 0;
}

/* ---- the violation message ------------------------------------------- */

static size_t put_str(char *buf, size_t pos, size_t size, const char *s)
{
	while (*s && pos < size)
		buf[pos++] = *s++;
	return pos;
}

static size_t put_num(char *buf, size_t pos, size_t size, unsigned long v)
{
	char digits[24];
	int n = 0;

	do
		digits[n++] = '0' + v % 10;
	while ((v /= 10) && n < (int)sizeof(digits));
	while (n && pos < size)
		buf[pos++] = digits[--n];
	return pos;
}

/*
 * Async-signal-safe: one write(2) of one line, then the same system call
 * again.  SIGSYS is blocked inside this handler, so the kernel delivers
 * the second trap with the default action: kvmini dies by SIGSYS.
 */
static void sigsys_handler(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	const greg_t *g = uc->uc_mcontext.gregs;
	char line[192];
	size_t n = 0;

	n = put_str(line, n, sizeof(line), "kvmini: seccomp: the ");
	n = put_str(line, n, sizeof(line),
		    seccomp_role_name((enum seccomp_role)si->si_errno));
	n = put_str(line, n, sizeof(line),
		    " thread made a forbidden system call: ");
	n = put_str(line, n, sizeof(line),
		    seccomp_syscall_name(si->si_syscall));
	n = put_str(line, n, sizeof(line), " (");
	n = put_num(line, n, sizeof(line), (unsigned long)si->si_syscall);
	n = put_str(line, n, sizeof(line), "); killing kvmini\r\n");
	if (write(STDERR_FILENO, line, n) < 0)
		n = 0; /* nothing more to try */
	console_restore_terminal();
	syscall(si->si_syscall, g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10],
		g[REG_R8], g[REG_R9]);
	/* not reached; if it were, still no way on */
	syscall(SYS_exit_group, 128 + SIGSYS);
}

/* ---- setup --------------------------------------------------------------- */

/* ROLE[:KIND] */
static enum seccomp_role parse_violate(const char *arg)
{
	size_t len = strcspn(arg, ":");

	snprintf(violate_kind, sizeof(violate_kind), "%s",
		 arg[len] ? arg + len + 1 : "socket");
	for (int r = SECCOMP_ROLE_MAIN; r < SECCOMP_NR_ROLES; r++)
		if (strlen(roles[r].name) == len &&
		    !strncmp(arg, roles[r].name, len))
			return r;
	return SECCOMP_ROLE_NONE;
}

static enum seccomp_mode default_mode(void)
{
	/*
	 * ASan's runtime makes calls no list has (LeakSanitizer ptraces the
	 * threads at exit, an error report reads /proc): sanitizer builds
	 * log by default.
	 */
#ifdef KVMINI_ASAN
	return SECCOMP_MODE_LOG;
#else
	return SECCOMP_MODE_ON;
#endif
}

int seccomp_init(const struct vm_config *cfg)
{
	struct sigaction sa = { .sa_sigaction = sigsys_handler,
				.sa_flags = SA_SIGINFO };
	const char *violate = getenv("KVMINI_TEST_SECCOMP_VIOLATE");

	/* what libc loads lazily, loaded now: the RTC's localtime_r() */
	tzset();
	mode = cfg->seccomp == SECCOMP_MODE_DEFAULT ? default_mode()
						    : cfg->seccomp;
	violate_role = violate ? parse_violate(violate) : SECCOMP_ROLE_NONE;
	/* no set-uid gains for kvmini or anything it could ever run */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err("cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	if (mode == SECCOMP_MODE_OFF)
		return 0;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
		err("this kernel has no seccomp filters (%s); run with "
		    "--seccomp=off",
		    strerror(errno));
		return -1;
	}
	for (int r = SECCOMP_ROLE_MAIN; r < SECCOMP_NR_ROLES; r++) {
		if (build_role(r, cfg)) {
			err("internal error: the %s seccomp filter is too long",
			    roles[r].name);
			return -1;
		}
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL)) {
		err("cannot handle SIGSYS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The test hook's calls, each outside every list: socket(), an executable
 * mapping, an ioctl no role uses (on a descriptor that cannot take it),
 * an x32 system call.
 */
static void violate_for_test(enum seccomp_role role)
{
	long ret = -1;
	void *p;

	if (!strcmp(violate_kind, "socket")) {
		ret = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (ret >= 0)
			close((int)ret);
	} else if (!strcmp(violate_kind, "mmap-exec")) {
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ret = p == MAP_FAILED ? -1 : 0;
		if (p != MAP_FAILED)
			munmap(p, 4096);
	} else if (!strcmp(violate_kind, "ioctl")) {
		ret = ioctl(STDERR_FILENO, KVM_CREATE_VM, 0);
		ret = ret < 0 && errno != ENOTTY ? -1 : 0;
	} else if (!strcmp(violate_kind, "x32")) {
		ret = syscall(X32_SYSCALL_BIT | SYS_getpid);
		ret = ret < 0 && errno == ENOSYS ? 0 : ret;
	}
	/* allowed under --seccomp=log or off: say so, then carry on */
	if (ret >= 0)
		info("seccomp test hook: %s was allowed in the %s thread",
		     violate_kind, roles[role].name);
}

void seccomp_enter_role(enum seccomp_role role)
{
	struct sock_fprog prog;
	sigset_t sys;

	if (mode == SECCOMP_MODE_OFF || role == thread_role)
		goto out;
	if (role <= SECCOMP_ROLE_NONE || role >= SECCOMP_NR_ROLES ||
	    !filters[role].len)
		die(EXIT_FAILURE_RT,
		    "internal error: no seccomp filter for "
		    "role %d",
		    (int)role);
	/* a thread created with every signal blocked still gets its line */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	prog.len = filters[role].len;
	prog.filter = filters[role].insns;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		die(EXIT_FAILURE_RT, "cannot install the %s seccomp filter: %s",
		    roles[role].name, strerror(errno));
	thread_role = role;
out:
	if (violate_role == role)
		violate_for_test(role);
}
