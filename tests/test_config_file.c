// SPDX-License-Identifier: GPL-2.0
/*
 * VM definition files (vmm/config_file.c): parse -> format -> parse gives
 * the same configuration, errors name file:line, the command line
 * overrides and extends the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config_file.h"
#include "guest_mem.h"
#include "suites.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

/* Texts that configs point into, kept reachable (no leak reports). */
struct kept {
	struct kept *next;
	char text[];
};
static struct kept *kept_texts;

/* Applies @text as file "t.conf" on top of the defaults, then finishes. */
static int parse_text(const char *text, size_t len, struct vm_config *cfg,
		      char *why)
{
	struct kept *k = malloc(sizeof(*k) + len + 1);
	int ret;

	ck_assert_ptr_nonnull(k);
	memcpy(k->text, text, len);
	k->next = kept_texts;
	kept_texts = k;
	cli_run_defaults(cfg);
	ret = config_parse("t.conf", k->text, len, cfg, why);
	if (!ret)
		ret = cli_run_finish(cfg, why);
	return ret;
}

/* Formats @cfg, parses that, expects an equal config and a stable text. */
static struct vm_config *round_trip(const struct vm_config *cfg)
{
	struct vm_config *orig = config_dup(cfg), *again;
	char *text = config_format_string(cfg), *text2, why[CLI_ERR_LEN];
	struct vm_config parsed;
	char what[64];

	ck_assert_ptr_nonnull(orig);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(parse_text(text, strlen(text), &parsed, why) == 0,
		      "formatted text does not parse: %s\n%s", why, text);
	ck_assert_msg(config_compare(orig, &parsed, what, sizeof(what)) == 0,
		      "'%s' differs after the round trip:\n%s", what, text);
	text2 = config_format_string(&parsed);
	ck_assert_str_eq(text, text2);
	again = config_dup(&parsed);
	free(text);
	free(text2);
	free(orig);
	return again;
}

START_TEST(round_trip_every_option)
{
	char *argv[] = {
		"run",
		"--kernel",
		"/k/mb.elf,format=multiboot",
		"--initrd",
		"/k/initrd img",
		"--module",
		"/k/mod1",
		"--module",
		"/k/mod2,cmdline= a,b=c \"q\" ",
		"--cmdline",
		"  lead\ttab \"quote\" back\\slash # hash\nnl \x7f \xc3\xa9 ",
		"--mem",
		"1536M",
		"--cpus",
		"3",
		"--name",
		"web-1",
		"--console",
		"file:/tmp/console log",
		"--reboot",
		"restart",
		"--test-exit",
		"--disk",
		"/d/a.img,ro,cache=none,aio=io_uring,transport=mmio,serial=SER-1",
		"--disk",
		" /d/b.img,aio=sync,queues=3",
		"--net",
		"tap=tap7,bridge=br0,mac=02:00:00:aa:bb:cc",
		"--net",
		"bridge=br1",
		"--trace",
		"exits=/tmp/trace out",
		"--trace-format",
		"json",
		"--stats",
		"--gdb",
		"unix:/tmp/gdb.sock",
		"--gdb-wait",
		"--ksm",
		"--hugepages",
		"--detach",
		"--log",
		"/tmp/kvmini log",
		NULL,
	};
	struct vm_config cfg, *back;
	char why[CLI_ERR_LEN];

	ck_assert_msg(cli_parse_run(ARGC(argv), argv, &cfg, why) == 0, "%s",
		      why);
	back = round_trip(&cfg);
	/* and the values are the given ones, not just stable */
	ck_assert_str_eq(back->cmdline, argv[10]);
	ck_assert_str_eq(back->modules[1].cmdline, " a,b=c \"q\" ");
	ck_assert_str_eq(back->disks[1].path, " /d/b.img");
	ck_assert_str_eq(back->disks[0].serial, "SER-1");
	ck_assert_int_eq(back->disks[0].aio, DISK_AIO_URING);
	ck_assert_int_eq(back->disks[1].aio, DISK_AIO_SYNC);
	ck_assert_uint_eq(back->disks[0].queues, 0);
	ck_assert_uint_eq(back->disks[1].queues, 3);
	ck_assert_str_eq(back->console_path, "/tmp/console log");
	ck_assert_str_eq(back->trace_path, "/tmp/trace out");
	ck_assert_str_eq(back->name, "web-1");
	ck_assert_uint_eq(back->mem_size, 1536ULL << 20);
	ck_assert_int_eq(back->nics[0].mac[5], 0xcc);
	ck_assert_int_eq(back->ksm && back->hugepages, 1);
	ck_assert_ptr_null(back->hugepages_path);
	ck_assert_int_eq(back->detach, 1);
	ck_assert_str_eq(back->log_path, "/tmp/kvmini log");
	free(back);
}
END_TEST

