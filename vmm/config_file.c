// SPDX-License-Identifier: GPL-2.0
/*
 * VM definition files (docs/config-file.md).  The parser only splits
 * lines into key and value; cli_run_option() judges both, so the file
 * accepts what the command line accepts and says so in the same words.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"
#include "config_file.h"

static char *skip_space(char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

static int is_key_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int hex_digit(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* A "..." value, decoded in place into @p: decoding only ever shrinks. */
static int unquote(char *p, char *msg)
{
	char *out = p, *in = p + 1;

	for (;;) {
		char c = *in++;

		if (!c) {
			snprintf(msg, CLI_ERR_LEN, "unterminated quoted value");
			return -1;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			c = *in++;
			if (c == 'n') {
				c = '\n';
			} else if (c == 't') {
				c = '\t';
			} else if (c == 'r') {
				c = '\r';
			} else if (c == 'x' && isxdigit((unsigned char)in[0]) &&
				   isxdigit((unsigned char)in[1])) {
				c = (char)(hex_digit((unsigned char)in[0])
						   << 4 |
					   hex_digit((unsigned char)in[1]));
				in += 2;
				if (!c) {
					snprintf(msg, CLI_ERR_LEN,
						 "a value cannot hold \\x00");
					return -1;
				}
			} else if (c != '\\' && c != '"') {
				snprintf(msg, CLI_ERR_LEN,
					 "bad escape in quoted value (use \\\\ "
					 "\\\" \\n \\t \\r or \\xHH)");
				return -1;
			}
		}
		*out++ = c;
	}
	if (*skip_space(in)) {
		snprintf(msg, CLI_ERR_LEN, "text after the closing quote");
		return -1;
	}
	*out = '\0';
	return 0;
}

/* The value after '=': "quoted", or verbatim without outer white space. */
static int parse_value(char *p, char **value, char *msg)
{
	char *end;

	p = skip_space(p);
	*value = p;
	if (*p == '"') {
		if (unquote(p, msg))
			return -1;
	} else {
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		*end = '\0';
	}
	if (strlen(p) > CONFIG_MAX_VALUE) {
		snprintf(msg, CLI_ERR_LEN, "value longer than %d bytes",
			 CONFIG_MAX_VALUE);
		return -1;
	}
	return 0;
}

/* One line: blank, "# comment", "key" (a flag) or "key = value". */
static int parse_line(char *line, struct vm_config *cfg, char *msg)
{
	char *key = skip_space(line), *key_end, *p, *value = NULL;
	int has_value;

	if (!*key || *key == '#')
		return 0;
	for (key_end = key; is_key_char((unsigned char)*key_end); key_end++)
		;
	p = skip_space(key_end);
	if (key_end == key || (*p && *p != '=')) {
		snprintf(msg, CLI_ERR_LEN,
			 "expected 'key = value' or a flag alone, keys being "
			 "`kvmini run` option names (mem, disk, ...)");
		return -1;
	}
	has_value = *p == '=';
	*key_end = '\0';
	if (has_value && parse_value(p + 1, &value, msg))
		return -1;
	return cli_run_option(cfg, key, value, msg) ? -1 : 0;
}

int config_parse(const char *name, char *text, size_t len,
		 struct vm_config *cfg, char *why)
{
	char msg[CLI_ERR_LEN];
	unsigned int lineno = 0;
	size_t pos = 0;

