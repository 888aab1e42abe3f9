// SPDX-License-Identifier: GPL-2.0
/*
 * kvmini list | stat | top | pause | resume | shutdown | reboot | stop |
 * kill: clients of the control socket each `kvmini run` owns
 * (docs/management.md; the server is control.c).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "control_sock.h"
#include "log.h"
#include "mgmt_cmds.h"
#include "rundir.h"
#include "strbuf.h"

#define REPLY_TIMEOUT_MS 10000
#define STOP_WAIT_MS	 60000
#define MAX_VMS		 1024

/* ---- talking to one VM ------------------------------------------------- */

struct conn {
	int fd;
	long pid;
	char rbuf[8192]; /* read but not yet consumed */
	size_t rlen;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Connects to VM @name.  0, or an exit code after one error line: 1 when
 * no such VM runs (a dead VM's socket is removed on the way).
 */
static int vm_connect(const char *name, struct conn *c)
{
	char path[RUNDIR_PATH_MAX], why[256];

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (vm_name_check(name, why, sizeof(why))) {
		err("%s", why);
		return EXIT_USAGE;
	}
	if (rundir_path(path, sizeof(path), name, ".ctl", 0, why,
			sizeof(why))) {
		err("%s", why);
		return EXIT_FAILURE_RT;
	}
	c->fd = control_sock_connect(path, &c->pid);
	if (c->fd >= 0)
		return EXIT_OK;
	if (errno == ECONNREFUSED)
		control_sock_remove_stale(path);
	if (errno == ECONNREFUSED || errno == ENOENT)
		err("no VM named %s is running", name);
	else
		err("cannot reach VM %s at %s: %s", name, path,
		    strerror(errno));
	return EXIT_FAILURE_RT;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int send_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Next line (without '\n') into @line; 0, -1 on EOF/error, -2 timeout. */
static int read_line(struct conn *c, char *line, size_t len, uint64_t deadline)
{
	for (;;) {
		char *nl = memchr(c->rbuf, '\n', c->rlen);
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		uint64_t now = mono_ms();
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - c->rbuf);
			size_t copy = l < len - 1 ? l : len - 1;

			memcpy(line, c->rbuf, copy);
			line[copy] = '\0';
			memmove(c->rbuf, nl + 1, c->rlen - l - 1);
			c->rlen -= l + 1;
			return 0;
		}
		if (c->rlen == sizeof(c->rbuf))
			c->rlen = 0; /* an overlong line: drop its start */
		if (now >= deadline)
			return -2;
		if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return -1;
		if (!p.revents)
			continue;
		n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->rlen += (size_t)n;
	}
}

/*
 * Sends @req (one line, no '\n') and reads the reply: data lines into
 * @data (may be NULL).  0 on "ok"; 1 on "error: ..." (@why has it); -1
 * when the VM went away or did not answer (@why says so).
 */
static int request(struct conn *c, const char *req, struct strbuf *data,
		   char *why, size_t why_len)
{
	uint64_t deadline = mono_ms() + REPLY_TIMEOUT_MS;
	char line[CONTROL_LINE_MAX];

	if (send_all(c->fd, req, strlen(req)) || send_all(c->fd, "\n", 1)) {
		snprintf(why, why_len, "cannot send: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		int ret = read_line(c, line, sizeof(line), deadline);

		if (ret) {
			snprintf(why, why_len, "%s",
				 ret == -2 ? "no answer within 10 s"
					   : "the VM closed the connection");
			return -1;
		}
		if (!strcmp(line, "ok"))
			return 0;
		if (!strncmp(line, "error: ", 7)) {
			snprintf(why, why_len, "%.*s", (int)why_len - 1,
				 line + 7);
			return 1;
		}
		if (data) {
			strbuf_add(data, line, strlen(line));
			strbuf_add(data, "\n", 1);
		}
	}
}

/* After "wait": 0 once the VM's kvmini closed the connection (its disks
 * are flushed and its socket is gone), -2 at @timeout_ms. */
static int wait_for_exit(struct conn *c, uint64_t timeout_ms)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	char line[256];
	int ret;

	do
		ret = read_line(c, line, sizeof(line), deadline);
	while (ret == 0);
	return ret == -1 ? 0 : -2;
}

/* One request to VM @name; data lines go to stdout.  An exit code. */
static int simple_request(const char *name, const char *req, int print)
{
	struct conn c;
	struct strbuf data;
	char why[CONTROL_WHY_LEN + 64];
	int ret = vm_connect(name, &c);

	if (ret)
		return ret;
	strbuf_init(&data, CONTROL_REPLY_MAX);
	ret = request(&c, req, &data, why, sizeof(why));
	conn_close(&c);
	if (ret == 0 && print && data.len)
		fwrite(data.buf, 1, data.len, stdout);
	strbuf_free(&data);
	if (ret) {
		err("VM %s: %s", name, why);
		return EXIT_FAILURE_RT;
	}
	return EXIT_OK;
}

/* ---- option parsing ------------------------------------------------------ */

struct cmd_opts {
	int json, all, batch;
	double interval;
	long iterations;
	long timeout; /* seconds; -1: none */
	const char *name;
};

enum {
	OPT_JSON = 256,
	OPT_ALL,
	OPT_BATCH,
	OPT_INTERVAL,
	OPT_ITERATIONS,
	OPT_TIMEOUT
};

static const struct option all_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "batch", no_argument, NULL, OPT_BATCH },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "iterations", required_argument, NULL, OPT_ITERATIONS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

