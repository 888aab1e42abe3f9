// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "boot.h"
#include "cli.h"
#include "config_file.h"
#include "rundir.h"

#define DEFAULT_CMDLINE "console=ttyS0"

int parse_size(const char *s, uint64_t *bytes, char *why)
{
	unsigned long long v;
	unsigned int shift = 20;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	if (*end && strchr("KMGTkmgt", *end)) {
		shift = 10 * (strchr("KMGT", toupper((unsigned char)*end)) -
			      "KMGT" + 1);
		end++;
		if (strcasecmp(end, "B") == 0 || strcasecmp(end, "iB") == 0)
			end += strlen(end);
	}
	if (*end || (v && v > (UINT64_MAX >> shift)))
		goto bad;
	*bytes = (uint64_t)v << shift;
	return 0;
bad:
	snprintf(why, CLI_ERR_LEN,
		 "invalid size '%s' (examples: 512M, 2G, 1024K)", s ? s : "");
	return -1;
}

static int parse_cpus(const char *s, int *n, char *why)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > MAX_CPUS) {
		snprintf(why, CLI_ERR_LEN,
			 "--cpus must be a number from 1 to %d, not '%s'",
			 MAX_CPUS, s);
		return -1;
	}
	*n = (int)v;
	return 0;
}

static int parse_console(const char *s, struct vm_config *cfg, char *why)
{
	if (strcmp(s, "stdio") == 0) {
		cfg->console = CONSOLE_STDIO;
	} else if (strcmp(s, "none") == 0) {
		cfg->console = CONSOLE_NONE;
	} else if (strncmp(s, "file:", 5) == 0 && s[5]) {
		cfg->console = CONSOLE_FILE;
		cfg->console_path = s + 5;
	} else if (strcmp(s, "socket") == 0) {
		cfg->console = CONSOLE_SOCKET;
	} else {
		snprintf(why, CLI_ERR_LEN,
			 "--console must be stdio, none, file:PATH or socket, "
			 "not '%s'",
			 s);
		return -1;
	}
	cfg->console_given = 1;
	return 0;
}

/* queues=N: 1..DISK_QUEUES_MAX, digits only */
static int parse_queues(const char *s, unsigned int *out)
{
	char *end;
	unsigned long n;

	if (*s < '0' || *s > '9')
		return -1;
	n = strtoul(s, &end, 10);
	if (*end || n < 1 || n > DISK_QUEUES_MAX)
		return -1;
	*out = n;
	return 0;
}

/* PATH[,ro][,cache=writeback|none][,aio=...][,queues=N][,serial=ID] */
static int parse_disk(const char *arg, struct vm_config *cfg, char *why)
{
	static char paths[MAX_DISKS][4096];
	struct disk_config *d;
	char *opts, *tok, *save;

	if (cfg->nr_disks == MAX_DISKS) {
		snprintf(why, CLI_ERR_LEN, "at most %d --disk options",
			 MAX_DISKS);
		return -1;
	}
	d = &cfg->disks[cfg->nr_disks];
	memset(d, 0, sizeof(*d));
	if (strlen(arg) >= sizeof(paths[0]) || !arg[0] || arg[0] == ',') {
		snprintf(why, CLI_ERR_LEN,
			 "--disk needs PATH[,OPTION...] (see kvmini run --help)");
		return -1;
	}
	strcpy(paths[cfg->nr_disks], arg);
	opts = strchr(paths[cfg->nr_disks], ',');
	if (opts)
		*opts++ = '\0';
	d->path = paths[cfg->nr_disks];
	for (tok = opts ? strtok_r(opts, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "ro") == 0) {
			d->read_only = 1;
		} else if (strcmp(tok, "cache=writeback") == 0) {
			d->direct = 0;
		} else if (strcmp(tok, "cache=none") == 0) {
			d->direct = 1;
		} else if (strcmp(tok, "aio=auto") == 0) {
			d->aio = DISK_AIO_AUTO;
		} else if (strcmp(tok, "aio=io_uring") == 0) {
			d->aio = DISK_AIO_URING;
		} else if (strcmp(tok, "aio=sync") == 0) {
			d->aio = DISK_AIO_SYNC;
		} else if (strncmp(tok, "queues=", 7) == 0 &&
			   !parse_queues(tok + 7, &d->queues)) {
			/* parsed */
		} else if (strcmp(tok, "transport=pci") == 0) {
			d->mmio = 0;
		} else if (strcmp(tok, "transport=mmio") == 0) {
			d->mmio = 1;
		} else if (strncmp(tok, "serial=", 7) == 0 &&
			   strlen(tok + 7) <= DISK_SERIAL_MAX) {
			strcpy(d->serial, tok + 7);
		} else {
			snprintf(why, CLI_ERR_LEN,
				 "--disk %.60s: unknown or bad option '%.40s' "
				 "(ro, cache=writeback|none, "
				 "aio=auto|io_uring|sync, queues=1..%d, "
				 "transport=pci|mmio, "
				 "serial=ID of at most %d bytes)",
				 arg, tok, DISK_QUEUES_MAX, DISK_SERIAL_MAX);
			return -1;
		}
	}
	cfg->nr_disks++;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6 ||
	    strlen(s) != 17 || (b[0] & 1))
		return -1; /* also refuses multicast addresses */
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