START_TEST(round_trip_flat_and_single_step)
{
	char *argv[] = {
		"run",
		"--boot",
		"kernel",
		"--kernel",
		"/k/flat.bin,format=flat,addr=0x7c00,entry=0x7c10,mode=real",
		"--mem",
		"2097156K",
		"--single-step=777",
		"--console",
		"none",
		NULL,
	};
	struct vm_config cfg, *back;
	char why[CLI_ERR_LEN];

	ck_assert_msg(cli_parse_run(ARGC(argv), argv, &cfg, why) == 0, "%s",
		      why);
	back = round_trip(&cfg);
	ck_assert_uint_eq(back->kopts.addr, 0x7c00);
	ck_assert_uint_eq(back->kopts.entry, 0x7c10);
	ck_assert_int_eq(back->kopts.mode, FLAT_MODE_REAL);
	ck_assert_uint_eq(back->single_step, 777);
	ck_assert_uint_eq(back->mem_size, 2097156ULL << 10);
	ck_assert_int_eq(back->boot_given, 1);
	/* the default name (kvmini-PID) is not written: a copy gets its own */
	ck_assert(cli_default_name(back->name));
	free(back);
}
END_TEST

START_TEST(round_trip_gdb_tcp_hugetlbfs)
{
	char *argv[] = { "run",	     "--kernel",
			 "/k/a.elf", "--gdb",
			 "tcp::0",   "--console",
			 "stdio",    "--hugepages=/dev/hugepages",
			 NULL };
	struct vm_config cfg, *back;
	char why[CLI_ERR_LEN];

	ck_assert_msg(cli_parse_run(ARGC(argv), argv, &cfg, why) == 0, "%s",
		      why);
	ck_assert_str_eq(cfg.hugepages_path, "/dev/hugepages");
	back = round_trip(&cfg);
	ck_assert_int_eq(back->gdb.transport, GDB_TCP);
	ck_assert_str_eq(back->gdb.host, "127.0.0.1");
	ck_assert_str_eq(back->hugepages_path, "/dev/hugepages");
	free(back);
}
END_TEST

START_TEST(round_trip_disk_boot)
{
	char *argv[] = { "run", "--disk", "/d/boot.img", "--mem", "3G", NULL };
	struct vm_config cfg;
	char why[CLI_ERR_LEN];

	ck_assert_msg(cli_parse_run(ARGC(argv), argv, &cfg, why) == 0, "%s",
		      why);
	free(round_trip(&cfg));
}
END_TEST

START_TEST(file_syntax)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"   kernel=/k/a.elf   \r\n"
		"\tmem =64M\n"
		"cmdline = \"\"\n"
		"initrd = \"say \\\"hi\\\"\\x41\\t\\\\\"  \n"
		"stats\n"
		"  test-exit  \n"
		"single-step\n"
		"disk = /d/1\n"
		"disk = /d/2\n"
		"cpus = 2\n"
		"cpus = 4"; /* no final newline; the last value wins */
	struct vm_config cfg;
	char why[CLI_ERR_LEN];

	ck_assert_msg(parse_text(text, strlen(text), &cfg, why) == 0, "%s",
		      why);
	ck_assert_str_eq(cfg.kernel, "/k/a.elf");
	ck_assert_uint_eq(cfg.mem_size, 64 << 20);
	ck_assert_str_eq(cfg.cmdline, "");
	ck_assert_str_eq(cfg.initrd, "say \"hi\"A\t\\");
	ck_assert_int_eq(cfg.stats, 1);
	ck_assert_int_eq(cfg.test_exit, 1);
	ck_assert_uint_eq(cfg.single_step, 1000);
	ck_assert_int_eq(cfg.nr_disks, 2);
	ck_assert_str_eq(cfg.disks[1].path, "/d/2");
	ck_assert_int_eq(cfg.nr_cpus, 4);
}
END_TEST