struct cmd_spec {
	const char *name;
	const char *usage;   /* printed for --help and after usage errors */
	const char *allowed; /* the long options this command takes */
	int wants_name;
};

static int parse_number(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

/* 0 ok, 1 --help printed, 2 usage error (printed) */
static int parse_cmd(const struct cmd_spec *spec, int argc, char **argv,
		     struct cmd_opts *o)
{
	int opt, idx;
	double v;

	memset(o, 0, sizeof(*o));
	o->interval = 2;
	o->iterations = -1;
	o->timeout = -1;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", all_options, &idx)) != -1) {
		const char *lname = NULL;

		if (opt == 'h') {
			printf("%s", spec->usage);
			return 1;
		}
		if (opt == '?' || opt == ':') {
			err("%s '%s' (try 'kvmini %s --help')",
			    opt == '?' ? "unknown option"
				       : "missing value for option",
			    argv[optind - 1], spec->name);
			return EXIT_USAGE;
		}
		lname = all_options[idx].name;
		if (!strstr(spec->allowed, lname)) {
			err("unknown option '--%s' (try 'kvmini %s --help')",
			    lname, spec->name);
			return EXIT_USAGE;
		}
		switch (opt) {
		case OPT_JSON: o->json = 1; break;
		case OPT_ALL: o->all = 1; break;
		case OPT_BATCH: o->batch = 1; break;
		case OPT_INTERVAL:
			if (parse_number(optarg, 0.1, 86400, &o->interval)) {
				err("--interval '%s': seconds, 0.1 to 86400",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_ITERATIONS:
			if (parse_number(optarg, 1, 1e9, &v) || v != (long)v) {
				err("--iterations '%s': a whole number >= 1",
				    optarg);
				return EXIT_USAGE;
			}
			o->iterations = (long)v;
			break;
		case OPT_TIMEOUT:
			if (parse_number(optarg, 0, 86400, &v) ||
			    v != (long)v) {
				err("--timeout '%s': whole seconds, 0 to 86400",
				    optarg);
				return EXIT_USAGE;
			}
			o->timeout = (long)v;
			break;
		}
	}
	if (spec->wants_name) {
		if (optind >= argc) {
			err("which VM? (try 'kvmini %s --help')", spec->name);
			return EXIT_USAGE;
		}
		o->name = argv[optind++];
	}
	if (optind < argc) {
		err("unexpected argument '%s' (try 'kvmini %s --help')",
		    argv[optind], spec->name);
		return EXIT_USAGE;
	}
	return 0;
}

/* parse_cmd's 1 (--help) becomes exit code 0 */
#define PARSE_OR_RETURN(spec, argc, argv, o)             \
	do {                                             \
		int r_ = parse_cmd(spec, argc, argv, o); \
		if (r_)                                  \
			return r_ == 1 ? EXIT_OK : r_;   \
	} while (0)

/* ---- the VMs in the run directory ---------------------------------------- */

struct vm_row {
	char name[VM_NAME_MAX + 1];
	long pid;
	char state[32];
	int vcpus;
	uint64_t mem_bytes, uptime_ms, cpu_ns, exits;
	int64_t rss_bytes; /* -1 n/a */
	int dead;	   /* its socket was stale and has been removed */
	uint64_t t_ms;	   /* when sampled */
};

static uint64_t kv_u64(const char *data, const char *key, int64_t dflt)
{
	size_t kl = strlen(key);

	for (const char *p = data; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			char *end;
			unsigned long long v = strtoull(p + kl + 1, &end, 10);

			return end == p + kl + 1 ? (uint64_t)dflt : v;
		}
	return (uint64_t)dflt;
}

static void kv_str(const char *data, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	snprintf(out, len, "unknown");
	for (const char *p = data; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			size_t n = strcspn(p + kl + 1, "\n");

			snprintf(out, len, "%.*s", (int)n, p + kl + 1);
			return;
		}
}

/* Asks one VM for its info; 0, or -1 (stale: removed, row->dead set). */
static int sample_vm(const char *dir, const char *name, struct vm_row *row,
		     int quiet_stale)
{
	char path[RUNDIR_PATH_MAX + VM_NAME_MAX + 8], why[256];
	struct conn c = { .fd = -1 };
	struct strbuf data;
	int ret;

	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s", name);
	row->rss_bytes = -1;
	snprintf(path, sizeof(path), "%s/%s.ctl", dir, name);
	c.fd = control_sock_connect(path, &c.pid);
	if (c.fd < 0) {
		if (errno == ECONNREFUSED &&
		    control_sock_remove_stale(path) == 1) {
			row->dead = 1;
			snprintf(row->state, sizeof(row->state),
				 "dead (cleaned)");
			if (!quiet_stale)
				warn("VM %s is dead (its kvmini is gone); "
				     "removed its socket",
				     name);
		}
		return -1;
	}
	row->pid = c.pid;
	strbuf_init(&data, CONTROL_REPLY_MAX);
	ret = request(&c, "info", &data, why, sizeof(why));
	conn_close(&c);
	row->t_ms = mono_ms();
	if (ret) {
		snprintf(row->state, sizeof(row->state), "unresponsive");
		strbuf_free(&data);
		return 0;
	}
	kv_str(data.buf ? data.buf : "", "state", row->state,
	       sizeof(row->state));
	row->pid = (long)kv_u64(data.buf, "pid", c.pid);
	row->vcpus = (int)kv_u64(data.buf, "vcpus", 0);
	row->mem_bytes = kv_u64(data.buf, "mem_bytes", 0);
	row->uptime_ms = kv_u64(data.buf, "uptime_ms", 0);
	row->cpu_ns = kv_u64(data.buf, "cpu_ns", 0);
	row->exits = kv_u64(data.buf, "exits", 0);
	row->rss_bytes = (int64_t)kv_u64(data.buf, "rss_bytes", -1);
	strbuf_free(&data);
	return 0;
}

static int cmp_rows(const void *a, const void *b)
{
	return strcmp(((const struct vm_row *)a)->name,
		      ((const struct vm_row *)b)->name);
}

/*
 * Every VM with a socket in the run directory, sorted by name; dead ones
 * are cleaned and kept only with @keep_dead.  Returns the count (-1 after
 * err()); *rows is malloc'd.
 */
static int collect_vms(struct vm_row **rows, int keep_dead, int quiet_stale)
{
	char dir[RUNDIR_PATH_MAX], why[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	*rows = calloc(MAX_VMS, sizeof(**rows));
	if (!*rows) {
		err("out of memory");
		return -1;
	}
	if (rundir_get(dir, sizeof(dir), 0, why, sizeof(why))) {
		err("%s", why);
		return -1;
	}
	d = opendir(dir);
	if (!d)
		return 0; /* no directory: nothing ever ran */
	while ((de = readdir(d)) && n < MAX_VMS) {
		size_t len = strlen(de->d_name);
		char name[VM_NAME_MAX + 1];

		if (len <= 4 || strcmp(de->d_name + len - 4, ".ctl") ||
		    len - 4 > VM_NAME_MAX)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 4),
			 de->d_name);
		if (vm_name_check(name, why, sizeof(why)))
			continue;
		if (sample_vm(dir, name, &(*rows)[n], quiet_stale) == 0 ||
		    (keep_dead && (*rows)[n].dead))
			n++;
	}
	closedir(d);
	qsort(*rows, n, sizeof(**rows), cmp_rows);
	return n;
}

static void fmt_uptime(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 ":%02" PRIu64,
			 s / 86400, s / 3600 % 24, s / 60 % 60);
	else
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
			 s / 3600, s / 60 % 60, s % 60);
}

