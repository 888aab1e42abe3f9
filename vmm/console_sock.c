// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "console_sock.h"
#include "event_loop.h"
#include "log.h"
#include "rundir.h"
#include "seccomp.h"
#include "serial.h"

struct console_sock {
	char name[VM_NAME_MAX + 1];
	struct event_loop *loop; /* NULL between VMs */
	uid_t uid;		 /* who started kvmini: may attach */
	struct serial *serial;
	struct event_source listen_src;
	struct event_source client_src; /* fd -1: nobody attached */
	struct event_source wake_src;	/* eventfd: output, or UART room */
	int client_blocked;		/* its socket is full: wait EPOLLOUT */
	int input_paused;		/* the UART is full: stop reading */
	uint64_t sent;			/* the client's place in the output */
	uint8_t pending[4096];		/* typed, not yet taken by the UART */
	size_t pending_len;

	pthread_mutex_t lock; /* ring and total */
	uint64_t total;	      /* bytes the guest ever sent */
	int want_wake;	      /* the loop waits for output (atomic) */
	uint8_t ring[CONSOLE_RING_SIZE];
};

/* The socket to remove on exit(), or on a crash signal. */
static char socket_path[RUNDIR_PATH_MAX];

static void remove_socket(void)
{
	if (socket_path[0])
		unlink(socket_path);
	socket_path[0] = '\0';
}

static void crash_signal(int sig)
{
	/* async-signal-safe; not where the thread's filter forbids it (a
	 * crash would turn into a misleading seccomp kill): the next run
	 * of this name takes the stale socket over */
	if (socket_path[0] && seccomp_thread_role() <= SECCOMP_ROLE_MAIN)
		unlink(socket_path);
	raise(sig); /* SA_RESETHAND: the default action now */
}

