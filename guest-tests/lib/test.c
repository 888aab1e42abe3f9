/*
 * Test verdicts: PASS/FAIL lines and the exit through port 0xf4.
 * See test.h.
 */
#include <stdarg.h>

#include "io.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

static int passes, failures;

void test_exit(uint8_t v)
{
	outb(TEST_EXIT_PORT, v);
	/* only without --test-exit: nobody claims the port */
	printf("test-exit port not there: powering off\n");
	poweroff();
}

void test_pass(const char *name)
{
	passes++;
	printf("PASS %s\n", name);
}

static void vfail(const char *name, const char *fmt, va_list ap)
{
	failures++;
	printf("FAIL %s: ", name);
	vprintf(fmt, ap);
	putc('\n');
}

void test_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(name, fmt, ap);
	va_end(ap);
}

int test_check(int cond, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (cond) {
		test_pass(name);
		return 1;
	}
	va_start(ap, fmt);
	vfail(name, fmt, ap);
	va_end(ap);
	return 0;
}

int test_failures(void)
{
	return failures;
}

void test_finish(void)
{
	if (!passes && !failures)
		test_fail("test", "no check ran");
	printf("%d passed, %d failed\n", passes, failures);
	test_exit(failures ? TEST_EXIT_FAIL : TEST_EXIT_PASS);
}