static void fmt_mem(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= (1ULL << 30) && !(bytes & ((1ULL << 30) - 1)))
		snprintf(buf, len, "%" PRIu64 " GiB", bytes >> 30);
	else
		snprintf(buf, len, "%" PRIu64 " MiB", bytes >> 20);
}

/* ---- list ------------------------------------------------------------------
 */

static const struct cmd_spec list_spec = {
	"list",
	"Usage: kvmini list [--all] [--json]\n"
	"The VMs running as this user (docs/management.md).\n"
	"  --all    also show dead VMs whose stale sockets were just removed\n"
	"  --json   one JSON array of objects, for scripts\n",
	"help json all", 0
};

static void list_json(const struct vm_row *rows, int n)
{
	printf("[");
	for (int i = 0; i < n; i++) {
		const struct vm_row *r = &rows[i];

		printf("%s{\"name\":\"%s\",\"pid\":%ld,\"state\":\"%s\","
		       "\"vcpus\":%d,\"mem_bytes\":%" PRIu64
		       ",\"uptime_s\":%" PRIu64 ".%03" PRIu64 "}",
		       i ? "," : "", r->name, r->dead ? 0 : r->pid, r->state,
		       r->vcpus, r->mem_bytes, r->uptime_ms / 1000,
		       r->uptime_ms % 1000);
	}
	printf("]\n");
}