/* tap=NAME and/or bridge=BR, optional mac=MAC */
static int parse_net(const char *arg, struct vm_config *cfg, char *why)
{
	char buf[256], *tok, *save;
	struct net_config *n;

	if (cfg->nr_nics == MAX_NICS || strlen(arg) >= sizeof(buf)) {
		snprintf(why, CLI_ERR_LEN, "at most %d --net options",
			 MAX_NICS);
		return -1;
	}
	n = &cfg->nics[cfg->nr_nics];
	memset(n, 0, sizeof(*n));
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "tap=", 4) && tok[4] &&
		    strlen(tok + 4) < NIC_NAME_MAX) {
			strcpy(n->tap, tok + 4);
		} else if (!strncmp(tok, "bridge=", 7) && tok[7] &&
			   strlen(tok + 7) < NIC_NAME_MAX) {
			strcpy(n->bridge, tok + 7);
		} else if (!strncmp(tok, "mac=", 4) &&
			   parse_mac(tok + 4, n->mac) == 0) {
			n->has_mac = 1;
		} else {
			snprintf(why, CLI_ERR_LEN,
				 "--net %.60s: bad option '%.40s' (tap=NAME, "
				 "bridge=BR, mac=02:xx:xx:xx:xx:xx unicast; "
				 "names up to %d chars)",
				 arg, tok, NIC_NAME_MAX - 1);
			return -1;
		}
	}
	if (!n->tap[0] && !n->bridge[0]) {
		snprintf(why, CLI_ERR_LEN, "--net needs tap=NAME or bridge=BR");
		return -1;
	}
	cfg->nr_nics++;
	return 0;
}

static int parse_seccomp(const char *s, struct vm_config *cfg, char *why)
{
	if (strcmp(s, "on") == 0) {
		cfg->seccomp = SECCOMP_MODE_ON;
	} else if (strcmp(s, "off") == 0) {
		cfg->seccomp = SECCOMP_MODE_OFF;
	} else if (strcmp(s, "log") == 0) {
		cfg->seccomp = SECCOMP_MODE_LOG;
	} else {
		snprintf(why, CLI_ERR_LEN,
			 "--seccomp must be on, off or log, not '%s'", s);
		return -1;
	}
	return 0;
}

static int parse_nonempty(const char *s, const char *opt, const char **dst,
			  char *why)
{
	if (!s[0]) {
		snprintf(why, CLI_ERR_LEN, "%s needs a value", opt);
		return -1;
	}
	*dst = s;
	return 0;
}

static int parse_reboot(const char *s, struct vm_config *cfg, char *why)
{
	if (strcmp(s, "exit") == 0) {
		cfg->reboot = REBOOT_EXIT;
	} else if (strcmp(s, "restart") == 0) {
		cfg->reboot = REBOOT_RESTART;
	} else {
		snprintf(why, CLI_ERR_LEN,
			 "--reboot must be exit or restart, not '%s'", s);
		return -1;
	}
	return 0;
}

static int parse_mem(const char *s, struct vm_config *cfg, char *why)
{
	uint64_t bytes;

	if (parse_size(s, &bytes, why)) {
		char inner[CLI_ERR_LEN];

		snprintf(inner, sizeof(inner), "%s", why);
		snprintf(why, CLI_ERR_LEN, "--mem: %.200s", inner);
		return -1;
	}
	if (bytes < MIN_MEM_SIZE) {
		snprintf(why, CLI_ERR_LEN,
			 "--mem %s is too small (minimum %lluM)", s,
			 MIN_MEM_SIZE >> 20);
		return -1;
	}
	if (bytes > UINT64_MAX - 0xfff) {
		/* rounding up to a page would wrap to 0 */
		snprintf(why, CLI_ERR_LEN, "--mem %.60s is too large", s);
		return -1;
	}
	cfg->mem_size = (bytes + 0xfff) & ~0xfffULL;
	return 0;
}

