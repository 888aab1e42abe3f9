// SPDX-License-Identifier: GPL-2.0
/* `kvmini run` option parsing: sizes, every option, and the error paths. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "suites.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

/* A parse result: return code, config and message. */
struct run {
	int ret;
	struct vm_config cfg;
	char why[CLI_ERR_LEN];
};

/* Parses a NULL-terminated argv (argv[0] is "run"). */
static void parse(char **argv, struct run *r)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(r, 0, sizeof(*r));
	/* garbage in: every field must be set by the parser itself */
	memset(&r->cfg, 0xa5, sizeof(r->cfg));
	r->ret = cli_parse_run(argc, argv, &r->cfg, r->why);
}

/* Parses and expects success. */
static void parse_ok(char **argv, struct run *r)
{
	parse(argv, r);
	ck_assert_msg(r->ret == 0, "ret %d: '%s'", r->ret, r->why);
}

/* Parses and expects a usage error whose message mentions @needle. */
static void parse_fails(char **argv, const char *needle)
{
	struct run r;

	parse(argv, &r);
	ck_assert_int_eq(r.ret, -1);
	ck_assert_msg(strstr(r.why, needle), "message '%s' lacks '%s'", r.why,
		      needle);
}

/* Parses with stdout captured into @out. */
static void parse_capturing_stdout(char **argv, struct run *r, char *out,
				   size_t max)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	ck_assert_int_ge(saved, 0);
	fflush(stdout);
	dup2(fileno(tmp), STDOUT_FILENO);
	parse(argv, r);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, max - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static const struct {
	const char *s;
	uint64_t bytes;
} good_sizes[] = {
	{ "512M", 512 * MiB },
	{ "2G", 2 * GiB },
	{ "1024K", 1024 << 10 },
	{ "1T", TiB },
	{ "64", 64 * MiB }, /* bare number: MiB */
	{ "2GiB", 2 * GiB },
	{ "2gb", 2 * GiB },
	{ "512m", 512 * MiB },
	{ "3k", 3 << 10 },
	{ "4MB", 4 * MiB },
	{ "0", 0 },
	/* the largest values that still fit in 64 bits */
	{ "16777215T", 16777215ULL << 40 },
	{ "17179869183G", 17179869183ULL << 30 },
	{ "17592186044415", 17592186044415ULL << 20 },
};

START_TEST(parse_size_accepts)
{
	uint64_t bytes = 0xdead;
	char why[CLI_ERR_LEN] = "";

	ck_assert_msg(parse_size(good_sizes[_i].s, &bytes, why) == 0,
		      "'%s' refused: %s", good_sizes[_i].s, why);
	ck_assert_uint_eq(bytes, good_sizes[_i].bytes);
}
END_TEST

static const char *const bad_sizes[] = {
	"", "M", "12X", "-1G", "1.5G", "0x10", "99999999999999T", " 1G", "1G ",
	"1GiBx", "1MM", "1Gi", "1iB", "1B",
	/* one past the largest */
	"16777216T", "17179869184G", "17592186044416",
	"18446744073709551616K", /* does not even fit strtoull */
};

START_TEST(parse_size_rejects)
{
	const char *s = bad_sizes[_i];
	uint64_t bytes = 0xdead;
	char why[CLI_ERR_LEN] = "";

	ck_assert_msg(parse_size(s, &bytes, why) == -1, "'%s' accepted", s);
	ck_assert_uint_eq(bytes, 0xdead); /* untouched on error */
	ck_assert_msg(strstr(why, "invalid size") && strstr(why, s),
		      "'%s': message '%s'", s, why);
}
END_TEST

START_TEST(parse_size_rejects_null)
{
	uint64_t bytes = 0xdead;
	char why[CLI_ERR_LEN] = "";

	ck_assert_int_eq(parse_size(NULL, &bytes, why), -1);
	ck_assert_uint_eq(bytes, 0xdead);
}
END_TEST