	text[len] = '\0';
	while (pos < len) {
		char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		lineno++;
		pos += n + 1;
		if (n > CONFIG_MAX_LINE)
			snprintf(msg, sizeof(msg), "line longer than %d bytes",
				 CONFIG_MAX_LINE);
		else if (memchr(line, '\0', n))
			snprintf(msg, sizeof(msg), "NUL byte in line");
		else if ((line[n] = '\0', parse_line(line, cfg, msg)) == 0)
			continue;
		snprintf(why, CLI_ERR_LEN, "%.80s:%u: %.160s", name, lineno,
			 msg);
		/* values echoed in messages may hold escapes: keep one line */
		for (char *c = why; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		return -1;
	}
	return 0;
}

/*
 * Texts stay allocated for the life of the process: the vm_config points
 * into them.  Chained from a global, so leak checkers see them in use.
 */
struct kept_text {
	struct kept_text *next;
	char text[];
};
static struct kept_text *kept_texts;

static int read_all(int fd, struct kept_text **kt, size_t *len)
{
	size_t cap = 4096;
	ssize_t n;

	*len = 0;
	*kt = malloc(sizeof(**kt) + cap + 1);
	while (*kt) {
		n = read(fd, (*kt)->text + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 0;
		*len += n;
		if (*len > CONFIG_MAX_SIZE)
			return errno = EFBIG, -1;
		if (*len == cap) {
			struct kept_text *bigger;

			cap *= 2;
			bigger = realloc(*kt, sizeof(**kt) + cap + 1);
			if (!bigger)
				break;
			*kt = bigger;
		}
	}
	free(*kt);
	*kt = NULL;
	return errno = ENOMEM, -1;
}

int config_load(const char *path, struct vm_config *cfg, char *why)
{
	struct kept_text *kt = NULL;
	struct stat st;
	size_t len;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !fstat(fd, &st) && S_ISDIR(st.st_mode))
		errno = EISDIR, ret = -1;
	else
		ret = fd < 0 ? -1 : read_all(fd, &kt, &len);
	if (fd >= 0)
		close(fd);
	if (ret) {
		snprintf(why, CLI_ERR_LEN, "cannot read config file %.150s: %s",
			 path,
			 errno == EFBIG ? "larger than 1 MiB"
					: strerror(errno));
		free(kt);
		return -1;
	}
	kt->next = kept_texts;
	kept_texts = kt;
	return config_parse(path, kt->text, len, cfg, why);
}

/* --- writing -------------------------------------------------------- */

static int needs_quotes(const char *v)
{
	size_t n = strlen(v);

	if (!n || isspace((unsigned char)v[0]) || v[0] == '"' ||
	    isspace((unsigned char)v[n - 1]))
		return 1;
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 1;
	return 0;
}

static void put_quoted(FILE *out, const char *v)
{
	fputc('"', out);
	for (; *v; v++) {
		unsigned char c = *v;

		if (c == '\\' || c == '"')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void put(FILE *out, const char *key, const char *value)
{
	fprintf(out, "%s = ", key);
	if (needs_quotes(value))
		put_quoted(out, value);
	else
		fputs(value, out);
	fputc('\n', out);
}

/* put() of a value built with printf; dropped without memory (ferror) */
static void __attribute__((format(printf, 3, 4)))
putf(FILE *out, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(out, "# out of memory for '%s'\n", key);
		return;
	}
	put(out, key, v);
	free(v);
}

static void put_flag(FILE *out, const char *key, int on)
{
	if (on)
		fprintf(out, "%s\n", key);
}

static const char *const kernel_formats[] = {
	[KERNEL_FORMAT_AUTO] = "auto", [KERNEL_FORMAT_BZIMAGE] = "bzimage",
	[KERNEL_FORMAT_ELF] = "elf",   [KERNEL_FORMAT_MULTIBOOT] = "multiboot",
	[KERNEL_FORMAT_FLAT] = "flat",
};
static const char *const flat_modes[] = {
	[FLAT_MODE_REAL] = "real", [FLAT_MODE_32] = "32", [FLAT_MODE_64] = "64"
};

static void put_kernel(FILE *out, const struct vm_config *cfg)
{
	const struct kernel_options *k = &cfg->kopts;
	char opts[160] = "";
	size_t n = 0;

	if (k->format != KERNEL_FORMAT_AUTO && k->format <= KERNEL_FORMAT_FLAT)
		n += snprintf(opts + n, sizeof(opts) - n, ",format=%s",
			      kernel_formats[k->format]);
	if (k->has_addr)
		n += snprintf(opts + n, sizeof(opts) - n, ",addr=0x%llx",
			      (unsigned long long)k->addr);
	if (k->has_entry)
		n += snprintf(opts + n, sizeof(opts) - n, ",entry=0x%llx",
			      (unsigned long long)k->entry);
	if (k->mode >= FLAT_MODE_REAL && k->mode <= FLAT_MODE_64)
		snprintf(opts + n, sizeof(opts) - n, ",mode=%s",
			 flat_modes[k->mode]);
	putf(out, "kernel", "%s%s", cfg->kernel, opts);
}

static void put_size(FILE *out, const char *key, uint64_t bytes)
{
	unsigned long long b = bytes;

	if (b && !(b & ((1ULL << 30) - 1)))
		putf(out, key, "%lluG", b >> 30);
	else if (b && !(b & ((1ULL << 20) - 1)))
		putf(out, key, "%lluM", b >> 20);
	else
		putf(out, key, "%lluK", b >> 10);
}

static void put_disk(FILE *out, const struct disk_config *d)
{
	static const char *const aio[] = { [DISK_AIO_AUTO] = "",
					   [DISK_AIO_URING] = ",aio=io_uring",
					   [DISK_AIO_SYNC] = ",aio=sync" };

	char queues[24] = "";

	if (d->queues)
		snprintf(queues, sizeof(queues), ",queues=%u", d->queues);
	putf(out, "disk", "%s%s%s%s%s%s%s%s", d->path,
	     d->read_only ? ",ro" : "", d->direct ? ",cache=none" : "",
	     aio[d->aio], queues, d->mmio ? ",transport=mmio" : "",
	     d->serial[0] ? ",serial=" : "", d->serial);
}

static void put_net(FILE *out, const struct net_config *n)
{
	char mac[32] = "";

	if (n->has_mac)
		snprintf(mac, sizeof(mac), ",mac=%02x:%02x:%02x:%02x:%02x:%02x",
			 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
			 n->mac[5]);
	putf(out, "net", "%s%s%s%s%s%s", n->tap[0] ? "tap=" : "", n->tap,
	     n->tap[0] && n->bridge[0] ? "," : "",
	     n->bridge[0] ? "bridge=" : "", n->bridge, mac);
}

static void put_gdb(FILE *out, const struct gdb_config *g)
{
	if (g->transport == GDB_TCP)
		putf(out, "gdb", "tcp:%s:%d", g->host, g->port);
	else if (g->transport == GDB_UNIX)
		putf(out, "gdb", "unix:%s", g->path);
	put_flag(out, "gdb-wait", g->wait);
}

static void put_console(FILE *out, const struct vm_config *cfg)
{
	if (cfg->console == CONSOLE_FILE)
		putf(out, "console", "file:%s", cfg->console_path);
	else if (cfg->console == CONSOLE_SOCKET)
		put(out, "console", "socket");
	else
		put(out, "console",
		    cfg->console == CONSOLE_NONE ? "none" : "stdio");
	put_flag(out, "detach", cfg->detach);
	if (cfg->log_path)
		put(out, "log", cfg->log_path);
}

static void put_observing(FILE *out, const struct vm_config *cfg)
{
	if (cfg->trace_exits && cfg->trace_path)
		putf(out, "trace", "exits=%s", cfg->trace_path);
	else if (cfg->trace_exits)
		put(out, "trace", "exits");
	if (cfg->trace_format == TRACE_JSON)
		put(out, "trace-format", "json");
	put_flag(out, "stats", cfg->stats);
	if (cfg->single_step)
		putf(out, "single-step", "%llu",
		     (unsigned long long)cfg->single_step);
	put_gdb(out, &cfg->gdb);
}

int config_format(const struct vm_config *cfg, FILE *out)
{
	fputs("# kvmini VM definition: kvmini run --config FILE "
	      "(docs/config-file.md)\n",
	      out);
	if (cfg->name && !cli_default_name(cfg->name))
		put(out, "name", cfg->name);
	if (cfg->boot_given)
		put(out, "boot", cfg->boot == BOOT_DISK ? "disk" : "kernel");
	if (cfg->kernel)
		put_kernel(out, cfg);
	if (cfg->initrd)
		put(out, "initrd", cfg->initrd);
	for (int i = 0; i < cfg->nr_modules; i++)
		putf(out, "module", "%s%s%s", cfg->modules[i].path,
		     cfg->modules[i].cmdline ? ",cmdline=" : "",
		     cfg->modules[i].cmdline ? cfg->modules[i].cmdline : "");
	if (cfg->cmdline)
		put(out, "cmdline", cfg->cmdline);
	put_size(out, "mem", cfg->mem_size);
	putf(out, "cpus", "%d", cfg->nr_cpus);
	put_flag(out, "ksm", cfg->ksm);
	if (cfg->hugepages && cfg->hugepages_path)
		put(out, "hugepages", cfg->hugepages_path);
	put_flag(out, "hugepages", cfg->hugepages && !cfg->hugepages_path);
	put_console(out, cfg);
	put(out, "reboot", cfg->reboot == REBOOT_RESTART ? "restart" : "exit");
	put_flag(out, "test-exit", cfg->test_exit);
	for (int i = 0; i < cfg->nr_disks; i++)
		put_disk(out, &cfg->disks[i]);
	for (int i = 0; i < cfg->nr_nics; i++)
		put_net(out, &cfg->nics[i]);
	put_observing(out, cfg);
	return ferror(out) || fflush(out) ? -1 : 0;
}

char *config_format_string(const struct vm_config *cfg)
{
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);
	int bad;

	if (!out)
		return NULL;
	bad = config_format(cfg, out);
	if (fclose(out) || bad) {
		free(text);
		return NULL;
	}
	return text;
}

/* --- comparing and copying ----------------------------------------- */

static int str_differs(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) != 0 : a != b;
}

