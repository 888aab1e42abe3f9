// SPDX-License-Identifier: GPL-2.0
/*
 * The control protocol's requests (docs/management.md): parsing a line,
 * the request table, the replies.  No I/O and no VM here: what a reply
 * needs comes through ctx->ops, so tests/fuzz/fuzz_control.c can drive it
 * with any bytes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_file.h"
#include "control.h"

struct control_request {
	const char *name;
	int min_args, max_args; /* words after the name */
	int (*fn)(struct control_call *c);
	const char *usage;
};

static const struct control_request *find_request(const char *name);

const char *control_state_name(enum control_state s)
{
	switch (s) {
	case CONTROL_RUNNING: return "running";
	case CONTROL_PAUSED: return "paused";
	case CONTROL_SHUTTING_DOWN: return "shutting-down";
	case CONTROL_STOPPING: return "stopping";
	case CONTROL_RESTARTING: return "restarting";
	}
	return "unknown";
}

struct control_snapshot *control_snapshot_alloc(void)
{
	struct control_snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->vcpus = calloc(MAX_CPUS, sizeof(*s->vcpus));
	if (!s->vcpus) {
		free(s);
		return NULL;
	}
	return s;
}

void control_snapshot_free(struct control_snapshot *s)
{
	if (!s)
		return;
	free(s->vcpus);
	free(s);
}

static int take_snapshot(struct control_call *c, unsigned int what)
{
	struct control_snapshot *s = c->ctx->snap;
	struct control_vcpu *vcpus = s->vcpus;
	int used = s->nr_vcpus;

	/* what the last snapshot filled (the rest is still zero) */
	if (used > 0 && used <= MAX_CPUS)
		memset(vcpus, 0, (size_t)used * sizeof(*vcpus));
	memset(s, 0, sizeof(*s));
	s->vcpus = vcpus;
	s->ram_resident = s->ram_anon_huge = s->ksm_merged = s->vmm_rss = -1;
	if (c->ctx->ops->snapshot(c->ctx->opaque, s, what, c->why,
				  sizeof(c->why)))
		return -1;
	/* the ops are trusted, but a bad count must not walk off arrays */
	if (s->nr_vcpus < 0 || s->nr_vcpus > MAX_CPUS || s->nr_devs < 0 ||
	    s->nr_devs > CONTROL_MAX_DEVS) {
		snprintf(c->why, sizeof(c->why),
			 "internal error: bad snapshot");
		return -1;
	}
	return 0;
}

static uint64_t vcpu_total(const struct control_vcpu *v)
{
	uint64_t n = 0;

	for (int r = 0; r < VCPU_EXIT_REASONS; r++)
		n += v->exits[r];
	return n;
}

static uint64_t all_exits(const struct control_snapshot *s, int reason)
{
	uint64_t n = 0;

	for (int i = 0; i < s->nr_vcpus; i++)
		n += reason < 0 ? vcpu_total(&s->vcpus[i])
				: s->vcpus[i].exits[reason];
	return n;
}

/* KVM's name for an exit reason; "R<n>" for those without one */
static const char *reason_name(int r, char *buf, size_t len)
{
	const char *name = kvm_exit_reason_name(r);

	if (strcmp(name, "?"))
		return name;
	snprintf(buf, len, "R%d", r);
	return buf;
}

/* ---- requests ------------------------------------------------------- */

static int req_help(struct control_call *c);

static int req_info(struct control_call *c)
{
	struct control_snapshot *s = c->ctx->snap;

	if (take_snapshot(c, 0))
		return -1;
	strbuf_printf(c->out,
		      "name %s\npid %ld\nstate %s\nvcpus %d\nmem_bytes %" PRIu64
		      "\nuptime_ms %" PRIu64 "\ncpu_ns %" PRIu64
		      "\nexits %" PRIu64 "\n",
		      c->ctx->name, c->ctx->pid, control_state_name(s->state),
		      s->nr_vcpus, s->mem_bytes, s->uptime_ns / 1000000,
		      s->process_cpu_ns, all_exits(s, -1));
	if (s->vmm_rss >= 0)
		strbuf_printf(c->out, "rss_bytes %" PRId64 "\n", s->vmm_rss);
	else
		strbuf_printf(c->out, "rss_bytes n/a\n");
	return 0;
}

static void kib_line(struct strbuf *out, const char *what, int64_t bytes,
		     const char *note)
{
	if (bytes < 0)
		strbuf_printf(out, "  %-24s %12s\n", what, "n/a");
	else
		strbuf_printf(out, "  %-24s %8" PRId64 " KiB%s\n", what,
			      bytes / 1024, note);
}