static const struct bad_file {
	const char *text;
	size_t len; /* 0: strlen */
	const char *msg;
} bad_files[] = {
	{ "kernel = /k\nmemory = 2G\n", 0, "t.conf:2: unknown key 'memory'" },
	{ "kernel = /k\n\n  mem = lots\n", 0,
	  "t.conf:3: --mem: invalid size 'lots'" },
	{ "kernel = /k\nmem 512M\n", 0, "t.conf:2: expected 'key = value'" },
	{ "mem\n", 0, "t.conf:1: 'mem' needs a value: mem = VALUE" },
	{ "stats = yes\n", 0, "t.conf:1: 'stats' takes no value" },
	{ "Mem = 1G\n", 0, "t.conf:1: expected 'key = value'" },
	{ "= 1G\n", 0, "t.conf:1: expected 'key = value'" },
	{ "cpus = 0\n", 0, "t.conf:1: --cpus must be a number from 1 to" },
	{ "cmdline = \"abc\n", 0, "t.conf:1: unterminated quoted value" },
	{ "cmdline = \"a\\qb\"\n", 0, "t.conf:1: bad escape" },
	{ "cmdline = \"a\\x4\"\n", 0, "t.conf:1: bad escape" },
	{ "cmdline = \"a\" b\n", 0, "t.conf:1: text after the closing quote" },
	{ "cmdline = \"\\x00\"\n", 0, "t.conf:1: a value cannot hold \\x00" },
	{ "config = other.conf\n", 0,
	  "t.conf:1: 'config' works on the command line only" },
	{ "help\n", 0, "t.conf:1: 'help' works on the command line only" },
	{ "print-config\n", 0, "t.conf:1: 'print-config' works on the" },
	{ "mem = 1G\nname = a\0b\n", 20, "t.conf:2: NUL byte in line" },
	{ "hugepages = \n", 0, "t.conf:1: --hugepages takes no value" },
	{ "kernel = /k,format=pe\n", 0, "t.conf:1: --kernel: bad option" },
	{ "disk = /d,bogus\n", 0, "t.conf:1: --disk /d,bogus: unknown or bad" },
	{ "ksm\nhugepages = /dev/hugepages\nkernel = /k\n", 0,
	  "--ksm cannot merge hugetlbfs pages" },
	{ "mem = 1G\n", 0, "nothing to boot" },
};

START_TEST(bad_file_errors)
{
	const struct bad_file *b = &bad_files[_i];
	size_t len = b->len ? b->len : strlen(b->text);
	struct vm_config cfg;
	char why[CLI_ERR_LEN] = "";

	ck_assert_int_eq(parse_text(b->text, len, &cfg, why), -1);
	ck_assert_msg(strstr(why, b->msg), "'%s' lacks '%s'", why, b->msg);
	ck_assert_msg(!strchr(why, '\n'), "'%s' is not one line", why);
}
END_TEST

START_TEST(long_line)
{
	size_t len = CONFIG_MAX_LINE + 20;
	char *text = malloc(len + 1), why[CLI_ERR_LEN];
	struct vm_config cfg;

	memcpy(text, "mem = 1G\ncmdline = ", 19);
	memset(text + 19, 'a', len - 19);
	cli_run_defaults(&cfg);
	ck_assert_int_eq(config_parse("t.conf", text, len, &cfg, why), -1);
	ck_assert_str_eq(why, "t.conf:2: line longer than 65536 bytes");
	/* a long value within the line limit is still too long */
	memcpy(text, "mem = 1G\ncmdline = ", 19); /* parsing changed it */
	cli_run_defaults(&cfg);
	ck_assert_int_eq(config_parse("t.conf", text, 19 + CONFIG_MAX_VALUE + 1,
				      &cfg, why),
			 -1);
	ck_assert_str_eq(why, "t.conf:2: value longer than 8192 bytes");
	free(text);
}
END_TEST

