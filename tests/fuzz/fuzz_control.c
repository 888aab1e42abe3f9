// SPDX-License-Identifier: GPL-2.0
/*
 * vmm/control_proto.c: the control socket's request parser and replies,
 * with a fake VM behind ctx->ops.  Input: u8 flags (bit 0: actions fail,
 * bit 1: snapshots fail, bit 2: memory n/a, bit 3: up to MAX_CPUS vCPUs
 * instead of up to 4: big replies, slow, so only two requests are read;
 * bit 4: no config for dumpconfig), u8 vCPU count, then up to 64 request
 * lines separated by '\n' (any bytes).
 * Checked: ASan/UBSan, and the reply framing every client relies on: each
 * reply is whole lines, the last is exactly "ok" or starts "error: ", no
 * data line looks like either, and it is never larger than the limit.
 */
#include <string.h>

#include "cli.h"
#include "config.h"
#include "control.h"
#include "fuzz.h"

static unsigned int flags;
static int nr_vcpus;

static int fake_snapshot(void *opaque, struct control_snapshot *s,
			 unsigned int what, char *why, size_t why_len)
{
	static const char *const names[] = { "serial", "acpi-pm", "pci-conf1" };

	if (flags & 2) {
		snprintf(why, why_len, "no VM");
		return -1;
	}
	s->state = (enum control_state)(nr_vcpus % 5);
	s->nr_vcpus = nr_vcpus;
	s->mem_bytes = 64ULL << 20;
	s->uptime_ns = 1234567890123ULL;
	s->process_cpu_ns = 987654321;
	for (int i = 0; i < nr_vcpus; i++) {
		for (int r = 0; r < VCPU_EXIT_REASONS; r++)
			s->vcpus[i].exits[r] = (uint64_t)(i + 1) * (r % 7);
		s->vcpus[i].cpu_ns = i % 3 ? (int64_t)i * 1000003 : -1;
	}
	s->nr_devs = CONTROL_MAX_DEVS;
	for (int i = 0; i < s->nr_devs; i++)
		s->devs[i] = (struct control_dev){
			i & 1 ? "mmio" : "port",  names[i % 3],
			(uint64_t)i << 12,	  8,
			UINT64_MAX - (uint64_t)i, (uint64_t)i
		};
	if (!(flags & 4) && (what & CONTROL_SNAP_SMAPS)) {
		s->ram_resident = 4 << 20;
		s->ram_anon_huge = 2 << 20;
		s->vmm_rss = 6 << 20;
		s->ksm_merged = 0;
	}
	return 0;
}

static int fake_act(void *opaque, enum control_action a, char *why,
		    size_t why_len)
{
	if (flags & 1) {
		snprintf(why, why_len, "action %d refused", (int)a);
		return -1;
	}
	return 0;
}

static const struct control_ops fake_ops = { fake_snapshot, fake_act };

static void check_reply(const struct strbuf *r)
{
	const char *p = r->buf, *end = r->buf + r->len, *last = NULL;

	FUZZ_CHECK(r->len > 0 && r->len <= CONTROL_REPLY_MAX);
	FUZZ_CHECK(r->buf[r->len - 1] == '\n');
	FUZZ_CHECK(strlen(r->buf) == r->len); /* no NUL inside */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		FUZZ_CHECK(nl);
		if (nl + 1 == end) {
			last = p;
			break;
		}
		FUZZ_CHECK(!(nl - p == 2 && !memcmp(p, "ok", 2)));
		FUZZ_CHECK(strncmp(p, "error:", 6));
		p = nl + 1;
	}
	FUZZ_CHECK(last);
	FUZZ_CHECK(!strcmp(last, "ok\n") || !strncmp(last, "error: ", 7));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control_snapshot *snap;
	struct control_ctx ctx = { .name = "fuzz-vm",
				   .pid = 42,
				   .ops = &fake_ops };
	struct fuzz_in in = { data, size, 0 };
	struct strbuf reply;
	const char *req, *end;

	static struct vm_config cfg;

	if (!snap) {
		snap = control_snapshot_alloc();
		/* what `dumpconfig` formats */
		cli_run_defaults(&cfg);
		cfg.kernel = "/k/vmlinuz";
		cfg.name = "fuzz-vm";
	}
	FUZZ_CHECK(snap);
	ctx.snap = snap;
	flags = fuzz_u8(&in);
	ctx.cfg = flags & 16 ? NULL : &cfg;
	nr_vcpus = fuzz_u8(&in) % (flags & 8 ? MAX_CPUS + 1 : 5);
	if (in.pos > size)
		return 0;
	req = (const char *)data + in.pos;
	end = (const char *)data + size;
	strbuf_init(&reply, CONTROL_REPLY_MAX);
	/* a stat of 254 vCPUs formats ~100 KB: a few per input are enough */
	for (int n = 0, max = flags & 8 ? 2 : 64; req <= end && n < max; n++) {
		const char *nl = memchr(req, '\n', (size_t)(end - req));
		size_t len = nl ? (size_t)(nl - req) : (size_t)(end - req);

		strbuf_reset(&reply);
		control_handle(&ctx, req, len, &reply);
		check_reply(&reply);
		if (!nl)
			break;
		req = nl + 1;
	}
	strbuf_free(&reply);
	return 0;
}