#define DIFFERS(cond, field)                              \
	do {                                              \
		if (cond) {                               \
			snprintf(what, len, "%s", field); \
			return 1;                         \
		}                                         \
	} while (0)

static int kernel_differs(const struct kernel_options *a,
			  const struct kernel_options *b, char *what,
			  size_t len)
{
	DIFFERS(a->format != b->format, "kernel format=");
	DIFFERS(a->has_addr != b->has_addr ||
			(a->has_addr && a->addr != b->addr),
		"kernel addr=");
	DIFFERS(a->has_entry != b->has_entry ||
			(a->has_entry && a->entry != b->entry),
		"kernel entry=");
	DIFFERS(a->mode != b->mode, "kernel mode=");
	return 0;
}

static int devices_differ(const struct vm_config *a, const struct vm_config *b,
			  char *what, size_t len)
{
	DIFFERS(a->nr_disks != b->nr_disks, "disk count");
	for (int i = 0; i < a->nr_disks; i++) {
		const struct disk_config *x = &a->disks[i], *y = &b->disks[i];

		DIFFERS(str_differs(x->path, y->path) ||
				x->read_only != y->read_only ||
				x->direct != y->direct || x->aio != y->aio ||
				x->queues != y->queues || x->mmio != y->mmio ||
				strcmp(x->serial, y->serial),
			"disk");
	}
	DIFFERS(a->nr_nics != b->nr_nics, "net count");
	for (int i = 0; i < a->nr_nics; i++) {
		const struct net_config *x = &a->nics[i], *y = &b->nics[i];

		DIFFERS(strcmp(x->tap, y->tap) ||
				strcmp(x->bridge, y->bridge) ||
				x->has_mac != y->has_mac ||
				(x->has_mac && memcmp(x->mac, y->mac, 6)),
			"net");
	}
	return 0;
}