static int64_t overhead(const struct control_snapshot *s)
{
	if (s->vmm_rss < 0 || s->ram_resident < 0)
		return -1;
	return s->vmm_rss > s->ram_resident ? s->vmm_rss - s->ram_resident : 0;
}

static void stat_text(struct control_call *c, const struct control_snapshot *s)
{
	struct strbuf *out = c->out;
	char rbuf[16];

	strbuf_printf(out,
		      "name %s  pid %ld  state %s  vcpus %d  memory %" PRIu64
		      " MiB  uptime %" PRIu64 ".%03" PRIu64 " s\n",
		      c->ctx->name, c->ctx->pid, control_state_name(s->state),
		      s->nr_vcpus, s->mem_bytes >> 20,
		      s->uptime_ns / 1000000000, s->uptime_ns / 1000000 % 1000);
	strbuf_printf(out, "exits (since the VM started)\n"
			   "  vcpu reason                  count\n");
	for (int i = 0; i < s->nr_vcpus; i++)
		for (int r = 0; r < VCPU_EXIT_REASONS; r++)
			if (s->vcpus[i].exits[r])
				strbuf_printf(
					out, "  %4d %-16s %12" PRIu64 "\n", i,
					reason_name(r, rbuf, sizeof(rbuf)),
					s->vcpus[i].exits[r]);
	for (int r = 0; r < VCPU_EXIT_REASONS; r++)
		if (all_exits(s, r))
			strbuf_printf(out, "  all  %-16s %12" PRIu64 "\n",
				      reason_name(r, rbuf, sizeof(rbuf)),
				      all_exits(s, r));
	strbuf_printf(out, "  all  %-16s %12" PRIu64 "\n", "total",
		      all_exits(s, -1));
	strbuf_printf(out, "cpu time\n");
	for (int i = 0; i < s->nr_vcpus; i++) {
		int64_t ns = s->vcpus[i].cpu_ns;

		if (ns < 0)
			strbuf_printf(out, "  vcpu %-4d %14s\n", i, "n/a");
		else
			strbuf_printf(out,
				      "  vcpu %-4d %10" PRId64 ".%03" PRId64
				      " s\n",
				      i, ns / 1000000000, ns / 1000000 % 1000);
	}
	strbuf_printf(out,
		      "  kvmini    %10" PRIu64 ".%03" PRIu64
		      " s (all threads)\n",
		      s->process_cpu_ns / 1000000000,
		      s->process_cpu_ns / 1000000 % 1000);
	strbuf_printf(out, "devices (bus accesses)\n"
			   "  bus  device           base          reads"
			   "       writes\n");
	for (int i = 0; i < s->nr_devs; i++) {
		const struct control_dev *d = &s->devs[i];

		strbuf_printf(out,
			      "  %-4s %-16s 0x%-10" PRIx64 " %10" PRIu64
			      " %12" PRIu64 "\n",
			      d->bus, d->name, d->base, d->reads, d->writes);
	}
	strbuf_printf(out, "memory\n");
	kib_line(out, "guest RAM", (int64_t)s->mem_bytes, "");
	kib_line(out, "guest RAM resident", s->ram_resident, "");
	kib_line(out, "of which AnonHugePages", s->ram_anon_huge, "");
	kib_line(out, "KSM merged", s->ksm_merged, "");
	kib_line(out, "kvmini VmRSS", s->vmm_rss, "");
	kib_line(out, "VMM overhead", overhead(s),
		 " (VmRSS - guest RAM resident)");
}

static void json_num(struct strbuf *out, const char *key, int64_t v, int comma)
{
	if (v < 0)
		strbuf_printf(out, "\"%s\":null%s", key, comma ? "," : "");
	else
		strbuf_printf(out, "\"%s\":%" PRId64 "%s", key, v,
			      comma ? "," : "");
}

static void json_reasons(struct strbuf *out, const uint64_t *counts)
{
	char rbuf[16];
	int first = 1;

	strbuf_printf(out, "\"by_reason\":{");
	for (int r = 0; r < VCPU_EXIT_REASONS; r++) {
		if (!counts[r])
			continue;
		strbuf_printf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
			      reason_name(r, rbuf, sizeof(rbuf)), counts[r]);
		first = 0;
	}
	strbuf_printf(out, "}");
}