/* exits, or exits=FILE ("-" is stdout) */
static int parse_trace(const char *s, struct vm_config *cfg, char *why)
{
	if (strcmp(s, "exits") == 0) {
		cfg->trace_path = NULL;
	} else if (strncmp(s, "exits=", 6) == 0 && s[6]) {
		cfg->trace_path = s + 6;
	} else {
		snprintf(why, CLI_ERR_LEN,
			 "--trace must be exits or exits=FILE, not '%s'", s);
		return -1;
	}
	cfg->trace_exits = 1;
	return 0;
}

static int parse_trace_format(const char *s, struct vm_config *cfg, char *why)
{
	if (strcmp(s, "text") == 0) {
		cfg->trace_format = TRACE_TEXT;
	} else if (strcmp(s, "json") == 0) {
		cfg->trace_format = TRACE_JSON;
	} else {
		snprintf(why, CLI_ERR_LEN,
			 "--trace-format must be text or json, not '%s'", s);
		return -1;
	}
	return 0;
}

static int parse_single_step(const char *s, struct vm_config *cfg, char *why)
{
	unsigned long long v;
	char *end;

	if (!s) {
		cfg->single_step = SINGLE_STEP_DEFAULT;
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || errno || *end || v < 1 ||
	    v > SINGLE_STEP_MAX) {
		snprintf(why, CLI_ERR_LEN,
			 "--single-step=COUNT must be a number from 1 to %d, "
			 "not '%s'",
			 SINGLE_STEP_MAX, s);
		return -1;
	}
	cfg->single_step = v;
	return 0;
}