static int observing_differs(const struct vm_config *a,
			     const struct vm_config *b, char *what, size_t len)
{
	const struct gdb_config *g = &a->gdb, *h = &b->gdb;

	DIFFERS(a->trace_exits != b->trace_exits ||
			(a->trace_exits &&
			 str_differs(a->trace_path, b->trace_path)),
		"trace");
	DIFFERS(a->trace_format != b->trace_format, "trace-format");
	DIFFERS(a->stats != b->stats, "stats");
	DIFFERS(a->single_step != b->single_step, "single-step");
	DIFFERS(g->transport != h->transport ||
			(g->transport == GDB_TCP &&
			 (strcmp(g->host, h->host) || g->port != h->port)) ||
			(g->transport == GDB_UNIX && strcmp(g->path, h->path)),
		"gdb");
	DIFFERS(g->wait != h->wait, "gdb-wait");
	return 0;
}

int config_compare(const struct vm_config *a, const struct vm_config *b,
		   char *what, size_t len)
{
	DIFFERS(a->boot != b->boot || a->boot_given != b->boot_given, "boot");
	DIFFERS(str_differs(a->kernel, b->kernel), "kernel");
	if (kernel_differs(&a->kopts, &b->kopts, what, len))
		return 1;
	DIFFERS(a->nr_modules != b->nr_modules, "module count");
	for (int i = 0; i < a->nr_modules; i++)
		DIFFERS(str_differs(a->modules[i].path, b->modules[i].path) ||
				str_differs(a->modules[i].cmdline,
					    b->modules[i].cmdline),
			"module");
	DIFFERS(str_differs(a->initrd, b->initrd), "initrd");
	DIFFERS(str_differs(a->cmdline, b->cmdline), "cmdline");
	DIFFERS(a->mem_size != b->mem_size, "mem");
	DIFFERS(a->nr_cpus != b->nr_cpus, "cpus");
	DIFFERS(str_differs(a->name, b->name), "name");
	DIFFERS(a->console != b->console ||
			(a->console == CONSOLE_FILE &&
			 str_differs(a->console_path, b->console_path)),
		"console");
	DIFFERS(a->detach != b->detach, "detach");
	DIFFERS(str_differs(a->log_path, b->log_path), "log");
	DIFFERS(a->reboot != b->reboot, "reboot");
	DIFFERS(a->test_exit != b->test_exit, "test-exit");
	DIFFERS(a->ksm != b->ksm, "ksm");
	DIFFERS(a->hugepages != b->hugepages ||
			str_differs(a->hugepages_path, b->hugepages_path),
		"hugepages");
	if (devices_differ(a, b, what, len))
		return 1;
	return observing_differs(a, b, what, len);
}