/* Names are [A-Za-z0-9._-] (vm_name_check) and device names are
 * kvmini's own: nothing to escape. */
static void stat_json(struct control_call *c, const struct control_snapshot *s)
{
	struct strbuf *out = c->out;
	uint64_t all[VCPU_EXIT_REASONS];

	for (int r = 0; r < VCPU_EXIT_REASONS; r++)
		all[r] = all_exits(s, r);
	strbuf_printf(out,
		      "{\"name\":\"%s\",\"pid\":%ld,\"state\":\"%s\","
		      "\"vcpus\":%d,\"mem_bytes\":%" PRIu64
		      ",\"uptime_ns\":%" PRIu64 ",\"cpu_ns\":%" PRIu64
		      ",\"exits\":{\"total\":%" PRIu64 ",",
		      c->ctx->name, c->ctx->pid, control_state_name(s->state),
		      s->nr_vcpus, s->mem_bytes, s->uptime_ns,
		      s->process_cpu_ns, all_exits(s, -1));
	json_reasons(out, all);
	strbuf_printf(out, ",\"per_vcpu\":[");
	for (int i = 0; i < s->nr_vcpus; i++) {
		strbuf_printf(out, "%s{\"vcpu\":%d,\"total\":%" PRIu64 ",",
			      i ? "," : "", i, vcpu_total(&s->vcpus[i]));
		json_num(out, "cpu_ns", s->vcpus[i].cpu_ns, 1);
		json_reasons(out, s->vcpus[i].exits);
		strbuf_printf(out, "}");
	}
	strbuf_printf(out, "]},\"devices\":[");
	for (int i = 0; i < s->nr_devs; i++) {
		const struct control_dev *d = &s->devs[i];

		strbuf_printf(
			out,
			"%s{\"bus\":\"%s\",\"name\":\"%s\",\"base\":%" PRIu64
			",\"len\":%" PRIu64 ",\"reads\":%" PRIu64
			",\"writes\":%" PRIu64 "}",
			i ? "," : "", d->bus, d->name, d->base, d->len,
			d->reads, d->writes);
	}
	strbuf_printf(out, "],\"memory\":{");
	json_num(out, "guest_bytes", (int64_t)s->mem_bytes, 1);
	json_num(out, "resident_bytes", s->ram_resident, 1);
	json_num(out, "anon_huge_bytes", s->ram_anon_huge, 1);
	json_num(out, "ksm_merged_bytes", s->ksm_merged, 1);
	json_num(out, "vmm_rss_bytes", s->vmm_rss, 1);
	json_num(out, "vmm_overhead_bytes", overhead(s), 0);
	strbuf_printf(out, "}}\n");
}

static int req_stat(struct control_call *c)
{
	int json = c->argc > 1;

	if (json && strcmp(c->argv[1], "json")) {
		snprintf(c->why, sizeof(c->why), "usage: stat [json]");
		return -1;
	}
	if (take_snapshot(c, CONTROL_SNAP_SMAPS))
		return -1;
	if (json)
		stat_json(c, c->ctx->snap);
	else
		stat_text(c, c->ctx->snap);
	return 0;
}

static int act(struct control_call *c, enum control_action a)
{
	return c->ctx->ops->act(c->ctx->opaque, a, c->why, sizeof(c->why));
}

static int req_pause(struct control_call *c)
{
	return act(c, CONTROL_PAUSE);
}

static int req_resume(struct control_call *c)
{
	return act(c, CONTROL_RESUME);
}

static int req_shutdown(struct control_call *c)
{
	return act(c, CONTROL_SHUTDOWN);
}

static int req_reboot(struct control_call *c)
{
	return act(c, CONTROL_REBOOT);
}

static int req_stop(struct control_call *c)
{
	return act(c, CONTROL_STOP);
}

/* The VM's definition, in the --config format: run --config takes it back. */
static int req_dumpconfig(struct control_call *c)
{
	char *text;

	if (!c->ctx->cfg) {
		snprintf(c->why, sizeof(c->why), "no definition to dump");
		return -1;
	}
	text = config_format_string(c->ctx->cfg);
	if (!text) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		return -1;
	}
	strbuf_add(c->out, text, strlen(text));
	free(text);
	return 0;
}

static int req_wait(struct control_call *c)
{
	c->after = CONTROL_WAIT;
	return 0;
}

static int req_quit(struct control_call *c)
{
	c->after = CONTROL_CLOSE;
	return 0;
}

