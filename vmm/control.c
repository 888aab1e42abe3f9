// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's server: binds rundir/NAME.ctl, serves clients from
 * the "control" thread with poll(), acts on the VM.  Only a few system
 * calls run on that thread (poll, accept4, getsockopt, read, write,
 * close, clock_gettime, pread on /proc files opened at start, futex):
 * docs/management.md lists them for the seccomp filter.
 *
 * A client can never stall the VM: sockets are non-blocking, a request
 * line is at most CONTROL_LINE_MAX bytes, a reply is sent before the next
 * request is read, at most CONTROL_MAX_CLIENTS are connected, and one
 * that does nothing for CONTROL_IDLE_MS is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "acpi_pm.h"
#include "control.h"
#include "control_sock.h"
#include "log.h"
#include "pause.h"
#include "rundir.h"
#include "seccomp.h"
#include "vm.h"

/* `kvmini stop`: like SIGTERM, the VM ended from outside (docs/kvmini.1) */
#define CONTROL_STOP_EXIT (128 + SIGTERM)

struct client {
	int fd; /* -1: free slot */
	char in[CONTROL_LINE_MAX];
	size_t in_len;
	struct strbuf out;
	uint64_t deadline_ns;
	int eof;     /* the peer will send no more */
	int closing; /* close once out is sent */
	int waiting; /* CONTROL_WAIT: silent until kvmini exits */
};

struct control {
	char path[RUNDIR_PATH_MAX];
	dev_t dev; /* the socket file we bound, to unlink only ours */
	ino_t ino;
	int listen_fd;
	int wake_fd;	   /* control_attach() or control_destroy() */
	int quit;	   /* the thread is to end */
	int enter_role;	   /* the thread is to take its seccomp filter */
	pthread_t thread;
	int started;
	uid_t uid;
	int smaps_fd, statm_fd, ksm_fd;

	pthread_mutex_t lock; /* vm, shutting_down; held while answering */
	struct vm *vm;
	int shutting_down;
	uint64_t start_ns;

	struct control_ctx ctx;
	struct client clients[CONTROL_MAX_CLIENTS];
	char scratch[65536];
};

static struct control *exiting_ctl; /* for the atexit handler */

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- snapshots ------------------------------------------------------- */

