// SPDX-License-Identifier: GPL-2.0
/*
 * Each line is formatted in a buffer and written with one write(2): lines
 * from several vCPUs never interleave (a pipe keeps writes up to PIPE_BUF
 * whole, a file serialises them), and no lock is shared between vCPUs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "observe.h"
#include "trace.h"
#include "vcpu.h"
#include "vm.h"

#define TRACE_LINE_MAX	 1024
#define TRACE_MAX_VALUES 16 /* string I/O: values shown, then "..." */

struct trace_sink {
	int fd;
	enum trace_format format;
	const char *eol;
};

struct line {
	char buf[TRACE_LINE_MAX];
	size_t len;
	int json;
};

static void put(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= sizeof(l->buf))
		l->len = sizeof(l->buf) - 1; /* truncated, still one line */
}

/* a field: text "name=value", JSON "name": value (strings quoted) */
static void field(struct line *l, const char *name, int quoted, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));

static void field(struct line *l, const char *name, int quoted, const char *fmt,
		  ...)
{
	char val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (l->json)
		put(l, ", \"%s\": %s%s%s", name, quoted ? "\"" : "", val,
		    quoted ? "\"" : "");
	else
		put(l, " %s=%s", name, val);
}

/* device names are kvmini's own string constants: nothing to escape */
static void dev_field(struct line *l, const char *dev)
{
	if (l->json && !dev)
		put(l, ", \"dev\": null");
	else
		field(l, "dev", 1, "%s", dev ? dev : "unclaimed");
}

static uint64_t load_value(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);
	return v;
}

static void io_detail(struct line *l, struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int size = run->io.size;
	uint32_t count = run->io.count;
	uint64_t end = run->io.data_offset + (uint64_t)count * size;
	const uint8_t *data = (const uint8_t *)run + run->io.data_offset;
	uint32_t shown = count < TRACE_MAX_VALUES ? count : TRACE_MAX_VALUES;

	if (size == 0 || size > 8 || end > (uint64_t)vcpu->vm->vcpu_mmap_size) {
		field(l, "malformed", 1, "size %u count %u", size, count);
		return;
	}
	field(l, "dir", 1, "%s",
	      run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in");
	field(l, "port", 1, "0x%04x", run->io.port);
	field(l, "size", 0, "%u", size);
	field(l, "count", 0, "%u", count);
	put(l, l->json ? ", \"values\": [" : " values=");
	for (uint32_t i = 0; i < shown; i++)
		put(l, l->json ? "%s\"0x%0*" PRIx64 "\"" : "%s0x%0*" PRIx64,
		    i ? "," : "", (int)size * 2,
		    load_value(data + (size_t)i * size, size));
	if (shown < count && !l->json) /* JSON: "count" tells how many */
		put(l, ",...");
	if (l->json)
		put(l, "]");
	dev_field(l, vcpu->exit_dev);
}

static void mmio_detail(struct line *l, struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int len = run->mmio.len;

	if (len == 0 || len > 8) {
		field(l, "malformed", 1, "len %u", len);
		return;
	}
	field(l, "dir", 1, "%s", run->mmio.is_write ? "write" : "read");
	field(l, "addr", 1, "0x%08llx",
	      (unsigned long long)run->mmio.phys_addr);
	field(l, "len", 0, "%u", len);
	field(l, "value", 1, "0x%0*" PRIx64, (int)len * 2,
	      load_value(run->mmio.data, len));
	dev_field(l, vcpu->exit_dev);
}

static const char *system_event_name(uint32_t type)
{
	switch (type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN: return "shutdown";
	case KVM_SYSTEM_EVENT_RESET: return "reset";
	case KVM_SYSTEM_EVENT_CRASH: return "crash";
	case KVM_SYSTEM_EVENT_WAKEUP: return "wakeup";
	case KVM_SYSTEM_EVENT_SUSPEND: return "suspend";
	case KVM_SYSTEM_EVENT_SEV_TERM: return "sev-term";
	default: return "unknown";
	}
}

static const char *internal_error_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION: return "emulation";
	case KVM_INTERNAL_ERROR_SIMUL_EX: return "simultaneous-exceptions";
	case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event-delivery";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected-exit-reason";
	default: return "unknown";
	}
}