int cmd_list(int argc, char **argv)
{
	struct cmd_opts o;
	struct vm_row *rows;
	int n;

	PARSE_OR_RETURN(&list_spec, argc, argv, &o);
	n = collect_vms(&rows, o.all, o.all);
	if (n < 0) {
		free(rows);
		return EXIT_FAILURE_RT;
	}
	if (o.json) {
		list_json(rows, n);
		free(rows);
		return EXIT_OK;
	}
	printf(" %-8s %-24s %-15s %5s %10s %10s\n", "PID", "Name", "State",
	       "vCPUs", "Memory", "Uptime");
	printf("%s\n", "-----------------------------------------------------"
		       "----------------------------");
	for (int i = 0; i < n; i++) {
		char mem[32] = "-", up[32] = "-", pid[16] = "-";

		if (!rows[i].dead) {
			fmt_mem(rows[i].mem_bytes, mem, sizeof(mem));
			fmt_uptime(rows[i].uptime_ms, up, sizeof(up));
			snprintf(pid, sizeof(pid), "%ld", rows[i].pid);
		}
		printf(" %-8s %-24s %-15s %5d %10s %10s\n", pid, rows[i].name,
		       rows[i].state, rows[i].vcpus, mem, up);
	}
	free(rows);
	return EXIT_OK;
}

/* ---- stat ------------------------------------------------------------------
 */

