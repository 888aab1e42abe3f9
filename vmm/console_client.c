// SPDX-License-Identifier: GPL-2.0
/*
 * kvmini console NAME: attaches the terminal to a running VM's serial
 * console (rundir/NAME.console, served by console_sock.c).  The socket
 * starts with one header line, then the ring's replay, then live output.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "console_client.h"
#include "log.h"
#include "rundir.h"

#define CTRL_A	  0x01
#define UNTIL_MAX 256

struct client {
	const char *name;
	int fd;
	int no_replay;
	uint64_t replay_left; /* replayed bytes still to come */
	const char *until;    /* --until TEXT, or NULL */
	size_t until_len;
	char seen[UNTIL_MAX]; /* the output's last until_len - 1 bytes */
	size_t seen_len;
	int matched;
	int stdin_open;
	int escape;	  /* last typed byte was Ctrl-A */
	int detaching;	  /* Ctrl-A d: leave once typed bytes are sent */
	uint8_t out[512]; /* typed, for the socket */
	size_t out_len;
	int out_errno; /* why stdout failed */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(void)
{
	printf("Usage: kvmini console NAME [options]\n"
	       "\n"
	       "Attach to the serial console of the VM NAME (started with\n"
	       "--console socket or --detach): its recent output first, then\n"
	       "live output; what you type goes to the guest.\n"
	       "\n"
	       "      --no-replay        skip the recent output, show only new\n"
	       "      --until TEXT       detach once TEXT appears in the output\n"
	       "                         (exit 1 if the VM ends first)\n"
	       "      --timeout SECONDS  detach after SECONDS (exit 1 if --until\n"
	       "                         TEXT was not seen)\n"
	       "  -h, --help             this help\n"
	       "\n"
	       "Keys: Ctrl-A d detaches (the VM keeps running), Ctrl-A Ctrl-A\n"
	       "sends Ctrl-A, Ctrl-A h helps.  Input that is not a terminal is\n"
	       "sent as it is, with the same escapes.\n"
	       "Exit codes: 0 detached or the VM ended, 1 no such VM, console\n"
	       "in use, or --until TEXT not seen, 2 wrong usage.\n");
}

static void escape_help(void)
{
	static const char help[] =
		"\r\nkvmini console escapes:\r\n"
		"  Ctrl-A d       detach (the VM keeps running)\r\n"
		"  Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n"
		"  Ctrl-A h       this help\r\n";

	if (write(STDERR_FILENO, help, sizeof(help) - 1) < 0)
		return;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int connect_console(const char *name)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char why[256];
	int fd;

	if (rundir_path(addr.sun_path, sizeof(addr.sun_path), name, ".console",
			0, why, sizeof(why))) {
		err("%s", why);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err("cannot create a unix socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return fd;
	if (errno == ENOENT || errno == ECONNREFUSED)
		err("no VM named %s is running (no console socket %s)", name,
		    addr.sun_path);
	else
		err("cannot connect to %s: %s", addr.sun_path, strerror(errno));
	close(fd);
	return -1;
}

/* The server's first line: attached (and how much replay), or busy. */
static int read_header(struct client *c)
{
	char line[256];
	size_t len = 0;
	unsigned long long replay;
	const char *p;

	while (len < sizeof(line) - 1) {
		ssize_t n = read(c->fd, line + len, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (line[len++] == '\n')
			break;
	}
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	p = strstr(line, "; replaying ");
	if (strncmp(line, "kvmini: attached", 16) || !p ||
	    sscanf(p, "; replaying %llu bytes", &replay) != 1) {
		if (!strncmp(line, "kvmini: ", 8))
			err("%s", line + 8);
		else
			err("%s: not a kvmini console socket", c->name);
		return -1;
	}
	c->replay_left = replay;
	return 0;
}

/* --until: looks for the text across chunk boundaries. */
static void watch_output(struct client *c, const char *buf, size_t len)
{
	char joined[UNTIL_MAX + 4096];
	size_t keep = c->until_len - 1, total;

	if (!c->until || c->matched)
		return;
	for (size_t off = 0; off < len; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;

		memcpy(joined, c->seen, c->seen_len);
		memcpy(joined + c->seen_len, buf + off, n);
		total = c->seen_len + n;
		if (memmem(joined, total, c->until, c->until_len)) {
			c->matched = 1;
			return;
		}
		c->seen_len = total < keep ? total : keep;
		memcpy(c->seen, joined + total - c->seen_len, c->seen_len);
	}
}

/* Output from the VM; 0 at end of stream (the VM ended), -1 when it
 * cannot be shown. */
static int from_vm(struct client *c)
{
	char buf[4096];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	size_t skip;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	skip = c->replay_left < (uint64_t)n ? c->replay_left : (size_t)n;
	c->replay_left -= skip;
	if (!c->no_replay)
		skip = 0;
	if (write_all(STDOUT_FILENO, buf + skip, n - skip)) {
		c->out_errno = errno;
		return -1;
	}
	watch_output(c, buf + skip, n - skip);
	return 1;
}

/* Typed input: the escapes, the rest queued for the socket. */
static void typed(struct client *c, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n && !c->detaching; i++) {
		uint8_t ch = buf[i];

		if (c->escape) {
			c->escape = 0;
			if (ch == 'd' || ch == 'D') {
				c->detaching = 1;
				break;
			}
			if (ch == 'h' || ch == 'H' || ch == '?')
				escape_help();
			if (ch != CTRL_A)
				continue;
		} else if (ch == CTRL_A) {
			c->escape = 1;
			continue;
		}
		c->out[c->out_len++] = ch;
	}
}

static void from_user(struct client *c)
{
	uint8_t buf[sizeof(c->out)];
	/* read no more than fits: out_len is 0 when stdin is polled */
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf) - c->out_len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		c->stdin_open = 0; /* keep showing output */
		return;
	}
	typed(c, buf, n);
}