/* an address: decimal or 0x hex, no sign, no junk, no overflow */
static int parse_addr(const char *s, uint64_t *v)
{
	char *end;

	int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

	if (hex ? !isxdigit((unsigned char)s[2]) : !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	/* base 10 or 16 only: strtoull's base 0 would read 010 as octal 8 */
	*v = strtoull(s, &end, hex ? 16 : 10);
	return errno || *end ? -1 : 0;
}

static int parse_kernel_opt(const char *tok, struct kernel_options *k)
{
	static const char *const formats[] = {
		[KERNEL_FORMAT_AUTO] = "auto",
		[KERNEL_FORMAT_BZIMAGE] = "bzimage",
		[KERNEL_FORMAT_ELF] = "elf",
		[KERNEL_FORMAT_MULTIBOOT] = "multiboot",
		[KERNEL_FORMAT_FLAT] = "flat",
	};
	static const char *const modes[] = { [FLAT_MODE_REAL] = "real",
					     [FLAT_MODE_32] = "32",
					     [FLAT_MODE_64] = "64" };

	for (unsigned int i = 0; i < 5 && !strncmp(tok, "format=", 7); i++)
		if (!strcmp(tok + 7, formats[i]))
			return k->format = i, 0;
	for (unsigned int i = FLAT_MODE_REAL; i <= FLAT_MODE_64; i++)
		if (!strncmp(tok, "mode=", 5) && !strcmp(tok + 5, modes[i]))
			return k->mode = i, 0;
	if (!strncmp(tok, "addr=", 5) && !parse_addr(tok + 5, &k->addr))
		return k->has_addr = 1, 0;
	if (!strncmp(tok, "entry=", 6) && !parse_addr(tok + 6, &k->entry))
		return k->has_entry = 1, 0;
	return -1;
}

/* FILE[,format=auto|bzimage|elf|multiboot|flat][,addr=][,entry=][,mode=] */
static int parse_kernel(const char *arg, struct vm_config *cfg, char *why)
{
	static char buf[4096];
	char *opts, *tok, *save;

	if (strlen(arg) >= sizeof(buf) || !arg[0] || arg[0] == ',') {
		snprintf(why, CLI_ERR_LEN, "--kernel needs FILE[,options]");
		return -1;
	}
	strcpy(buf, arg);
	memset(&cfg->kopts, 0, sizeof(cfg->kopts));
	opts = strchr(buf, ',');
	if (opts)
		*opts++ = '\0';
	cfg->kernel = buf;
	for (tok = opts ? strtok_r(opts, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (parse_kernel_opt(tok, &cfg->kopts)) {
			snprintf(why, CLI_ERR_LEN,
				 "--kernel: bad option '%.60s' (format=auto|"
				 "bzimage|elf|multiboot|flat, addr=ADDR, "
				 "entry=ADDR, mode=real|32|64)",
				 tok);
			return -1;
		}
	}
	return 0;
}

/* FILE[,cmdline=STRING]: the string is the rest, commas and all */
static int parse_module(const char *arg, struct vm_config *cfg, char *why)
{
	static char paths[MAX_MODULES][4096];
	struct module_config *m = &cfg->modules[cfg->nr_modules];
	char *opt;

	if (cfg->nr_modules == MAX_MODULES) {
		snprintf(why, CLI_ERR_LEN, "at most %d --module options",
			 MAX_MODULES);
		return -1;
	}
	if (strlen(arg) >= sizeof(paths[0]) || !arg[0] || arg[0] == ',') {
		snprintf(
			why, CLI_ERR_LEN,
			"--module needs FILE[,cmdline=STRING], under %zu bytes",
			sizeof(paths[0]));
		return -1;
	}
	strcpy(paths[cfg->nr_modules], arg);
	m->path = paths[cfg->nr_modules];
	m->cmdline = NULL;
	opt = strchr(paths[cfg->nr_modules], ',');
	if (opt) {
		*opt++ = '\0';
		if (strncmp(opt, "cmdline=", 8)) {
			snprintf(why, CLI_ERR_LEN,
				 "--module %.60s: bad option '%.40s' "
				 "(cmdline=STRING)",
				 m->path, opt);
			return -1;
		}
		m->cmdline = opt + 8;
	}
	cfg->nr_modules++;
	return 0;
}

/* Options that only some formats take. */
static int check_kernel_options(const struct vm_config *cfg, char *why)
{
	const struct kernel_options *k = &cfg->kopts;
	int flat = k->format == KERNEL_FORMAT_FLAT;
	int mb = k->format == KERNEL_FORMAT_MULTIBOOT ||
		 k->format == KERNEL_FORMAT_AUTO;

	if (!flat && (k->has_addr || k->has_entry || k->mode))
		snprintf(why, CLI_ERR_LEN,
			 "--kernel: addr=, entry= and mode= need format=flat");
	else if (flat && !k->has_addr)
		snprintf(why, CLI_ERR_LEN,
			 "--kernel: format=flat needs addr=ADDR");
	else if (flat && cfg->initrd)
		snprintf(why, CLI_ERR_LEN,
			 "--initrd does not apply to format=flat");
	else if (cfg->nr_modules && !mb)
		snprintf(why, CLI_ERR_LEN,
			 "--module needs a Multiboot kernel (format=multiboot "
			 "or auto)");
	else
		return boot_check_options(cfg, why);
	return -1;
}

static int parse_gdb_tcp(const char *spec, struct gdb_config *g, char *why)
{
	const char *colon = strrchr(spec, ':');
	size_t host_len = colon ? (size_t)(colon - spec) : 0;
	struct in_addr addr;
	char *end;
	long port;

	if (!colon || host_len >= GDB_HOST_MAX)
		return -1;
	memcpy(g->host, spec, host_len);
	g->host[host_len] = '\0';
	/* loopback unless an address is named: a stub gives away the VM */
	if (!g->host[0] || !strcmp(g->host, "localhost"))
		strcpy(g->host, "127.0.0.1");
	if (inet_pton(AF_INET, g->host, &addr) != 1)
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return -1;
	g->port = (int)port;
	return 0;
}

/* tcp:[HOST]:PORT or unix:PATH */
static int parse_gdb(const char *s, struct vm_config *cfg, char *why)
{
	struct gdb_config *g = &cfg->gdb;

	if (!strncmp(s, "tcp:", 4) && !parse_gdb_tcp(s + 4, g, why)) {
		g->transport = GDB_TCP;
		return 0;
	}
	if (!strncmp(s, "unix:", 5) && s[5] && strlen(s + 5) < GDB_PATH_MAX) {
		strcpy(g->path, s + 5);
		g->transport = GDB_UNIX;
		return 0;
	}
	snprintf(why, CLI_ERR_LEN,
		 "--gdb must be tcp:[HOST]:PORT (IPv4 HOST, default 127.0.0.1; "
		 "PORT 0-65535) or unix:PATH, not '%.80s'",
		 s);
	return -1;
}

static int parse_boot(const char *s, struct vm_config *cfg, char *why)
{
	if (!strcmp(s, "disk"))
		cfg->boot = BOOT_DISK;
	else if (!strcmp(s, "kernel"))
		cfg->boot = BOOT_KERNEL;
	else {
		snprintf(why, CLI_ERR_LEN,
			 "--boot must be disk or kernel, not '%.80s'", s);
		return -1;
	}
	cfg->boot_given = 1;
	return 0;
}

/* --hugepages (transparent huge pages) or --hugepages=DIR (hugetlbfs) */
static int parse_hugepages(const char *s, struct vm_config *cfg, char *why)
{
	if (s && !s[0]) {
		snprintf(why, CLI_ERR_LEN,
			 "--hugepages takes no value (transparent huge pages) "
			 "or =DIR, a hugetlbfs mount");
		return -1;
	}
	cfg->hugepages = 1;
	cfg->hugepages_path = s;
	return 0;
}

/*
 * Without --boot: the kernel when one is given, else the firmware boots
 * the first disk.  --boot disk with --kernel is a usage error: a kernel
 * that would be silently ignored is a mistake worth naming.
 */
static int check_boot_source(struct vm_config *cfg, char *why)
{
	if (!cfg->boot_given)
		cfg->boot = cfg->kernel ? BOOT_KERNEL : BOOT_DISK;
	if (cfg->boot == BOOT_DISK && cfg->kernel) {
		snprintf(why, CLI_ERR_LEN,
			 "--boot disk boots the first --disk through the "
			 "firmware; drop --kernel (or use --boot kernel)");
		return -1;
	}
	if (cfg->boot == BOOT_KERNEL && !cfg->kernel) {
		snprintf(why, CLI_ERR_LEN,
			 "no kernel given: kvmini run --kernel FILE");
		return -1;
	}
	if (cfg->boot == BOOT_DISK && !cfg->nr_disks) {
		snprintf(why, CLI_ERR_LEN,
			 "nothing to boot: give --kernel FILE or --disk IMAGE");
		return -1;
	}
	if (cfg->boot == BOOT_DISK && (cfg->initrd || cfg->nr_modules)) {
		snprintf(why, CLI_ERR_LEN,
			 "--initrd and --module need --kernel; a disk's "
			 "bootloader loads its own");
		return -1;
	}
	return 0;
}

/* A detached VM has no terminal: its console is the socket. */
static int check_detach(struct vm_config *cfg, char *why)
{
	if (cfg->log_path && !cfg->detach) {
		snprintf(why, CLI_ERR_LEN, "--log needs --detach");
		return -1;
	}
	if (!cfg->detach)
		return 0;
	if (!cfg->console_given)
		cfg->console = CONSOLE_SOCKET;
	if (cfg->console == CONSOLE_STDIO) {
		snprintf(why, CLI_ERR_LEN,
			 "--detach leaves no terminal: use --console socket, "
			 "file:PATH or none");
		return -1;
	}
	return 0;
}

void cli_run_usage(void)
{
	printf("Usage: kvmini run --kernel FILE [options]\n"
	       "       kvmini run --disk IMAGE [options]\n"
	       "       kvmini run --config FILE [options]\n"
	       "\n"
	       "Boot a Linux bzImage or an ELF kernel in a new VM, or boot a\n"
	       "disk image through kvmini's BIOS (boot sector, bootloader).\n"
	       "\n"
	       "      --boot disk|kernel what to start: kernel (the default with\n"
	       "                         --kernel) or disk (the firmware boots\n"
	       "                         the first --disk; the default without)\n"
	       "  -k, --kernel FILE[,format=auto|bzimage|elf|multiboot|flat]\n"
	       "             [,addr=ADDR][,entry=ADDR][,mode=real|32|64]\n"
	       "                         kernel: bzImage, Multiboot, ELF (PVH note\n"
	       "                         used) or, with format=flat, a raw binary\n"
	       "                         loaded at addr= (docs/boot-formats.md)\n"
	       "  -i, --initrd FILE      initial ramdisk (Multiboot: module 0)\n"
	       "      --module FILE[,cmdline=STRING]\n"
	       "                         Multiboot module; repeatable, up to %d\n"
	       "  -c, --cmdline STRING   kernel command line (default: '%s')\n"
	       "  -m, --mem SIZE         guest RAM, e.g. 512M, 2G (default 512M)\n"
	       "  -p, --cpus N           vCPUs, 1-%d (default 1)\n"
	       "  -n, --name NAME        VM name (default kvmini-PID)\n"
	       "      --console KIND     stdio (default), none, file:PATH, or\n"
	       "                         socket (kvmini console NAME attaches)\n"
	       "      --detach           run in the background once the VM has\n"
	       "                         started; prints 'NAME PID' (implies\n"
	       "                         --console socket)\n"
	       "      --log FILE         with --detach: kvmini's messages go to\n"
	       "                         FILE (default: discarded)\n"
	       "      --reboot ACTION    on guest reboot: exit (default, code 0)\n"
	       "                         or restart\n"
	       "      --test-exit        a write of v to port 0xf4 ends kvmini with\n"
	       "                         exit code (v << 1) | 1 (for test guests)\n"
	       "  -d, --disk PATH[,ro][,cache=writeback|none][,aio=MODE][,serial=ID]\n"
	       "             [,queues=N][,transport=pci|mmio]\n"
	       "                         virtio-blk disk (raw image or block\n"
	       "                         device); repeatable: vda, vdb, ...\n"
	       "                         (a Linux guest probes mmio disks first)\n"
	       "                         aio=auto (default: io_uring where the\n"
	       "                         kernel has it), io_uring or sync;\n"
	       "                         queues=N request queues (default one\n"
	       "                         per vCPU, at most 8)\n"
	       "      --net tap=NAME|bridge=BR[,mac=MAC]\n"
	       "                         virtio-net on a tap (created if needed;\n"
	       "                         with bridge=, attached to it and removed\n"
	       "                         on exit); repeatable\n"
	       "      --trace exits[=FILE]\n"
	       "                         one line per VM exit to stderr, or to\n"
	       "                         FILE ('-' is stdout)\n"
	       "      --trace-format FMT text (default, aligned columns) or json\n"
	       "      --stats            exit counts and handling times per vCPU\n"
	       "                         and device access counts, on stderr at\n"
	       "                         exit and on SIGUSR1\n"
	       "      --single-step[=N]  trace the first N instructions of vCPU 0\n"
	       "                         (default %d), then run freely\n"
	       "      --gdb tcp:[HOST]:PORT|unix:PATH\n"
	       "                         serve the GDB remote protocol there\n"
	       "                         (HOST defaults to 127.0.0.1; PORT 0\n"
	       "                         picks a free one and prints it)\n"
	       "      --gdb-wait         hold the vCPUs until gdb continues\n"
	       "      --ksm              let the host's ksmd merge identical\n"
	       "                         guest pages (madvise MADV_MERGEABLE)\n"
	       "      --hugepages[=DIR]  back guest RAM with transparent huge\n"
	       "                         pages, or with a file in the hugetlbfs\n"
	       "                         mount DIR (e.g. /dev/hugepages)\n"
	       "      --config FILE      read options from FILE, one 'key = value'\n"
	       "                         per line (docs/config-file.md); the\n"
	       "                         command line overrides and extends it\n"
	       "      --print-config     print the VM definition in that format\n"
	       "                         and exit without running it\n"
	       "      --seccomp on|off|log\n"
	       "                         system call filters per thread (default\n"
	       "                         on: a forbidden call kills kvmini; log:\n"
	       "                         the kernel logs it and allows it)\n"
	       "      --user USER[:GROUP]\n"
	       "                         run as USER once /dev/kvm, the images\n"
	       "                         and the taps are open (needs root)\n"
	       "      --chroot DIR       chroot to DIR once they are open\n"
	       "  -h, --help             this help\n"
	       "\n"
	       "Console: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A h helps.\n"
	       "Exit codes: 0 guest powered off or rebooted, 1 runtime error,\n"
	       "2 wrong usage, 4 guest crashed, 128+N stopped by signal N;\n"
	       "with --test-exit, odd codes (v << 1) | 1 are the guest's verdict.\n",
	       MAX_MODULES, DEFAULT_CMDLINE, MAX_CPUS, SINGLE_STEP_DEFAULT);
}

/* long-only options: values past any short option letter */
enum {
	OPT_TRACE = 0x200,
	OPT_TRACE_FORMAT,
	OPT_STATS,
	OPT_SINGLE_STEP,
	OPT_BOOT,
	OPT_KSM,
	OPT_HUGEPAGES,
	OPT_CONFIG,	  /* command line only: not a VM setting */
	OPT_PRINT_CONFIG, /* command line only */
	OPT_DETACH,
	OPT_LOG,
	OPT_SECCOMP,
	OPT_USER,
	OPT_CHROOT,
};

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "cmdline", required_argument, NULL, 'c' },
	{ "mem", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'p' },
	{ "name", required_argument, NULL, 'n' },
	{ "console", required_argument, NULL, 'C' },
	{ "reboot", required_argument, NULL, 'R' },
	{ "test-exit", no_argument, NULL, 'T' },
	{ "disk", required_argument, NULL, 'd' },
	{ "net", required_argument, NULL, 'N' },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "trace-format", required_argument, NULL, OPT_TRACE_FORMAT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "single-step", optional_argument, NULL, OPT_SINGLE_STEP },
	{ "module", required_argument, NULL, 'O' },
	{ "gdb", required_argument, NULL, 'G' },
	{ "gdb-wait", no_argument, NULL, 'W' },
	{ "boot", required_argument, NULL, OPT_BOOT },
	{ "ksm", no_argument, NULL, OPT_KSM },
	{ "hugepages", optional_argument, NULL, OPT_HUGEPAGES },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "user", required_argument, NULL, OPT_USER },
	{ "chroot", required_argument, NULL, OPT_CHROOT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_run_option(int opt, const char *arg, struct vm_config *cfg,
			    char *why)
{
	switch (opt) {
	case 'k': return parse_kernel(arg, cfg, why);
	case 'O': return parse_module(arg, cfg, why);
	case 'i': cfg->initrd = arg; return 0;
	case 'c': cfg->cmdline = arg; return 0;
	case 'n': cfg->name = arg; return 0;
	case 'm': return parse_mem(arg, cfg, why);
	case 'p': return parse_cpus(arg, &cfg->nr_cpus, why);
	case 'C': return parse_console(arg, cfg, why);
	case 'R': return parse_reboot(arg, cfg, why);
	case 'T': cfg->test_exit = 1; return 0;
	case 'd': return parse_disk(arg, cfg, why);
	case 'N': return parse_net(arg, cfg, why);
	case OPT_TRACE: return parse_trace(arg, cfg, why);
	case OPT_TRACE_FORMAT: return parse_trace_format(arg, cfg, why);
	case OPT_STATS: cfg->stats = 1; return 0;
	case OPT_SINGLE_STEP: return parse_single_step(arg, cfg, why);
	case 'G': return parse_gdb(arg, cfg, why);
	case 'W': cfg->gdb.wait = 1; return 0;
	case OPT_BOOT: return parse_boot(arg, cfg, why);
	case OPT_KSM: cfg->ksm = 1; return 0;
	case OPT_HUGEPAGES: return parse_hugepages(arg, cfg, why);
	case OPT_DETACH: cfg->detach = 1; return 0;
	case OPT_LOG: cfg->log_path = arg; return 0;
	case OPT_SECCOMP: return parse_seccomp(arg, cfg, why);
	case OPT_USER: return parse_nonempty(arg, "--user", &cfg->user, why);
	case OPT_CHROOT:
		return parse_nonempty(arg, "--chroot", &cfg->chroot_dir, why);
	default:
		/* getopt already named the problem; keep ours short */
		snprintf(why, CLI_ERR_LEN, "try 'kvmini run --help'");
		return -1;
	}
}

/* "--flag=value" for an option that has no value */
static int takes_no_value(const char *arg)
{
	size_t len = strcspn(arg, "=");

	if (strncmp(arg, "--", 2) || !arg[len])
		return 0;
	for (const struct option *o = run_options; o->name; o++)
		if (o->has_arg == no_argument && strlen(o->name) == len - 2 &&
		    !strncmp(o->name, arg + 2, len - 2))
			return 1;
	return 0;
}

/* getopt's '?' (unknown) or ':' (missing value), named as typed */
static void describe_bad_option(int opt, char **argv, char *why)
{
	char shortopt[3] = { '-', (char)optopt, 0 };
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	/* a long option is in argv; a short one maybe inside a bundle */
	const char *o = strncmp(arg, "--", 2) == 0 ? arg : shortopt;

	if (opt == '?' && takes_no_value(o))
		snprintf(why, CLI_ERR_LEN, "option '%.*s' takes no value",
			 (int)strcspn(o, "="), o);
	else if (opt == '?')
		snprintf(why, CLI_ERR_LEN,
			 "unknown option '%s' (try 'kvmini run --help')", o);
	else
		snprintf(why, CLI_ERR_LEN, "option '%s' needs a value", o);
}

void cli_run_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = DEFAULT_MEM_SIZE;
	cfg->nr_cpus = 1;
	cfg->cmdline = DEFAULT_CMDLINE;
	cfg->console = CONSOLE_STDIO;
}

