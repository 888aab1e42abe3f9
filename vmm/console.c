// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "console_sock.h"
#include "event_loop.h"
#include "log.h"
#include "seccomp.h"
#include "serial.h"
#include "vm.h"

#define CTRL_A 0x01

struct console {
	enum console_kind kind;
	int out_fd;
	int owns_out_fd;
	struct vm *vm;
	struct serial *serial;
	struct event_source in_src;    /* stdin */
	struct event_source space_src; /* eventfd: UART has room again */
	int in_registered;
	int pump_fds[2]; /* pipe fed by pump_thread, or -1 */
	pthread_t pump_thread;
	int escape;	      /* last byte was Ctrl-A */
	uint8_t pending[256]; /* typed, not yet taken by the UART */
	size_t pending_len;
	struct console_sock *sock; /* CONSOLE_SOCKET: owned by `run` */
};

static struct termios saved_termios;
static volatile sig_atomic_t terminal_raw;

void console_restore_terminal(void)
{
	if (terminal_raw) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
		terminal_raw = 0;
	}
}

static void fatal_signal(int sig)
{
	console_restore_terminal();
	raise(sig); /* SA_RESETHAND: default action now */
}

static void make_terminal_raw(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa = { .sa_handler = fatal_signal,
				.sa_flags = SA_RESETHAND };
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	raw = saved_termios;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		return;
	terminal_raw = 1;
	atexit(console_restore_terminal);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

void console_raw_terminal(void)
{
	make_terminal_raw();
}

struct console *console_create(const struct vm_config *cfg)
{
	struct console *con = calloc(1, sizeof(*con));

	if (!con)
		return NULL;
	con->kind = cfg->console;
	con->out_fd = -1;
	con->space_src.fd = -1;
	con->pump_fds[0] = con->pump_fds[1] = -1;
	switch (cfg->console) {
	case CONSOLE_STDIO: con->out_fd = STDOUT_FILENO; break;
	case CONSOLE_FILE:
		con->out_fd =
			open(cfg->console_path,
			     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (con->out_fd < 0) {
			err("cannot open console file %s: %s",
			    cfg->console_path, strerror(errno));
			free(con);
			return NULL;
		}
		con->owns_out_fd = 1;
		break;
	case CONSOLE_NONE: break;
	case CONSOLE_SOCKET: con->sock = cfg->console_sock; break;
	}
	return con;
}

int console_out_fd(const struct console *con)
{
	return con->out_fd;
}

static void escape_help(void)
{
	static const char help[] =
		"\r\nkvmini console escapes:\r\n"
		"  Ctrl-A x       quit kvmini (guest is stopped)\r\n"
		"  Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n"
		"  Ctrl-A h       this help\r\n";

	if (write(STDERR_FILENO, help, sizeof(help) - 1) < 0)
		return;
}

/* Escape processing; what is left goes to con->pending. */
static void console_input(struct console *con, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = buf[i];

		if (con->escape) {
			con->escape = 0;
			if (c == 'x' || c == 'X') {
				vm_request_stop(con->vm, VM_STOP_USER, EXIT_OK);
				return;
			}
			if (c == 'h' || c == 'H' || c == '?')
				escape_help();
			if (c != CTRL_A)
				continue;
		} else if (c == CTRL_A) {
			con->escape = 1;
			continue;
		}
		if (con->pending_len < sizeof(con->pending))
			con->pending[con->pending_len++] = c;
	}
}

/* Hands pending bytes to the UART; returns 1 when all were taken. */
static int flush_pending(struct console *con)
{
	size_t n = serial_receive(con->serial, con->pending, con->pending_len);

	memmove(con->pending, con->pending + n, con->pending_len - n);
	con->pending_len -= n;
	return con->pending_len == 0;
}

static void set_input_enabled(struct console *con, int on)
{
	event_loop_mod(&con->vm->loop, &con->in_src, on ? EPOLLIN : 0);
}

static void stdin_ready(struct event_source *src, uint32_t events)
{
	struct console *con = src->opaque;
	uint8_t buf[128];
	ssize_t n = read(src->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* end of input: the guest keeps running without it */
		event_loop_del(&con->vm->loop, src);
		con->in_registered = 0;
		return;
	}
	console_input(con, buf, n);
	if (!flush_pending(con))
		set_input_enabled(con, 0); /* wait for the UART */
}

static void space_ready(struct event_source *src, uint32_t events)
{
	struct console *con = src->opaque;
	uint64_t v;

	if (read(src->fd, &v, sizeof(v)) < 0)
		return;
	if (flush_pending(con) && con->in_registered)
		set_input_enabled(con, 1);
}

void console_rx_space(void *opaque)
{
	struct console *con = opaque;
	uint64_t one = 1;

	if (con->sock) {
		console_sock_rx_space(con->sock);
		return;
	}
	if (con->space_src.fd >= 0 &&
	    write(con->space_src.fd, &one, sizeof(one)) < 0)
		warn_once("console: cannot signal input space");
}

/*
 * epoll refuses regular files (kvmini run ... < commands.txt): a small
 * thread copies such input into a pipe that the device loop can poll.
 */
static void *pump_thread(void *arg)
{
	struct console *con = arg;
	char buf[512];
	ssize_t n;

	seccomp_enter_role(SECCOMP_ROLE_CONSOLE);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0, w; off < n; off += w) {
			w = write(con->pump_fds[1], buf + off, n - off);
			if (w <= 0)
				goto out; /* reader gone: VM stopping */
		}
out:
	close(con->pump_fds[1]);
	return NULL;
}