static void remove_socket_on_exit(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa = { .sa_handler = crash_signal,
				.sa_flags = SA_RESETHAND };
	static int done;

	if (done++)
		return;
	atexit(remove_socket);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

static void wake_loop(struct console_sock *cs)
{
	uint64_t one = 1;

	if (write(cs->wake_src.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		warn_once("console: cannot wake the device loop: %s",
			  strerror(errno));
}

/* The UART's output hook: vCPU thread, UART lock held. */
static void ring_put(void *opaque, uint8_t c)
{
	struct console_sock *cs = opaque;

	pthread_mutex_lock(&cs->lock);
	cs->ring[cs->total % CONSOLE_RING_SIZE] = c;
	cs->total++;
	pthread_mutex_unlock(&cs->lock);
	/* one wake-up per batch: the loop re-arms when it has caught up */
	if (__atomic_exchange_n(&cs->want_wake, 0, __ATOMIC_SEQ_CST))
		wake_loop(cs);
}

/* Copies the client's next bytes out of the ring; 0 when caught up. */
static size_t ring_take(struct console_sock *cs, uint8_t *buf, size_t len)
{
	size_t n, off, first;

	pthread_mutex_lock(&cs->lock);
	/* fell behind by more than the ring: the ring keeps the latest */
	if (cs->total - cs->sent > CONSOLE_RING_SIZE)
		cs->sent = cs->total - CONSOLE_RING_SIZE;
	n = cs->total - cs->sent;
	if (n > len)
		n = len;
	off = cs->sent % CONSOLE_RING_SIZE;
	first = CONSOLE_RING_SIZE - off < n ? CONSOLE_RING_SIZE - off : n;
	memcpy(buf, cs->ring + off, first);
	memcpy(buf + first, cs->ring, n - first);
	pthread_mutex_unlock(&cs->lock);
	return n;
}

static void client_update_events(struct console_sock *cs)
{
	uint32_t ev = EPOLLRDHUP;

	if (!cs->input_paused)
		ev |= EPOLLIN;
	if (cs->client_blocked)
		ev |= EPOLLOUT;
	if (cs->loop)
		event_loop_mod(cs->loop, &cs->client_src, ev);
}

static void flush_input(struct console_sock *cs);

/*
 * A client may type and leave before the loop got to its input (the
 * send to it then fails): what it typed still goes to the guest.
 */
static void client_drop(struct console_sock *cs)
{
	size_t room;
	ssize_t n;

	if (cs->client_src.fd < 0)
		return;
	__atomic_store_n(&cs->want_wake, 0, __ATOMIC_SEQ_CST);
	if (cs->loop)
		event_loop_del(cs->loop, &cs->client_src);
	while ((room = sizeof(cs->pending) - cs->pending_len) &&
	       (n = recv(cs->client_src.fd, cs->pending + cs->pending_len, room,
			 MSG_DONTWAIT)) > 0)
		cs->pending_len += n;
	close(cs->client_src.fd);
	cs->client_src.fd = -1;
	cs->client_blocked = cs->input_paused = 0;
	flush_input(cs);
}

/* Sends the client what it has not seen, until caught up or full. */
static void pump_output(struct console_sock *cs)
{
	uint8_t buf[4096];

	while (cs->client_src.fd >= 0) {
		size_t n = ring_take(cs, buf, sizeof(buf));
		ssize_t w;

		if (n == 0) {
			uint64_t total;

			__atomic_store_n(&cs->want_wake, 1, __ATOMIC_SEQ_CST);
			pthread_mutex_lock(&cs->lock);
			total = cs->total;
			pthread_mutex_unlock(&cs->lock);
			if (total == cs->sent)
				return; /* ring_put wakes us for more */
			__atomic_store_n(&cs->want_wake, 0, __ATOMIC_SEQ_CST);
			continue;
		}
		w = send(cs->client_src.fd, buf, n,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			/* a slow client: output piles up in the ring only */
			if (!cs->client_blocked) {
				cs->client_blocked = 1;
				client_update_events(cs);
			}
			return;
		}
		if (w < 0) {
			client_drop(cs);
			return;
		}
		cs->sent += w;
		if (cs->client_blocked) {
			cs->client_blocked = 0;
			client_update_events(cs);
		}
	}
}

/* Hands typed bytes to the UART; stops reading while some wait. */
static void flush_input(struct console_sock *cs)
{
	size_t n = 0;
	int paused;

	if (cs->serial && cs->pending_len)
		n = serial_receive(cs->serial, cs->pending, cs->pending_len);
	memmove(cs->pending, cs->pending + n, cs->pending_len - n);
	cs->pending_len -= n;
	/* the UART calls console_sock_rx_space() when it has room again */
	paused = cs->pending_len > 0 || !cs->serial;
	if (paused != cs->input_paused && cs->client_src.fd >= 0) {
		cs->input_paused = paused;
		client_update_events(cs);
	}
}

static void read_input(struct console_sock *cs)
{
	size_t room = sizeof(cs->pending) - cs->pending_len;
	ssize_t n;

	if (!room)
		return;
	n = recv(cs->client_src.fd, cs->pending + cs->pending_len, room,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		client_drop(cs); /* detached, or gone */
		return;
	}
	cs->pending_len += n;
	flush_input(cs);
}

static void client_ready(struct event_source *src, uint32_t events)
{
	struct console_sock *cs = src->opaque;

	if (events & EPOLLOUT)
		pump_output(cs);
	if (cs->client_src.fd < 0)
		return;
	if ((events & EPOLLIN) && !cs->input_paused)
		read_input(cs);
	else if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		client_drop(cs);
}

static void wake_ready(struct event_source *src, uint32_t events)
{
	struct console_sock *cs = src->opaque;
	uint64_t v;

	if (read(src->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	flush_input(cs); /* also what a departed client typed */
	if (cs->client_src.fd >= 0 && !cs->client_blocked)
		pump_output(cs);
}

static void say(int fd, const char *line)
{
	/* a fresh socket's buffer is empty: one short line always fits */
	if (send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
}

/*
 * One client at a time: a second one is told so and closed, so that two
 * people never type into the same shell without knowing it.
 */
/* The directory is 0700 and the socket 0600: this is a second wall. */
static int peer_allowed(const struct console_sock *cs, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return 0;
	return cred.uid == cs->uid || cred.uid == 0;
}

static void listen_ready(struct event_source *src, uint32_t events)
{
	struct console_sock *cs = src->opaque;
	char line[160];
	uint64_t replay;
	int fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!peer_allowed(cs, fd)) {
		say(fd, "kvmini: permission denied\r\n");
		close(fd);
		return;
	}
	if (cs->client_src.fd >= 0) {
		snprintf(line, sizeof(line),
			 "kvmini: the console of %s is in use by another "
			 "client\r\n",
			 cs->name);
		say(fd, line);
		close(fd);
		return;
	}
	pthread_mutex_lock(&cs->lock);
	replay = cs->total < CONSOLE_RING_SIZE ? cs->total : CONSOLE_RING_SIZE;
	cs->sent = cs->total - replay;
	pthread_mutex_unlock(&cs->lock);
	snprintf(line, sizeof(line),
		 "kvmini: attached to the console of %s; replaying %llu "
		 "bytes\r\n",
		 cs->name, (unsigned long long)replay);
	say(fd, line);
	/* what a slow client has not read stays in the ring, not here */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ CONSOLE_RING_SIZE / 2 },
		   sizeof(int));
	cs->client_src.fd = fd;
	cs->client_blocked = cs->input_paused = 0;
	if (event_loop_add(cs->loop, &cs->client_src, EPOLLIN | EPOLLRDHUP)) {
		close(fd);
		cs->client_src.fd = -1;
		return;
	}
	flush_input(cs);
	pump_output(cs);
}

/* A socket file that nobody listens on is left from a killed kvmini. */
static int bind_socket(int fd, const struct sockaddr_un *addr, const char *name)
{
	mode_t old = umask(0177); /* the socket is born mode 0600 */
	int ret = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
	int probe;

	if (ret && errno == EADDRINUSE) {
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (const struct sockaddr *)addr,
					  sizeof(*addr)) == 0) {
			close(probe);
			umask(old);
			err("a VM named %s is already running (%s)", name,
			    addr->sun_path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(addr->sun_path);
		ret = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
	}
	umask(old);
	if (ret)
		err("cannot create the console socket %s: %s", addr->sun_path,
		    strerror(errno));
	return ret;
}

static int open_listener(struct console_sock *cs, const char *name)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char why[256];
	int fd;

	if (rundir_path(addr.sun_path, sizeof(addr.sun_path), name, ".console",
			1, why, sizeof(why))) {
		err("%s", why);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err("cannot create a unix socket: %s", strerror(errno));
		return -1;
	}
	if (bind_socket(fd, &addr, name)) {
		close(fd);
		return -1;
	}
	snprintf(socket_path, sizeof(socket_path), "%s", addr.sun_path);
	remove_socket_on_exit();
	if (listen(fd, 4)) {
		err("cannot listen on %s: %s", addr.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	cs->listen_src.fd = fd;
	return 0;
}

struct console_sock *console_sock_create(const char *name)
{
	struct console_sock *cs = calloc(1, sizeof(*cs));

	if (!cs) {
		err("out of memory for the console ring");
		return NULL;
	}
	cs->uid = geteuid();
	snprintf(cs->name, sizeof(cs->name), "%s", name);
	pthread_mutex_init(&cs->lock, NULL);
	cs->listen_src = (struct event_source){ .fd = -1,
						.handler = listen_ready,
						.opaque = cs };
	cs->client_src = (struct event_source){ .fd = -1,
						.handler = client_ready,
						.opaque = cs };
	cs->wake_src = (struct event_source){
		.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
		.handler = wake_ready,
		.opaque = cs
	};
	if (cs->wake_src.fd < 0) {
		err("cannot create an eventfd: %s", strerror(errno));
		console_sock_free(cs);
		return NULL;
	}
	if (open_listener(cs, name)) {
		console_sock_free(cs);
		return NULL;
	}
	return cs;
}

int console_sock_attach(struct console_sock *cs, struct event_loop *loop,
			struct serial *serial)
{
	cs->loop = loop;
	cs->serial = serial;
	serial_set_output(serial, ring_put, cs);
	if (event_loop_add(loop, &cs->wake_src, EPOLLIN) ||
	    event_loop_add(loop, &cs->listen_src, EPOLLIN))
		return -1;
	if (cs->client_src.fd >= 0) {
		/* still attached from before a guest reboot */
		cs->input_paused = 0;
		cs->client_blocked = 0;
		if (event_loop_add(loop, &cs->client_src, EPOLLIN | EPOLLRDHUP))
			client_drop(cs);
	}
	wake_loop(cs); /* the loop's first round sends what is waiting */
	return 0;
}

void console_sock_rx_space(struct console_sock *cs)
{
	wake_loop(cs);
}

void console_sock_detach(struct console_sock *cs)
{
	if (!cs->loop)
		return;
	__atomic_store_n(&cs->want_wake, 0, __ATOMIC_SEQ_CST);
	event_loop_del(cs->loop, &cs->wake_src);
	event_loop_del(cs->loop, &cs->listen_src);
	if (cs->client_src.fd >= 0)
		event_loop_del(cs->loop, &cs->client_src);
	cs->loop = NULL;
	cs->serial = NULL;
}

void console_sock_free(struct console_sock *cs)
{
	if (!cs)
		return;
	console_sock_detach(cs);
	pump_output(cs); /* the guest's last words, as far as they fit */
	/* the socket goes first: a client that sees EOF finds no VM */
	remove_socket();
	if (cs->client_src.fd >= 0)
		close(cs->client_src.fd);
	if (cs->listen_src.fd >= 0)
		close(cs->listen_src.fd);
	if (cs->wake_src.fd >= 0)
		close(cs->wake_src.fd);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}