START_TEST(defaults)
{
	char *argv[] = { "run", "--kernel", "bzImage", NULL };
	char name[32];
	struct run r;

	parse_ok(argv, &r);
	ck_assert_str_eq(r.cfg.kernel, "bzImage");
	ck_assert_ptr_null(r.cfg.initrd);
	ck_assert_str_eq(r.cfg.cmdline, "console=ttyS0");
	ck_assert_uint_eq(r.cfg.mem_size, 512 * MiB);
	ck_assert_int_eq(r.cfg.nr_cpus, 1);
	ck_assert_int_eq(r.cfg.console, CONSOLE_STDIO);
	ck_assert_ptr_null(r.cfg.console_path);
	ck_assert_int_eq(r.cfg.reboot, REBOOT_EXIT);
	snprintf(name, sizeof(name), "kvmini-%d", (int)getpid());
	ck_assert_str_eq(r.cfg.name, name);
}
END_TEST

static void check_all_options(const struct run *r)
{
	ck_assert_str_eq(r->cfg.kernel, "vmlinux");
	ck_assert_str_eq(r->cfg.initrd, "initrd.img");
	ck_assert_str_eq(r->cfg.cmdline, "quiet init=/bin/sh");
	ck_assert_uint_eq(r->cfg.mem_size, 2 * GiB);
	ck_assert_int_eq(r->cfg.nr_cpus, 4);
	ck_assert_str_eq(r->cfg.name, "vm0");
}

START_TEST(long_options)
{
	char *argv[] = { "run",
			 "--kernel",
			 "vmlinux",
			 "--initrd",
			 "initrd.img",
			 "--cmdline",
			 "quiet init=/bin/sh",
			 "--mem",
			 "2G",
			 "--cpus",
			 "4",
			 "--name",
			 "vm0",
			 "--console",
			 "none",
			 "--reboot",
			 "restart",
			 NULL };
	struct run r;

	parse_ok(argv, &r);
	check_all_options(&r);
	ck_assert_int_eq(r.cfg.console, CONSOLE_NONE);
	ck_assert_int_eq(r.cfg.reboot, REBOOT_RESTART);
}
END_TEST

START_TEST(short_options)
{
	char *argv[] = { "run",
			 "-k",
			 "vmlinux",
			 "-i",
			 "initrd.img",
			 "-c",
			 "quiet init=/bin/sh",
			 "-m",
			 "2G",
			 "-p",
			 "4",
			 "-n",
			 "vm0",
			 NULL };
	struct run r;

	parse_ok(argv, &r);
	check_all_options(&r);
}
END_TEST

START_TEST(attached_values)
{
	char *argv[] = { "run",
			 "-kvmlinux",
			 "--initrd=initrd.img",
			 "--cmdline=quiet init=/bin/sh",
			 "-m2G",
			 "--cpus=4",
			 "-nvm0",
			 "--console=file:/tmp/con.log",
			 NULL };
	struct run r;

	parse_ok(argv, &r);
	check_all_options(&r);
	ck_assert_int_eq(r.cfg.console, CONSOLE_FILE);
	ck_assert_str_eq(r.cfg.console_path, "/tmp/con.log");
}
END_TEST

START_TEST(options_after_the_kernel_in_any_order)
{
	char *argv[] = { "run",	  "--cpus", "2",      "--kernel", "k",
			 "--mem", "1G",	    "--cpus", "3",	  NULL };
	struct run r;

	parse_ok(argv, &r);
	ck_assert_int_eq(r.cfg.nr_cpus, 3); /* the last one wins */
	ck_assert_uint_eq(r.cfg.mem_size, GiB);
}
END_TEST

START_TEST(console_kinds)
{
	char *stdio[] = { "run", "-k", "k", "--console", "stdio", NULL };
	char *file[] = { "run", "-k", "k", "--console", "file:out.txt", NULL };
	char *empty[] = { "run", "-k", "k", "--console", "file:", NULL };
	char *tty[] = { "run", "-k", "k", "--console", "tty", NULL };
	struct run r;

	parse_ok(stdio, &r);
	ck_assert_int_eq(r.cfg.console, CONSOLE_STDIO);
	parse_ok(file, &r);
	ck_assert_int_eq(r.cfg.console, CONSOLE_FILE);
	ck_assert_str_eq(r.cfg.console_path, "out.txt");
	parse_fails(empty, "--console");
	parse_fails(tty, "--console");
}
END_TEST