/* The string fields of @c, as slots that config_dup() can repoint. */
static int string_slots(struct vm_config *c, const char **slots[])
{
	int n = 0;

	slots[n++] = &c->kernel;
	slots[n++] = &c->initrd;
	slots[n++] = &c->cmdline;
	slots[n++] = &c->name;
	slots[n++] = &c->console_path;
	slots[n++] = &c->trace_path;
	slots[n++] = &c->hugepages_path;
	slots[n++] = &c->log_path;
	for (int i = 0; i < c->nr_modules && i < MAX_MODULES; i++) {
		slots[n++] = &c->modules[i].path;
		slots[n++] = &c->modules[i].cmdline;
	}
	for (int i = 0; i < c->nr_disks && i < MAX_DISKS; i++)
		slots[n++] = &c->disks[i].path;
	return n;
}

#define MAX_STRING_SLOTS (8 + 2 * MAX_MODULES + MAX_DISKS)

struct vm_config *config_dup(const struct vm_config *cfg)
{
	const char **slots[MAX_STRING_SLOTS];
	struct vm_config probe = *cfg, *copy;
	size_t size = sizeof(*copy);
	int n = string_slots(&probe, slots);
	char *p;

	for (int i = 0; i < n; i++)
		if (*slots[i])
			size += strlen(*slots[i]) + 1;
	copy = malloc(size);
	if (!copy)
		return NULL;
	*copy = *cfg;
	p = (char *)(copy + 1);
	string_slots(copy, slots);
	for (int i = 0; i < n; i++) {
		if (!*slots[i])
			continue;
		strcpy(p, *slots[i]);
		*slots[i] = p;
		p += strlen(p) + 1;
	}
	return copy;
}