int cli_run_option(struct vm_config *cfg, const char *name, const char *value,
		   char *why)
{
	const struct option *o;

	for (o = run_options; o->name && strcmp(o->name, name); o++)
		;
	if (!o->name) {
		snprintf(why, CLI_ERR_LEN, "unknown key '%.60s'", name);
		return -2;
	}
	if (o->val == 'h' || o->val == OPT_CONFIG ||
	    o->val == OPT_PRINT_CONFIG) {
		snprintf(why, CLI_ERR_LEN,
			 "'%s' works on the command line only", name);
		return -1;
	}
	if (o->has_arg == no_argument && value) {
		snprintf(why, CLI_ERR_LEN,
			 "'%s' takes no value: write the key alone", name);
		return -1;
	}
	if (o->has_arg == required_argument && !value) {
		snprintf(why, CLI_ERR_LEN, "'%s' needs a value: %s = VALUE",
			 name, name);
		return -1;
	}
	return parse_run_option(o->val, value, cfg, why);
}

int cli_default_name(const char *name)
{
	char def[32];

	snprintf(def, sizeof(def), "kvmini-%d", (int)getpid());
	return name && !strcmp(name, def);
}

int cli_run_finish(struct vm_config *cfg, char *why)
{
	static char default_name[32];

	if (check_boot_source(cfg, why))
		return -1;
	if (cfg->kernel && check_kernel_options(cfg, why))
		return -1;
	if (cfg->gdb.wait && cfg->gdb.transport == GDB_OFF) {
		snprintf(why, CLI_ERR_LEN, "--gdb-wait needs --gdb");
		return -1;
	}
	if (cfg->gdb.transport != GDB_OFF && cfg->single_step) {
		/* both would own KVM_SET_GUEST_DEBUG and its debug exits */
		snprintf(why, CLI_ERR_LEN,
			 "--single-step and --gdb cannot be combined "
			 "(use gdb's stepi)");
		return -1;
	}
	if (cfg->ksm && cfg->hugepages_path) {
		/* ksmd merges 4 KiB anonymous pages only */
		snprintf(why, CLI_ERR_LEN,
			 "--ksm cannot merge hugetlbfs pages: drop --ksm or "
			 "use --hugepages without =DIR");
		return -1;
	}
	if ((cfg->user || cfg->chroot_dir) && cfg->reboot == REBOOT_RESTART) {
		/* a restart reopens /dev/kvm, the images and the taps */
		snprintf(why, CLI_ERR_LEN,
			 "--user and --chroot cannot be combined with "
			 "--reboot restart (a restart reopens /dev/kvm and the "
			 "images)");
		return -1;
	}
	if (!cfg->name) {
		snprintf(default_name, sizeof(default_name), "kvmini-%d",
			 (int)getpid());
		cfg->name = default_name;
	}
	if (vm_name_check(cfg->name, why, CLI_ERR_LEN))
		return -1;
	return check_detach(cfg, why);
}

