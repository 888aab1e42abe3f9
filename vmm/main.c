// SPDX-License-Identifier: GPL-2.0
/* kvmini <command> [options]: the front end. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "host_check.h"
#include "img.h"
#include "cli.h"
#include "config_file.h"
#include "console_client.h"
#include "console_sock.h"
#include "control.h"
#include "detach.h"
#include "mgmt_cmds.h"
#include "log.h"
#include "privdrop.h"
#include "seccomp.h"
#include "vm.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/*
 * Boots the VM, and again after a guest reboot with --reboot restart or
 * a `kvmini reboot`; @ctl answers requests for whichever VM is running.
 * Privileges go (--user, --chroot) once the first VM holds everything
 * open, before any guest code runs.
 */
static int run_vm(struct vm_config *cfg, struct control *ctl,
		  const struct privdrop *drop)
{
	int dropped = 0;

	for (;;) {
		struct vm *vm = vm_create(cfg);
		enum vm_stop_kind kind;
		int ret;

		if (!vm)
			return EXIT_FAILURE_RT;
		if (!dropped && privdrop_apply(drop)) {
			vm_destroy(vm);
			return EXIT_FAILURE_RT;
		}
		dropped = 1;
		/* hand back the set-up's freed heap pages (ACPI tables, the
		 * kernel image): they would stay resident for the VM's life */
		malloc_trim(0);
		if (cfg->detach) {
			vm->on_started = detach_ready;
			vm->on_started_arg = cfg;
		}
		control_attach(ctl, vm); /* after the drop: see control.c */
		ret = vm_run(vm);
		/* after the detach: a `kvmini stop` may still turn a reset
		 * into the end */
		control_detach(ctl);
		kind = vm->stop_kind;
		ret = vm->exit_code;
		vm_destroy(vm);
		if (kind == VM_STOP_RESET) {
			info("VM reset (kvmini reboot); restarting");
			continue;
		}
		if (kind != VM_STOP_REBOOT || cfg->reboot != REBOOT_RESTART)
			return ret;
		info("guest rebooted; restarting");
	}
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	char why[CLI_ERR_LEN];
	struct privdrop drop;
	struct control *ctl;
	int ret;

	ret = cli_parse_run(argc, argv, &cfg, why);
	if (ret == CLI_PRINT_CONFIG)
		return config_format(&cfg, stdout) ? EXIT_FAILURE_RT : EXIT_OK;
	if (ret > 0)
		return EXIT_OK;
	if (ret < 0) {
		err("%s", why);
		return EXIT_USAGE;
	}
	if (privdrop_resolve(&cfg, &drop, why, sizeof(why))) {
		err("%s", why);
		return EXIT_USAGE;
	}
	/* threads do not survive fork(): go to the background first */
	if (cfg.detach) {
		ret = detach_start(&cfg);
		if (ret >= 0)
			return ret; /* the parent, or a child that failed */
	}
	if (seccomp_init(&cfg))
		return EXIT_FAILURE_RT;
	/* before any thread: `kvmini list/stop/...` reach the VM here */
	ctl = control_create(&cfg);
	if (!ctl)
		return EXIT_FAILURE_RT;
	if (cfg.console == CONSOLE_SOCKET) {
		/* outlives each VM: a client stays attached across reboots */
		cfg.console_sock = console_sock_create(cfg.name);
		if (!cfg.console_sock) {
			control_destroy(ctl);
			return EXIT_FAILURE_RT;
		}
	}
	ret = run_vm(&cfg, ctl, &drop);
	control_destroy(ctl);
	console_sock_free(cfg.console_sock);
	return ret;
}

static int cmd_version(int argc, char **argv)
{
	printf("kvmini %s\n", KVMINI_VERSION);
	return EXIT_OK;
}

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "run", cmd_run, "boot a kernel in a new VM" },
	{ "console", cmd_console,
	  "attach to the serial console of a running VM" },
	{ "check", cmd_check, "report whether this host can run VMs" },
	{ "img", cmd_img, "create and inspect raw disk images" },
	{ "list", cmd_list, "list the running VMs" },
	{ "stat", cmd_stat, "a running VM's counters and memory" },
	{ "top", cmd_top, "live view of all running VMs" },
	{ "pause", cmd_pause, "stop a VM's vCPUs and devices" },
	{ "resume", cmd_resume, "continue a paused VM" },
	{ "shutdown", cmd_shutdown, "press a VM's power button" },
	{ "reboot", cmd_reboot, "reset a VM (same kvmini process)" },
	{ "stop", cmd_stop, "end a VM now (disks flushed)" },
	{ "kill", cmd_kill, "SIGKILL a VM's kvmini" },
	{ "dumpconfig", cmd_dumpconfig, "print a running VM's definition" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "this help" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static int cmd_help(int argc, char **argv)
{
	printf("kvmini - a minimal x86-64 hypervisor on /dev/kvm\n\n"
	       "Usage: kvmini <command> [options]\n\nCommands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].summary);
	printf("\n'kvmini <command> --help' describes a command's options.\n"
	       "Example: kvmini run --kernel bzImage --initrd initrd.img "
	       "--mem 1G --cpus 2\n");
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	/* a closed console pipe must be an error return, not a kill */
	signal(SIGPIPE, SIG_IGN);

	if (!name) {
		err("no command given (try 'kvmini --help')");
		return EXIT_USAGE;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		return cmd_help(0, NULL);
	if (!strcmp(name, "--version") || !strcmp(name, "-V"))
		return cmd_version(0, NULL);
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	err("unknown command '%s' (try 'kvmini --help')", name);
	return EXIT_USAGE;
}