static const struct cmd_spec stat_spec = {
	"stat",
	"Usage: kvmini stat NAME [--json]\n"
	"VM exits by reason (per vCPU and total), vCPU CPU time, device\n"
	"accesses, and memory: guest RAM resident, AnonHugePages, KSM, VMM\n"
	"overhead (docs/management.md).\n"
	"  --json   one JSON object\n",
	"help json", 1
};

int cmd_stat(int argc, char **argv)
{
	struct cmd_opts o;

	PARSE_OR_RETURN(&stat_spec, argc, argv, &o);
	return simple_request(o.name, o.json ? "stat json" : "stat", 1);
}

/* ---- dumpconfig ---------------------------------------------------------- */

static const struct cmd_spec dumpconfig_spec = {
	"dumpconfig",
	"Usage: kvmini dumpconfig NAME\n"
	"Prints the running VM's definition in the --config format\n"
	"(docs/config-file.md): 'kvmini run --config FILE' makes the same VM.\n",
	"help", 1
};

int cmd_dumpconfig(int argc, char **argv)
{
	struct cmd_opts o;

	PARSE_OR_RETURN(&dumpconfig_spec, argc, argv, &o);
	return simple_request(o.name, "dumpconfig", 1);
}

/* ---- top -------------------------------------------------------------------
 */

static const struct cmd_spec top_spec = {
	"top",
	"Usage: kvmini top [--batch] [--interval S] [--iterations N]\n"
	"A live view of every running VM: CPU %, exits/s, memory; refreshed\n"
	"every S seconds (default 2) until Ctrl-C or N refreshes.\n"
	"  --batch   plain lines, no screen control (for scripts and logs)\n",
	"help batch interval iterations", 0
};

static const struct vm_row *find_row(const struct vm_row *rows, int n,
				     const struct vm_row *r)
{
	for (int i = 0; i < n; i++)
		if (rows[i].pid == r->pid && !strcmp(rows[i].name, r->name))
			return &rows[i];
	return NULL;
}

static void top_print(const struct vm_row *cur, int n,
		      const struct vm_row *prev, int nprev, int batch)
{
	time_t now = time(NULL);
	struct tm tm;
	char ts[32];

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	if (!batch)
		printf("\033[H\033[2J");
	printf("kvmini top - %s, %d VM%s\n", ts, n, n == 1 ? "" : "s");
	printf(" %-8s %-20s %-13s %5s %7s %10s %10s %10s %10s\n", "PID", "Name",
	       "State", "vCPUs", "CPU%", "exits/s", "Memory", "RSS", "Uptime");
	for (int i = 0; i < n; i++) {
		const struct vm_row *r = &cur[i], *p = find_row(prev, nprev, r);
		char cpu[16] = "-", ex[24] = "-", mem[32], rss[32] = "n/a",
		     up[32];

		if (p && r->t_ms > p->t_ms && r->cpu_ns >= p->cpu_ns &&
		    r->exits >= p->exits) {
			double dt = (double)(r->t_ms - p->t_ms) / 1000.0;

			snprintf(cpu, sizeof(cpu), "%.1f",
				 (double)(r->cpu_ns - p->cpu_ns) / 1e7 / dt);
			snprintf(ex, sizeof(ex), "%.0f",
				 (double)(r->exits - p->exits) / dt);
		}
		fmt_mem(r->mem_bytes, mem, sizeof(mem));
		if (r->rss_bytes >= 0)
			snprintf(rss, sizeof(rss), "%" PRId64 " MiB",
				 r->rss_bytes >> 20);
		fmt_uptime(r->uptime_ms, up, sizeof(up));
		printf(" %-8ld %-20s %-13s %5d %7s %10s %10s %10s %10s\n",
		       r->pid, r->name, r->state, r->vcpus, cpu, ex, mem, rss,
		       up);
	}
	if (batch)
		printf("\n");
	fflush(stdout);
}