/* Writes @text to a temporary file; returns its path (static). */
static const char *temp_file(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	strcpy(path, "/tmp/kvmini-conf-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(command_line_overrides_file)
{
	const char *path = temp_file("kernel = /k/a.elf\nmem = 1G\ncpus = 2\n"
				     "disk = /d/file.img\nname = from-file\n");
	char *argv[] = { "run",	       "--mem",	   "2G",	 "--disk",
			 "/d/cli.img", "--config", (char *)path, "--name",
			 "from-cli",   NULL };
	struct vm_config cfg;
	char why[CLI_ERR_LEN];

	/* the file comes first even though --config is given late */
	ck_assert_msg(cli_parse_run(ARGC(argv), argv, &cfg, why) == 0, "%s",
		      why);
	unlink(path);
	ck_assert_str_eq(cfg.kernel, "/k/a.elf");
	ck_assert_uint_eq(cfg.mem_size, 2ULL << 30);
	ck_assert_int_eq(cfg.nr_cpus, 2);
	ck_assert_int_eq(cfg.nr_disks, 2);
	ck_assert_str_eq(cfg.disks[0].path, "/d/file.img");
	ck_assert_str_eq(cfg.disks[1].path, "/d/cli.img");
	ck_assert_str_eq(cfg.name, "from-cli");
}
END_TEST

START_TEST(command_line_errors)
{
	const char *path = temp_file("kernel = /k/a.elf\n");
	char *twice[] = { "run",      "--config",   (char *)path,
			  "--config", (char *)path, NULL };
	char *missing[] = { "run", "--config", "/nonexistent/vm.conf", NULL };
	char *dir[] = { "run", "--config", "/tmp", NULL };
	char *print[] = { "run", "--config", (char *)path, "--print-config",
			  NULL };
	struct vm_config cfg;
	char why[CLI_ERR_LEN];

	ck_assert_int_eq(cli_parse_run(ARGC(twice), twice, &cfg, why), -1);
	ck_assert_str_eq(why, "only one --config FILE");
	ck_assert_int_eq(cli_parse_run(ARGC(missing), missing, &cfg, why), -1);
	ck_assert_str_eq(why, "cannot read config file /nonexistent/vm.conf: "
			      "No such file or directory");
	ck_assert_int_eq(cli_parse_run(ARGC(dir), dir, &cfg, why), -1);
	ck_assert_str_eq(why, "cannot read config file /tmp: Is a directory");
	ck_assert_int_eq(cli_parse_run(ARGC(print), print, &cfg, why),
			 CLI_PRINT_CONFIG);
	ck_assert_str_eq(cfg.kernel, "/k/a.elf");
	unlink(path);
}
END_TEST

START_TEST(compare_finds_differences)
{
	char *argv[] = { "run", "--kernel", "/k", "--disk", "/d", NULL };
	struct vm_config a, *b;
	char why[CLI_ERR_LEN], what[64];

	ck_assert_int_eq(cli_parse_run(ARGC(argv), argv, &a, why), 0);
	b = config_dup(&a);
	ck_assert_int_eq(config_compare(&a, b, what, sizeof(what)), 0);
	b->disks[0].read_only = 1;
	ck_assert_int_eq(config_compare(&a, b, what, sizeof(what)), 1);
	ck_assert_str_eq(what, "disk");
	b->disks[0].read_only = 0;
	b->cmdline = "other";
	ck_assert_int_eq(config_compare(&a, b, what, sizeof(what)), 1);
	ck_assert_str_eq(what, "cmdline");
	free(b);
}
END_TEST

/* --- guest RAM backing (--ksm, --hugepages): vmm/guest_mem.c ------- */

START_TEST(thp_ram_is_2m_aligned)
{
	struct guest_mem_opts o = { .hugepages = 1 };
	struct guest_mem mem;
	char why[256];

	ck_assert_msg(
		guest_mem_init_opts(&mem, 6 << 20, &o, why, sizeof(why)) == 0,
		"%s", why);
	ck_assert_uint_eq((uintptr_t)mem.base & ((2 << 20) - 1), 0);
	ck_assert_uint_eq(mem.total, 6 << 20);
	/* all of it usable, through the checked accessor */
	memset(gpa_ptr(&mem, 0, 6 << 20), 0x5a, 6 << 20);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(ksm_ram_is_usable)
{
	struct guest_mem_opts o = { .ksm = 1 };
	struct guest_mem mem;
	char why[256];

	if (access("/sys/kernel/mm/ksm", F_OK))
		return; /* a kernel without KSM refuses MADV_MERGEABLE */
	ck_assert_msg(
		guest_mem_init_opts(&mem, 4 << 20, &o, why, sizeof(why)) == 0,
		"%s", why);
	memset(gpa_ptr(&mem, 0, 4 << 20), 1, 4 << 20);
	guest_mem_destroy(&mem);
}
END_TEST

START_TEST(hugetlbfs_errors)
{
	struct guest_mem_opts o = { .hugetlbfs = "/nonexistent-dir" };
	struct guest_mem mem;
	char why[256];

	ck_assert_int_eq(
		guest_mem_init_opts(&mem, 4 << 20, &o, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "--hugepages=/nonexistent-dir: No such file or "
			      "directory");
	o.hugetlbfs = "/tmp";
	ck_assert_int_eq(
		guest_mem_init_opts(&mem, 4 << 20, &o, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "--hugepages=/tmp is not a hugetlbfs mount "
			      "(mount -t hugetlbfs none DIR)");
}
END_TEST

Suite *config_file_suite(void)
{
	Suite *s = suite_create("config_file");
	TCase *tc = tcase_create("config_file");

	tcase_add_test(tc, round_trip_every_option);
	tcase_add_test(tc, round_trip_flat_and_single_step);
	tcase_add_test(tc, round_trip_gdb_tcp_hugetlbfs);
	tcase_add_test(tc, round_trip_disk_boot);
	tcase_add_test(tc, file_syntax);
	tcase_add_loop_test(tc, bad_file_errors, 0,
			    sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_test(tc, long_line);
	tcase_add_test(tc, command_line_overrides_file);
	tcase_add_test(tc, command_line_errors);
	tcase_add_test(tc, compare_finds_differences);
	suite_add_tcase(s, tc);
	tc = tcase_create("mem_backing");
	tcase_add_test(tc, thp_ram_is_2m_aligned);
	tcase_add_test(tc, ksm_ram_is_usable);
	tcase_add_test(tc, hugetlbfs_errors);
	suite_add_tcase(s, tc);
	return s;
}