START_TEST(reboot_actions)
{
	char *exit_[] = { "run", "-k", "k", "--reboot", "exit", NULL };
	char *halt[] = { "run", "-k", "k", "--reboot", "halt", NULL };
	struct run r;

	parse_ok(exit_, &r);
	ck_assert_int_eq(r.cfg.reboot, REBOOT_EXIT);
	parse_fails(halt, "--reboot");
}
END_TEST

START_TEST(mem_is_page_rounded_with_a_minimum)
{
	char *odd[] = { "run", "-k", "k", "--mem", "2049K", NULL };
	char *min[] = { "run", "-k", "k", "--mem", "2M", NULL };
	char *tiny[] = { "run", "-k", "k", "--mem", "1M", NULL };
	char *zero[] = { "run", "-k", "k", "--mem", "0", NULL };
	char *junk[] = { "run", "-k", "k", "--mem", "12X", NULL };
	struct run r;

	parse_ok(odd, &r);
	ck_assert_uint_eq(r.cfg.mem_size, (2049 << 10) + 3072);
	parse_ok(min, &r);
	ck_assert_uint_eq(r.cfg.mem_size, 2 * MiB);
	parse_fails(tiny, "--mem");
	parse_fails(zero, "--mem");
	parse_fails(junk, "12X");
}
END_TEST

START_TEST(cpus_range)
{
	char *max[] = { "run", "-k", "k", "--cpus", "254", NULL };
	char *bad[][6] = {
		{ "run", "-k", "k", "--cpus", "0", NULL },
		{ "run", "-k", "k", "--cpus", "255", NULL },
		{ "run", "-k", "k", "--cpus", "-1", NULL },
		{ "run", "-k", "k", "--cpus", "abc", NULL },
		{ "run", "-k", "k", "--cpus", "4x", NULL },
		{ "run", "-k", "k", "--cpus", "", NULL },
		{ "run", "-k", "k", "-p", "99999999999999999999", NULL },
	};
	struct run r;

	parse_ok(max, &r);
	ck_assert_int_eq(r.cfg.nr_cpus, MAX_CPUS);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], "--cpus");
}
END_TEST

START_TEST(usage_errors_name_the_culprit)
{
	char *unknown_long[] = { "run", "-k", "k", "--bogus", NULL };
	char *unknown_short[] = { "run", "-k", "k", "-x", NULL };
	char *no_kernel[] = { "run", "--mem", "1G", NULL };
	char *nothing[] = { "run", NULL };
	char *stray[] = { "run", "-k", "k", "extra", NULL };
	char *stray_first[] = { "run", "extra", "-k", "k", NULL };
	char *no_value_long[] = { "run", "--kernel", NULL };
	char *no_value_short[] = { "run", "-k", "k", "-m", NULL };
	char *flag_value[] = { "run", "-k", "k", "--help=yes", NULL };

	parse_fails(unknown_long, "--bogus");
	parse_fails(unknown_short, "-x");
	parse_fails(no_kernel, "--kernel");
	parse_fails(nothing, "--kernel");
	parse_fails(stray, "extra");
	parse_fails(stray_first, "extra");
	parse_fails(no_value_long, "--kernel");
	parse_fails(no_value_short, "-m");
	parse_fails(flag_value, "--help");
}
END_TEST