static int to_vm(struct client *c)
{
	ssize_t n =
		send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum session_end {
	END_DETACH,
	END_VM_GONE,
	END_TIMEOUT,
	END_SIGNAL,
	END_OUTPUT_ERROR,
};

static enum session_end session(struct client *c, int64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = c->fd,
			  .events = POLLIN | (c->out_len ? POLLOUT : 0) },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		int nfds =
			c->stdin_open && !c->out_len && !c->detaching ? 2 : 1;
		int wait = -1;

		if (c->matched || (c->detaching && !c->out_len))
			return END_DETACH;
		if (deadline >= 0) {
			wait = deadline - now_ms();
			if (wait <= 0)
				return END_TIMEOUT;
		}
		if (poll(p, nfds, wait) < 0 && errno != EINTR)
			return END_VM_GONE;
		if (stop_signal)
			return END_SIGNAL;
		if ((p[0].revents & POLLOUT) && to_vm(c))
			return END_VM_GONE;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = from_vm(c);

			if (r <= 0)
				return r ? END_OUTPUT_ERROR : END_VM_GONE;
		}
		if (nfds == 2 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			from_user(c);
	}
}

static int parse_args(int argc, char **argv, struct client *c,
		      int64_t *timeout_ms)
{
	static const struct option opts[] = {
		{ "no-replay", no_argument, NULL, 'r' },
		{ "until", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	double secs;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': usage(); return 1;
		case 'r': c->no_replay = 1; break;
		case 'u':
			c->until = optarg;
			c->until_len = strlen(optarg);
			if (!c->until_len || c->until_len >= UNTIL_MAX) {
				err("--until TEXT: 1 to %d bytes",
				    UNTIL_MAX - 1);
				return -1;
			}
			break;
		case 't':
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(secs > 0) ||
			    secs > 1e6) {
				err("--timeout must be a number of seconds, "
				    "not '%s'",
				    optarg);
				return -1;
			}
			*timeout_ms = (int64_t)(secs * 1000);
			break;
		case ':':
			err("option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			err("unknown option '%s' (try 'kvmini console --help')",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (argc - optind != 1) {
		err("usage: kvmini console NAME [--no-replay] [--until TEXT] "
		    "[--timeout SECONDS]");
		return -1;
	}
	c->name = argv[optind];
	return 0;
}

static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

int cmd_console(int argc, char **argv)
{
	struct client c = { .fd = -1, .stdin_open = 1 };
	int64_t timeout_ms = -1;
	enum session_end end;
	char why[256];
	int ret;

	ret = parse_args(argc, argv, &c, &timeout_ms);
	if (ret)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	if (vm_name_check(c.name, why, sizeof(why))) {
		err("%s", why);
		return EXIT_USAGE;
	}
	c.fd = connect_console(c.name);
	if (c.fd < 0)
		return EXIT_FAILURE_RT;
	if (read_header(&c)) {
		close(c.fd);
		return EXIT_FAILURE_RT;
	}
	catch_signals();
	if (isatty(STDIN_FILENO))
		info("attached to %s; Ctrl-A d detaches", c.name);
	console_raw_terminal();
	end = session(&c, timeout_ms >= 0 ? now_ms() + timeout_ms : -1);
	close(c.fd);
	console_restore_terminal();
	switch (end) {
	case END_VM_GONE: info("the VM %s has ended", c.name); break;
	case END_SIGNAL: return 128 + stop_signal;
	case END_OUTPUT_ERROR:
		err("cannot write the console output: %s",
		    strerror(c.out_errno));
		return EXIT_FAILURE_RT;
	case END_DETACH:
	case END_TIMEOUT:
		if (!c.until || c.matched)
			info("detached from %s (it keeps running)", c.name);
		break;
	}
	if (c.until && !c.matched) {
		err("'%s' did not appear in the console of %s", c.until,
		    c.name);
		return EXIT_FAILURE_RT;
	}
	return EXIT_OK;
}