static void exit_detail(struct line *l, struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO: io_detail(l, vcpu); break;
	case KVM_EXIT_MMIO: mmio_detail(l, vcpu); break;
	case KVM_EXIT_SYSTEM_EVENT:
		field(l, "event", 1, "%s",
		      system_event_name(run->system_event.type));
		field(l, "type", 0, "%u", run->system_event.type);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		field(l, "suberror", 0, "%u", run->internal.suberror);
		field(l, "what", 1, "%s",
		      internal_error_name(run->internal.suberror));
		break;
	case KVM_EXIT_FAIL_ENTRY:
		field(l, "hw_reason", 1, "0x%llx",
		      run->fail_entry.hardware_entry_failure_reason);
		field(l, "cpu", 0, "%u", run->fail_entry.cpu);
		break;
	case KVM_EXIT_DEBUG:
		field(l, "exception", 0, "%u", run->debug.arch.exception);
		field(l, "pc", 1, "0x%llx", run->debug.arch.pc);
		field(l, "dr6", 1, "0x%llx", run->debug.arch.dr6);
		break;
	case KVM_EXIT_SHUTDOWN: field(l, "what", 1, "triple-fault"); break;
	default: break; /* HLT, INTR, ...: the reason says it all */
	}
}

static void line_head(struct line *l, struct vcpu *vcpu, uint64_t t_ns)
{
	uint32_t reason = vcpu->run->exit_reason;
	uint64_t us = t_ns / 1000;
	struct kvm_regs regs;
	int have_rip = ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0;

	if (l->json) {
		put(l,
		    "{\"t_us\": %" PRIu64 ", \"vcpu\": %d, \"reason\": \"%s\""
		    ", \"code\": %u",
		    us, vcpu->id, kvm_exit_reason_name(reason), reason);
		if (have_rip)
			put(l, ", \"rip\": \"0x%llx\"", regs.rip);
		else
			put(l, ", \"rip\": null");
		return;
	}
	put(l, "%6" PRIu64 ".%06" PRIu64 " cpu%-3d %-14s ", us / 1000000,
	    us % 1000000, vcpu->id, kvm_exit_reason_name(reason));
	if (have_rip)
		put(l, "rip=%016llx", regs.rip);
	else
		put(l, "rip=%-16s", "?");
}

void trace_exit(struct trace_sink *sink, struct vcpu *vcpu, uint64_t t_ns)
{
	struct line l = { .len = 0, .json = sink->format == TRACE_JSON };
	size_t eol = strlen(sink->eol);

	line_head(&l, vcpu, t_ns);
	exit_detail(&l, vcpu);
	if (l.json)
		put(&l, "}");
	if (l.len + eol >= sizeof(l.buf))
		l.len = sizeof(l.buf) - eol - 1;
	memcpy(l.buf + l.len, sink->eol, eol);
	l.len += eol;
	/* a full disk or closed pipe loses trace lines, never the VM */
	if (write(sink->fd, l.buf, l.len) < 0)
		warn_once("trace output: %s", strerror(errno));
}

struct trace_sink *trace_open(const struct vm_config *cfg)
{
	static struct trace_sink sink = { .fd = -1 };

	if (sink.fd >= 0)
		return &sink;
	if (!cfg->trace_path)
		sink.fd = STDERR_FILENO;
	else if (strcmp(cfg->trace_path, "-") == 0)
		sink.fd = STDOUT_FILENO;
	else
		sink.fd = open(cfg->trace_path,
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (sink.fd < 0) {
		err("cannot open trace file %s: %s", cfg->trace_path,
		    strerror(errno));
		return NULL;
	}
	sink.format = cfg->trace_format;
	sink.eol = observe_eol(sink.fd);
	return &sink;
}