/*
 * First pass: --help, getopt's own complaints, --config and
 * --print-config.  The file is applied before any other option, wherever
 * --config stands, so the command line overrides it.
 */
static int scan_run_args(int argc, char **argv, const char **config,
			 int *print, char *why)
{
	int opt;

	optind = 0; /* 0, not 1: glibc then also forgets a half-read "-xy" */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:c:m:p:n:d:h", run_options,
				  NULL)) != -1) {
		if (opt == 'h') {
			cli_run_usage();
			return 1;
		}
		if (opt == '?' || opt == ':') {
			describe_bad_option(opt, argv, why);
			return -1;
		}
		if (opt == OPT_CONFIG && *config) {
			snprintf(why, CLI_ERR_LEN, "only one --config FILE");
			return -1;
		}
		if (opt == OPT_CONFIG)
			*config = optarg;
		if (opt == OPT_PRINT_CONFIG)
			*print = 1;
	}
	if (optind < argc) {
		snprintf(why, CLI_ERR_LEN, "unexpected argument '%s'",
			 argv[optind]);
		return -1;
	}
	return 0;
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg, char *why)
{
	const char *config = NULL;
	int print = 0, opt, ret;

	cli_run_defaults(cfg);
	ret = scan_run_args(argc, argv, &config, &print, why);
	if (ret)
		return ret;
	if (config && config_load(config, cfg, why))
		return -1;
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:c:m:p:n:d:h", run_options,
				  NULL)) != -1) {
		if (opt == OPT_CONFIG || opt == OPT_PRINT_CONFIG)
			continue;
		if (parse_run_option(opt, optarg, cfg, why))
			return -1;
	}
	if (cli_run_finish(cfg, why))
		return -1;
	return print ? CLI_PRINT_CONFIG : 0;
}