START_TEST(help_prints_usage_and_returns_1)
{
	char *argvs[][5] = {
		{ "run", "--help", NULL },
		{ "run", "-h", NULL },
		/* help wins over what follows, and over a missing kernel */
		{ "run", "-h", "--bogus", NULL },
		{ "run", "-k", "k", "--help", NULL },
	};
	char out[4096];
	struct run r;

	for (size_t i = 0; i < sizeof(argvs) / sizeof(argvs[0]); i++) {
		parse_capturing_stdout(argvs[i], &r, out, sizeof(out));
		ck_assert_int_eq(r.ret, 1);
		ck_assert_ptr_nonnull(strstr(out, "Usage: kvmini run"));
		ck_assert_ptr_nonnull(strstr(out, "--kernel"));
	}
}
END_TEST

/* A later parse (the config file parser) starts from a clean state. */
START_TEST(parsing_twice_starts_afresh)
{
	char *full[] = { "run",	    "-k",	 "a",	   "-i",
			 "i",	    "-p",	 "8",	   "--mem",
			 "1G",	    "--console", "file:x", "--reboot",
			 "restart", "-n",	 "n",	   NULL };
	char *minimal[] = { "run", "-k", "b", NULL };
	struct run r;

	parse_ok(full, &r);
	ck_assert_int_eq(r.cfg.nr_cpus, 8);
	parse_ok(minimal, &r);
	ck_assert_str_eq(r.cfg.kernel, "b");
	ck_assert_ptr_null(r.cfg.initrd);
	ck_assert_int_eq(r.cfg.nr_cpus, 1);
	ck_assert_uint_eq(r.cfg.mem_size, 512 * MiB);
	ck_assert_int_eq(r.cfg.console, CONSOLE_STDIO);
	ck_assert_ptr_null(r.cfg.console_path);
	ck_assert_int_eq(r.cfg.reboot, REBOOT_EXIT);
	ck_assert_str_ne(r.cfg.name, "n");
}
END_TEST

START_TEST(parsing_again_after_errors)
{
	char *stray[] = { "run", "x", "-k", "a", "y", NULL };
	char *unknown[] = { "run", "--bogus", "-k", "a", NULL };
	char *missing[] = { "run", "-k", NULL };
	char *help[] = { "run", "-h", "-k", "a", NULL };
	char *good[] = { "run", "-p", "2", "-k", "b", NULL };
	char **bad[] = { stray, unknown, missing };
	char out[4096];
	struct run r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], &r);
		ck_assert_int_eq(r.ret, -1);
		parse_ok(good, &r);
		ck_assert_str_eq(r.cfg.kernel, "b");
		ck_assert_int_eq(r.cfg.nr_cpus, 2);
	}
	parse_capturing_stdout(help, &r, out, sizeof(out));
	ck_assert_int_eq(r.ret, 1);
	parse_ok(good, &r);
	ck_assert_str_eq(r.cfg.kernel, "b");
}
END_TEST

/*
 * REGRESSION (fixed) (vmm/cli.c:173 at f91bfd4, "optind = 1"): glibc's getopt
 * keeps its position inside a bundle of short options ("-hp") across calls;
 * only optind = 0 resets it.  After `run -hp 2` returned for --help, the next
 * cli_parse_run() continues the old bundle: it parses 'p' and takes the
 * new argv's words as its value.  Breaks the config-file reparse.
 */
START_TEST(parsing_again_after_help_inside_a_bundle)
{
	char *bundle[] = { "run", "-hp", "2", NULL };
	char *good[] = { "run", "--kernel", "k", NULL };
	char out[4096];
	struct run r;

	parse_capturing_stdout(bundle, &r, out, sizeof(out));
	ck_assert_int_eq(r.ret, 1);
	parse_ok(good, &r);
	ck_assert_str_eq(r.cfg.kernel, "k");
	ck_assert_int_eq(r.cfg.nr_cpus, 1);
}
END_TEST

/*
 * REGRESSION (fixed) (vmm/cli.c:182 at f91bfd4, argv[optind - 1]): for an unknown
 * short option inside a bundle ("-xk k") getopt has not advanced optind yet,
 * so the message names the previous word: "unknown option 'run'".
 * optopt holds the offending character.
 */
START_TEST(unknown_option_inside_a_bundle_is_named)
{
	char *argv[] = { "run", "-xk", "k", NULL };

	parse_fails(argv, "-x");
}
END_TEST