static int start_pump(struct console *con)
{
	if (pipe2(con->pump_fds, O_CLOEXEC))
		return -1;
	con->in_src.fd = con->pump_fds[0];
	if (event_loop_add(&con->vm->loop, &con->in_src, EPOLLIN) ||
	    pthread_create(&con->pump_thread, NULL, pump_thread, con)) {
		close(con->pump_fds[0]);
		close(con->pump_fds[1]);
		con->pump_fds[0] = con->pump_fds[1] = -1;
		return -1;
	}
	return 0;
}

int console_attach(struct console *con, struct vm *vm, struct serial *serial)
{
	con->vm = vm;
	con->serial = serial;
	if (con->sock)
		return console_sock_attach(con->sock, &vm->loop, serial);
	if (con->kind != CONSOLE_STDIO)
		return 0;
	con->space_src = (struct event_source){
		.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
		.handler = space_ready,
		.opaque = con
	};
	con->in_src = (struct event_source){ .fd = STDIN_FILENO,
					     .handler = stdin_ready,
					     .opaque = con };
	if (con->space_src.fd < 0 ||
	    event_loop_add(&vm->loop, &con->space_src, EPOLLIN))
		return -1;
	if (event_loop_add(&vm->loop, &con->in_src, EPOLLIN) == 0)
		con->in_registered = 1;
	else if (errno == EPERM && start_pump(con) == 0)
		con->in_registered = 1;
	make_terminal_raw();
	return 0;
}

void console_detach(struct console *con)
{
	if (con->sock)
		console_sock_detach(con->sock);
	if (con->in_registered)
		event_loop_del(&con->vm->loop, &con->in_src);
	con->in_registered = 0;
	if (con->pump_fds[0] >= 0) {
		close(con->pump_fds[0]); /* the pump's writes now fail */
		pthread_join(con->pump_thread, NULL);
		con->pump_fds[0] = -1;
	}
	if (con->space_src.fd >= 0) {
		event_loop_del(&con->vm->loop, &con->space_src);
		close(con->space_src.fd);
		con->space_src.fd = -1;
	}
	console_restore_terminal();
}

void console_free(struct console *con)
{
	if (!con)
		return;
	if (con->owns_out_fd)
		close(con->out_fd);
	free(con);
}
