// SPDX-License-Identifier: GPL-2.0
/* kvmini <command> [options]: the front end. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "host_check.h"
#include "img.h"
#include "cli.h"
#include "log.h"
#include "vm.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	char why[CLI_ERR_LEN];
	int ret;

	ret = cli_parse_run(argc, argv, &cfg, why);
	if (ret > 0)
		return EXIT_OK;
	if (ret < 0) {
		err("%s", why);
		return EXIT_USAGE;
	}
	for (;;) {
		struct vm *vm = vm_create(&cfg);
		enum vm_stop_kind kind;

		if (!vm)
			return EXIT_FAILURE_RT;
		/* hand back the set-up's freed heap pages (ACPI tables, the
		 * kernel image): they would stay resident for the VM's life */
		malloc_trim(0);
		ret = vm_run(vm);
		kind = vm->stop_kind;
		vm_destroy(vm);
		if (kind != VM_STOP_REBOOT || cfg.reboot != REBOOT_RESTART)
			return ret;
		info("guest rebooted; restarting");
	}
}

static int cmd_version(int argc, char **argv)
{
	printf("kvmini %s\n", KVMINI_VERSION);
	return EXIT_OK;
}

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "run", cmd_run, "boot a kernel in a new VM" },
	{ "check", cmd_check, "report whether this host can run VMs" },
	{ "img", cmd_img, "create and inspect raw disk images" },
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