int cmd_top(int argc, char **argv)
{
	struct cmd_opts o;
	struct vm_row *prev = NULL, *cur = NULL;
	int nprev, n;
	struct timespec ts;

	PARSE_OR_RETURN(&top_spec, argc, argv, &o);
	ts.tv_sec = (time_t)o.interval;
	ts.tv_nsec = (long)((o.interval - (double)ts.tv_sec) * 1e9);
	/* a first sample, so that every printed row has rates */
	nprev = collect_vms(&prev, 0, 1);
	if (nprev < 0) {
		free(prev);
		return EXIT_FAILURE_RT;
	}
	for (long it = 0; o.iterations < 0 || it < o.iterations; it++) {
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		ts.tv_sec = (time_t)o.interval;
		ts.tv_nsec = (long)((o.interval - (double)ts.tv_sec) * 1e9);
		n = collect_vms(&cur, 0, 1);
		if (n < 0) {
			free(cur);
			free(prev);
			return EXIT_FAILURE_RT;
		}
		top_print(cur, n, prev, nprev, o.batch);
		free(prev);
		prev = cur;
		nprev = n;
		cur = NULL;
	}
	free(prev);
	return EXIT_OK;
}

/* ---- pause, resume, reboot ----------------------------------------------- */

static const struct cmd_spec pause_spec = {
	"pause",
	"Usage: kvmini pause NAME\n"
	"Every vCPU leaves the guest and waits; device work (virtqueues, tap\n"
	"and console input) waits too.  'kvmini resume NAME' continues.\n",
	"help", 1
};

static const struct cmd_spec resume_spec = {
	"resume",
	"Usage: kvmini resume NAME\nContinues a VM that 'kvmini pause' "
	"stopped.\n",
	"help", 1
};

static const struct cmd_spec reboot_spec = {
	"reboot",
	"Usage: kvmini reboot NAME\n"
	"Resets the VM: its kvmini builds it again from the same options and\n"
	"boots it, whatever --reboot says (like a reset button; the guest is\n"
	"not asked first).  The name, pid and control socket stay.\n",
	"help", 1
};

static int one_word_cmd(const struct cmd_spec *spec, const char *req,
			const char *done, int argc, char **argv)
{
	struct cmd_opts o;
	int ret;

	PARSE_OR_RETURN(spec, argc, argv, &o);
	ret = simple_request(o.name, req, 0);
	if (!ret)
		printf("VM %s %s\n", o.name, done);
	return ret;
}

int cmd_pause(int argc, char **argv)
{
	return one_word_cmd(&pause_spec, "pause", "paused", argc, argv);
}

int cmd_resume(int argc, char **argv)
{
	return one_word_cmd(&resume_spec, "resume", "resumed", argc, argv);
}

int cmd_reboot(int argc, char **argv)
{
	return one_word_cmd(&reboot_spec, "reboot", "is being reset", argc,
			    argv);
}

/* ---- stop, shutdown -------------------------------------------------------
 */

static const struct cmd_spec stop_spec = {
	"stop",
	"Usage: kvmini stop NAME\n"
	"Ends the VM now, without asking the guest.  Returns once the VM's\n"
	"kvmini has flushed its disk images (every write the guest saw\n"
	"completed is in the image) and removed its socket; that kvmini exits\n"
	"with 143, as after SIGTERM.\n",
	"help", 1
};

/* Sends "stop" and waits for the VM's kvmini to finish; an exit code. */
static int stop_and_wait(const char *name)
{
	struct conn c;
	char why[CONTROL_WHY_LEN + 64];
	int ret = vm_connect(name, &c);

	if (ret)
		return ret;
	ret = request(&c, "stop", NULL, why, sizeof(why));
	if (!ret)
		ret = request(&c, "wait", NULL, why, sizeof(why));
	if (ret) {
		conn_close(&c);
		err("VM %s: %s", name, why);
		return EXIT_FAILURE_RT;
	}
	ret = wait_for_exit(&c, STOP_WAIT_MS);
	conn_close(&c);
	if (ret) {
		err("VM %s: still running %d s after stop (pid %ld)", name,
		    STOP_WAIT_MS / 1000, c.pid);
		return EXIT_FAILURE_RT;
	}
	return EXIT_OK;
}