/* New requests: one line here, docs/management.md, and a fuzz seed. */
static const struct control_request requests[] = {
	{ "help", 0, 0, req_help, "help: this list" },
	{ "info", 0, 0, req_info, "info: name, pid, state, size, counters" },
	{ "stat", 0, 1, req_stat,
	  "stat [json]: exits, CPU time, device accesses, memory" },
	{ "pause", 0, 0, req_pause, "pause: vCPUs and device work stop" },
	{ "resume", 0, 0, req_resume, "resume: undo pause" },
	{ "shutdown", 0, 0, req_shutdown, "shutdown: press the power button" },
	{ "reboot", 0, 0, req_reboot, "reboot: reset the VM in this process" },
	{ "stop", 0, 0, req_stop, "stop: end the VM now (disks flushed)" },
	{ "dumpconfig", 0, 0, req_dumpconfig,
	  "dumpconfig: the definition, as a --config file" },
	{ "wait", 0, 0, req_wait,
	  "wait: 'ok', then nothing until kvmini exits (EOF)" },
	{ "quit", 0, 0, req_quit, "quit: close this connection" },
};

#define NR_REQUESTS (sizeof(requests) / sizeof(requests[0]))

static int req_help(struct control_call *c)
{
	for (size_t i = 0; i < NR_REQUESTS; i++)
		strbuf_printf(c->out, "request %s\n", requests[i].usage);
	return 0;
}

static const struct control_request *find_request(const char *name)
{
	for (size_t i = 0; i < NR_REQUESTS; i++)
		if (!strcmp(requests[i].name, name))
			return &requests[i];
	return NULL;
}

/* Splits @line (modified) into words; -1 when there are too many. */
static int split_words(char *line, char **argv, int max)
{
	int argc = 0;

	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == max)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return argc;
}

static int check_text(const char *req, size_t len, char *why, size_t wlen)
{
	if (len >= CONTROL_LINE_MAX) {
		snprintf(why, wlen, "request longer than %d bytes",
			 CONTROL_LINE_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)req[i];

		if ((ch < 0x20 && ch != '\t') || ch >= 0x7f) {
			snprintf(why, wlen, "request is not printable text");
			return -1;
		}
	}
	return 0;
}

static int dispatch(struct control_call *c, char *line)
{
	char *argv[CONTROL_MAX_ARGS];
	const struct control_request *r;
	int argc = split_words(line, argv, CONTROL_MAX_ARGS);

	if (argc < 0) {
		snprintf(c->why, sizeof(c->why), "too many words");
		return -1;
	}
	if (argc == 0) {
		snprintf(c->why, sizeof(c->why), "empty request");
		return -1;
	}
	r = find_request(argv[0]);
	if (!r) {
		snprintf(c->why, sizeof(c->why),
			 "unknown request '%.32s' (try 'help')", argv[0]);
		return -1;
	}
	if (argc - 1 < r->min_args || argc - 1 > r->max_args) {
		snprintf(c->why, sizeof(c->why), "usage: %s", r->usage);
		return -1;
	}
	c->argc = argc;
	c->argv = argv;
	return r->fn(c);
}

enum control_after control_handle(struct control_ctx *ctx, const char *req,
				  size_t len, struct strbuf *reply)
{
	struct control_call c = { .ctx = ctx,
				  .out = reply,
				  .after = CONTROL_NEXT };
	size_t start = reply->len;
	char *line = NULL;
	int ret = -1;

	/* a line from a terminal or socat may end in \r\n */
	if (len && req[len - 1] == '\r')
		len--;
	if (!check_text(req, len, c.why, sizeof(c.why))) {
		line = malloc(len + 1);
		if (line) {
			memcpy(line, req, len);
			line[len] = '\0';
			ret = dispatch(&c, line);
		} else {
			snprintf(c.why, sizeof(c.why), "out of memory");
		}
	}
	free(line);
	if (ret == 0 && reply->overflow)
		snprintf(c.why, sizeof(c.why), "reply larger than %d bytes",
			 CONTROL_REPLY_MAX);
	if (ret || reply->overflow) {
		/* no half reply: only the error line */
		reply->len = start;
		reply->overflow = 0;
		if (reply->buf)
			reply->buf[start] = '\0';
		if (!c.why[0])
			snprintf(c.why, sizeof(c.why), "failed");
		strbuf_printf(reply, "error: %s\n", c.why);
		return c.after == CONTROL_WAIT ? CONTROL_NEXT : c.after;
	}
	strbuf_printf(reply, "ok\n");
	return c.after;
}