/* --gdb: loopback unless an address is named; bad specs are usage errors */
START_TEST(gdb_specs)
{
	char *tcp_default[] = { "run", "-k", "k", "--gdb", "tcp::1234", NULL };
	char *tcp_local[] = { "run", "-k", "k", "--gdb", "tcp:localhost:0",
			      NULL };
	char *tcp_any[] = { "run", "-k", "k", "--gdb", "tcp:0.0.0.0:99", NULL };
	char *unix_wait[] = { "run",	     "-k",	   "k", "--gdb",
			      "unix:/tmp/s", "--gdb-wait", NULL };
	char *none[] = { "run", "-k", "k", NULL };
	char *wait_alone[] = { "run", "-k", "k", "--gdb-wait", NULL };
	const char *bad[] = { "tcp:example.org:1", "tcp::-1", "tcp::",
			      "tcp::65536", "tcp:1234", "udp::1", "unix:", "" };
	struct run r;

	parse_ok(tcp_default, &r);
	ck_assert_int_eq(r.cfg.gdb.transport, GDB_TCP);
	ck_assert_str_eq(r.cfg.gdb.host, "127.0.0.1");
	ck_assert_int_eq(r.cfg.gdb.port, 1234);
	ck_assert_int_eq(r.cfg.gdb.wait, 0);
	parse_ok(tcp_local, &r);
	ck_assert_str_eq(r.cfg.gdb.host, "127.0.0.1");
	ck_assert_int_eq(r.cfg.gdb.port, 0);
	parse_ok(tcp_any, &r);
	ck_assert_str_eq(r.cfg.gdb.host, "0.0.0.0");
	parse_ok(unix_wait, &r);
	ck_assert_int_eq(r.cfg.gdb.transport, GDB_UNIX);
	ck_assert_str_eq(r.cfg.gdb.path, "/tmp/s");
	ck_assert_int_eq(r.cfg.gdb.wait, 1);
	parse_ok(none, &r);
	ck_assert_int_eq(r.cfg.gdb.transport, GDB_OFF);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "run", "-k", "k", "--gdb", (char *)bad[i],
				 NULL };

		parse_fails(argv, "--gdb must be");
	}
	parse_fails(wait_alone, "--gdb-wait needs --gdb");
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *size = tcase_create("parse_size");
	TCase *run = tcase_create("run");

	tcase_add_loop_test(size, parse_size_accepts, 0,
			    sizeof(good_sizes) / sizeof(good_sizes[0]));
	tcase_add_loop_test(size, parse_size_rejects, 0,
			    sizeof(bad_sizes) / sizeof(bad_sizes[0]));
	tcase_add_test(size, parse_size_rejects_null);
	suite_add_tcase(s, size);

	tcase_add_test(run, defaults);
	tcase_add_test(run, long_options);
	tcase_add_test(run, short_options);
	tcase_add_test(run, attached_values);
	tcase_add_test(run, options_after_the_kernel_in_any_order);
	tcase_add_test(run, console_kinds);
	tcase_add_test(run, reboot_actions);
	tcase_add_test(run, mem_is_page_rounded_with_a_minimum);
	tcase_add_test(run, cpus_range);
	tcase_add_test(run, usage_errors_name_the_culprit);
	tcase_add_test(run, help_prints_usage_and_returns_1);
	tcase_add_test(run, parsing_twice_starts_afresh);
	tcase_add_test(run, parsing_again_after_errors);
	tcase_add_test(run, gdb_specs);
	suite_add_tcase(s, run);
	return s;
}

/* Tests that fail on purpose until the product bug they show is fixed. */
Suite *cli_regression_suite(void)
{
	Suite *s = suite_create("cli_regressions");
	TCase *tc = tcase_create("regressions");

	tcase_add_test(tc, parsing_again_after_help_inside_a_bundle);
	tcase_add_test(tc, unknown_option_inside_a_bundle_is_named);
	suite_add_tcase(s, tc);
	return s;
}