int cmd_stop(int argc, char **argv)
{
	struct cmd_opts o;
	int ret;

	PARSE_OR_RETURN(&stop_spec, argc, argv, &o);
	ret = stop_and_wait(o.name);
	if (!ret)
		printf("VM %s stopped\n", o.name);
	return ret;
}

static const struct cmd_spec shutdown_spec = {
	"shutdown",
	"Usage: kvmini shutdown NAME [--timeout S]\n"
	"Presses the VM's ACPI power button: a guest that handles it shuts\n"
	"down and its kvmini exits 0.  Returns at once, or with --timeout\n"
	"waits up to S seconds for the VM to end and then stops it hard\n"
	"(kvmini stop) and exits 1.\n",
	"help timeout", 1
};

int cmd_shutdown(int argc, char **argv)
{
	struct cmd_opts o;
	struct conn c;
	char why[CONTROL_WHY_LEN + 64];
	int ret;

	PARSE_OR_RETURN(&shutdown_spec, argc, argv, &o);
	ret = vm_connect(o.name, &c);
	if (ret)
		return ret;
	ret = request(&c, "shutdown", NULL, why, sizeof(why));
	if (!ret && o.timeout >= 0)
		ret = request(&c, "wait", NULL, why, sizeof(why));
	if (ret) {
		conn_close(&c);
		err("VM %s: %s", o.name, why);
		return EXIT_FAILURE_RT;
	}
	if (o.timeout < 0) {
		conn_close(&c);
		printf("VM %s: power button pressed\n", o.name);
		return EXIT_OK;
	}
	ret = wait_for_exit(&c, (uint64_t)o.timeout * 1000);
	conn_close(&c);
	if (!ret) {
		printf("VM %s shut down\n", o.name);
		return EXIT_OK;
	}
	err("VM %s did not shut down within %ld s; stopping it", o.name,
	    o.timeout);
	stop_and_wait(o.name);
	return EXIT_FAILURE_RT;
}

/* ---- kill ------------------------------------------------------------------
 */

static const struct cmd_spec kill_spec = {
	"kill",
	"Usage: kvmini kill NAME\n"
	"Sends SIGKILL to the VM's kvmini (the pid its control socket\n"
	"reports), waits for it to die and removes its socket.  Disk writes\n"
	"still in the host's page cache reach the image; nothing is flushed\n"
	"to stable storage first (use 'kvmini stop' for that).\n",
	"help", 1
};

int cmd_kill(int argc, char **argv)
{
	struct cmd_opts o;
	struct conn c;
	char path[RUNDIR_PATH_MAX], why[256];
	uint64_t deadline;
	int ret;

	PARSE_OR_RETURN(&kill_spec, argc, argv, &o);
	ret = vm_connect(o.name, &c);
	if (ret)
		return ret;
	conn_close(&c);
	if (c.pid <= 0) {
		err("VM %s: cannot tell its pid", o.name);
		return EXIT_FAILURE_RT;
	}
	if (kill((pid_t)c.pid, SIGKILL)) {
		err("cannot kill VM %s (pid %ld): %s", o.name, c.pid,
		    strerror(errno));
		return EXIT_FAILURE_RT;
	}
	/* dead once nobody listens; the pid may linger as a zombie */
	rundir_path(path, sizeof(path), o.name, ".ctl", 0, why, sizeof(why));
	deadline = mono_ms() + 10000;
	while (control_sock_probe(path, NULL) == CONTROL_SOCK_LIVE &&
	       mono_ms() < deadline)
		usleep(10000);
	if (control_sock_remove_stale(path) < 0)
		warn("VM %s: cannot remove %s", o.name, path);
	/* its console socket (--console socket) is as dead */
	if (!rundir_path(path, sizeof(path), o.name, ".console", 0, why,
			 sizeof(why)) &&
	    control_sock_remove_stale(path) < 0)
		warn("VM %s: cannot remove %s", o.name, path);
	printf("VM %s (pid %ld) killed\n", o.name, c.pid);
	return EXIT_OK;
}