/* The whole of a /proc file, read with pread from 0; NUL-terminated. */
static ssize_t read_proc(int fd, char *buf, size_t len)
{
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < len - 1) {
		ssize_t n = pread(fd, buf + got, len - 1 - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

/* Rss and AnonHugePages of the mappings inside [lo, hi), from smaps. */
static void smaps_ram(struct control *ctl, uintptr_t lo, uintptr_t hi,
		      struct control_snapshot *s)
{
	char line[256];
	size_t ll = 0;
	off_t off = 0;
	int inside = 0;
	int64_t rss = 0, huge = 0;

	if (ctl->smaps_fd < 0)
		return;
	/* line by line in chunks: smaps can be larger than any buffer */
	for (;;) {
		ssize_t n = pread(ctl->smaps_fd, ctl->scratch,
				  sizeof(ctl->scratch), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
		for (ssize_t i = 0; i < n; i++) {
			char ch = ctl->scratch[i];
			unsigned long a, b;
			long long kb;

			if (ch != '\n') {
				if (ll < sizeof(line) - 1)
					line[ll++] = ch;
				continue;
			}
			line[ll] = '\0';
			ll = 0;
			if (sscanf(line, "%lx-%lx ", &a, &b) == 2 &&
			    strchr(line, '-') < strchr(line, ' ')) {
				inside = a >= lo && b <= hi;
				continue;
			}
			if (!inside)
				continue;
			if (sscanf(line, "Rss: %lld kB", &kb) == 1)
				rss += kb * 1024;
			else if (sscanf(line, "AnonHugePages: %lld kB", &kb) ==
				 1)
				huge += kb * 1024;
		}
	}
	if (off > 0) {
		s->ram_resident = rss;
		s->ram_anon_huge = huge;
	}
}

static void proc_memory(struct control *ctl, struct control_snapshot *s)
{
	char buf[256];
	long long pages, rss;

	if (read_proc(ctl->statm_fd, buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%lld %lld", &pages, &rss) == 2)
		s->vmm_rss = rss * sysconf(_SC_PAGESIZE);
	if (read_proc(ctl->ksm_fd, buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%lld", &pages) == 1)
		s->ksm_merged = pages * sysconf(_SC_PAGESIZE);
}

static void snap_bus(struct control_snapshot *s, struct bus *bus)
{
	pthread_rwlock_rdlock(&bus->lock);
	for (int i = 0; i < bus->nr && s->nr_devs < CONTROL_MAX_DEVS; i++) {
		struct bus_region *r = &bus->regions[i];
		struct control_dev *d = &s->devs[s->nr_devs++];

		d->bus = bus->name;
		d->name = r->name;
		d->base = r->base;
		d->len = r->len;
		d->reads = __atomic_load_n(&r->reads, __ATOMIC_RELAXED);
		d->writes = __atomic_load_n(&r->writes, __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&bus->lock);
}

static void snap_vcpu(struct control_vcpu *out, struct vcpu *v)
{
	struct timespec ts;

	for (int r = 0; r < VCPU_EXIT_REASONS; r++)
		out->exits[r] = __atomic_load_n(&v->exits[r], __ATOMIC_RELAXED);
	out->cpu_ns = -1;
	if (__atomic_load_n(&v->cpu_clock_ok, __ATOMIC_ACQUIRE) &&
	    !clock_gettime(v->cpu_clock, &ts))
		out->cpu_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static enum control_state vm_state(struct control *ctl)
{
	if (!ctl->vm)
		return CONTROL_RESTARTING;
	if (vm_stopping(ctl->vm))
		return CONTROL_STOPPING;
	if (vm_pause_requested(ctl->vm))
		return CONTROL_PAUSED;
	return ctl->shutting_down ? CONTROL_SHUTTING_DOWN : CONTROL_RUNNING;
}

/* ops: called from control_handle() on the control thread, lock held */
static int op_snapshot(void *opaque, struct control_snapshot *s,
		       unsigned int what, char *why, size_t why_len)
{
	struct control *ctl = opaque;
	struct vm *vm = ctl->vm;

	s->state = vm_state(ctl);
	s->uptime_ns = now_ns(CLOCK_MONOTONIC) - ctl->start_ns;
	s->process_cpu_ns = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	s->nr_vcpus = ctl->ctx.cfg->nr_cpus;
	s->mem_bytes = ctl->ctx.cfg->mem_size;
	proc_memory(ctl, s);
	if (!vm)
		return 0; /* between two VMs: nothing counted yet */
	s->nr_vcpus = vm->nr_vcpus;
	for (int i = 0; i < vm->nr_vcpus && i < MAX_CPUS; i++)
		snap_vcpu(&s->vcpus[i], vm->vcpus[i]);
	snap_bus(s, &vm->pio);
	snap_bus(s, &vm->mmio);
	s->mem_bytes = vm->mem.total;
	if (what & CONTROL_SNAP_SMAPS)
		smaps_ram(ctl, (uintptr_t)vm->mem.base,
			  (uintptr_t)vm->mem.base + vm->mem.total, s);
	return 0;
}

static int op_act(void *opaque, enum control_action a, char *why,
		  size_t why_len)
{
	struct control *ctl = opaque;
	struct vm *vm = ctl->vm;

	if (!vm) {
		snprintf(why, why_len, "the VM is restarting; try again");
		return -1;
	}
	if (vm_stopping(vm) && a != CONTROL_STOP) {
		snprintf(why, why_len, "the VM is stopping");
		return -1;
	}
	switch (a) {
	case CONTROL_PAUSE: return vm_pause(vm, why, why_len);
	case CONTROL_RESUME: return vm_resume(vm, why, why_len);
	case CONTROL_SHUTDOWN:
		if (vm_pause_requested(vm)) {
			snprintf(why, why_len,
				 "the VM is paused; resume it first");
			return -1;
		}
		acpi_pm_press_power_button(vm->acpi_pm);
		ctl->shutting_down = 1;
		return 0;
	case CONTROL_REBOOT:
		if (ctl->ctx.cfg->user || ctl->ctx.cfg->chroot_dir) {
			/* the new VM would reopen /dev/kvm and the images */
			snprintf(why, why_len,
				 "a VM started with --user or --chroot cannot "
				 "be reset; stop it and run it again");
			return -1;
		}
		vm_request_stop(vm, VM_STOP_RESET, EXIT_OK);
		return 0;
	case CONTROL_STOP:
		vm_request_stop(vm, VM_STOP_USER, CONTROL_STOP_EXIT);
		return 0;
	}
	snprintf(why, why_len, "internal error: unknown action");
	return -1;
}

static const struct control_ops server_ops = {
	.snapshot = op_snapshot,
	.act = op_act,
};

/* ---- clients --------------------------------------------------------- */

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	strbuf_free(&c->out);
}

static void client_touch(struct client *c)
{
	c->deadline_ns = now_ns(CLOCK_MONOTONIC) +
			 (uint64_t)CONTROL_IDLE_MS * 1000000ULL;
}

static int peer_allowed(struct control *ctl, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	/* the directory is 0700 and the socket 0600: this is a second wall */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return 0;
	return cred.uid == ctl->uid || cred.uid == 0;
}

static void accept_clients(struct control *ctl)
{
	for (;;) {
		int fd = accept4(ctl->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *slot = NULL;
		static const char full[] = "error: too many clients\n";
		static const char denied[] = "error: permission denied\n";

		if (fd < 0)
			return; /* EAGAIN, or a client that went away */
		if (!peer_allowed(ctl, fd)) {
			if (write(fd, denied, sizeof(denied) - 1) < 0)
				(void)0; /* best effort */
			close(fd);
			continue;
		}
		for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
			if (ctl->clients[i].fd < 0) {
				slot = &ctl->clients[i];
				break;
			}
		if (!slot) {
			if (write(fd, full, sizeof(full) - 1) < 0)
				(void)0;
			close(fd);
			continue;
		}
		slot->fd = fd;
		slot->in_len = 0;
		slot->closing = slot->waiting = slot->eof = 0;
		strbuf_init(&slot->out, CONTROL_REPLY_MAX);
		client_touch(slot);
	}
}

/* Answers the first complete line in c->in, if any; 1 when it did. */
static int answer_one(struct control *ctl, struct client *c)
{
	char *nl = memchr(c->in, '\n', c->in_len);
	size_t len;
	enum control_after after;

	if (!nl) {
		if (c->in_len < sizeof(c->in))
			return 0;
		/* a full buffer and no newline: never going to be valid */
		strbuf_printf(&c->out, "error: request longer than %d bytes\n",
			      CONTROL_LINE_MAX - 1);
		c->closing = 1;
		c->in_len = 0;
		return 1;
	}
	len = (size_t)(nl - c->in);
	pthread_mutex_lock(&ctl->lock);
	after = control_handle(&ctl->ctx, c->in, len, &c->out);
	pthread_mutex_unlock(&ctl->lock);
	memmove(c->in, nl + 1, c->in_len - len - 1);
	c->in_len -= len + 1;
	if (after == CONTROL_CLOSE)
		c->closing = 1;
	if (after == CONTROL_WAIT)
		c->waiting = 1;
	return 1;
}

static void client_read(struct control *ctl, struct client *c)
{
	ssize_t n;

	if (c->waiting) {
		/* only EOF matters now; the rest is dropped */
		n = read(c->fd, ctl->scratch, sizeof(ctl->scratch));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			client_close(c);
		return;
	}
	n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* the peer is gone or half-closed: finish what it asked */
		c->eof = 1;
		return;
	}
	if (n < 0)
		return;
	c->in_len += (size_t)n;
	client_touch(c);
}

static void client_write(struct client *c)
{
	ssize_t n = write(c->fd, c->out.buf, c->out.len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	strbuf_consume(&c->out, (size_t)n);
	client_touch(c);
}

/* After I/O: answer the next request once the last reply is out. */
static void client_step(struct control *ctl, struct client *c)
{
	if (c->fd < 0)
		return;
	if (!c->out.len && !c->waiting && !c->closing && !answer_one(ctl, c) &&
	    c->eof)
		c->closing = 1;
	if (!c->out.len && c->closing)
		client_close(c);
}

static int poll_timeout(struct control *ctl, uint64_t now)
{
	uint64_t soonest = UINT64_MAX;

	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct client *c = &ctl->clients[i];

		if (c->fd >= 0 && !c->waiting && c->deadline_ns < soonest)
			soonest = c->deadline_ns;
	}
	if (soonest == UINT64_MAX)
		return -1;
	return soonest <= now ? 0 : (int)((soonest - now) / 1000000 + 1);
}

/*
 * The thread exists before the privileges are dropped (glibc makes every
 * thread do setuid() itself), so it takes its seccomp filter only when
 * the first VM is attached, after the drop.  Returns 1 when it is to end.
 */
static int woken(struct control *ctl)
{
	uint64_t count;

	if (read(ctl->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return 1;
	if (__atomic_load_n(&ctl->quit, __ATOMIC_ACQUIRE))
		return 1;
	if (__atomic_load_n(&ctl->enter_role, __ATOMIC_ACQUIRE))
		seccomp_enter_role(SECCOMP_ROLE_CONTROL); /* once is enough */
	return 0;
}

static void *control_thread(void *arg)
{
	struct control *ctl = arg;
	struct pollfd fds[2 + CONTROL_MAX_CLIENTS];

	pthread_setname_np(pthread_self(), "control");
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int n;

		fds[0] =
			(struct pollfd){ .fd = ctl->wake_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = ctl->listen_fd,
					  .events = POLLIN };
		for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
			struct client *c = &ctl->clients[i];

			fds[2 + i] = (struct pollfd){ .fd = c->fd };
			if (c->fd < 0)
				continue;
			if (c->deadline_ns <= now && !c->waiting) {
				client_close(c);
				fds[2 + i].fd = -1;
				continue;
			}
			fds[2 + i].events = c->out.len ? POLLOUT : POLLIN;
		}
		n = poll(fds, 2 + CONTROL_MAX_CLIENTS, poll_timeout(ctl, now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err("control socket: poll: %s", strerror(errno));
			return NULL;
		}
		if (fds[0].revents && woken(ctl))
			return NULL;
		if (fds[1].revents)
			accept_clients(ctl);
		for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
			struct client *c = &ctl->clients[i];

			if (c->fd < 0 || fds[2 + i].fd < 0 ||
			    !fds[2 + i].revents)
				continue;
			if (fds[2 + i].revents & POLLOUT)
				client_write(c);
			else
				client_read(ctl, c);
			client_step(ctl, c);
		}
	}
}

/* ---- socket set-up ---------------------------------------------------- */

static int bind_socket(struct control *ctl, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int ret;

	ctl->listen_fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->listen_fd < 0) {
		err("cannot create the control socket: %s", strerror(errno));
		return -1;
	}
	strcpy(sa.sun_path, ctl->path); /* rundir_path() checked the length */
	for (int attempt = 0;; attempt++) {
		long pid = 0;

		/* only the main thread exists yet: umask is safe to flip */
		old = umask(0177);
		ret = bind(ctl->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
		if (!ret)
			break;
		if (errno != EADDRINUSE || attempt > 0) {
			err("cannot bind %s: %s", ctl->path, strerror(errno));
			return -1;
		}
		ret = control_sock_probe(ctl->path, &pid);
		if (ret == CONTROL_SOCK_LIVE) {
			err("a VM named %s is already running (pid %ld)",
			    ctl->ctx.name, pid);
			return -1;
		}
		/* a dead VM's socket (or gone meanwhile): take the name */
		if (ret == CONTROL_SOCK_STALE && unlink(ctl->path) &&
		    errno != ENOENT) {
			err("cannot remove the stale %s: %s", ctl->path,
			    strerror(errno));
			return -1;
		}
	}
	if (chmod(ctl->path, 0600) || stat(ctl->path, &st) ||
	    listen(ctl->listen_fd, CONTROL_MAX_CLIENTS)) {
		err("cannot set up %s: %s", ctl->path, strerror(errno));
		unlink(ctl->path);
		return -1;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	return 0;
}

/* Removes the socket file if it is still the one we bound. */
static void remove_socket(struct control *ctl)
{
	struct stat st;

	if (!ctl->ino)
		return;
	if (!stat(ctl->path, &st) && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	ctl->ino = 0;
}

static void control_atexit(void)
{
	if (exiting_ctl)
		remove_socket(exiting_ctl);
}

/* SIGTERM & co. pending until vm_run()'s signalfd takes them: an exit
 * through the normal path, which removes the socket. */
static void block_stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int take_name(struct control *ctl)
{
	char why[256];
	int lock_fd, ret;

	if (rundir_path(ctl->path, sizeof(ctl->path), ctl->ctx.name, ".ctl", 1,
			why, sizeof(why))) {
		err("%s", why);
		return -1;
	}
	/* two kvminis taking over one stale name must not both win */
	lock_fd = control_sock_lock_rundir(why, sizeof(why));
	if (lock_fd < 0) {
		err("%s", why);
		return -1;
	}
	ret = bind_socket(ctl, ctl->ctx.name);
	close(lock_fd);
	return ret;
}

struct control *control_create(const struct vm_config *cfg)
{
	struct control *ctl = calloc(1, sizeof(*ctl));

	if (!ctl) {
		err("out of memory");
		return NULL;
	}
	pthread_mutex_init(&ctl->lock, NULL);
	ctl->listen_fd = ctl->wake_fd = -1;
	ctl->smaps_fd = ctl->statm_fd = ctl->ksm_fd = -1;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	ctl->uid = geteuid();
	ctl->start_ns = now_ns(CLOCK_MONOTONIC);
	ctl->ctx = (struct control_ctx){ .name = cfg->name,
					 .pid = (long)getpid(),
					 .cfg = cfg,
					 .ops = &server_ops,
					 .opaque = ctl,
					 .snap = control_snapshot_alloc() };
	if (!ctl->ctx.snap || take_name(ctl))
		goto fail;
	exiting_ctl = ctl;
	atexit(control_atexit); /* die() and exit() paths */
	/* opened now: the control thread reads them without open() */
	ctl->smaps_fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	ctl->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ctl->ksm_fd =
		open("/proc/self/ksm_merging_pages", O_RDONLY | O_CLOEXEC);
	ctl->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	block_stop_signals();
	if (ctl->wake_fd < 0 ||
	    pthread_create(&ctl->thread, NULL, control_thread, ctl)) {
		err("cannot start the control thread: %s", strerror(errno));
		goto fail;
	}
	ctl->started = 1;
	return ctl;
fail:
	control_destroy(ctl);
	return NULL;
}

void control_attach(struct control *ctl, struct vm *vm)
{
	uint64_t one = 1;

	pthread_mutex_lock(&ctl->lock);
	ctl->vm = vm;
	ctl->shutting_down = 0;
	pthread_mutex_unlock(&ctl->lock);
	if (!__atomic_exchange_n(&ctl->enter_role, 1, __ATOMIC_ACQ_REL) &&
	    ctl->started && write(ctl->wake_fd, &one, sizeof(one)) < 0)
		warn("control: cannot wake the thread: %s", strerror(errno));
}

void control_detach(struct control *ctl)
{
	/* waits for a request being answered: it may use the VM */
	pthread_mutex_lock(&ctl->lock);
	ctl->vm = NULL;
	pthread_mutex_unlock(&ctl->lock);
}

void control_destroy(struct control *ctl)
{
	uint64_t one = 1;

	if (!ctl)
		return;
	if (ctl->started) {
		__atomic_store_n(&ctl->quit, 1, __ATOMIC_RELEASE);
		if (write(ctl->wake_fd, &one, sizeof(one)) < 0)
			warn("control: cannot wake the thread: %s",
			     strerror(errno));
		pthread_join(ctl->thread, NULL);
	}
	/* the socket goes first: a `kvmini stop` waiting for EOF then finds
	 * the name free */
	remove_socket(ctl);
	exiting_ctl = NULL;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			client_close(&ctl->clients[i]);
	if (ctl->listen_fd >= 0)
		close(ctl->listen_fd);
	if (ctl->wake_fd >= 0)
		close(ctl->wake_fd);
	if (ctl->smaps_fd >= 0)
		close(ctl->smaps_fd);
	if (ctl->statm_fd >= 0)
		close(ctl->statm_fd);
	if (ctl->ksm_fd >= 0)
		close(ctl->ksm_fd);
	control_snapshot_free(ctl->ctx.snap);
	pthread_mutex_destroy(&ctl->lock);
	free(ctl);
}
